//! Small test worlds for the application layer: one wire type wrapping every
//! mechanism's messages, one node type hosting each state machine (or a
//! scripted stand-in: an HTTP client, an RPC provider, a product DB), and a
//! builder per behaviour under test. Links are a fixed 1 ms, so every time in
//! the tests is exact.

use clusterlab::cluster::gateway::{AuthToken, Gateway, GatewayConfig, GatewayMsg, HttpOut};
use clusterlab::cluster::product_cache::{CacheAside, CacheAsideConfig, CacheDone, CacheMsg, CacheStore};
use clusterlab::cluster::registry::{Registry, RegistryClient, RegistryConfig, RegistryMsg, ServiceKind};
use clusterlab::cluster::rpc::{BizError, CallRecord, Method, RpcClient, RpcConfig, RpcFailure, RpcMsg, RpcResult};
use clusterlab::cluster::timer_tag::{self, GATEWAY, PRODUCT_CACHE, REGISTRY, RPC};
use clusterlab::sim::{Ctx, LinkProfile, MS, Message, Node, NodeId, Sim, TimeUs, TimerKey};
use std::collections::BTreeMap;

/// Test-only timer namespaces (scripts and provider jobs).
const SCRIPT: u8 = 0xF0;
const JOB: u8 = 0xF1;

// ---- the wire ------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Wire {
    Gateway(GatewayMsg),
    Rpc(RpcMsg),
    Registry(RegistryMsg),
    Cache(CacheMsg),
}

impl From<GatewayMsg> for Wire {
    fn from(m: GatewayMsg) -> Self {
        Wire::Gateway(m)
    }
}
impl From<RpcMsg> for Wire {
    fn from(m: RpcMsg) -> Self {
        Wire::Rpc(m)
    }
}
impl From<RegistryMsg> for Wire {
    fn from(m: RegistryMsg) -> Self {
        Wire::Registry(m)
    }
}
impl From<CacheMsg> for Wire {
    fn from(m: CacheMsg) -> Self {
        Wire::Cache(m)
    }
}

impl Message for Wire {
    fn label(&self) -> &'static str {
        match self {
            Wire::Gateway(m) => m.label(),
            Wire::Rpc(m) => m.label(),
            Wire::Registry(m) => m.label(),
            Wire::Cache(m) => m.label(),
        }
    }
}

// ---- scripted stand-ins ------------------------------------------------------------

/// One HTTP request of a client's script.
#[derive(Clone, Copy, Debug)]
pub struct Req {
    pub at_us: TimeUs,
    pub path: &'static str,
    pub token: Option<AuthToken>,
    pub arg: u32,
}

impl Req {
    pub const fn new(path: &'static str, token: Option<AuthToken>, arg: u32) -> Self {
        Self { at_us: 0, path, token, arg }
    }
    pub const fn at(at_us: TimeUs, path: &'static str, token: Option<AuthToken>, arg: u32) -> Self {
        Self { at_us, path, token, arg }
    }
}

/// Sends its script to the gateway; request `i` has id `i`.
#[derive(Clone, Debug)]
pub struct HttpClient {
    gateway: NodeId,
    script: Vec<Req>,
    pub replies: Vec<(TimeUs, HttpOut)>,
}

/// How a provider answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    Ok,
    /// Thread pool exhausted: refuses at once without running anything.
    Overloaded,
    /// Runs, then throws this business exception.
    Biz(BizError),
}

#[derive(Clone, Copy, Debug)]
pub struct ProviderSpec {
    pub service: ServiceKind,
    pub behaviour: Behaviour,
    pub service_us: TimeUs,
}

impl ProviderSpec {
    pub const fn ok(service: ServiceKind) -> Self {
        Self { service, behaviour: Behaviour::Ok, service_us: 5 * MS }
    }
}

/// An RPC provider: runs each call for `service_us`, then records it as
/// executed (durable, like its database) and replies. Optionally registers.
#[derive(Clone, Debug)]
pub struct Provider {
    pub spec: ProviderSpec,
    pub registry: Option<RegistryClient>,
    jobs: BTreeMap<u64, (NodeId, RpcMsg)>,
    next_job: u64,
    pub executed: Vec<(TimeUs, Method, u32)>,
}

impl Provider {
    fn new(spec: ProviderSpec, registry: Option<RegistryClient>) -> Self {
        Self { spec, registry, jobs: BTreeMap::new(), next_job: 0, executed: Vec::new() }
    }

    fn on_rpc(&mut self, ctx: &mut Ctx<'_, Wire>, from: NodeId, call: RpcMsg) {
        if self.spec.behaviour == Behaviour::Overloaded {
            let reply = RpcMsg::reply_to(call, RpcResult::Err(RpcFailure::Overloaded));
            reply.into_iter().for_each(|r| ctx.send(from, r.into()));
            return;
        }
        self.next_job += 1;
        self.jobs.insert(self.next_job, (from, call));
        ctx.set_timer(timer_tag::key(JOB, self.next_job), self.spec.service_us);
    }

    fn on_job_done(&mut self, ctx: &mut Ctx<'_, Wire>, job: u64) {
        let Some((from, call)) = self.jobs.remove(&job) else { return };
        let RpcMsg::Call { method, arg, .. } = call else { return };
        self.executed.push((ctx.now_us, method, arg));
        let result = match self.spec.behaviour {
            Behaviour::Biz(e) => RpcResult::Err(RpcFailure::Biz(e)),
            _ => RpcResult::Ok(0),
        };
        RpcMsg::reply_to(call, result).into_iter().for_each(|r| ctx.send(from, r.into()));
    }
}

/// A consumer: a registry client and/or an RPC client with a call script.
#[derive(Clone, Debug)]
pub struct Consumer {
    pub registry: Option<RegistryClient>,
    pub rpc: RpcClient,
    script: Vec<(TimeUs, Method, u32)>,
    pub records: Vec<CallRecord>,
}

/// A product-table stand-in: versions start at 1, each update bumps one.
#[derive(Clone, Debug, Default)]
pub struct ProductDb {
    pub versions: BTreeMap<u32, u32>,
    pub loads: u64,
}

/// What a product service's script does.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    Read(u32),
    Update(u32),
}

#[derive(Clone, Debug)]
pub struct ProductService {
    pub aside: CacheAside,
    script: Vec<(TimeUs, Op)>,
    pub done: Vec<CacheDone>,
}

// ---- the node ----------------------------------------------------------------------

#[derive(Clone, Debug)]
pub enum Actor {
    Client(HttpClient),
    Gateway(Gateway),
    Provider(Provider),
    Registry(Registry),
    Consumer(Consumer),
    Cache(CacheStore),
    Db(ProductDb),
    Products(ProductService),
}

fn script_timers(ctx: &mut Ctx<'_, Wire>, times: impl Iterator<Item = TimeUs>) {
    for (i, at_us) in times.enumerate() {
        ctx.set_timer(timer_tag::key(SCRIPT, i as u64), at_us.saturating_sub(ctx.now_us));
    }
}

impl Node for Actor {
    type Msg = Wire;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Wire>) {
        match self {
            Actor::Client(c) => script_timers(ctx, c.script.iter().map(|r| r.at_us)),
            Actor::Provider(p) => p.registry.iter_mut().for_each(|r| r.on_start(ctx)),
            Actor::Registry(r) => r.on_start(ctx),
            Actor::Consumer(c) => {
                c.registry.iter_mut().for_each(|r| r.on_start(ctx));
                script_timers(ctx, c.script.iter().map(|s| s.0));
            }
            Actor::Products(s) => script_timers(ctx, s.script.iter().map(|s| s.0)),
            Actor::Gateway(_) | Actor::Cache(_) | Actor::Db(_) => {}
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Wire>, from: NodeId, msg: Wire) {
        match (self, msg) {
            (Actor::Client(c), Wire::Gateway(GatewayMsg::HttpReply(out))) => c.replies.push((ctx.now_us, out)),
            (Actor::Gateway(g), Wire::Gateway(m)) => g.on_message(ctx, from, m),
            (Actor::Gateway(g), Wire::Rpc(m)) => g.on_rpc(ctx, from, m),
            (Actor::Provider(p), Wire::Rpc(m)) => p.on_rpc(ctx, from, m),
            (Actor::Provider(p), Wire::Registry(m)) => p.registry.iter_mut().for_each(|r| r.on_message(ctx, from, m)),
            (Actor::Registry(r), Wire::Registry(m)) => r.on_message(ctx, from, m),
            (Actor::Consumer(c), Wire::Registry(m)) => c.registry.iter_mut().for_each(|r| r.on_message(ctx, from, m)),
            (Actor::Consumer(c), Wire::Rpc(m)) => c.records.extend(c.rpc.on_message(ctx, from, m)),
            (Actor::Cache(s), Wire::Cache(m)) => s.on_message(ctx, from, m),
            (Actor::Db(db), Wire::Cache(m)) => db_answer(db, ctx, from, m),
            (Actor::Products(s), Wire::Cache(m)) => {
                let done = s.aside.on_message(ctx, from, m);
                s.done.extend(done);
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Wire>, key: TimerKey) {
        let (tag, local) = (timer_tag::tag_of(key), timer_tag::local_of(key));
        match self {
            Actor::Client(c) if tag == SCRIPT => {
                let r = c.script[local as usize];
                let msg = GatewayMsg::Http { id: local as u32, path: r.path, token: r.token, arg: r.arg };
                ctx.send(c.gateway, msg.into());
            }
            Actor::Gateway(g) if tag == GATEWAY => g.on_timer(ctx, key),
            Actor::Provider(p) if tag == JOB => p.on_job_done(ctx, local),
            Actor::Provider(p) if tag == REGISTRY => p.registry.iter_mut().for_each(|r| r.on_timer(ctx, key)),
            Actor::Registry(r) => r.on_timer(ctx, key),
            Actor::Consumer(c) if tag == REGISTRY => c.registry.iter_mut().for_each(|r| r.on_timer(ctx, key)),
            Actor::Consumer(c) if tag == RPC => c.records.extend(c.rpc.on_timer(ctx, key)),
            Actor::Consumer(c) if tag == SCRIPT => {
                let (_, method, arg) = c.script[local as usize];
                if let Err(done) = c.rpc.call(ctx, method, arg) {
                    c.records.push(done);
                }
            }
            Actor::Products(s) if tag == PRODUCT_CACHE => {
                let done = s.aside.on_timer(ctx, key);
                s.done.extend(done);
            }
            Actor::Products(s) if tag == SCRIPT => match s.script[local as usize].1 {
                Op::Read(product) => s.aside.read(ctx, product, local as u32),
                Op::Update(product) => s.aside.update(ctx, product, local as u32),
            },
            _ => {}
        }
    }

    fn on_refused(&mut self, ctx: &mut Ctx<'_, Wire>, to: NodeId, msg: Wire) {
        match (self, msg) {
            (Actor::Gateway(g), Wire::Rpc(m)) => g.on_refused(ctx, to, m),
            (Actor::Consumer(c), Wire::Rpc(m)) => c.records.extend(c.rpc.on_refused(ctx, to, m)),
            (Actor::Consumer(c), Wire::Registry(m)) => c.registry.iter_mut().for_each(|r| r.on_refused(ctx, to, m)),
            (Actor::Provider(p), Wire::Registry(m)) => p.registry.iter_mut().for_each(|r| r.on_refused(ctx, to, m)),
            (Actor::Products(s), Wire::Cache(m)) => {
                let done = s.aside.on_refused(ctx, to, m);
                s.done.extend(done);
            }
            _ => {}
        }
    }

    fn on_crash(&mut self) {
        match self {
            Actor::Gateway(g) => g.on_crash(),
            Actor::Provider(p) => {
                p.jobs.clear();
                p.registry.iter_mut().for_each(RegistryClient::on_crash);
            }
            Actor::Registry(r) => r.on_crash(),
            Actor::Consumer(c) => {
                c.rpc.on_crash();
                c.registry.iter_mut().for_each(RegistryClient::on_crash);
            }
            Actor::Cache(s) => s.on_crash(),
            Actor::Products(s) => s.aside.on_crash(),
            Actor::Client(_) | Actor::Db(_) => {}
        }
    }
}

fn db_answer(db: &mut ProductDb, ctx: &mut Ctx<'_, Wire>, from: NodeId, msg: CacheMsg) {
    const DB_SERVICE_US: TimeUs = 5 * MS;
    let reply = match msg {
        CacheMsg::DbLoad { product, req } => {
            db.loads += 1;
            CacheMsg::DbRow { product, version: *db.versions.entry(product).or_insert(1), req }
        }
        CacheMsg::DbUpdate { product, req } => {
            let version = db.versions.entry(product).or_insert(1);
            *version += 1;
            CacheMsg::DbUpdated { product, version: *version, req }
        }
        _ => return,
    };
    ctx.send_after(DB_SERVICE_US, from, reply.into());
}

fn world() -> Sim<Actor> {
    Sim::new(1, LinkProfile::fixed(MS))
}

// ---- worlds ------------------------------------------------------------------------

/// client (0) → gateway (1) → providers (2…), instances fed by service.
pub struct GatewayWorld {
    pub sim: Sim<Actor>,
    pub gateway: NodeId,
    pub client: NodeId,
    pub providers: Vec<NodeId>,
}

impl GatewayWorld {
    pub fn new(config: GatewayConfig, providers: &[ProviderSpec], script: &[Req]) -> Self {
        let mut sim = world();
        let client = HttpClient { gateway: NodeId(1), script: script.to_vec(), replies: Vec::new() };
        let client = sim.add_node("client", Actor::Client(client));
        let gateway = sim.add_node("gateway", Actor::Gateway(Gateway::new(config)));
        let ids: Vec<NodeId> = (providers.iter().enumerate())
            .map(|(i, spec)| sim.add_node(format!("provider-{i}"), Actor::Provider(Provider::new(*spec, None))))
            .collect();
        let Actor::Gateway(g) = sim.node_mut(gateway) else { unreachable!() };
        for service in ServiceKind::ALL {
            let list: Vec<NodeId> =
                (providers.iter().zip(&ids)).filter(|(s, _)| s.service == service).map(|(_, id)| *id).collect();
            g.set_instances(service, &list);
        }
        Self { sim, gateway, client, providers: ids }
    }

    pub fn gateway(&self) -> &Gateway {
        let Actor::Gateway(g) = self.sim.node(self.gateway) else { unreachable!() };
        g
    }

    pub fn replies(&self) -> Vec<(TimeUs, HttpOut)> {
        let Actor::Client(c) = self.sim.node(self.client) else { unreachable!() };
        c.replies.clone()
    }

    /// What provider `i` executed, as (method, argument).
    pub fn executed(&self, i: usize) -> Vec<(Method, u32)> {
        executed(&self.sim, self.providers[i])
    }
}

fn executed(sim: &Sim<Actor>, id: NodeId) -> Vec<(Method, u32)> {
    let Actor::Provider(p) = sim.node(id) else { unreachable!() };
    p.executed.iter().map(|&(_, m, a)| (m, a)).collect()
}

/// registry (0), providers (1…n) registering `service`, one consumer (n+1).
pub struct RegistryWorld {
    pub sim: Sim<Actor>,
    pub registry_id: NodeId,
    pub providers: Vec<NodeId>,
    pub consumer_id: NodeId,
}

impl RegistryWorld {
    pub fn new(config: RegistryConfig, providers: usize, service: ServiceKind) -> Self {
        let mut sim = world();
        let registry_id = sim.add_node("registry", Actor::Registry(Registry::new(config)));
        let ids = (0..providers)
            .map(|i| {
                let client = RegistryClient::new(config, registry_id, &[service], &[]);
                sim.add_node(
                    format!("provider-{i}"),
                    Actor::Provider(Provider::new(ProviderSpec::ok(service), Some(client))),
                )
            })
            .collect();
        let client = RegistryClient::new(config, registry_id, &[], &[service]);
        let consumer = Consumer {
            registry: Some(client),
            rpc: RpcClient::new(RpcConfig::default()),
            script: Vec::new(),
            records: Vec::new(),
        };
        let consumer_id = sim.add_node("consumer", Actor::Consumer(consumer));
        Self { sim, registry_id, providers: ids, consumer_id }
    }

    pub fn registry(&self) -> &Registry {
        let Actor::Registry(r) = self.sim.node(self.registry_id) else { unreachable!() };
        r
    }

    pub fn consumer(&self) -> &RegistryClient {
        let Actor::Consumer(c) = self.sim.node(self.consumer_id) else { unreachable!() };
        c.registry.as_ref().expect("the consumer has a registry client")
    }

    pub fn provider_client(&self, i: usize) -> &RegistryClient {
        let Actor::Provider(p) = self.sim.node(self.providers[i]) else { unreachable!() };
        p.registry.as_ref().expect("the provider has a registry client")
    }
}

/// consumer (0) with an RPC client, providers (1…) of every service.
pub struct RpcWorld {
    pub sim: Sim<Actor>,
    pub consumer_id: NodeId,
    pub providers: Vec<NodeId>,
}

impl RpcWorld {
    pub fn new(
        seed: u64,
        config: RpcConfig,
        behaviours: &[Behaviour],
        service_us: TimeUs,
        calls: &[(TimeUs, Method, u32)],
    ) -> Self {
        let mut sim = Sim::new(seed, LinkProfile::fixed(MS));
        let consumer =
            Consumer { registry: None, rpc: RpcClient::new(config), script: calls.to_vec(), records: Vec::new() };
        let consumer_id = sim.add_node("consumer", Actor::Consumer(consumer));
        let providers: Vec<NodeId> = (behaviours.iter().enumerate())
            .map(|(i, &behaviour)| {
                let spec = ProviderSpec { service: ServiceKind::Inventory, behaviour, service_us };
                sim.add_node(format!("provider-{i}"), Actor::Provider(Provider::new(spec, None)))
            })
            .collect();
        let Actor::Consumer(c) = sim.node_mut(consumer_id) else { unreachable!() };
        ServiceKind::ALL.iter().for_each(|&s| c.rpc.set_providers(s, &providers));
        Self { sim, consumer_id, providers }
    }

    pub fn set_service_time(&mut self, i: usize, service_us: TimeUs) {
        let Actor::Provider(p) = self.sim.node_mut(self.providers[i]) else { unreachable!() };
        p.spec.service_us = service_us;
    }

    pub fn client(&self) -> &RpcClient {
        let Actor::Consumer(c) = self.sim.node(self.consumer_id) else { unreachable!() };
        &c.rpc
    }

    pub fn records(&self) -> Vec<CallRecord> {
        let Actor::Consumer(c) = self.sim.node(self.consumer_id) else { unreachable!() };
        c.records.clone()
    }

    pub fn executed(&self, i: usize) -> Vec<(Method, u32)> {
        executed(&self.sim, self.providers[i])
    }
}

/// product service (0) with cache-aside, cache (1), product DB (2).
pub struct CacheWorld {
    pub sim: Sim<Actor>,
    pub service: NodeId,
    pub cache: NodeId,
    pub db: NodeId,
}

impl CacheWorld {
    pub fn new(config: CacheAsideConfig, script: &[(TimeUs, Op)]) -> Self {
        let mut sim = world();
        let aside = CacheAside::new(config, NodeId(1), NodeId(2));
        let service = ProductService { aside, script: script.to_vec(), done: Vec::new() };
        let service = sim.add_node("product-service", Actor::Products(service));
        let cache = sim.add_node("product-cache", Actor::Cache(CacheStore::default()));
        let db = sim.add_node("product-db", Actor::Db(ProductDb::default()));
        Self { sim, service, cache, db }
    }

    pub fn aside(&self) -> &CacheAside {
        let Actor::Products(s) = self.sim.node(self.service) else { unreachable!() };
        &s.aside
    }

    pub fn done(&self) -> Vec<CacheDone> {
        let Actor::Products(s) = self.sim.node(self.service) else { unreachable!() };
        s.done.clone()
    }

    pub fn store(&self) -> &CacheStore {
        let Actor::Cache(s) = self.sim.node(self.cache) else { unreachable!() };
        s
    }

    pub fn db_loads(&self) -> u64 {
        let Actor::Db(db) = self.sim.node(self.db) else { unreachable!() };
        db.loads
    }
}
