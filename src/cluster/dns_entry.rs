//! The shoppers' way in by name: browsers resolve the shop's domain and connect to the answer.
//!
//! Owns the browsers' side of DNS for one population of shoppers: a name
//! cache in front of their ISP's resolver (Chrome keeps a host for 60 s
//! whatever the record says), requests held while a lookup is on its way, and
//! the connection to the address the cache names — tracked so that answers
//! return to the shopper that asked. A dead address keeps being used until
//! the cached answer expires: the connection is refused (or times out) and
//! the shopper sees an error, which is exactly why DNS failover is slow. A
//! failed lookup fails the request with its reason. Never health-checks an
//! address and never picks one itself: the resolver's answer decides.

use super::conn_track::ConnTrack;
use super::dns::{DnsClient, DnsMsg, NameId, Resolution};
use super::message::{FailCause, HttpRequest, HttpResponse, Msg, Status};
use crate::sim::{Ctx, NodeId, TimerKey};
use std::collections::{BTreeMap, VecDeque};

/// Most requests held for one lookup; more fail at once.
const MAX_WAITING: usize = 4_096;

/// A population's browsers, resolving one name.
#[derive(Clone, Debug)]
pub struct DnsEntry {
    pub dns: DnsClient,
    pub name: NameId,
    // Volatile: requests waiting for a lookup, connections in flight.
    waiting: VecDeque<(NodeId, HttpRequest)>,
    tracked: ConnTrack,
    /// Requests sent to each address, for the inspector.
    pub sent_to: BTreeMap<NodeId, u64>,
}

impl DnsEntry {
    pub fn new(dns: DnsClient, name: NameId) -> Self {
        Self { dns, name, waiting: VecDeque::new(), tracked: ConnTrack::default(), sent_to: BTreeMap::new() }
    }

    /// The address the browsers use now, if their cache has one.
    pub fn current(&self, now_us: u64) -> Option<NodeId> {
        self.dns.cached(now_us, self.name).and_then(Result::ok)
    }

    pub fn on_crash(&mut self) {
        self.dns.on_crash();
        self.waiting.clear();
        self.tracked.clear();
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Request(r) => self.connect(ctx, from, r),
            Msg::Response(r) => self.reply(ctx, r),
            Msg::Dns(m) => {
                self.dns.on_message(ctx, from, m);
                self.flush(ctx);
            }
            _ => {}
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, key: TimerKey) {
        self.dns.on_timer(ctx, key);
        self.flush(ctx);
    }

    /// The site at the cached address is down: its host refuses the connection.
    pub fn on_refused(&mut self, ctx: &mut Ctx<'_, Msg>, to: NodeId, msg: Msg) {
        match msg {
            Msg::Request(request) => {
                let Some((client, id)) = self.tracked.close(request.id) else { return };
                let reset = failure(HttpRequest { id, ..request }, to, FailCause::Refused);
                ctx.send(client, Msg::Response(reset));
            }
            Msg::Dns(m @ DnsMsg::Query { .. }) => {
                self.dns.on_refused(ctx, to, m);
                self.flush(ctx);
            }
            _ => {}
        }
    }

    fn connect(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, request: HttpRequest) {
        match self.dns.resolve(ctx, self.name) {
            Resolution::Address(address) => self.send(ctx, from, request, address),
            Resolution::Pending if self.waiting.len() < MAX_WAITING => self.waiting.push_back((from, request)),
            Resolution::Pending => ctx.send(from, Msg::Response(failure(request, ctx.me, FailCause::DnsLookupFailed))),
            Resolution::Failed(_) => {
                ctx.send(from, Msg::Response(failure(request, ctx.me, FailCause::DnsLookupFailed)));
            }
        }
    }

    /// A lookup settled: send or fail everything that waited for it.
    fn flush(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let Some(result) = self.dns.cached(ctx.now_us, self.name) else { return };
        while let Some((from, request)) = self.waiting.pop_front() {
            match result {
                Ok(address) => self.send(ctx, from, request, address),
                Err(_) => ctx.send(from, Msg::Response(failure(request, ctx.me, FailCause::DnsLookupFailed))),
            }
        }
    }

    fn send(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, request: HttpRequest, address: NodeId) {
        let id = self.tracked.open(from, request.id);
        *self.sent_to.entry(address).or_default() += 1;
        ctx.send(address, Msg::Request(HttpRequest { id, ..request }));
    }

    fn reply(&mut self, ctx: &mut Ctx<'_, Msg>, response: HttpResponse) {
        if let Some((client, id)) = self.tracked.close(response.id) {
            ctx.send(client, Msg::Response(HttpResponse { id, ..response }));
        }
    }
}

fn failure(request: HttpRequest, node: NodeId, cause: FailCause) -> HttpResponse {
    HttpResponse { id: request.id, status: Status::BadGateway, session: request.session, failure: Some((node, cause)) }
}
