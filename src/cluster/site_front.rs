//! A data centre's web tier in the two-sites-three-centres model: pages, and orders written to the primary database.
//!
//! Owns one site's application front as a single node: it serves browsing
//! pages by itself and turns an order or a payment into a write (JDBC) to the
//! database the disaster-recovery controller names as primary — its own
//! centre's or another's — answering 200 once the database acknowledges the
//! commit. A write that meets a read-only replica, a refused connection or
//! no answer within the socket timeout fails with that reason. It counts
//! acknowledged writes and remembers when it first acknowledged one, from
//! which the RTO is read. Logins hand out a cookie for a session store that
//! every centre reaches; sessions are the subject of another lesson and are
//! not checked here. Never chooses the primary: the controller tells it.

use super::dr::DrMsg;
use super::message::{FailCause, HttpRequest, HttpResponse, Msg, Page, SessionCookie, Status};
use super::replication::{MysqlError, MysqlMsg};
use super::timer_tag::{self, SHOP};
use crate::sim::{Ctx, MS, NodeId, SEC, TimeUs, TimerKey};
use std::collections::BTreeMap;

/// Settings; the timeout is a typical JDBC `socketTimeout`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SiteFrontConfig {
    /// CPU time of a page.
    pub page_us: TimeUs,
    /// How long a write may take before the request fails.
    pub write_timeout_us: TimeUs,
}

impl Default for SiteFrontConfig {
    fn default() -> Self {
        Self { page_us: 5 * MS, write_timeout_us: 3 * SEC }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PendingWrite {
    from: NodeId,
    request: HttpRequest,
    db: NodeId,
}

/// One centre's web tier.
#[derive(Clone, Debug)]
pub struct SiteFront {
    pub config: SiteFrontConfig,
    /// Where writes go now (set by the DR controller; durable configuration).
    pub primary_db: NodeId,
    /// Order numbers this site hands out start here (one range per site).
    pub order_base: u32,
    next_order: u32,
    next_session: u32,
    // Volatile.
    pending: BTreeMap<u32, PendingWrite>,
    next_req: u32,
    pub writes_ok: u64,
    pub writes_failed: u64,
    /// When this site first got a write acknowledged.
    pub first_write_ok_us: Option<TimeUs>,
}

impl SiteFront {
    pub fn new(config: SiteFrontConfig, primary_db: NodeId, order_base: u32) -> Self {
        Self {
            config,
            primary_db,
            order_base,
            next_order: 0,
            next_session: 0,
            pending: BTreeMap::new(),
            next_req: 0,
            writes_ok: 0,
            writes_failed: 0,
            first_write_ok_us: None,
        }
    }

    pub fn on_crash(&mut self) {
        self.pending.clear();
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Request(request) if matches!(request.page, Page::Order | Page::Pay) => self.write(ctx, from, request),
            Msg::Request(request) => {
                let session =
                    if request.page == Page::Login { Some(self.new_session(ctx.me)) } else { request.session };
                let ok = HttpResponse { id: request.id, status: Status::Ok, session, failure: None };
                ctx.send_after(self.config.page_us, from, Msg::Response(ok));
            }
            Msg::Mysql(MysqlMsg::WriteOk { req, .. }) => self.finish(ctx, req, None),
            Msg::Dr(DrMsg::UsePrimary { db }) => self.primary_db = db,
            Msg::Mysql(MysqlMsg::Failed { req, error: MysqlError::ReadOnly }) => {
                self.finish(ctx, req, Some(FailCause::DatabaseReadOnly));
            }
            _ => {}
        }
    }

    /// A login: the session goes to a store every centre reaches (its own
    /// failure is the session lesson's subject, not this one's).
    fn new_session(&mut self, me: NodeId) -> SessionCookie {
        self.next_session = self.next_session.wrapping_add(1);
        SessionCookie { id: self.next_session, route: me }
    }

    fn write(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, request: HttpRequest) {
        let req = self.next_req;
        self.next_req = self.next_req.wrapping_add(1);
        let key = self.order_base + self.next_order;
        self.next_order = (self.next_order + 1) % 1_000_000;
        let db = self.primary_db;
        self.pending.insert(req, PendingWrite { from, request, db });
        ctx.send(db, MysqlMsg::Write { req, key, value: i32::from(request.shopper) }.into());
        ctx.set_timer(timer_tag::key(SHOP, u64::from(req)), self.config.write_timeout_us);
    }

    fn finish(&mut self, ctx: &mut Ctx<'_, Msg>, req: u32, failed: Option<FailCause>) {
        let Some(write) = self.pending.remove(&req) else { return };
        ctx.cancel_timer(timer_tag::key(SHOP, u64::from(req)));
        let request = write.request;
        let response = match failed {
            None => {
                self.writes_ok += 1;
                self.first_write_ok_us.get_or_insert(ctx.now_us);
                HttpResponse { id: request.id, status: Status::Ok, session: request.session, failure: None }
            }
            Some(cause) => {
                self.writes_failed += 1;
                let status =
                    if cause == FailCause::DatabaseReadOnly { Status::Unavailable } else { Status::GatewayTimeout };
                HttpResponse { id: request.id, status, session: request.session, failure: Some((write.db, cause)) }
            }
        };
        ctx.send(write.from, Msg::Response(response));
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, key: TimerKey) {
        let req = timer_tag::local_of(key) as u32;
        self.finish(ctx, req, Some(FailCause::TimedOut));
    }

    /// The database's host refused the connection: fail at once.
    pub fn on_refused(&mut self, ctx: &mut Ctx<'_, Msg>, _to: NodeId, msg: Msg) {
        if let Msg::Mysql(MysqlMsg::Write { req, .. }) = msg {
            self.finish(ctx, req, Some(FailCause::DatabaseUnavailable));
        }
    }
}
