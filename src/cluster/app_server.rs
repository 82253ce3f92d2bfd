//! A Tomcat-like application server with sessions kept in its own memory.
//!
//! Owns a bounded worker pool (`maxThreads`, default 200) with a bounded
//! accept queue (`acceptCount`, default 100), running on a machine with a few
//! CPU cores: threads beyond the cores wait for a CPU, so a surge gives
//! queueing delay, then browser timeouts, then 503s — not free parallelism.
//! It also keeps an in-memory session map with Tomcat's 30-minute
//! timeout. Sessions are volatile: a crash loses every one of them, and a
//! shopper whose session lived here is sent back to the login page. The only
//! durable field is the boot count, which is stamped into session ids so that
//! a session from before a crash is recognised as lost, not unknown.
//! Pages that need the back end (`backend`) hold their thread while the
//! gateway answers, so a slow back end exhausts the 200 threads.
//! Never talks to shoppers directly: it answers whoever sent the request.

use super::message::{FailCause, HttpRequest, HttpResponse, Msg, Page, SessionCookie, Status};
use super::session_store::{Lookup, SESSION_TIMEOUT_US, Session, SessionTable};
use crate::sim::{Ctx, MS, NodeId, TimeUs, TimerKey};
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
}

/// The app server node.
#[derive(Clone, Debug)]
pub struct AppServer {
    pub config: AppServerConfig,
    // Durable (survives a crash): how many times the process has booted.
    pub boots: u32,
    // Volatile (lost on crash): sessions, work in progress, counters of this boot.
    pub sessions: SessionTable,
    /// Calls to the back end, each holding a thread.
    pub backend: Option<Backend>,
    /// Requests computing on a core (at most `cpu_cores`).
    jobs: BTreeMap<TimerKey, Job>,
    /// Requests holding a thread, waiting for a core.
    ready: VecDeque<Job>,
    /// Accepted connections waiting for a thread (at most `acceptCount`).
    queue: VecDeque<Job>,
    next_job: TimerKey,
    next_session: u32,
    pub served: u64,
    pub rejected: u64,
    /// Sessions asked for that this server should have had but did not. Must
    /// stay 0: a session only goes missing through a crash or a failover.
    pub unexplained_misses: u64,
}

impl AppServer {
    pub fn new(config: AppServerConfig) -> Self {
        let sessions = SessionTable::new(config.session_timeout_us);
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
            next_session: 0,
            served: 0,
            rejected: 0,
            unexplained_misses: 0,
        }
    }

    /// Threads in use: computing, waiting for a core, or waiting on the back end.
    pub fn busy_workers(&self) -> usize {
        self.jobs.len() + self.ready.len() + self.backend.as_ref().map_or(0, Backend::in_flight)
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    pub fn on_start(&mut self, _ctx: &mut Ctx<'_, Msg>) {
        self.boots += 1;
    }

    pub fn on_crash(&mut self) {
        let boots = self.boots;
        *self = Self { boots, ..Self::new(self.config.clone()) };
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        if let (Msg::Gateway(super::gateway::GatewayMsg::HttpReply(out)), Some(b)) = (msg, &mut self.backend) {
            let done = b.on_reply(ctx, out);
            return self.backend_done(ctx, done);
        }
        let Msg::Request(request) = msg else { return };
        let job = Job { from, request };
        if self.busy_workers() < self.config.max_threads as usize {
            self.take_thread(ctx, job);
        } else if self.queue.len() < self.config.accept_count as usize {
            self.queue.push_back(job);
        } else {
            self.rejected += 1;
            let reply = failure(request, Status::Unavailable, ctx.me, FailCause::Overloaded);
            ctx.send(from, Msg::Response(reply));
        }
    }

    /// A thread takes the request: it computes at once if a core is free.
    fn take_thread(&mut self, ctx: &mut Ctx<'_, Msg>, job: Job) {
        if self.jobs.len() < self.config.cpu_cores as usize {
            self.begin(ctx, job);
        } else {
            self.ready.push_back(job);
        }
    }

    fn begin(&mut self, ctx: &mut Ctx<'_, Msg>, job: Job) {
        let key = self.next_job;
        self.next_job += 1;
        let service_us = self.config.service_min_us + ctx.rng.exp_us(self.config.service_mean_extra_us);
        ctx.set_timer(key, service_us);
        self.jobs.insert(key, job);
    }

    /// A request finished computing: answer; its core goes to the next
    /// waiting thread, and its thread to the next accepted connection.
    pub fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, key: TimerKey) {
        if let Some(b) = &mut self.backend
            && let Some(done) = b.on_timer(key)
        {
            return self.backend_done(ctx, Some(done));
        }
        let Some(job) = self.jobs.remove(&key) else { return };
        let reply = self.serve(ctx, job.request);
        // (c) A page that needs the back end: its thread waits on the call.
        let reply = match &mut self.backend {
            Some(b) if reply.status == Status::Ok => b.start(ctx, job.from, job.request, reply),
            _ => Err(reply),
        };
        if let Err(reply) = reply {
            self.served += 1;
            ctx.send(job.from, Msg::Response(reply));
        }
        if let Some(next) = self.ready.pop_front() {
            self.begin(ctx, next);
        }
        if reply.is_err()
            && let Some(next) = self.queue.pop_front()
        {
            self.take_thread(ctx, next);
        }
    }

    /// A back-end call ended: answer, and give its thread to the next connection.
    fn backend_done(&mut self, ctx: &mut Ctx<'_, Msg>, done: Option<(backend::Parked, HttpResponse)>) {
        let Some((parked, reply)) = done else { return };
        self.served += 1;
        ctx.send(parked.from, Msg::Response(reply));
        if let Some(next) = self.queue.pop_front() {
            self.take_thread(ctx, next);
        }
    }

    /// The gateway's host refused a back-end call.
    pub fn on_refused(&mut self, ctx: &mut Ctx<'_, Msg>, msg: Msg) {
        if let (Msg::Gateway(m), Some(b)) = (msg, &mut self.backend) {
            let done = b.on_refused(ctx, m);
            self.backend_done(ctx, done);
        }
    }

    fn serve(&mut self, ctx: &mut Ctx<'_, Msg>, request: HttpRequest) -> HttpResponse {
        let now_us = ctx.now_us;
        if request.page == Page::Login {
            let id = SessionTable::session_id(self.boots, self.next_session);
            self.next_session += 1;
            let cookie = SessionCookie { id, route: ctx.me };
            let session = Session { shopper: request.shopper, created_us: now_us, last_access_us: now_us };
            self.sessions.insert(cookie, session);
            return HttpResponse { id: request.id, status: Status::Ok, session: Some(cookie), failure: None };
        }
        let ok = HttpResponse { id: request.id, status: Status::Ok, session: request.session, failure: None };
        // Public pages are served whatever the cookie; a missing session is
        // only noticed by a page that needs one.
        let needs = request.page.needs_session();
        let Some(cookie) = request.session else {
            return if needs {
                failure(request, Status::LoginRedirect, ctx.me, FailCause::SessionNotFound)
            } else {
                ok
            };
        };
        match self.sessions.lookup(now_us, cookie) {
            Lookup::Fresh => ok,
            _ if !needs => ok,
            Lookup::Expired => failure(request, Status::LoginRedirect, ctx.me, FailCause::SessionExpired),
            Lookup::Missing => {
                if cookie.route == ctx.me && SessionTable::boot_of(cookie) == self.boots {
                    self.unexplained_misses += 1;
                }
                failure(request, Status::LoginRedirect, ctx.me, FailCause::SessionNotFound)
            }
        }
    }
}

fn failure(request: HttpRequest, status: Status, node: NodeId, cause: FailCause) -> HttpResponse {
    HttpResponse { id: request.id, status, session: request.session, failure: Some((node, cause)) }
}
