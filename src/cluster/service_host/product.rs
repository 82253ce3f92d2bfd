//! The product service's methods: search and the detail page.
//!
//! Owns what `searchProducts` and `getProduct` do on a product instance:
//! a search is a MyCat query without the shard key (scatter-gather over every
//! shard, merged); a detail read goes through cache-aside on `product-cache`
//! (hit, or miss → MyCat `SELECT` by product id → `SET` with TTL), or straight
//! to MyCat with the cache off. The cache-aside client's database is this
//! host itself: its `DbLoad` comes back here and becomes a MyCat query, as
//! a DAO call would. Never caches anything itself and never routes a query.
//! Volatile: everything but the settings and counters.

use super::{downstream, query, reply};
use crate::cluster::message::{FailCause, Msg};
use crate::cluster::mycat::{MycatMsg, Sql};
use crate::cluster::product_cache::{CacheAside, CacheDone, CacheMsg};
use crate::cluster::rpc::{BizError, Method, RpcFailure, RpcMsg, RpcResult};
use crate::cluster::timer_tag::{self, PRODUCT_CACHE};
use crate::sim::{Ctx, NodeId, TimerKey};
use std::collections::BTreeMap;

type C<'c, 'a> = &'c mut Ctx<'a, Msg>;

/// What a MyCat query was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Query {
    Search {
        op: u32,
    },
    Detail {
        op: u32,
    },
    /// Cache-aside's load of `product` (its request `req`).
    CacheLoad {
        product: u32,
        req: u32,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Op {
    from: NodeId,
    call: RpcMsg,
}

/// A product instance's provider side.
#[derive(Clone, Debug)]
pub struct ProductFlow {
    pub mycat: NodeId,
    /// Cache-aside on `product-cache` (None: this host has no cache client).
    pub aside: Option<CacheAside>,
    /// The `product-cache` switch: off, new reads go to MyCat; reads already
    /// in the cache client finish there.
    pub cache_on: bool,
    ops: BTreeMap<u32, Op>,
    queries: BTreeMap<u32, Query>,
    next_id: u32,
    pub searches: u64,
    pub details: u64,
    pub db_queries: u64,
    pub failures: u64,
}

impl ProductFlow {
    pub fn new(mycat: NodeId, aside: Option<CacheAside>) -> Self {
        Self {
            mycat,
            cache_on: aside.is_some(),
            aside,
            ops: BTreeMap::new(),
            queries: BTreeMap::new(),
            next_id: 0,
            searches: 0,
            details: 0,
            db_queries: 0,
            failures: 0,
        }
    }

    pub fn on_crash(&mut self) {
        self.ops.clear();
        self.queries.clear();
        self.aside.iter_mut().for_each(CacheAside::on_crash);
    }

    fn fresh(&mut self) -> u32 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    fn ask_db(&mut self, ctx: C<'_, '_>, sql: Sql, what: Query) {
        let id = self.fresh();
        self.db_queries += 1;
        self.queries.insert(id, what);
        query(ctx, self.mycat, id, sql);
    }

    pub fn on_call(&mut self, ctx: C<'_, '_>, from: NodeId, call: RpcMsg) {
        let RpcMsg::Call { method, arg, .. } = call else { return };
        let op = self.fresh();
        self.ops.insert(op, Op { from, call });
        match method {
            Method::SearchProducts => {
                self.searches += 1;
                self.ask_db(ctx, Sql::CountAll, Query::Search { op });
            }
            Method::GetProduct => {
                self.details += 1;
                match &mut self.aside {
                    Some(aside) if self.cache_on => aside.read(ctx, arg, op),
                    _ => self.ask_db(ctx, Sql::Select { key: arg }, Query::Detail { op }),
                }
            }
            _ => self.answer(ctx, op, RpcResult::Err(RpcFailure::Biz(BizError::NotFound))),
        }
    }

    fn answer(&mut self, ctx: C<'_, '_>, op: u32, result: RpcResult) {
        if let Some(o) = self.ops.remove(&op) {
            if matches!(result, RpcResult::Err(_)) {
                self.failures += 1;
            }
            reply(ctx, o.from, o.call, result);
        }
    }

    /// Cache traffic: the cache's answers, and cache-aside's own DB loads.
    pub fn on_cache(&mut self, ctx: C<'_, '_>, from: NodeId, msg: CacheMsg) {
        if let CacheMsg::DbLoad { product, req } = msg {
            return self.ask_db(ctx, Sql::Select { key: product }, Query::CacheLoad { product, req });
        }
        let done = match &mut self.aside {
            Some(aside) => aside.on_message(ctx, from, msg),
            None => Vec::new(),
        };
        self.reads_done(ctx, done);
    }

    fn reads_done(&mut self, ctx: C<'_, '_>, done: Vec<CacheDone>) {
        for d in done {
            let result = match d.result {
                Ok((version, _)) => RpcResult::Ok(version),
                Err(_) => downstream(self.mycat, FailCause::DatabaseUnavailable),
            };
            self.answer(ctx, d.tag, result);
        }
    }

    pub fn on_mycat(&mut self, ctx: C<'_, '_>, msg: MycatMsg) {
        let (id, result) = match msg {
            MycatMsg::Done { id, result } => (id, Some(result)),
            MycatMsg::Failed { id, .. } => (id, None),
            MycatMsg::Query { .. } => return,
        };
        let Some(what) = self.queries.remove(&id) else { return };
        let failed = downstream(self.mycat, FailCause::DatabaseUnavailable);
        match what {
            Query::Search { op } => self.answer(ctx, op, result.map_or(failed, |r| RpcResult::Ok(r.rows))),
            Query::Detail { op } => self.answer(ctx, op, result.map_or(failed, |r| RpcResult::Ok(r.row.version))),
            Query::CacheLoad { product, req } => {
                let me = ctx.me;
                let Some(aside) = &mut self.aside else { return };
                let done = match result {
                    Some(r) => aside.on_message(ctx, me, CacheMsg::DbRow { product, version: r.row.version, req }),
                    None => aside.on_refused(ctx, me, CacheMsg::DbLoad { product, req }),
                };
                self.reads_done(ctx, done);
            }
        }
    }

    pub fn on_timer(&mut self, ctx: C<'_, '_>, key: TimerKey) {
        if timer_tag::tag_of(key) != PRODUCT_CACHE {
            return;
        }
        let done = match &mut self.aside {
            Some(aside) => aside.on_timer(ctx, key),
            None => Vec::new(),
        };
        self.reads_done(ctx, done);
    }

    /// The cache's or MyCat's host refused a send.
    pub fn on_refused(&mut self, ctx: C<'_, '_>, to: NodeId, msg: Msg) {
        match msg {
            Msg::Cache(m) => {
                let done = match &mut self.aside {
                    Some(aside) => aside.on_refused(ctx, to, m),
                    None => Vec::new(),
                };
                self.reads_done(ctx, done);
            }
            Msg::Mycat(MycatMsg::Query { id, .. }) => {
                self.on_mycat(ctx, MycatMsg::Failed { id, reason: crate::cluster::mycat::QueryFailure::BackendRefused })
            }
            _ => {}
        }
    }
}
