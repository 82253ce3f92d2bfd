//! The `session-store` design inside one Tomcat: where a request's session
//! comes from, and where a login or a change goes.
//!
//! Owns the manager side of an app server. For `memory` and `sticky` it is
//! Tomcat's StandardManager: a `SessionTable` in the process's memory, lost
//! with it. For `replicated` it is the DeltaManager (`sessions/delta`): the
//! same table, plus every create and change queued and sent to every other
//! Tomcat, copies from peers stored, and the full state asked of a peer at
//! start before serving. For `redis` it is Spring Session (`sessions/spring`):
//! the server keeps nothing and reads and writes each session in a Redis
//! server over the network, with the session timeout as the key's TTL.
//!
//! Three hooks of the request pipeline call it: `before_work` (a session
//! that must be fetched or created before the page is computed: Redis only;
//! the job keeps its thread while it waits), `finish` (the end-of-request
//! lookup and login of the in-memory managers; the session found is handed
//! to the page) and `save` (what the page changed in the session's
//! attributes — the cart, the last order — written before the reply goes
//! out: into the table and DeltaManager's send queue, or `SET` in Redis
//! with the thread waiting). A session lost is a cart lost. It keeps the counters the
//! properties read (`SessionCounts`). Never chooses where a request goes,
//! never touches threads or cores: `app_server` does.

mod delta;
mod spring;

use super::Job;
use crate::cluster::message::{FailCause, HttpRequest, HttpResponse, Msg, Page, SessionCookie, Status};
use crate::cluster::metrics::ShopMetrics;
use crate::cluster::session_store::{Lookup, Session, SessionChange, SessionStoreKind, SessionTable};
use crate::cluster::timer_tag;
use crate::sim::{CounterId, Ctx, MS, NodeId, SEC, TimeUs, TimerKey};

pub use spring::{redis_attributes, redis_key, redis_value};

/// The manager's settings; defaults are the real ones of each product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    pub store: SessionStoreKind,
    /// The other Tomcats of the cluster (DeltaManager's members).
    pub peers: Vec<NodeId>,
    /// The Redis server Spring Session uses (the master it starts with).
    pub redis: Option<NodeId>,
    /// Redis Sentinels to ask for the master (none: always `redis`).
    pub sentinels: Vec<NodeId>,
    /// How often the master is asked of a sentinel: 1 s.
    pub sentinel_refresh_us: TimeUs,
    /// `spring.data.redis.timeout`: 2 s, as shops set it (Lettuce's own
    /// default, 60 s, is longer than a browser or nginx waits, so the cause
    /// would never reach the shopper).
    pub store_timeout_us: TimeUs,
    /// DeltaManager's asynchronous send (`channelSendOptions` 8): a delta
    /// waits this long in the sender's queue after its request ended.
    pub replication_send_us: TimeUs,
    /// DeltaManager `stateTransferTimeout`: 60 s.
    pub state_transfer_timeout_us: TimeUs,
    /// McastService `frequency`: a membership heartbeat every 500 ms.
    pub membership_frequency_us: TimeUs,
    /// McastService `dropTime`: a member not heard for 3000 ms is dropped.
    pub member_drop_us: TimeUs,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            store: SessionStoreKind::default(),
            peers: Vec::new(),
            redis: None,
            sentinels: Vec::new(),
            sentinel_refresh_us: SEC,
            store_timeout_us: 2 * SEC,
            replication_send_us: MS,
            state_transfer_timeout_us: 60 * SEC,
            membership_frequency_us: 500 * MS,
            member_drop_us: 3 * SEC,
        }
    }
}

/// What the manager saw, kept across crashes (inspectors and properties).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionCounts {
    /// Sessions asked for that this server made in its current boot and no
    /// longer had. Must stay 0: a session only goes missing through a crash,
    /// a failover or a store that lost it.
    pub unexplained_misses: u64,
    /// The last session this server's own memory did not have.
    pub last_miss: Option<SessionCookie>,
    /// Pages needing a session served with it.
    pub session_pages_served: u64,
    /// ... of which by a server other than the one that created the session.
    pub served_by_other_server: u64,
    /// DeltaManager: deltas still in the send queue when the process died,
    /// and how many of them were new sessions.
    pub deltas_lost_in_crash: u64,
    pub creations_lost_in_crash: u64,
    /// DeltaManager: creations sent while a member was dropped for silence
    /// (paused or cut off past `dropTime`): that member never gets them.
    pub creations_missed_by_dropped: u64,
    /// Spring Session: sessions the store did not have, and calls that failed.
    pub store_misses: u64,
    pub store_failures: u64,
}

/// A job coming back from the manager, or the manager becoming ready.
#[derive(Clone, Copy, Debug)]
pub(super) enum Resumed {
    /// The session is in hand: compute the page.
    Go(Job),
    /// The request is answered without computing (a failure).
    Answer(Job, HttpResponse),
    /// The state transfer is over: start serving.
    Ready,
}

/// The session manager of one Tomcat.
#[derive(Clone, Debug)]
pub struct Sessions {
    pub config: SessionConfig,
    metrics: Option<ShopMetrics>,
    // Volatile (lost on crash).
    pub table: SessionTable,
    next_session: u32,
    delta: delta::DeltaState,
    spring: spring::SpringState,
    // Kept across crashes.
    pub counts: SessionCounts,
}

impl Sessions {
    pub fn new(config: SessionConfig, timeout_us: TimeUs, metrics: Option<ShopMetrics>) -> Self {
        Self {
            config,
            metrics,
            table: SessionTable::new(timeout_us),
            next_session: 0,
            delta: delta::DeltaState::default(),
            spring: spring::SpringState::default(),
            counts: SessionCounts::default(),
        }
    }

    /// Sessions in this server's memory (its own and peers' copies).
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    pub fn store(&self) -> SessionStoreKind {
        self.config.store
    }

    /// False while a restarted DeltaManager waits for its peers' sessions.
    pub fn ready(&self) -> bool {
        !self.delta.transferring
    }

    /// Requests holding a thread while they wait for the session store.
    pub fn parked(&self) -> usize {
        self.spring.calls.len()
    }

    /// Deltas not yet sent, and how many of them are new sessions.
    pub fn unsent(&self) -> (usize, usize) {
        self.delta.unsent()
    }

    /// The manager of the process that replaces a crashed one: memory gone,
    /// settings and history kept, what was still queued counted as lost.
    pub fn crashed(&self) -> Self {
        let mut fresh = Self::new(self.config.clone(), self.table.timeout_us, self.metrics);
        let (deltas, creations) = self.delta.unsent();
        fresh.counts = SessionCounts {
            deltas_lost_in_crash: self.counts.deltas_lost_in_crash + deltas as u64,
            creations_lost_in_crash: self.counts.creations_lost_in_crash + creations as u64,
            ..self.counts
        };
        fresh
    }

    pub(super) fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        match self.config.store {
            SessionStoreKind::Replicated => {
                self.membership_beat(ctx);
                self.start_transfer(ctx);
            }
            SessionStoreKind::Redis => self.spring_start(ctx),
            SessionStoreKind::Memory | SessionStoreKind::Sticky => {}
        }
    }

    /// Before the page is computed: Spring Session loads (or, for a login,
    /// saves) the session; the other managers have nothing to wait for.
    pub(super) fn before_work(&mut self, ctx: &mut Ctx<'_, Msg>, job: Job, boots: u32) -> Option<Resumed> {
        match self.config.store {
            SessionStoreKind::Redis => self.spring_before(ctx, job, boots),
            _ => Some(Resumed::Go(job)),
        }
    }

    /// The end of a request: a login makes a session, a page that needs one
    /// looks it up, and the answer is built, with the session found.
    pub(super) fn finish(&mut self, ctx: &mut Ctx<'_, Msg>, job: Job, boots: u32) -> (HttpResponse, Option<Session>) {
        let (request, now_us) = (job.request, ctx.now_us);
        let ok = HttpResponse { id: request.id, status: Status::Ok, session: request.session, failure: None };
        let needs = request.page.needs_session();
        if self.config.store == SessionStoreKind::Redis {
            // Spring Session loaded or saved it before the work began.
            return match request.session {
                Some(cookie) if needs => (self.served(ctx.me, cookie, ok), job.session),
                None if needs => (failure(request, Status::LoginRedirect, ctx.me, FailCause::SessionNotFound), None),
                _ => (ok, None),
            };
        }
        if request.page == Page::Login {
            let cookie = self.new_cookie(boots, ctx.me);
            let session = Session::new(request.shopper, now_us);
            self.table.insert(cookie, session);
            self.replicate(ctx, cookie, session, true);
            return (HttpResponse { session: Some(cookie), ..ok }, None);
        }
        // Public pages are served whatever the cookie; a missing session is
        // only noticed by a page that needs one.
        let Some(cookie) = request.session else {
            let reply =
                if needs { failure(request, Status::LoginRedirect, ctx.me, FailCause::SessionNotFound) } else { ok };
            return (reply, None);
        };
        let reply = match self.table.lookup(now_us, cookie) {
            Lookup::Fresh if needs => return (self.served(ctx.me, cookie, ok), self.table.get(cookie).copied()),
            Lookup::Fresh => ok,
            _ if !needs => ok,
            Lookup::Expired => failure(request, Status::LoginRedirect, ctx.me, FailCause::SessionExpired),
            Lookup::Missing => {
                if cookie.route == ctx.me && SessionTable::boot_of(cookie) == boots {
                    self.counts.unexplained_misses += 1;
                }
                self.counts.last_miss = Some(cookie);
                failure(request, Status::LoginRedirect, ctx.me, FailCause::SessionNotFound)
            }
        };
        (reply, None)
    }

    /// Save what a page changed in its session, then answer `reply`: the
    /// in-memory managers change their table (DeltaManager queues the delta
    /// for its peers); Spring Session `SET`s the session in Redis and the
    /// thread waits for the store (`None` until it answers).
    pub(super) fn save(
        &mut self,
        ctx: &mut Ctx<'_, Msg>,
        job: Job,
        change: SessionChange,
        reply: HttpResponse,
    ) -> Option<Resumed> {
        let Some(cookie) = job.request.session else { return Some(Resumed::Answer(job, reply)) };
        if self.config.store == SessionStoreKind::Redis {
            return match job.session {
                Some(session) => self.spring_save(ctx, job, cookie, session.with(change), reply),
                None => Some(Resumed::Answer(job, reply)),
            };
        }
        // A session gone in the meantime (expired, a crash) has nothing to save into.
        if let Some(session) = self.table.get(cookie).copied() {
            let changed = session.with(change);
            self.table.insert(cookie, changed);
            self.replicate(ctx, cookie, changed, false);
        }
        Some(Resumed::Answer(job, reply))
    }

    fn served(&mut self, me: NodeId, cookie: SessionCookie, ok: HttpResponse) -> HttpResponse {
        self.counts.session_pages_served += 1;
        if cookie.route != me {
            self.counts.served_by_other_server += 1;
        }
        ok
    }

    fn new_cookie(&mut self, boots: u32, me: NodeId) -> SessionCookie {
        let id = SessionTable::session_id(boots, self.next_session);
        self.next_session += 1;
        SessionCookie { id, route: me }
    }

    /// Replies from the store and messages from peers.
    pub(super) fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) -> Option<Resumed> {
        match msg {
            Msg::Redis(m) => self.on_store_reply(ctx, m),
            Msg::Session(m) => self.on_peer(ctx, from, m),
            _ => None,
        }
    }

    pub(super) fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, key: TimerKey) -> Option<Resumed> {
        match timer_tag::local_of(key) {
            delta::FLUSH => {
                self.flush(ctx);
                None
            }
            delta::TRANSFER_TIMEOUT => self.transfer_over(ctx, "no peer sent its sessions in time"),
            delta::MEMBERSHIP => {
                self.membership_beat(ctx);
                None
            }
            spring::REFRESH => {
                self.refresh_master(ctx);
                None
            }
            local => self.store_timed_out(ctx, local),
        }
    }

    /// A peer's or the store's host refused the connection.
    pub(super) fn on_refused(&mut self, ctx: &mut Ctx<'_, Msg>, to: NodeId, msg: Msg) -> Option<Resumed> {
        match msg {
            Msg::Redis(m) => self.store_refused(ctx, m),
            Msg::Session(m) => self.peer_refused(ctx, to, m),
            _ => None,
        }
    }

    fn count(&self, ctx: &mut Ctx<'_, Msg>, which: fn(&ShopMetrics) -> CounterId, by: u64) {
        if let Some(m) = &self.metrics {
            ctx.count(which(m), by);
        }
    }
}

pub(super) fn failure(request: HttpRequest, status: Status, node: NodeId, cause: FailCause) -> HttpResponse {
    HttpResponse { id: request.id, status, session: request.session, failure: Some((node, cause)) }
}
