//! Seed sweeps of the access layer, FoundationDB / TigerBeetle style: many
//! seeded random fault schedules against small worlds of the access
//! mechanisms, with the mechanisms' own invariants checked after every event.
//!
//! Two kinds of world, one `Host` enum and one sweep function:
//! - keepalived: two VRRP routers (lb-1 priority 200, lb-2 priority 100) and
//!   a client that sends to the VIP every second through its own ARP cache
//!   (`VipTable`); the router holding the VIP answers, the other drops it.
//! - a balancer (nginx, F5 or LVS, with each of the six algorithms) in front
//!   of three tiny upstreams, and a shopper sending GETs and POSTs (some in
//!   bursts) from a seeded script.
//!
//! Each seed gives a schedule of fault episodes drawn with `SimRng` (crash /
//! restart, reboot, pause / resume, slow, one-way and two-way cuts / heal,
//! isolate / rejoin, among the nodes and links a design allows) over a 60 s
//! safety phase. Then a liveness phase heals everything (resume, slow 0,
//! restart the crashed, heal all) and the world must recover: one master
//! (the higher priority with preempt) that the client reaches again, or every
//! request succeeding once the kind's health checks had time to recover.
//!
//! A safe design must keep every `always` property for every seed, and its
//! `sometimes` witnesses must be reached in at least 5 % of the seeds, so a
//! green sweep is not a vacuous one. An unsafe design's sweep must find a
//! violation; the seed it finds is replayed and must give the same trace hash
//! and the same violation at the same event index. Every failure message says
//! `reproduce: design=… seed=… schedule=[…]`. `SWEEP_SEEDS=n` runs n seeds per
//! safe design instead of 1,000.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::cluster::balancer::{
    Balancer, BalancerConfig, ProxyFailure, check_connections_match_pending, check_pending_bounded,
};
use clusterlab::cluster::lb_algorithm::{Algorithm, BalancerKind};
use clusterlab::cluster::message::{HttpRequest, HttpResponse, Msg, Page, SessionCookie, Status};
use clusterlab::cluster::metrics::ShopMetrics;
use clusterlab::cluster::timer_tag::{self, SHOP};
use clusterlab::cluster::vrrp::{
    Freeze, InitialState, VipTable, VrrpConfig, VrrpRouter, VrrpState, check_one_vip_owner_per_epoch, vip_holders,
};
use clusterlab::sim::invariant::{AlwaysCheck, SometimesCheck, Violation};
use clusterlab::sim::{Ctx, Fault, LinkProfile, MS, Node, NodeId, Process, SEC, Sim, SimRng, TimeUs, TimerKey, View};
use std::collections::BTreeMap;

/// Faults are drawn over this much virtual time; then everything is healed.
const SAFETY_US: TimeUs = 60 * SEC;
/// Seeds per safe design (override with `SWEEP_SEEDS`).
const SEEDS: u64 = 1_000;
/// An unsafe design's search gives up after this many seeds.
const SEARCH_CAP: u64 = 1_000;
/// Every witness must be reached in at least this share of a safe sweep's seeds.
const WITNESS_MIN_PERCENT: u64 = 5;
/// At most this many fault episodes per schedule.
const MAX_EPISODES: u64 = 6;
/// No run may need more events than this (it would be a livelock).
const BUDGET: u64 = 1_000_000;
/// The schedule's and the shopper script's random streams (nodes use their
/// index, the network `u64::MAX`).
const SCHEDULE_STREAM: u64 = 0x5C4E_D01E;
const SCRIPT_STREAM: u64 = 0x5C41_9700;

// ---- the worlds' nodes -----------------------------------------------------------

/// A keepalived host. It also serves the VIP: traffic that reaches it while
/// it holds the VIP is answered; without the VIP it is dropped, as a host
/// drops packets for an address it does not have.
#[derive(Clone, Debug)]
struct RouterHost {
    router: VrrpRouter,
}

/// A client that sends to the VIP every `period_us` (1 s), through its ARP cache.
/// Its records (`sent_us`, `answered`) are the test's, kept across crashes.
#[derive(Clone, Debug)]
struct VipClient {
    arp: VipTable,
    period_us: TimeUs,
    sent_us: Vec<TimeUs>,
    answered: Vec<bool>,
}

/// A tiny upstream: answers every request after a short service time with a
/// cookie naming itself. Records (the test's, kept across crashes) which
/// client requests reached it, by the shopper number the script gives each.
#[derive(Clone, Debug, Default)]
struct App {
    jobs: BTreeMap<TimerKey, (NodeId, HttpRequest)>,
    next_job: TimerKey,
    /// Per shopper number, how often its POST (or GET) reached this upstream.
    posts: Vec<u8>,
    gets: Vec<u8>,
    last_post: Option<u16>,
    last_get: Option<u16>,
    /// A POST that reached this upstream twice.
    repeated_post: Option<u16>,
}

/// One request of the shopper's script.
#[derive(Clone, Copy, Debug)]
struct Planned {
    at_us: TimeUs,
    page: Page,
}

/// The shopper: sends its script to the balancer; a POST carries the cookie
/// of the last successful answer (so sticky routing is exercised).
#[derive(Clone, Debug)]
struct Shopper {
    script: Vec<Planned>,
    /// The first request of the liveness phase.
    liveness_from: usize,
    cookie: Option<SessionCookie>,
    got: Vec<Option<HttpResponse>>,
}

#[derive(Clone, Debug)]
enum Host {
    Router(Box<RouterHost>),
    VipClient(Box<VipClient>),
    Lb(Box<Balancer>),
    App(Box<App>),
    Shopper(Box<Shopper>),
}

/// Test timers live in the `SHOP` namespace; no mechanism on the same node uses it.
const PING: TimerKey = timer_tag::key(SHOP, 1);
/// The shopper's next request; the app's jobs are `SHOP` keys from 0.
const NEXT: TimerKey = timer_tag::key(SHOP, 2);
/// The page the balancer's health checks ask for; the VIP client's pings too.
const PROBE_SHOPPER: u16 = u16::MAX;

impl Node for Host {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        match self {
            Host::Router(h) => h.router.on_start(ctx),
            Host::VipClient(c) => {
                c.arp.on_start(ctx);
                ctx.set_timer(PING, c.period_us);
            }
            Host::Lb(lb) => lb.on_start(ctx),
            Host::App(_) => {}
            Host::Shopper(s) => {
                if let Some(first) = s.script.first() {
                    ctx.set_timer(NEXT, first.at_us.saturating_sub(ctx.now_us));
                }
            }
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        match (self, msg) {
            (Host::Router(h), Msg::Vrrp(m)) => h.router.on_message(ctx, from, m),
            (Host::Router(h), Msg::Request(r)) if h.router.holds_vip() => {
                ctx.send(
                    from,
                    Msg::Response(HttpResponse { id: r.id, status: Status::Ok, session: None, failure: None }),
                );
            }
            (Host::VipClient(c), Msg::Vrrp(m)) => c.arp.on_message(ctx, from, m),
            (Host::VipClient(c), Msg::Response(r)) => c.answered[r.id as usize] = true,
            (Host::Lb(lb), msg) => lb.on_message(ctx, from, msg),
            (Host::App(a), Msg::Request(r)) => a.receive(ctx, from, r),
            (Host::Shopper(s), Msg::Response(r)) => {
                if r.status == Status::Ok && r.session.is_some() {
                    s.cookie = r.session;
                }
                s.got[r.id as usize] = Some(r);
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, key: TimerKey) {
        match self {
            Host::Router(h) => h.router.on_timer(ctx, key),
            Host::VipClient(c) if key == PING => c.ping(ctx),
            Host::VipClient(c) => c.arp.on_timer(ctx, key),
            Host::Lb(lb) => lb.on_timer(ctx, key),
            Host::App(a) => {
                if let Some((from, r)) = a.jobs.remove(&key) {
                    let cookie = SessionCookie { id: u32::from(r.shopper), route: ctx.me };
                    let ok = HttpResponse { id: r.id, status: Status::Ok, session: Some(cookie), failure: None };
                    ctx.send(from, Msg::Response(ok));
                }
            }
            Host::Shopper(s) => s.send_next(ctx),
        }
    }

    fn on_refused(&mut self, ctx: &mut Ctx<'_, Msg>, to: NodeId, msg: Msg) {
        if let Host::Lb(lb) = self {
            lb.on_refused(ctx, to, msg);
        }
    }

    fn on_crash(&mut self) {
        match self {
            Host::Router(h) => h.router.on_crash(),
            Host::VipClient(c) => c.arp.on_crash(),
            Host::Lb(lb) => lb.on_crash(),
            Host::App(a) => a.jobs.clear(),
            Host::Shopper(_) => {}
        }
    }
}

/// The one place a test builds a request; `client` is the sender's address.
fn http_request(id: u32, page: Page, session: Option<SessionCookie>, shopper: u16, client: NodeId) -> HttpRequest {
    HttpRequest { id, page, session, shopper, client, product: 0 }
}

impl VipClient {
    fn ping(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let id = self.sent_us.len() as u32;
        self.sent_us.push(ctx.now_us);
        self.answered.push(false);
        // No ARP entry: the cache asks who has the VIP, this one is dropped
        // (counted as unanswered).
        if let Some(to) = self.arp.lookup(ctx, VRID) {
            ctx.send(to, Msg::Request(http_request(id, Page::Home, None, PROBE_SHOPPER, ctx.me)));
        }
        ctx.set_timer(PING, self.period_us);
    }
}

/// One more arrival of request `shopper`; how many so far.
fn count(seen: &mut Vec<u8>, shopper: u16) -> u8 {
    let i = usize::from(shopper);
    if seen.len() <= i {
        seen.resize(i + 1, 0);
    }
    seen[i] = seen[i].saturating_add(1);
    seen[i]
}

fn reached(seen: &[u8], shopper: u16) -> bool {
    seen.get(usize::from(shopper)).is_some_and(|&n| n > 0)
}

impl App {
    fn receive(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, r: HttpRequest) {
        // Health checks are answered, not recorded.
        if r.shopper != PROBE_SHOPPER {
            if r.page.is_idempotent() {
                count(&mut self.gets, r.shopper);
                self.last_get = Some(r.shopper);
            } else {
                if count(&mut self.posts, r.shopper) > 1 && self.repeated_post.is_none() {
                    self.repeated_post = Some(r.shopper);
                }
                self.last_post = Some(r.shopper);
            }
        }
        let key = timer_tag::key(SHOP, self.next_job);
        self.next_job += 1;
        self.jobs.insert(key, (from, r));
        let service_us = 2 * MS + ctx.rng.below(28 * MS);
        ctx.set_timer(key, service_us);
    }
}

impl Shopper {
    /// Sends every request due now, then waits for the next one.
    fn send_next(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let mut i = self.got.len();
        while i < self.script.len() && self.script[i].at_us <= ctx.now_us {
            let page = self.script[i].page;
            let session = if page.is_idempotent() { None } else { self.cookie };
            // The shopper number names the request at the upstreams.
            ctx.send(LB, Msg::Request(http_request(i as u32, page, session, i as u16, ctx.me)));
            self.got.push(None);
            i += 1;
        }
        if let Some(next) = self.script.get(i) {
            ctx.set_timer(NEXT, next.at_us - ctx.now_us);
        }
    }
}

// ---- designs ---------------------------------------------------------------------

/// keepalived's `virtual_router_id`.
const VRID: u8 = 51;
const LB1: NodeId = NodeId(0);
const LB2: NodeId = NodeId(1);
const VIP_CLIENT: NodeId = NodeId(2);

const SHOPPER: NodeId = NodeId(0);
const LB: NodeId = NodeId(1);
const APPS: [NodeId; 3] = [NodeId(2), NodeId(3), NodeId(4)];

/// One router of the pair.
#[derive(Clone, Copy, Debug)]
struct RouterSpec {
    priority: u8,
    initial: InitialState,
    preempt: bool,
}

#[derive(Clone, Copy, Debug)]
enum World {
    Keepalived([RouterSpec; 2]),
    Balancer(BalancerKind, Algorithm),
}

/// What a schedule may do to a world.
#[derive(Clone, Copy, Debug)]
struct FaultMenu {
    /// Nodes that may crash (then restart) or reboot.
    crash: &'static [NodeId],
    /// Nodes that may pause (then resume) or be slowed.
    pause: &'static [NodeId],
    /// Pairs whose link may be cut, one way or both, then healed.
    links: &'static [(NodeId, NodeId)],
    /// Nodes that may be isolated, then rejoin.
    isolate: &'static [NodeId],
    /// The largest extra delay of `Fault::Slow`.
    slow_max_us: TimeUs,
}

type Invariants = &'static [(&'static str, AlwaysCheck<Host>)];
type Witnesses = &'static [(&'static str, SometimesCheck<Host>)];

/// One row of the table: a world, the faults it must survive (or not), the
/// invariants checked after every event and the witnesses of the interesting case.
struct Design {
    name: String,
    world: World,
    safe: bool,
    faults: FaultMenu,
    invariants: Invariants,
    witnesses: Witnesses,
}

const PAIR: [RouterSpec; 2] = [
    RouterSpec { priority: 200, initial: InitialState::Master, preempt: true },
    RouterSpec { priority: 100, initial: InitialState::Backup, preempt: true },
];
const PAIR_NOPREEMPT: [RouterSpec; 2] = [
    RouterSpec { priority: 200, initial: InitialState::Backup, preempt: false },
    RouterSpec { priority: 100, initial: InitialState::Backup, preempt: false },
];

/// Process faults on both routers and the client (whose ARP cache then
/// starts empty and asks who has the VIP), and cuts between the client and
/// the routers — never between the routers. A slowdown stays under one
/// advert interval: a new master's first advert reaches the old one a link
/// delay plus the slowdown later, and the check tolerates an overlap of one
/// advert interval.
const ROUTER_PROCESS_FAULTS: FaultMenu = FaultMenu {
    crash: &[LB1, LB2, VIP_CLIENT],
    pause: &[LB1, LB2, VIP_CLIENT],
    links: &[(LB1, VIP_CLIENT), (LB2, VIP_CLIENT)],
    isolate: &[VIP_CLIENT],
    slow_max_us: 800 * MS,
};
/// The same with slowdowns up to 3 s: a slowed new master's adverts arrive
/// late, so both hold the VIP for longer than one advert interval.
const ROUTER_SLOW_FAULTS: FaultMenu = FaultMenu { slow_max_us: 3 * SEC, ..ROUTER_PROCESS_FAULTS };
/// The same, plus cuts between the routers and isolation of either.
const ROUTER_PARTITIONS: FaultMenu = FaultMenu {
    crash: &[LB1, LB2],
    pause: &[LB1, LB2, VIP_CLIENT],
    links: &[(LB1, LB2), (LB1, LB2), (LB1, VIP_CLIENT), (LB2, VIP_CLIENT)],
    isolate: &[LB1, LB2],
    slow_max_us: 800 * MS,
};
/// Only pauses (and resumes) of the routers. Safe as the simulator's pause
/// means it (the whole host frozen: `process-faults` covers it); unsafe when
/// a pause stands for keepalived alone frozen (SIGSTOP), whose kernel keeps
/// answering for the VIP while the backup takes over.
const ROUTER_PAUSES: FaultMenu = FaultMenu { crash: &[], pause: &[LB1, LB2], links: &[], isolate: &[], slow_max_us: 0 };
/// Everything, to every node but the shopper; slowdowns beyond the 3 s proxy timeout.
const LB_FAULTS: FaultMenu = FaultMenu {
    crash: &[LB, APPS[0], APPS[1], APPS[2]],
    pause: &[LB, APPS[0], APPS[1], APPS[2]],
    links: &[(LB, APPS[0]), (LB, APPS[1]), (LB, APPS[2]), (SHOPPER, LB)],
    isolate: &[APPS[0], APPS[1], APPS[2], LB],
    slow_max_us: 5 * SEC,
};

const OWNERS: &str = "one-vip-owner-per-epoch";
const VRRP_INVARIANTS: Invariants = &[(OWNERS, one_running_owner_per_epoch)];
const VRRP_KEEPALIVED_FROZEN_INVARIANTS: Invariants =
    &[("one-vip-owner-per-epoch (keepalived-only freeze: a frozen master owns the VIP)", one_owner_keepalived_frozen)];
const VRRP_WITNESSES: Witnesses = &[
    ("lb-2 took over the VIP", |v| router(v.nodes, LB2).times_master > 0),
    ("the client's ARP entry moved", |v| vip_client(v.nodes).arp.moves > 0),
    ("two running masters overlapped (tolerated)", |v| running_holders(v) > 1),
];
const LB_INVARIANTS: Invariants = &[
    ("lb-pending-bounded", |v| check_pending_bounded(balancer(v.nodes))),
    ("lb-connections-match", connections_match_pending),
    ("post-reaches-one-upstream-once", post_reaches_one_upstream_once),
];
const NGINX_WITNESSES: Witnesses = &[
    ("a GET was re-sent to a second upstream", get_reached_two_upstreams),
    ("a POST timed out and was not re-sent", |v| failed(v, ProxyFailure::TimedOutUnsafeToRetry)),
    ("an upstream left rotation (max_fails)", upstream_out),
    ("a request was shed", |v| failed(v, ProxyFailure::Shed)),
];
const F5_WITNESSES: Witnesses = &[
    ("a request timed out", |v| failed(v, ProxyFailure::TimedOut)),
    ("an upstream left rotation (monitor)", upstream_out),
    ("a refused request failed", |v| failed(v, ProxyFailure::Refused)),
    ("a request was shed", |v| failed(v, ProxyFailure::Shed)),
];
const LVS_WITNESSES: Witnesses = &[
    ("an upstream left rotation (TCP_CHECK)", upstream_out),
    ("a refused request failed", |v| failed(v, ProxyFailure::Refused)),
    ("a request was shed", |v| failed(v, ProxyFailure::Shed)),
];

/// The table: three keepalived designs, then every kind × algorithm.
fn designs() -> Vec<Design> {
    let keepalived = |name: &str, pair, safe, faults, invariants| Design {
        name: format!("keepalived/{name}"),
        world: World::Keepalived(pair),
        safe,
        faults,
        invariants,
        witnesses: VRRP_WITNESSES,
    };
    let mut table = vec![
        keepalived("process-faults", PAIR, true, ROUTER_PROCESS_FAULTS, VRRP_INVARIANTS),
        keepalived("process-faults-nopreempt", PAIR_NOPREEMPT, true, ROUTER_PROCESS_FAULTS, VRRP_INVARIANTS),
        keepalived("partitions", PAIR, false, ROUTER_PARTITIONS, VRRP_INVARIANTS),
        keepalived("slowdowns-beyond-advert-int", PAIR, false, ROUTER_SLOW_FAULTS, VRRP_INVARIANTS),
        keepalived("pauses-of-keepalived-only", PAIR, false, ROUTER_PAUSES, VRRP_KEEPALIVED_FROZEN_INVARIANTS),
    ];
    for kind in [BalancerKind::Nginx, BalancerKind::F5, BalancerKind::Lvs] {
        let witnesses = match kind {
            BalancerKind::Nginx => NGINX_WITNESSES,
            BalancerKind::F5 => F5_WITNESSES,
            BalancerKind::Lvs => LVS_WITNESSES,
        };
        for algorithm in Algorithm::ALL {
            table.push(Design {
                name: format!("balancer/{}/{}", kind.as_str(), algorithm.as_str()),
                world: World::Balancer(kind, algorithm),
                safe: true,
                faults: LB_FAULTS,
                invariants: LB_INVARIANTS,
                witnesses,
            });
        }
    }
    table
}

// ---- properties --------------------------------------------------------------------

fn router(nodes: &[Host], id: NodeId) -> &VrrpRouter {
    match &nodes[id.index()] {
        Host::Router(h) => &h.router,
        _ => unreachable!("node #{} is not a router", id.0),
    }
}

fn vip_client(nodes: &[Host]) -> &VipClient {
    match &nodes[VIP_CLIENT.index()] {
        Host::VipClient(c) => c,
        _ => unreachable!("node #2 is not the VIP client"),
    }
}

fn balancer(nodes: &[Host]) -> &Balancer {
    match &nodes[LB.index()] {
        Host::Lb(lb) => lb,
        _ => unreachable!("node #1 is not the balancer"),
    }
}

fn app(nodes: &[Host], id: NodeId) -> &App {
    match &nodes[id.index()] {
        Host::App(a) => a,
        _ => unreachable!("node #{} is not an app", id.0),
    }
}

/// Routers whose process runs and that believe they hold the VIP.
fn running_holders(v: &View<'_, Host>) -> usize {
    [LB1, LB2]
        .iter()
        .filter(|&&id| v.lifecycles[id.index()].process == Process::Up && router(v.nodes, id).holds_vip())
        .count()
}

/// `check_one_vip_owner_per_epoch` as the simulator's pause means it: a
/// pause freezes the whole host (a stalled VM), so a paused master answers no
/// ARP and forwards nothing — it owns nothing while frozen, and its claim
/// counts from the resume (it then handles the adverts that waited and steps
/// down or forces an election within one advert interval, which the check
/// tolerates).
fn one_running_owner_per_epoch(v: &View<'_, Host>) -> Result<(), String> {
    if running_holders(v) < 2 {
        return Ok(());
    }
    let routers = [(LB1, router(v.nodes, LB1)), (LB2, router(v.nodes, LB2))];
    check_one_vip_owner_per_epoch(&routers, v.lifecycles, Freeze::WholeHost, v.now_us)
}

/// The same pauses read as freezes of keepalived alone (SIGSTOP): the
/// kernel keeps the VIP and answers ARP for it, so a frozen master still
/// owns the address and a backup taking over makes a real split brain.
fn one_owner_keepalived_frozen(v: &View<'_, Host>) -> Result<(), String> {
    let routers = [(LB1, router(v.nodes, LB1)), (LB2, router(v.nodes, LB2))];
    check_one_vip_owner_per_epoch(&routers, v.lifecycles, Freeze::KeepalivedOnly, v.now_us)
}

/// `check_connections_match_pending`, skipped when trivially true (nothing in
/// flight, no connection counted), which is most of the time: it walks the
/// whole table for every upstream after every event.
fn connections_match_pending(v: &View<'_, Host>) -> Result<(), String> {
    let lb = balancer(v.nodes);
    if lb.pending() == 0 && lb.peers.iter().all(|p| p.active == 0) {
        return Ok(());
    }
    check_connections_match_pending(lb)
}

/// nginx re-sends a request whose upstream timed out only if it is
/// idempotent: a POST reaches at most one upstream, once. Checked on each
/// upstream's latest POST, which catches a second copy when it arrives.
fn post_reaches_one_upstream_once(v: &View<'_, Host>) -> Result<(), String> {
    for &a in &APPS {
        let here = app(v.nodes, a);
        if let Some(p) = here.repeated_post {
            return Err(format!("POST #{p} reached app #{} twice", a.0));
        }
        let Some(p) = here.last_post else { continue };
        if let Some(&b) = APPS.iter().find(|&&b| b != a && reached(&app(v.nodes, b).posts, p)) {
            return Err(format!("POST #{p} reached app #{} and app #{}", b.0, a.0));
        }
    }
    Ok(())
}

fn get_reached_two_upstreams(v: &View<'_, Host>) -> bool {
    APPS.iter().any(|&a| {
        app(v.nodes, a).last_get.is_some_and(|g| APPS.iter().any(|&b| b != a && reached(&app(v.nodes, b).gets, g)))
    })
}

fn failed(v: &View<'_, Host>, reason: ProxyFailure) -> bool {
    balancer(v.nodes).failures_of(reason) > 0
}

fn upstream_out(v: &View<'_, Host>) -> bool {
    (0..APPS.len()).any(|i| !balancer(v.nodes).is_available(i, v.now_us))
}

// ---- building and running ---------------------------------------------------------

/// The sweep's settings of a kind: its defaults, with a 3 s proxy timeout (so
/// timeouts happen within the safety phase), load shedding beyond 5
/// requests in flight (so `check_pending_bounded` bites) and weights 3:2:1
/// (so the weighted algorithms are not plain rotation).
fn balancer_config(kind: BalancerKind, algorithm: Algorithm) -> BalancerConfig {
    BalancerConfig {
        algorithm,
        proxy_timeout_us: 3 * SEC,
        max_pending: 5,
        weights: vec![3, 2, 1],
        ..BalancerConfig::for_kind(kind)
    }
}

/// When, after the heal, every request must succeed again: stuck requests
/// time out (proxy timeout), then passive health lets the server back after
/// `fail_timeout`, or the next health-check round (interval + probe timeout)
/// finds it alive.
fn recovery_us(config: &BalancerConfig) -> TimeUs {
    let caps = config.kind.capabilities();
    let passive = if caps.passive_health { config.fail_timeout_us } else { 0 };
    let active = config.active_check.map_or(0, |c| c.interval_us + c.probe_timeout_us);
    config.proxy_timeout_us + passive.max(active) + SEC
}

/// Requests of the liveness phase, and how far apart.
const LIVENESS_REQUESTS: u64 = 8;
const LIVENESS_GAP_US: TimeUs = 500 * MS;
/// The keepalived world runs this long after the heal.
const VRRP_LIVENESS_US: TimeUs = 60 * SEC;

/// The shopper's script: during the safety phase a request every 180–1200 ms
/// (a tenth of them bursts of four), 40 % POSTs; then, once the kind's
/// health checks had time to recover, a few more that must all succeed.
fn script(seed: u64, recovery_us: TimeUs) -> (Vec<Planned>, usize) {
    const GETS: [Page; 2] = [Page::Search, Page::Detail];
    const POSTS: [Page; 3] = [Page::AddToCart, Page::Order, Page::Pay];
    let mut rng = SimRng::new(seed, SCRIPT_STREAM);
    let mut script = Vec::new();
    let mut at_us = 300 * MS;
    while at_us < SAFETY_US - SEC {
        let burst = if rng.chance_ppm(100_000) { 4 } else { 1 };
        for _ in 0..burst {
            let page = if rng.chance_ppm(400_000) { *rng.pick(&POSTS).unwrap() } else { *rng.pick(&GETS).unwrap() };
            script.push(Planned { at_us, page });
        }
        at_us += rng.between(180 * MS, 1200 * MS);
    }
    let liveness_from = script.len();
    for k in 0..LIVENESS_REQUESTS {
        let page = if k % 2 == 0 { Page::Search } else { Page::Order };
        script.push(Planned { at_us: SAFETY_US + recovery_us + k * LIVENESS_GAP_US, page });
    }
    (script, liveness_from)
}

fn build(design: &Design, seed: u64) -> Sim<Host> {
    let mut sim = Sim::new(seed, LinkProfile::LAN);
    match design.world {
        World::Keepalived(specs) => {
            for (i, s) in specs.iter().enumerate() {
                let config = VrrpConfig {
                    priority: s.priority,
                    initial_state: s.initial,
                    preempt: s.preempt,
                    ..VrrpConfig::default()
                };
                let router = VrrpRouter::new(config, vec![[LB2, LB1][i]], vec![VIP_CLIENT]);
                sim.add_node(format!("lb-{}", i + 1), Host::Router(Box::new(RouterHost { router })));
            }
            let client = VipClient {
                arp: VipTable::new(vec![LB1, LB2]),
                period_us: SEC,
                sent_us: Vec::new(),
                answered: Vec::new(),
            };
            sim.add_node("client", Host::VipClient(Box::new(client)));
        }
        World::Balancer(kind, algorithm) => {
            let config = balancer_config(kind, algorithm);
            let (script, liveness_from) = script(seed, recovery_us(&config));
            let shopper = Shopper { script, liveness_from, cookie: None, got: Vec::new() };
            sim.add_node("shopper", Host::Shopper(Box::new(shopper)));
            let metrics = ShopMetrics::register(sim.metrics_mut());
            sim.add_node("lb", Host::Lb(Box::new(Balancer::new(config, APPS.to_vec(), metrics))));
            for i in 0..APPS.len() {
                sim.add_node(format!("app-{}", i + 1), Host::App(Box::default()));
            }
        }
    }
    for &(name, check) in design.invariants {
        sim.properties_mut().always(name, check);
    }
    for &(name, check) in design.witnesses {
        sim.properties_mut().sometimes(name, check);
    }
    sim
}

/// What one seed did.
struct Outcome {
    schedule: Vec<(TimeUs, Fault)>,
    trace_hash: u64,
    /// The first `always` property that broke, and where.
    violation: Option<(&'static str, Violation)>,
    witnessed: Vec<bool>,
    liveness: Liveness,
    events: u64,
}

/// Recovered, or why not.
type Liveness = Result<(), String>;

fn run(design: &Design, seed: u64) -> Outcome {
    let mut sim = build(design, seed);
    let schedule = schedule(seed, &design.faults);
    for &(at_us, fault) in &schedule {
        sim.schedule_fault(at_us, fault);
    }
    let report = sim.run_until(SAFETY_US, BUDGET);
    assert!(report.reached, "design={} seed={seed}: safety phase over the event budget", design.name);
    heal_everything(&mut sim);
    let end_us = match design.world {
        World::Keepalived(_) => SAFETY_US + VRRP_LIVENESS_US,
        World::Balancer(..) => shopper(&sim).script.last().map_or(SAFETY_US, |p| p.at_us) + 2 * SEC,
    };
    let report = sim.run_until(end_us, BUDGET);
    assert!(report.reached, "design={} seed={seed}: liveness phase over the event budget", design.name);
    let liveness = match design.world {
        World::Keepalived(specs) => keepalived_recovered(&sim, specs),
        World::Balancer(..) => balancer_recovered(&sim),
    };
    let props = sim.properties();
    Outcome {
        schedule,
        trace_hash: sim.trace_hash(),
        violation: props.first_broken().and_then(|v| Some((v.name, v.first_violation.clone()?))),
        witnessed: design.witnesses.iter().map(|(name, _)| props.verdict(name).is_some_and(|v| v.holds)).collect(),
        liveness,
        events: sim.events_processed(),
    }
}

/// The liveness phase begins: every node resumed, at full speed, restarted
/// if crashed; every link healed.
fn heal_everything(sim: &mut Sim<Host>) {
    for i in 0..sim.nodes().len() {
        let node = NodeId(i as u16);
        let life = sim.lifecycle(node).clone();
        if life.process == Process::Paused {
            sim.inject(Fault::Resume { node });
        }
        if life.slow_extra_us > 0 {
            sim.inject(Fault::Slow { node, extra_us: 0 });
        }
        if life.process == Process::Crashed {
            sim.inject(Fault::Restart { node });
        }
    }
    sim.inject(Fault::HealAll);
}

/// Exactly one master holds the VIP (lb-1, the higher priority, when
/// preempting), the client's ARP entry names it, and everything the client
/// sent in the last 15 s (but the last second) was answered.
fn keepalived_recovered(sim: &Sim<Host>, specs: [RouterSpec; 2]) -> Liveness {
    let routers = [(LB1, router(sim.nodes(), LB1)), (LB2, router(sim.nodes(), LB2))];
    let holders = vip_holders(&routers, VRID);
    let states: Vec<VrrpState> = routers.iter().map(|(_, r)| r.state).collect();
    if holders.len() != 1 {
        return Err(format!("VIP holders after the heal: {holders:?} (states {states:?})"));
    }
    if specs.iter().all(|s| s.preempt) && holders != [LB1] {
        return Err(format!("preempt is on but the VIP is at {holders:?}, not lb-1 (priority 200)"));
    }
    let client = vip_client(sim.nodes());
    if client.arp.resolve(VRID) != Some(holders[0]) {
        return Err(format!(
            "the client's ARP entry names {:?}, the master is {:?}",
            client.arp.resolve(VRID),
            holders[0]
        ));
    }
    let end_us = sim.now_us();
    let window = (end_us - 15 * SEC)..(end_us - SEC);
    let lost: Vec<TimeUs> = (0..client.sent_us.len())
        .filter(|&i| window.contains(&client.sent_us[i]) && !client.answered[i])
        .map(|i| client.sent_us[i])
        .collect();
    if !lost.is_empty() {
        return Err(format!("requests to the VIP unanswered after the heal, sent at {lost:?} µs"));
    }
    Ok(())
}

fn shopper(sim: &Sim<Host>) -> &Shopper {
    match sim.node(SHOPPER) {
        Host::Shopper(s) => s,
        _ => unreachable!("node #0 is not the shopper"),
    }
}

/// Every request sent once the kind's health checks had time to recover succeeded.
fn balancer_recovered(sim: &Sim<Host>) -> Liveness {
    let s = shopper(sim);
    let bad: Vec<String> = (s.liveness_from..s.script.len())
        .filter_map(|i| {
            let got = s.got.get(i).copied().flatten();
            match got {
                Some(r) if r.status == Status::Ok => None,
                Some(r) => Some(format!("#{i} at {} µs: {:?} {:?}", s.script[i].at_us, r.status, r.failure)),
                None => Some(format!("#{i} at {} µs: no answer", s.script[i].at_us)),
            }
        })
        .collect();
    if bad.is_empty() { Ok(()) } else { Err(format!("requests failed after recovery: {}", bad.join("; "))) }
}

// ---- schedules --------------------------------------------------------------------

/// A random list of fault episodes over the safety phase: each a fault at a
/// random time and, most of the time, its repair 0.2–15 s later (otherwise
/// it lasts until the liveness phase heals it).
fn schedule(seed: u64, menu: &FaultMenu) -> Vec<(TimeUs, Fault)> {
    let mut rng = SimRng::new(seed, SCHEDULE_STREAM);
    let mut out = Vec::new();
    for _ in 0..rng.between(1, MAX_EPISODES) {
        let at_us = rng.below(SAFETY_US);
        let (fault, repair) = episode(&mut rng, menu);
        let lasts_us = rng.between(200 * MS, 15 * SEC);
        out.push((at_us, fault));
        if let Some(repair) = repair
            && rng.chance_ppm(850_000)
            && at_us + lasts_us < SAFETY_US
        {
            out.push((at_us + lasts_us, repair));
        }
    }
    out.sort_by_key(|&(at_us, _)| at_us);
    out
}

#[derive(Clone, Copy)]
enum Kind {
    Crash,
    Reboot,
    Pause,
    Slow,
    CutOneWay,
    CutBothWays,
    Isolate,
}

fn episode(rng: &mut SimRng, menu: &FaultMenu) -> (Fault, Option<Fault>) {
    let mut kinds = Vec::new();
    if !menu.crash.is_empty() {
        kinds.extend([Kind::Crash, Kind::Reboot]);
    }
    if !menu.pause.is_empty() {
        kinds.push(Kind::Pause);
        if menu.slow_max_us > 0 {
            kinds.push(Kind::Slow);
        }
    }
    if !menu.links.is_empty() {
        kinds.extend([Kind::CutOneWay, Kind::CutBothWays]);
    }
    if !menu.isolate.is_empty() {
        kinds.push(Kind::Isolate);
    }
    let kind = *rng.pick(&kinds).expect("a menu offers some fault");
    match kind {
        Kind::Crash => {
            let node = *rng.pick(menu.crash).unwrap();
            (Fault::Crash { node }, Some(Fault::Restart { node }))
        }
        Kind::Reboot => (Fault::Restart { node: *rng.pick(menu.crash).unwrap() }, None),
        Kind::Pause => {
            let node = *rng.pick(menu.pause).unwrap();
            (Fault::Pause { node }, Some(Fault::Resume { node }))
        }
        Kind::Slow => {
            let node = *rng.pick(menu.pause).unwrap();
            let extra_us = rng.between(MS, menu.slow_max_us);
            (Fault::Slow { node, extra_us }, Some(Fault::Slow { node, extra_us: 0 }))
        }
        Kind::CutOneWay | Kind::CutBothWays => {
            let (a, b) = *rng.pick(menu.links).unwrap();
            let (from, to) = if rng.chance_ppm(500_000) { (a, b) } else { (b, a) };
            let both_ways = matches!(kind, Kind::CutBothWays);
            (Fault::Cut { from, to, both_ways }, Some(Fault::Heal { a, b }))
        }
        Kind::Isolate => {
            let node = *rng.pick(menu.isolate).unwrap();
            (Fault::Isolate { node }, Some(Fault::Rejoin { node }))
        }
    }
}

fn node_name(world: World, id: NodeId) -> String {
    match world {
        World::Keepalived(_) => ["lb-1", "lb-2", "client"][id.index()].to_string(),
        World::Balancer(..) => ["shopper", "lb", "app-1", "app-2", "app-3"][id.index()].to_string(),
    }
}

/// The schedule as a reader replays it: `[12.345s crash lb-1, …]`.
fn show(world: World, schedule: &[(TimeUs, Fault)]) -> String {
    let n = |id| node_name(world, id);
    let items: Vec<String> = schedule
        .iter()
        .map(|&(at_us, fault)| {
            let what = match fault {
                Fault::Slow { node, extra_us } => format!("slow {} +{}ms", n(node), extra_us / MS),
                Fault::Cut { from, to, both_ways: true } => format!("cut {}<->{}", n(from), n(to)),
                Fault::Cut { from, to, both_ways: false } => format!("cut {}->{}", n(from), n(to)),
                Fault::Heal { a, b } => format!("heal {}<->{}", n(a), n(b)),
                Fault::HealAll => "heal-all".to_string(),
                other => format!("{} {}", other.label(), other.node().map(n).unwrap_or_default()),
            };
            format!("{}.{:03}s {what}", at_us / SEC, at_us % SEC / MS)
        })
        .collect();
    format!("[{}]", items.join(", "))
}

fn reproduce(design: &Design, seed: u64, outcome: &Outcome) -> String {
    format!("reproduce: design={} seed={seed} schedule={}", design.name, show(design.world, &outcome.schedule))
}

// ---- the sweep ----------------------------------------------------------------------

/// What a sweep of one design found.
struct Summary {
    seeds: u64,
    events: u64,
    /// Seeds in which each witness was reached.
    witnessed: Vec<u64>,
    /// The first seed that broke an `always` property.
    found: Option<(u64, Outcome)>,
}

fn seeds_per_safe_design() -> u64 {
    std::env::var("SWEEP_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(SEEDS)
}

/// Runs seeds 0, 1, … of a design: a safe design must hold for every one
/// (the first violation panics with how to reproduce it); an unsafe design's
/// search stops at the first violation. Liveness must hold either way.
fn sweep(design: &Design) -> Summary {
    let limit = if design.safe { seeds_per_safe_design() } else { SEARCH_CAP };
    let mut summary = Summary { seeds: 0, events: 0, witnessed: vec![0; design.witnesses.len()], found: None };
    for seed in 0..limit {
        let outcome = run(design, seed);
        summary.seeds += 1;
        summary.events += outcome.events;
        for (count, &seen) in summary.witnessed.iter_mut().zip(&outcome.witnessed) {
            *count += u64::from(seen);
        }
        if let Err(why) = &outcome.liveness {
            panic!("no recovery after the heal: {why}\n{}", reproduce(design, seed, &outcome));
        }
        if let Some((name, v)) = &outcome.violation {
            assert!(
                !design.safe,
                "{name} broke at {} µs, event #{}: {}\n{}",
                v.at_us,
                v.event_index,
                v.reason,
                reproduce(design, seed, &outcome)
            );
            eprintln!(
                "found: {name} broke at {} µs, event #{}: {}\n{}",
                v.at_us,
                v.event_index,
                v.reason,
                reproduce(design, seed, &outcome)
            );
            summary.found = Some((seed, outcome));
            break;
        }
    }
    summary
}

/// Sweeps the safe designs whose name starts with `prefix` and checks the witnesses.
fn sweep_safe(which: impl Fn(World) -> bool) {
    let table: Vec<Design> = designs().into_iter().filter(|d| d.safe && which(d.world)).collect();
    assert!(!table.is_empty(), "no safe design matches");
    for design in &table {
        let summary = sweep(design);
        let rates: Vec<String> = design
            .witnesses
            .iter()
            .zip(&summary.witnessed)
            .map(|((name, _), &n)| format!("{name}: {:.1}%", n as f64 * 100.0 / summary.seeds as f64))
            .collect();
        eprintln!(
            "sweep {} seeds={} events={} witnesses: {}",
            design.name,
            summary.seeds,
            summary.events,
            rates.join(", ")
        );
        for ((name, _), &n) in design.witnesses.iter().zip(&summary.witnessed) {
            assert!(
                n * 100 >= summary.seeds * WITNESS_MIN_PERCENT,
                "design={}: witness \"{name}\" reached in {n} of {} seeds, want ≥ {WITNESS_MIN_PERCENT}%",
                design.name,
                summary.seeds
            );
        }
    }
}

// ---- tests --------------------------------------------------------------------------

#[test]
fn keepalived_keeps_one_owner_under_process_faults() {
    sweep_safe(|w| matches!(w, World::Keepalived(_)));
}

// The balancer's designs, one test per algorithm (its three kinds), so the
// harness spreads them evenly over the cores.

fn sweep_balancers_with(algorithm: Algorithm) {
    sweep_safe(|w| matches!(w, World::Balancer(_, a) if a == algorithm));
}

#[test]
fn balancers_with_round_robin_keep_their_invariants_under_every_fault() {
    sweep_balancers_with(Algorithm::RoundRobin);
}

#[test]
fn balancers_with_weighted_round_robin_keep_their_invariants_under_every_fault() {
    sweep_balancers_with(Algorithm::WeightedRoundRobin);
}

#[test]
fn balancers_with_least_conn_keep_their_invariants_under_every_fault() {
    sweep_balancers_with(Algorithm::LeastConn);
}

#[test]
fn balancers_with_ip_hash_keep_their_invariants_under_every_fault() {
    sweep_balancers_with(Algorithm::IpHash);
}

#[test]
fn balancers_with_random_keep_their_invariants_under_every_fault() {
    sweep_balancers_with(Algorithm::Random);
}

#[test]
fn balancers_with_p2c_keep_their_invariants_under_every_fault() {
    sweep_balancers_with(Algorithm::P2c);
}

/// Each unsafe design's search, and what it found.
fn unsafe_findings() -> Vec<(Design, u64, Outcome)> {
    designs()
        .into_iter()
        .filter(|d| !d.safe)
        .map(|design| {
            let summary = sweep(&design);
            let Some((seed, outcome)) = summary.found else {
                panic!("design={}: no violation in {} seeds, but the design is unsafe", design.name, summary.seeds);
            };
            (design, seed, outcome)
        })
        .collect()
}

#[test]
fn unsafe_designs_are_caught_by_the_sweep() {
    for (design, seed, outcome) in unsafe_findings() {
        let (name, v) = outcome.violation.as_ref().expect("a finding has a violation");
        assert!(v.reason.contains("split brain"), "design={} seed={seed}: {name}: {}", design.name, v.reason);
    }
}

#[test]
fn a_found_violation_replays_identically_from_its_seed() {
    for (design, seed, found) in unsafe_findings() {
        let again = run(&design, seed);
        let context = reproduce(&design, seed, &found);
        assert_eq!(again.schedule, found.schedule, "the schedule is a function of the seed\n{context}");
        assert_eq!(again.trace_hash, found.trace_hash, "same seed, same trace\n{context}");
        let key = |o: &Outcome| o.violation.as_ref().map(|(n, v)| (*n, v.at_us, v.event_index, v.reason.clone()));
        assert_eq!(key(&again), key(&found), "same violation at the same event\n{context}");
    }
}

#[test]
fn every_design_is_a_pure_function_of_its_seed() {
    for design in designs() {
        for seed in [7, 4242] {
            let (a, b) = (run(&design, seed), run(&design, seed));
            let context = reproduce(&design, seed, &a);
            assert_eq!((a.trace_hash, a.events), (b.trace_hash, b.events), "same seed, same trace\n{context}");
        }
    }
}
