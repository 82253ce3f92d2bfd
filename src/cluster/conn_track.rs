//! Connection tracking for a hop that forwards HTTP on a client's behalf.
//!
//! Owns the table a NAT-ing hop keeps (a data-centre router in front of a
//! VIP, the browsers' side of DNS): each forwarded request gets an id of the
//! hop's own, remembered with the client and the client's id, so the answer
//! — or a reset — returns to whoever asked. Bounded: beyond 65,536 open
//! connections the oldest is forgotten. Never decides where a request goes.

use crate::sim::NodeId;
use std::collections::BTreeMap;

/// Most connections tracked at once; the oldest is forgotten beyond it.
const MAX_TRACKED: usize = 65_536;

/// Forwarded requests waiting for their answer. Volatile.
#[derive(Clone, Debug, Default)]
pub struct ConnTrack {
    open: BTreeMap<u32, (NodeId, u32)>,
    next_id: u32,
}

impl ConnTrack {
    /// Track a request from `client` (its id `client_id`); the id to forward it under.
    pub fn open(&mut self, client: NodeId, client_id: u32) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        if self.open.len() >= MAX_TRACKED {
            self.open.pop_first();
        }
        self.open.insert(id, (client, client_id));
        id
    }

    /// The client and its id for an answer (or reset) to `id`, closing it.
    pub fn close(&mut self, id: u32) -> Option<(NodeId, u32)> {
        self.open.remove(&id)
    }

    pub fn clear(&mut self) {
        self.open.clear();
    }
}
