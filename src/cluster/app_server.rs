//! A Tomcat-like application server.
//!
//! Owns a bounded worker pool (`maxThreads`, default 200) with a bounded
//! accept queue (`acceptCount`, default 100), running on a machine with a few
//! CPU cores: threads beyond the cores wait for a CPU, so a surge gives
//! queueing delay, then browser timeouts, then 503s — not free parallelism.
//! A request takes a thread, has its session resolved (`sessions`: in
//! memory, replicated between servers, or fetched from Redis — the
//! `session-store` design), computes on a core, and is answered. The only
//! durable field is the boot count, which is stamped into session ids so that
//! a session from before a crash is recognised as lost, not unknown.
//! Pages that need the back end (`backend`) hold their thread while the
//! gateway answers, so a slow back end exhausts the 200 threads.
//! Never talks to shoppers directly: it answers whoever sent the request.

mod sessions;

use super::autoscaler::Power;
use super::message::{FailCause, HttpRequest, HttpResponse, Msg, Page, Status};
use super::metrics::ShopMetrics;
use super::session_store::{SESSION_TIMEOUT_US, Session, SessionChange};
use super::timer_tag;
use crate::sim::{Ctx, MS, NodeId, TimeUs, TimerKey};
use sessions::{Resumed, failure};
pub use sessions::{SessionConfig, SessionCounts, Sessions, redis_attributes, redis_key, redis_value};
use std::collections::{BTreeMap, VecDeque};

pub mod backend;
pub use backend::{Backend, BackendConfig, FlashSale};

/// Tomcat connector and manager settings; defaults are Tomcat's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppServerConfig {
    /// `maxThreads`: requests served at once.
    pub max_threads: u32,
    /// `acceptCount`: requests waiting for a thread before 503s.
    pub accept_count: u32,
    /// CPU cores of the machine: requests actually computing at once.
    pub cpu_cores: u32,
    /// Minimum CPU time of one request.
    pub service_min_us: TimeUs,
    /// Mean of the exponential part of the service time on top of the minimum.
    pub service_mean_extra_us: TimeUs,
    /// `session-timeout` 30 minutes.
    pub session_timeout_us: TimeUs,
    /// The API gateway behind this server (None: every page answered here).
    pub backend: Option<BackendConfig>,
}

impl Default for AppServerConfig {
    fn default() -> Self {
        Self {
            max_threads: 200,
            accept_count: 100,
            cpu_cores: 4,
            service_min_us: 4 * MS,
            service_mean_extra_us: 8 * MS,
            session_timeout_us: SESSION_TIMEOUT_US,
            backend: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Job {
    from: NodeId,
    request: HttpRequest,
    /// The session as loaded for this request (Spring Session reads it
    /// before the work; the in-memory managers look it up at its end).
    session: Option<Session>,
}

/// The app server node.
#[derive(Clone, Debug)]
pub struct AppServer {
    pub config: AppServerConfig,
    // Durable (survives a crash): how many times the process has booted.
    pub boots: u32,
    /// The session manager (its memory is volatile, its counters kept).
    pub sessions: Sessions,
    // Volatile (lost on crash): work in progress, counters of this boot.
    /// Calls to the back end, each holding a thread.
    pub backend: Option<Backend>,
    /// Requests computing on a core (at most `cpu_cores`).
    jobs: BTreeMap<TimerKey, Job>,
    /// Requests holding a thread, waiting for a core.
    ready: VecDeque<Job>,
    /// Accepted connections waiting for a thread (at most `acceptCount`).
    queue: VecDeque<Job>,
    next_job: TimerKey,
    pub served: u64,
    pub rejected: u64,
    /// Whether the machine runs at all (the autoscaler powers it on and off).
    pub power: Power,
    /// CPU time handed to requests since this process started: the load the
    /// autoscaler reads.
    pub busy_core_us: u64,
}

impl AppServer {
    pub fn new(config: AppServerConfig) -> Self {
        let sessions = Sessions::new(SessionConfig::default(), config.session_timeout_us, None);
        let backend = config.backend.clone().map(Backend::new);
        Self {
            config,
            boots: 0,
            sessions,
            backend,
            jobs: BTreeMap::new(),
            ready: VecDeque::new(),
            queue: VecDeque::new(),
            next_job: 0,
            served: 0,
            rejected: 0,
            power: Power::On,
            busy_core_us: 0,
        }
    }

    /// This server with the session manager of the cluster's design.
    pub fn with_sessions(mut self, config: SessionConfig, metrics: ShopMetrics) -> Self {
        self.sessions = Sessions::new(config, self.config.session_timeout_us, Some(metrics));
        self
    }

    /// Threads in use: computing, waiting for a core, for the session store or on the back end.
    pub fn busy_workers(&self) -> usize {
        self.jobs.len()
            + self.ready.len()
            + self.sessions.parked()
            + self.backend.as_ref().map_or(0, Backend::in_flight)
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    pub fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.boots += 1;
        // A machine powered off runs no Tomcat: its manager starts when it boots.
        if self.power == Power::On {
            self.sessions.on_start(ctx);
        }
    }

    /// The machine finished booting (autoscaler): the new Tomcat's session
    /// manager starts (membership, state transfer).
    pub fn on_booted(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.power == Power::On {
            self.sessions.on_start(ctx);
        }
    }

    pub fn on_crash(&mut self) {
        let (boots, sessions, power) = (self.boots, self.sessions.crashed(), self.power);
        // A boot in progress is lost with the machine's process; an
        // autoscaler will power it on again.
        let power = if power == Power::On { Power::On } else { Power::Off };
        *self = Self { boots, sessions, power, ..Self::new(self.config.clone()) };
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        // A machine that is off answers nothing: no process listens.
        if self.power != Power::On {
            return;
        }
        if let (Msg::Gateway(super::gateway::GatewayMsg::HttpReply(out)), Some(b)) = (msg, &mut self.backend) {
            let done = b.on_reply(ctx, out);
            return self.backend_done(ctx, done);
        }
        let Msg::Request(request) = msg else {
            let resumed = self.sessions.on_message(ctx, from, msg);
            return self.resume(ctx, resumed);
        };
        let job = Job { from, request, session: None };
        // A starting DeltaManager queues requests until it has the sessions.
        if self.sessions.ready() && self.busy_workers() < self.config.max_threads as usize {
            self.take_thread(ctx, job);
        } else if self.queue.len() < self.config.accept_count as usize {
            self.queue.push_back(job);
        } else {
            self.rejected += 1;
            let reply = failure(request, Status::Unavailable, ctx.me, FailCause::Overloaded);
            ctx.send(from, Msg::Response(reply));
        }
    }

    /// A thread takes the request: its session is resolved (Redis: the
    /// thread waits for the store), then it computes once a core is free.
    fn take_thread(&mut self, ctx: &mut Ctx<'_, Msg>, job: Job) {
        let resumed = self.sessions.before_work(ctx, job, self.boots);
        self.resume(ctx, resumed);
    }

    /// The session manager is done with a job (or with its state transfer).
    fn resume(&mut self, ctx: &mut Ctx<'_, Msg>, resumed: Option<Resumed>) {
        match resumed {
            None => {}
            Some(Resumed::Go(job)) if self.jobs.len() < self.config.cpu_cores as usize => self.begin(ctx, job),
            Some(Resumed::Go(job)) => self.ready.push_back(job),
            Some(Resumed::Answer(job, reply)) => {
                self.served += 1;
                ctx.send(job.from, Msg::Response(reply));
                if let Some(next) = self.queue.pop_front() {
                    self.take_thread(ctx, next);
                }
            }
            Some(Resumed::Ready) => {
                while self.busy_workers() < self.config.max_threads as usize {
                    let Some(next) = self.queue.pop_front() else { break };
                    self.take_thread(ctx, next);
                }
            }
        }
    }

    /// A peer's, the session store's or the gateway's host refused a connection.
    pub fn on_refused(&mut self, ctx: &mut Ctx<'_, Msg>, to: NodeId, msg: Msg) {
        if let (Msg::Gateway(m), Some(b)) = (msg, &mut self.backend) {
            let done = b.on_refused(ctx, m);
            return self.backend_done(ctx, done);
        }
        let resumed = self.sessions.on_refused(ctx, to, msg);
        self.resume(ctx, resumed);
    }

    fn begin(&mut self, ctx: &mut Ctx<'_, Msg>, job: Job) {
        let key = self.next_job;
        self.next_job += 1;
        let service_us = self.config.service_min_us + ctx.rng.exp_us(self.config.service_mean_extra_us);
        ctx.set_timer(key, service_us);
        self.busy_core_us += service_us;
        self.jobs.insert(key, job);
    }

    /// A request finished computing: answer; its core goes to the next
    /// waiting thread, and its thread to the next accepted connection.
    pub fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, key: TimerKey) {
        if timer_tag::tag_of(key) == timer_tag::SESSION {
            if self.power != Power::On {
                return; // the manager died with the machine's process
            }
            let resumed = self.sessions.on_timer(ctx, key);
            return self.resume(ctx, resumed);
        }
        if let Some(b) = &mut self.backend
            && let Some(done) = b.on_timer(key)
        {
            return self.backend_done(ctx, Some(done));
        }
        let Some(job) = self.jobs.remove(&key) else { return };
        let (reply, session) = self.sessions.finish(ctx, job, self.boots);
        let job = Job { session, ..job };
        // (c) A page that needs the back end: its thread waits on the call.
        let answered = match &mut self.backend {
            Some(b) if reply.status == Status::Ok => b.start(ctx, job.from, job.request, reply, session).err(),
            // Without a back end (the slice) the cart holds no product, but
            // putting it there still changes the session.
            _ => Some((
                reply,
                (reply.status == Status::Ok && job.request.page == Page::AddToCart)
                    .then_some(SessionChange::PutInCart(0)),
            )),
        };
        let resumed = answered.and_then(|(reply, change)| self.save(ctx, job, reply, change));
        let answered_now = matches!(resumed, Some(Resumed::Answer(..)));
        if let Some(Resumed::Answer(job, reply)) = resumed {
            self.served += 1;
            ctx.send(job.from, Msg::Response(reply));
        }
        if let Some(next) = self.ready.pop_front() {
            self.begin(ctx, next);
        }
        if answered_now && let Some(next) = self.queue.pop_front() {
            self.take_thread(ctx, next);
        }
    }

    /// A page's change is saved in the session before its reply goes out
    /// (Spring Session: `None` while the thread waits for Redis).
    fn save(
        &mut self,
        ctx: &mut Ctx<'_, Msg>,
        job: Job,
        reply: HttpResponse,
        change: Option<SessionChange>,
    ) -> Option<Resumed> {
        match change {
            Some(change) => self.sessions.save(ctx, job, change, reply),
            None => Some(Resumed::Answer(job, reply)),
        }
    }

    /// A back-end call ended: save what it changed, answer, free its thread.
    fn backend_done(&mut self, ctx: &mut Ctx<'_, Msg>, done: Option<backend::Done>) {
        let Some((parked, reply, change)) = done else { return };
        let job = Job { from: parked.from, request: parked.request, session: parked.session };
        let resumed = self.save(ctx, job, reply, change);
        self.resume(ctx, resumed);
    }
}
