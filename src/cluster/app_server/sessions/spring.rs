//! Spring Session with Redis in one app server: the server keeps no session.
//!
//! Owns the calls in flight to the Redis server and what each is for, and
//! how a session and its attributes (cart, last order) fit in one stored
//! value. A login makes a session and `SET`s it with the session timeout as
//! TTL (Spring Session's 1800 s) before answering; a page that needs a
//! session `GET`s it before the page is computed, and moves its expiry
//! (`PEXPIRE`) unless the page is sure to change it; a page that changed it
//! (cart, order placed, paid) `SET`s it at the end of the request, and its
//! reply waits for Redis, as Spring Session's commit does. Each call adds a
//! round trip. A refused, failed or unanswered
//! call (after `spring.data.redis.timeout`) fails the request with
//! `SessionStoreUnavailable`: nothing is served without its session. A key
//! the store does not have sends the shopper to login. With Sentinel, the
//! master is asked of the sentinels at start, every second (standing in for
//! the `+switch-master` notice Lettuce subscribes to) and after any failed
//! call, so a failover moves the sessions' reads and writes to the promoted
//! replica — which lacks what the old master took and never sent it. Never
//! keeps a session between requests.

use super::{Resumed, Sessions, failure};
use crate::cluster::app_server::Job;
use crate::cluster::message::{FailCause, HttpResponse, Msg, Page, SessionCookie, Status};
use crate::cluster::redis::{RedisMsg, RedisReply, SESSION_TTL_MS};
use crate::cluster::session_store::Session;
use crate::cluster::timer_tag::{self, SESSION};
use crate::sim::{Ctx, NodeId, TimerKey};
use std::collections::BTreeMap;

/// Local timer keys of calls start here (below are DeltaManager's and this).
const CALL_BASE: u64 = 1 << 32;
/// Local timer key of the next question to a sentinel.
pub(super) const REFRESH: u64 = 3;

fn call_timer(req: u32) -> TimerKey {
    timer_tag::key(SESSION, CALL_BASE + u64::from(req))
}

/// The Redis key of a session: its creator's route in the top byte, then the
/// low four bits of its boot and its sequence number. (Spring Session uses a
/// UUID; keys here are 32 bits, so the value carries the full id and a key
/// reused after 16 boots of one server within the TTL reads as missing.)
pub fn redis_key(cookie: SessionCookie) -> u32 {
    ((u32::from(cookie.route.0) & 0xFF) << 24) | (cookie.id & 0x00FF_FFFF)
}

/// The stored value, high bits first: the session id's top 8 bits (the key
/// holds the other 24), the shopper (16), the changes (8, wrapping), the
/// cart's product (11: ids up to 2047) and the last order (21: ids up to
/// about 2 million). Spring Session keeps them as fields of a hash.
pub fn redis_value(cookie: SessionCookie, session: Session) -> i64 {
    let bits = (u64::from(cookie.id >> 24) << 56)
        | (u64::from(session.shopper) << 40)
        | (u64::from(session.changes & 0xFF) << 32)
        | (u64::from(session.cart & 0x7FF) << 21)
        | u64::from(session.last_order & 0x1F_FFFF);
    bits as i64
}

/// The cart and last order a stored session value holds.
pub fn redis_attributes(value: i64) -> (u32, u32) {
    let (_, _, _, cart, last_order) = decode(value);
    (cart, last_order)
}

/// (id's top 8 bits, shopper, changes, cart, last order) of a stored value.
fn decode(value: i64) -> (u32, u16, u32, u32, u32) {
    let bits = value as u64;
    let field = |shift: u32, mask: u64| ((bits >> shift) & mask) as u32;
    (field(56, 0xFF), field(40, 0xFFFF) as u16, field(32, 0xFF), field(21, 0x7FF), field(0, 0x1F_FFFF))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// `SET` of a new session (login).
    Create,
    /// `GET` of the cookie's session.
    Read,
    /// `PEXPIRE` of a session just read.
    Touch,
    /// `SET` of a session the page changed; then this reply goes out.
    Save(HttpResponse),
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Call {
    job: Job,
    step: Step,
    cookie: SessionCookie,
    session: Session,
}

/// Volatile: calls waiting for Redis (each holds its request's thread), and
/// the master as the sentinels last said.
#[derive(Clone, Debug, Default)]
pub(super) struct SpringState {
    pub(super) calls: BTreeMap<u32, Call>,
    next_req: u32,
    master: Option<NodeId>,
    next_sentinel: usize,
}

impl Sessions {
    /// The Redis server sessions are read from and written to now.
    pub fn session_store_node(&self) -> Option<NodeId> {
        self.spring.master.or(self.config.redis)
    }

    pub(super) fn spring_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if !self.config.sentinels.is_empty() {
            self.ask_sentinel(ctx);
            ctx.set_timer(timer_tag::key(SESSION, REFRESH), self.config.sentinel_refresh_us);
        }
    }

    pub(super) fn refresh_master(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.ask_sentinel(ctx);
        ctx.set_timer(timer_tag::key(SESSION, REFRESH), self.config.sentinel_refresh_us);
    }

    /// `SENTINEL get-master-addr-by-name`, to the same sentinel until its
    /// host refuses (then to the next), as a client keeps its connection.
    fn ask_sentinel(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let sentinels = &self.config.sentinels;
        if sentinels.is_empty() {
            return;
        }
        let sentinel = sentinels[self.spring.next_sentinel % sentinels.len()];
        let req = self.spring.next_req;
        self.spring.next_req = req.wrapping_add(1);
        ctx.send(sentinel, Msg::Redis(RedisMsg::GetMaster { req }));
    }

    pub(super) fn spring_before(&mut self, ctx: &mut Ctx<'_, Msg>, job: Job, boots: u32) -> Option<Resumed> {
        let page = job.request.page;
        let session = Session::new(job.request.shopper, ctx.now_us);
        if page == Page::Login {
            let cookie = self.new_cookie(boots, ctx.me);
            return self.call(ctx, Call { job, step: Step::Create, cookie, session });
        }
        match job.request.session {
            Some(cookie) if page.needs_session() => self.call(ctx, Call { job, step: Step::Read, cookie, session }),
            _ => Some(Resumed::Go(job)),
        }
    }

    fn call(&mut self, ctx: &mut Ctx<'_, Msg>, call: Call) -> Option<Resumed> {
        let Some(redis) = self.session_store_node() else { return Some(self.store_failed(ctx, call.job)) };
        let req = self.spring.next_req;
        self.spring.next_req = req.wrapping_add(1);
        let key = redis_key(call.cookie);
        let msg = match call.step {
            Step::Read => RedisMsg::Get { req, key },
            Step::Create | Step::Save(_) => {
                RedisMsg::Set { req, key, value: redis_value(call.cookie, call.session), ttl_ms: SESSION_TTL_MS }
            }
            Step::Touch => RedisMsg::Expire { req, key, ttl_ms: SESSION_TTL_MS },
        };
        ctx.send(redis, Msg::Redis(msg));
        ctx.set_timer(call_timer(req), self.config.store_timeout_us);
        self.count(ctx, |m| m.session_store_calls, 1);
        self.spring.calls.insert(req, call);
        None
    }

    pub(super) fn on_store_reply(&mut self, ctx: &mut Ctx<'_, Msg>, msg: RedisMsg) -> Option<Resumed> {
        if let RedisMsg::MasterIs { master, .. } = msg {
            if self.spring.master != Some(master) && self.session_store_node() != Some(master) {
                ctx.log(format!("spring session: the sentinels name #{} as master; sessions go there", master.0));
            }
            self.spring.master = Some(master);
            return None;
        }
        let RedisMsg::Reply { req, reply } = msg else { return None };
        let mut call = self.spring.calls.remove(&req)?;
        ctx.cancel_timer(call_timer(req));
        match (call.step, reply) {
            (_, RedisReply::Error(_)) => Some(self.store_failed(ctx, call.job)),
            (Step::Read, RedisReply::Int(value)) if decode(value).0 == call.cookie.id >> 24 => {
                let (_, shopper, changes, cart, last_order) = decode(value);
                call.session = Session { shopper, changes, cart, last_order, ..call.session };
                call.job.session = Some(call.session);
                if call.job.request.page == Page::AddToCart {
                    // Changed at the end of the request anyway: the SET moves the expiry.
                    return Some(Resumed::Go(call.job));
                }
                call.step = Step::Touch;
                self.call(ctx, call)
            }
            (Step::Read, _) => {
                self.counts.store_misses += 1;
                let reply = failure(call.job.request, Status::LoginRedirect, ctx.me, FailCause::SessionNotFound);
                Some(Resumed::Answer(call.job, reply))
            }
            (Step::Create, _) => {
                call.job.request.session = Some(call.cookie);
                Some(Resumed::Go(call.job))
            }
            (Step::Touch, _) => Some(Resumed::Go(call.job)),
            (Step::Save(reply), _) => Some(Resumed::Answer(call.job, reply)),
        }
    }

    /// The end of a request that changed its session: `SET` it, then answer.
    pub(super) fn spring_save(
        &mut self,
        ctx: &mut Ctx<'_, Msg>,
        job: Job,
        cookie: SessionCookie,
        session: Session,
        reply: HttpResponse,
    ) -> Option<Resumed> {
        self.call(ctx, Call { job, step: Step::Save(reply), cookie, session })
    }

    pub(super) fn store_timed_out(&mut self, ctx: &mut Ctx<'_, Msg>, local: u64) -> Option<Resumed> {
        let req = u32::try_from(local.checked_sub(CALL_BASE)?).ok()?;
        let call = self.spring.calls.remove(&req)?;
        Some(self.store_failed(ctx, call.job))
    }

    pub(super) fn store_refused(&mut self, ctx: &mut Ctx<'_, Msg>, msg: RedisMsg) -> Option<Resumed> {
        let req = match msg {
            RedisMsg::Get { req, .. } | RedisMsg::Set { req, .. } | RedisMsg::Expire { req, .. } => req,
            RedisMsg::GetMaster { .. } => {
                self.spring.next_sentinel = self.spring.next_sentinel.wrapping_add(1);
                return None;
            }
            _ => return None,
        };
        let call = self.spring.calls.remove(&req)?;
        ctx.cancel_timer(call_timer(req));
        Some(self.store_failed(ctx, call.job))
    }

    /// The store could not be used: a 500 that says so, and nothing served;
    /// with Sentinel, ask at once who the master is now.
    fn store_failed(&mut self, ctx: &mut Ctx<'_, Msg>, job: Job) -> Resumed {
        self.counts.store_failures += 1;
        self.ask_sentinel(ctx);
        let reply = failure(job.request, Status::InternalError, ctx.me, FailCause::SessionStoreUnavailable);
        Resumed::Answer(job, reply)
    }
}
