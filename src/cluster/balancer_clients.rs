//! Where each client's requests went: the server a client address was last
//! sent to and how many of its requests in a row went there.
//!
//! Owns `ClientRoutes`, the balancer's observation of its own decisions (as
//! nginx's access log with `$remote_addr` and `$upstream_addr` would show
//! them): with `ip_hash` or source-IP persistence every client's run keeps
//! growing on one server; with round robin or least_conn it keeps breaking.
//! Volatile (a crashed balancer forgets it). Part of `balancer`, split out to
//! keep each file small; never chooses a server.

use super::Balancer;
use crate::cluster::lb_algorithm::ClientAddr;
use std::collections::BTreeMap;

/// One client address's last server and its run there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientRoute {
    /// Index into the balancer's upstreams.
    pub upstream: usize,
    /// Requests in a row sent to that upstream (1 after a move).
    pub in_a_row: u32,
}

/// Each client address's last server, in address order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientRoutes {
    routes: BTreeMap<ClientAddr, ClientRoute>,
}

impl ClientRoutes {
    /// A request from `addr` was sent to `upstream`.
    pub fn note(&mut self, addr: ClientAddr, upstream: usize) {
        let route = self.routes.entry(addr).or_insert(ClientRoute { upstream, in_a_row: 0 });
        if route.upstream == upstream {
            route.in_a_row = route.in_a_row.saturating_add(1);
        } else {
            *route = ClientRoute { upstream, in_a_row: 1 };
        }
    }

    /// The first `n` clients by address, with their route.
    pub fn first(&self, n: usize) -> impl Iterator<Item = (&ClientAddr, &ClientRoute)> {
        self.routes.iter().take(n)
    }

    pub fn clear(&mut self) {
        self.routes.clear();
    }
}

impl Balancer {
    /// Where each client's requests went (for the inspector and lessons).
    pub fn client_routes(&self) -> &ClientRoutes {
        &self.clients
    }
}
