//! The access layer on its own: nginx's balancing algorithms (smooth weighted
//! round robin {5,1,1} → a a b a c a a, weighted least_conn with ties by
//! round robin, ip_hash over a /24, P2C, skipping down and tried servers),
//! the balancer in a simulated world (load shedding, passive health with
//! max_fails=1 / fail_timeout=10 s, retries except for non-idempotent
//! requests, and how F5, LVS and nginx differ), and keepalived's VRRP (a
//! backup takes over 3 × 1 s + (256 − 100)/256 s = 3.609375 s after the last
//! advert, adverts every 1 s, priority 0 hands over after the skew 0.609375 s,
//! preemption and nopreempt, split brain under a partition and its healing).
//!
//! Each test is a table of cases checked by one function; every case names
//! itself in its assertion messages.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::cluster::balancer::{
    Balancer, BalancerConfig, ProxyFailure, check_connections_match_pending, check_pending_bounded,
};
use clusterlab::cluster::lb_algorithm::{Algorithm, BalancerKind, ClientAddr, Peer, Picker, Tried};
use clusterlab::cluster::message::{FailCause, HttpRequest, HttpResponse, Msg, Page, SessionCookie, Status};
use clusterlab::cluster::metrics::ShopMetrics;
use clusterlab::cluster::vrrp::{
    Freeze, InitialState, TransitionReason, VipTable, VrrpConfig, VrrpMsg, VrrpRouter, VrrpState,
    check_one_vip_owner_per_epoch, master_down_interval_us, skew_us, vip_holders,
};
use clusterlab::sim::invariant::View;
use clusterlab::sim::{Ctx, Fault, LinkProfile, MS, Node, NodeId, SEC, Sim, SimRng, TimeUs, TimerKey, TraceKind};
use std::collections::{BTreeMap, BTreeSet};

const FOREVER: u64 = u64::MAX;
/// One-way latency of every link in these worlds.
const LINK_US: TimeUs = 500;

#[test]
fn messages_are_small_and_copy() {
    assert!(size_of::<VrrpMsg>() <= 32, "VrrpMsg is {} bytes", size_of::<VrrpMsg>());
    // The cluster's `Msg` wraps every mechanism's message (each ≤ 32 bytes) behind a tag.
    assert!(size_of::<Msg>() <= 40, "Msg is {} bytes", size_of::<Msg>());
    fn is_copy<T: Copy>() {}
    is_copy::<VrrpMsg>();
    is_copy::<Msg>();
}

// ---- the algorithms, pure ------------------------------------------------------

fn peers(weights: &[u32], active: &[u32]) -> Vec<Peer> {
    weights.iter().zip(active).map(|(&w, &a)| Peer { active: a, ..Peer::new(w) }).collect()
}

fn letter(i: usize) -> char {
    (b'a' + i as u8) as char
}

/// `n` picks; with `hold`, each pick keeps a connection open on its server.
fn pick_letters(picker: &mut Picker, peers: &mut [Peer], n: usize, hold: bool, rng: &mut SimRng) -> String {
    let client = ClientAddr([10, 0, 0, 1]);
    (0..n)
        .map(|_| {
            let i = picker.pick(peers, Tried::default(), client, rng).expect("a server is usable");
            if hold {
                peers[i].active += 1;
            }
            letter(i)
        })
        .collect()
}

struct SequenceCase {
    name: &'static str,
    algorithm: Algorithm,
    weights: &'static [u32],
    active: &'static [u32],
    /// Each pick keeps its connection (least_conn then sees it).
    hold: bool,
    expect: &'static str,
}

const SEQUENCE_CASES: &[SequenceCase] = &[
    SequenceCase {
        name: "nginx's smooth WRR example: weights {5,1,1} give a a b a c a a, twice",
        algorithm: Algorithm::WeightedRoundRobin,
        weights: &[5, 1, 1],
        active: &[0, 0, 0],
        hold: false,
        expect: "aabacaaaabacaa",
    },
    SequenceCase {
        name: "smooth WRR {2,1} interleaves instead of a a b",
        algorithm: Algorithm::WeightedRoundRobin,
        weights: &[2, 1],
        active: &[0, 0],
        hold: false,
        expect: "abaaba",
    },
    SequenceCase {
        name: "equal weights: smooth WRR is plain rotation",
        algorithm: Algorithm::WeightedRoundRobin,
        weights: &[1, 1, 1],
        active: &[0, 0, 0],
        hold: false,
        expect: "abcabc",
    },
    SequenceCase {
        name: "plain round robin ignores weights",
        algorithm: Algorithm::RoundRobin,
        weights: &[5, 1, 1],
        active: &[0, 0, 0],
        hold: false,
        expect: "abcabc",
    },
    SequenceCase {
        name: "weight 0 is never chosen",
        algorithm: Algorithm::WeightedRoundRobin,
        weights: &[1, 0, 1],
        active: &[0, 0, 0],
        hold: false,
        expect: "acac",
    },
    SequenceCase {
        name: "least_conn: the fewest active connections wins",
        algorithm: Algorithm::LeastConn,
        weights: &[1, 1, 1],
        active: &[3, 1, 2],
        hold: false,
        expect: "bbbb",
    },
    SequenceCase {
        name: "least_conn honours weights: 4 active on weight 5 (0.8) beats 1 on weight 1",
        algorithm: Algorithm::LeastConn,
        weights: &[5, 1],
        active: &[4, 1],
        hold: false,
        expect: "aaa",
    },
    SequenceCase {
        name: "least_conn ties are broken by smooth weighted round robin ({2,1} order)",
        algorithm: Algorithm::LeastConn,
        weights: &[2, 1],
        active: &[0, 0],
        hold: false,
        expect: "abaaba",
    },
    SequenceCase {
        name: "least_conn holding connections fills the emptiest server first",
        algorithm: Algorithm::LeastConn,
        weights: &[1, 1, 1],
        active: &[0, 0, 0],
        hold: true,
        expect: "abc",
    },
    SequenceCase {
        name: "least_conn with held connections fills by weight: {2,1} → a b a",
        algorithm: Algorithm::LeastConn,
        weights: &[2, 1],
        active: &[0, 0],
        hold: true,
        expect: "aba",
    },
];

#[test]
fn deterministic_algorithms_pick_in_nginx_order() {
    for case in SEQUENCE_CASES {
        let mut peers = peers(case.weights, case.active);
        let mut picker = Picker::new(case.algorithm, &peers);
        let mut rng = SimRng::new(1, 1);
        let got = pick_letters(&mut picker, &mut peers, case.expect.len(), case.hold, &mut rng);
        assert_eq!(got, case.expect, "{}", case.name);
    }
}

fn ip_hash_pick(weights: &[u32], down: &[usize], addr: [u8; 4]) -> usize {
    let mut peers = peers(weights, &vec![0; weights.len()]);
    for &i in down {
        peers[i].down = true;
    }
    let mut picker = Picker::new(Algorithm::IpHash, &peers);
    picker.pick(&peers, Tried::default(), ClientAddr(addr), &mut SimRng::new(1, 1)).expect("usable")
}

#[test]
fn ip_hash_keys_on_the_first_three_octets() {
    // nginx: hash = 89; hash = (hash × 113 + octet) mod 6271 over 192, 168, 1
    // gives 3978, 4441, 154; 154 mod 3 = 1 → the second server.
    assert_eq!(ip_hash_pick(&[1, 1, 1], &[], [192, 168, 1, 77]), 1, "nginx's hash of 192.168.1.x");
    // With weights the hash picks by weight: 154 mod 6 = 4 falls in b's range [3, 5) of a a a b b c.
    assert_eq!(ip_hash_pick(&[3, 2, 1], &[], [192, 168, 1, 77]), 1, "weighted ip_hash of 192.168.1.x");
    let prefixes: [[u8; 3]; 4] = [[192, 168, 1], [10, 20, 30], [202, 96, 12], [58, 60, 200]];
    for p in prefixes {
        let first = ip_hash_pick(&[1, 1, 1], &[], [p[0], p[1], p[2], 1]);
        for host in 2..=254 {
            let got = ip_hash_pick(&[1, 1, 1], &[], [p[0], p[1], p[2], host]);
            assert_eq!(got, first, "{p:?}.{host}: a whole /24 must land on one server");
        }
        // Its server down: the whole /24 moves together, to one other server.
        let moved = ip_hash_pick(&[1, 1, 1], &[first], [p[0], p[1], p[2], 1]);
        assert_ne!(moved, first, "{p:?}: a down server is skipped");
        for host in 2..=254 {
            assert_eq!(ip_hash_pick(&[1, 1, 1], &[first], [p[0], p[1], p[2], host]), moved, "{p:?}.{host}");
        }
    }
    let mut per_server = [0u32; 3];
    for x in 0..=255u8 {
        for y in [0u8, 77, 200] {
            per_server[ip_hash_pick(&[1, 1, 1], &[], [10, y, x, 9])] += 1;
        }
    }
    let total: u32 = per_server.iter().sum();
    assert!(per_server.iter().all(|&n| n * 100 >= total * 20 && n * 100 <= total * 47), "{per_server:?}");
}

struct RandomCase {
    name: &'static str,
    algorithm: Algorithm,
    active: &'static [u32],
    /// Per server: (min, max) picks out of 3000.
    expect: &'static [(u32, u32)],
}

const RANDOM_CASES: &[RandomCase] = &[
    RandomCase {
        name: "P2C with two servers always takes the idle one",
        algorithm: Algorithm::P2c,
        active: &[5, 0],
        expect: &[(0, 0), (3000, 3000)],
    },
    RandomCase {
        name: "P2C never picks the most loaded of three; the idle one wins every pair it is in (2/3)",
        algorithm: Algorithm::P2c,
        active: &[9, 0, 5],
        expect: &[(0, 0), (1850, 2150), (850, 1150)],
    },
    RandomCase {
        name: "plain random ignores load: about 1/3 each",
        algorithm: Algorithm::Random,
        active: &[9, 0, 5],
        expect: &[(850, 1150), (850, 1150), (850, 1150)],
    },
];

#[test]
fn random_algorithms_match_their_distributions() {
    for case in RANDOM_CASES {
        let peers = peers(&vec![1; case.active.len()], case.active);
        let mut picker = Picker::new(case.algorithm, &peers);
        let mut rng = SimRng::new(7, 3);
        let mut counts = vec![0u32; peers.len()];
        for _ in 0..3000 {
            counts[picker.pick(&peers, Tried::default(), ClientAddr([1, 2, 3, 4]), &mut rng).unwrap()] += 1;
        }
        for (i, (&n, &(lo, hi))) in counts.iter().zip(case.expect).enumerate() {
            assert!((lo..=hi).contains(&n), "{}: server {} picked {n} times, want {lo}..={hi}", case.name, letter(i));
        }
    }
}

#[test]
fn every_algorithm_skips_down_full_and_tried_servers() {
    for algorithm in Algorithm::ALL {
        // a down, b full (max_conns=2 reached), d already tried: only c and e.
        let mut peers = peers(&[3, 1, 1, 5, 1], &[0, 2, 0, 0, 0]);
        peers[0].down = true;
        peers[1].max_conns = 2;
        let tried = Tried::default().with(3);
        let mut picker = Picker::new(algorithm, &peers);
        let mut rng = SimRng::new(11, 2);
        let mut seen = BTreeSet::new();
        for host in 0..200u8 {
            let client = ClientAddr([10, host, host, 1]);
            let i = picker.pick(&peers, tried, client, &mut rng).expect("c and e are usable");
            seen.insert(letter(i));
        }
        assert!(seen.iter().all(|c| ['c', 'e'].contains(c)), "{}: picked {seen:?}", algorithm.as_str());
        let all_tried = Tried::default().with(2).with(3).with(4);
        let none = picker.pick(&peers, all_tried, ClientAddr([1, 1, 1, 1]), &mut rng);
        assert_eq!(none, None, "{}: nothing usable must give None", algorithm.as_str());
    }
}

// ---- the balancer in a world -----------------------------------------------------

/// One request the client sends: when, what, which server its cookie names.
#[derive(Clone, Copy, Debug)]
struct Send {
    at_us: TimeUs,
    page: Page,
    cookie_route: Option<usize>,
    shopper: u16,
}

/// A GET of the search page (health-check probes ask for the home page).
const fn get(at_us: TimeUs, shopper: u16) -> Send {
    Send { at_us, page: Page::Search, cookie_route: None, shopper }
}

#[derive(Clone, Debug)]
struct Client {
    lb: NodeId,
    servers: Vec<NodeId>,
    script: Vec<Send>,
    got: Vec<(TimeUs, HttpResponse)>,
}

/// An app server that answers after `service_us`, or never (`None`).
#[derive(Clone, Debug)]
struct Server {
    service_us: Option<TimeUs>,
    jobs: BTreeMap<TimerKey, (NodeId, HttpRequest)>,
    next_job: TimerKey,
    /// Real requests handled (health-check probes are not counted).
    seen: Vec<(TimeUs, HttpRequest)>,
    probes: u32,
}

#[derive(Clone, Debug)]
enum Host {
    Client(Client),
    Lb(Box<Balancer>),
    Server(Server),
}

impl Node for Host {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        match self {
            Host::Client(c) => (0..c.script.len()).for_each(|i| ctx.set_timer(i as TimerKey, c.script[i].at_us)),
            Host::Lb(lb) => lb.on_start(ctx),
            Host::Server(_) => {}
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        match (self, msg) {
            (Host::Client(c), Msg::Response(r)) => c.got.push((ctx.now_us, r)),
            (Host::Lb(lb), msg) => lb.on_message(ctx, from, msg),
            (Host::Server(s), Msg::Request(r)) => {
                if r.shopper == u16::MAX {
                    s.probes += 1;
                } else {
                    s.seen.push((ctx.now_us, r));
                }
                if let Some(service_us) = s.service_us {
                    s.jobs.insert(s.next_job, (from, r));
                    ctx.set_timer(s.next_job, service_us);
                    s.next_job += 1;
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, key: TimerKey) {
        match self {
            Host::Client(c) => {
                let s = c.script[key as usize];
                let session = s.cookie_route.map(|r| SessionCookie { id: 1, route: c.servers[r] });
                let request = HttpRequest {
                    id: key as u32,
                    page: s.page,
                    session,
                    shopper: s.shopper,
                    client: ctx.me,
                    product: 0,
                };
                ctx.send(c.lb, Msg::Request(request));
            }
            Host::Lb(lb) => lb.on_timer(ctx, key),
            Host::Server(s) => {
                if let Some((from, r)) = s.jobs.remove(&key) {
                    let ok = HttpResponse { id: r.id, status: Status::Ok, session: r.session, failure: None };
                    ctx.send(from, Msg::Response(ok));
                }
            }
        }
    }

    fn on_refused(&mut self, ctx: &mut Ctx<'_, Msg>, to: NodeId, msg: Msg) {
        if let Host::Lb(lb) = self {
            lb.on_refused(ctx, to, msg);
        }
    }

    fn on_crash(&mut self) {
        match self {
            Host::Client(_) => {}
            Host::Lb(lb) => lb.on_crash(),
            Host::Server(s) => s.jobs.clear(),
        }
    }
}

const CLIENT: NodeId = NodeId(0);
const LB: NodeId = NodeId(1);
const fn server(i: usize) -> NodeId {
    NodeId(2 + i as u16)
}

/// Client 0 → balancer 1 → servers 2, 3, … (`None` = never answers).
fn lb_world(config: BalancerConfig, services: &[Option<TimeUs>], script: Vec<Send>) -> Sim<Host> {
    let mut sim = Sim::new(5, LinkProfile::fixed(LINK_US));
    let metrics = ShopMetrics::register(sim.metrics_mut());
    let servers: Vec<NodeId> = (0..services.len()).map(server).collect();
    sim.add_node("client", Host::Client(Client { lb: LB, servers: servers.clone(), script, got: Vec::new() }));
    sim.add_node("lb", Host::Lb(Box::new(Balancer::new(config, servers, metrics))));
    for (i, &service_us) in services.iter().enumerate() {
        let s = Server { service_us, jobs: BTreeMap::new(), next_job: 0, seen: Vec::new(), probes: 0 };
        sim.add_node(format!("app-{}", i + 1), Host::Server(s));
    }
    sim.trace_mut().record_everything();
    // The balancer's invariants, after every event of every balancer test.
    sim.properties_mut().always("lb-pending-bounded", |v| check_pending_bounded(lb_of(v.nodes)));
    sim.properties_mut().always("lb-connections-match", |v| check_connections_match_pending(lb_of(v.nodes)));
    sim
}

fn lb_of(nodes: &[Host]) -> &Balancer {
    match &nodes[LB.index()] {
        Host::Lb(lb) => lb,
        _ => unreachable!(),
    }
}

/// Panics with the first broken balancer invariant, if any.
fn assert_lb_invariants(sim: &Sim<Host>, name: &str) {
    if let Some(broken) = sim.properties().first_broken() {
        panic!("{name}: {} broke: {:?}", broken.name, broken.first_violation);
    }
}

fn got(sim: &Sim<Host>) -> &[(TimeUs, HttpResponse)] {
    match sim.node(CLIENT) {
        Host::Client(c) => &c.got,
        _ => unreachable!(),
    }
}

fn lb(sim: &Sim<Host>) -> &Balancer {
    lb_of(sim.nodes())
}

fn served(sim: &Sim<Host>, i: usize) -> &[(TimeUs, HttpRequest)] {
    match sim.node(server(i)) {
        Host::Server(s) => &s.seen,
        _ => unreachable!(),
    }
}

/// Times at which requests (not probes) from the balancer hit server `i` while it was down.
fn attempts_on_dead(sim: &Sim<Host>, i: usize) -> Vec<TimeUs> {
    let all = sim.trace().everything().expect("recorded");
    let is_request = |label: &str| label != "home";
    all.iter()
        .filter(|e| e.kind == TraceKind::NodeDown && e.node == server(i) && e.from == Some(LB) && is_request(e.label))
        .map(|e| e.at_us)
        .collect()
}

fn config(kind: BalancerKind, algorithm: Algorithm, sticky: bool) -> BalancerConfig {
    BalancerConfig { algorithm, sticky, ..BalancerConfig::for_kind(kind) }
}

struct ShedCase {
    name: &'static str,
    max_pending: u32,
    requests: u16,
    ok: usize,
    shed: usize,
}

const SHED_CASES: &[ShedCase] = &[
    ShedCase { name: "bound 3, five at once: two shed", max_pending: 3, requests: 5, ok: 3, shed: 2 },
    ShedCase { name: "no bound (nginx default): all served", max_pending: 0, requests: 5, ok: 5, shed: 0 },
    ShedCase { name: "bound equal to the load: all served", max_pending: 5, requests: 5, ok: 5, shed: 0 },
];

#[test]
fn load_shedding_answers_503_at_once_beyond_max_pending() {
    for case in SHED_CASES {
        let cfg = BalancerConfig { max_pending: case.max_pending, ..BalancerConfig::default() };
        let script = (0..case.requests).map(|s| get(SEC, s)).collect();
        let mut sim = lb_world(cfg, &[Some(100 * MS)], script);
        sim.run_until(3 * SEC, FOREVER);
        let responses = got(&sim);
        let ok = responses.iter().filter(|(_, r)| r.status == Status::Ok).count();
        let shed: Vec<_> = responses.iter().filter(|(_, r)| r.status == Status::Unavailable).collect();
        assert_eq!((ok, shed.len()), (case.ok, case.shed), "{}", case.name);
        for (at_us, r) in shed {
            // Shed before any work: one round trip to the balancer, no server time.
            assert_eq!(*at_us, SEC + 2 * LINK_US, "{}: shed late", case.name);
            assert_eq!(r.failure, Some((LB, FailCause::Overloaded)), "{}", case.name);
        }
        assert_eq!(lb(&sim).failures_of(ProxyFailure::Shed), case.shed as u64, "{}", case.name);
        assert_eq!(served(&sim, 0).len(), case.ok, "{}: shed requests must not reach the server", case.name);
        assert_lb_invariants(&sim, case.name);
    }
}

struct RefusedCase {
    kind: BalancerKind,
    /// Of four GETs round-robined over a dead server and a live one.
    ok: usize,
    refused: usize,
    retries: u64,
}

const REFUSED_CASES: &[RefusedCase] = &[
    // nginx re-sends to the next server (nothing was sent) and marks the dead one down.
    RefusedCase { kind: BalancerKind::Nginx, ok: 4, refused: 0, retries: 1 },
    // BIG-IP's pool "Reselect Tries" is 0 by default: the client gets the reset.
    RefusedCase { kind: BalancerKind::F5, ok: 2, refused: 2, retries: 0 },
    // LVS forwards connections: the server's reset goes back to the client.
    RefusedCase { kind: BalancerKind::Lvs, ok: 2, refused: 2, retries: 0 },
];

#[test]
fn a_refused_connection_is_retried_only_by_nginx() {
    for case in REFUSED_CASES {
        let script = (0..4).map(|s| get(SEC + u64::from(s) * 100 * MS, s)).collect();
        let mut sim = lb_world(config(case.kind, Algorithm::RoundRobin, false), &[Some(5 * MS), Some(5 * MS)], script);
        sim.schedule_fault(0, Fault::Crash { node: server(0) });
        sim.run_until(2 * SEC, FOREVER);
        let name = case.kind.as_str();
        let responses = got(&sim);
        let ok = responses.iter().filter(|(_, r)| r.status == Status::Ok).count();
        let refused: Vec<_> =
            responses.iter().filter(|(_, r)| r.failure == Some((server(0), FailCause::Refused))).collect();
        assert_eq!((ok, refused.len()), (case.ok, case.refused), "{name}: {responses:?}");
        assert_eq!(lb(&sim).retries, case.retries, "{name}");
        assert_eq!(lb(&sim).failures_of(ProxyFailure::Refused), case.refused as u64, "{name}");
        assert_lb_invariants(&sim, name);
    }
}

struct HealthCase {
    kind: BalancerKind,
    /// GETs every second from 1 s to 80 s, round robin, server a dead.
    failed: usize,
    /// No request may reach the dead server after this (active checks).
    last_attempt_by_us: TimeUs,
}

const HEALTH_CASES: &[HealthCase] = &[
    // Passive only: a real request tries a again after each fail_timeout (10 s), and is retried.
    HealthCase { kind: BalancerKind::Nginx, failed: 0, last_attempt_by_us: 80 * SEC + 2 * LINK_US },
    // BIG-IP http monitor every 5 s, out after three failures (≈ its 16 s timeout): at 15 s.
    HealthCase { kind: BalancerKind::F5, failed: 8, last_attempt_by_us: 15 * SEC + 2 * LINK_US },
    // keepalived TCP_CHECK every delay_loop = 60 s: a dead real server keeps its share until then.
    HealthCase { kind: BalancerKind::Lvs, failed: 30, last_attempt_by_us: 59 * SEC + 2 * LINK_US },
];

#[test]
fn a_dead_server_leaves_rotation_by_passive_or_active_health_checks() {
    for case in HEALTH_CASES {
        let script = (1..=80).map(|s| get(s * SEC, s as u16)).collect();
        let mut sim = lb_world(config(case.kind, Algorithm::RoundRobin, false), &[Some(5 * MS), Some(5 * MS)], script);
        sim.schedule_fault(0, Fault::Crash { node: server(0) });
        sim.run_until(81 * SEC, FOREVER);
        let name = case.kind.as_str();
        let failed = got(&sim).iter().filter(|(_, r)| r.status != Status::Ok).count();
        assert_eq!(failed, case.failed, "{name}: failed requests");
        assert_eq!(got(&sim).len(), 80, "{name}: every request answered");
        let attempts = attempts_on_dead(&sim, 0);
        assert!(
            attempts.iter().all(|&t| t <= case.last_attempt_by_us),
            "{name}: attempts on the dead server {attempts:?}"
        );
        if case.kind == BalancerKind::Nginx {
            // max_fails=1, fail_timeout=10s: one failure takes it out for 10 s.
            assert!(attempts.len() >= 5, "nginx: the dead server is retried after each fail_timeout: {attempts:?}");
            for pair in attempts.windows(2) {
                assert!(pair[1] - pair[0] >= 10 * SEC, "nginx: tried again within fail_timeout: {attempts:?}");
            }
            assert_eq!(lb(&sim).retries, attempts.len() as u64, "nginx: every failed attempt was retried");
        }
        assert_lb_invariants(&sim, name);
    }
}

struct StickyCase {
    kind: BalancerKind,
    /// Where shopper 0 (cookie names b) and shopper 1 (cookie names a) end up.
    servers: [usize; 2],
}

const STICKY_CASES: &[StickyCase] = &[
    // L7: the cookie's route decides.
    StickyCase { kind: BalancerKind::Nginx, servers: [1, 0] },
    StickyCase { kind: BalancerKind::F5, servers: [1, 0] },
    // L4: the cookie is unreadable; source-IP persistence keeps each shopper
    // where round robin first put it.
    StickyCase { kind: BalancerKind::Lvs, servers: [0, 1] },
];

#[test]
fn stickiness_follows_the_cookie_at_l7_and_the_source_address_at_l4() {
    for case in STICKY_CASES {
        let mut script = Vec::new();
        for k in 0..5 {
            script.push(Send { at_us: (k + 1) * SEC, page: Page::Detail, cookie_route: Some(1), shopper: 0 });
            script.push(Send {
                at_us: (k + 1) * SEC + 300 * MS,
                page: Page::Detail,
                cookie_route: Some(0),
                shopper: 1,
            });
        }
        let mut sim = lb_world(config(case.kind, Algorithm::RoundRobin, true), &[Some(5 * MS), Some(5 * MS)], script);
        sim.run_until(7 * SEC, FOREVER);
        for (shopper, &want) in case.servers.iter().enumerate() {
            let on: Vec<usize> =
                (0..2).filter(|&i| served(&sim, i).iter().any(|(_, r)| r.shopper == shopper as u16)).collect();
            assert_eq!(on, vec![want], "{}: shopper {shopper} served by {on:?}", case.kind.as_str());
        }
        assert_lb_invariants(&sim, case.kind.as_str());
    }
}

struct TimeoutCase {
    name: &'static str,
    kind: BalancerKind,
    /// Server a never answers; b (if present) answers in 5 ms.
    services: &'static [Option<TimeUs>],
    /// For a GET and a POST (Order) sent at 1 s: when each is answered and how.
    get: Option<(TimeUs, Status, Option<ProxyFailure>)>,
    post: Option<(TimeUs, Status, Option<ProxyFailure>)>,
}

const NGINX_504: TimeUs = SEC + 60 * SEC + 2 * LINK_US;

const TIMEOUT_CASES: &[TimeoutCase] = &[
    TimeoutCase {
        name: "nginx, one silent server: 504 after proxy_read_timeout 60 s for both",
        kind: BalancerKind::Nginx,
        services: &[None],
        get: Some((NGINX_504, Status::GatewayTimeout, Some(ProxyFailure::TimedOut))),
        post: Some((NGINX_504, Status::GatewayTimeout, Some(ProxyFailure::TimedOutUnsafeToRetry))),
    },
    TimeoutCase {
        name: "nginx, silent a and live b: the GET is retried on b, the POST is not (it may have been applied)",
        kind: BalancerKind::Nginx,
        services: &[None, Some(5 * MS)],
        get: Some((NGINX_504 + 2 * LINK_US + 5 * MS, Status::Ok, None)),
        post: Some((NGINX_504, Status::GatewayTimeout, Some(ProxyFailure::TimedOutUnsafeToRetry))),
    },
    TimeoutCase {
        name: "F5: reset after the TCP idle timeout (300 s), never re-sent",
        kind: BalancerKind::F5,
        services: &[None, Some(5 * MS)],
        get: Some((301 * SEC + 2 * LINK_US, Status::GatewayTimeout, Some(ProxyFailure::TimedOut))),
        post: Some((301 * SEC + 2 * LINK_US, Status::GatewayTimeout, Some(ProxyFailure::TimedOut))),
    },
    TimeoutCase {
        name: "LVS: never answers for the server; the entry just expires (900 s)",
        kind: BalancerKind::Lvs,
        services: &[None, Some(5 * MS)],
        get: None,
        post: None,
    },
];

#[test]
fn timeouts_are_answered_and_retried_by_kind() {
    for case in TIMEOUT_CASES {
        for (page, want) in [(Page::Search, case.get), (Page::Order, case.post)] {
            // One request alone: round robin's first pick is the silent server a.
            let cfg = BalancerConfig { active_check: None, ..config(case.kind, Algorithm::RoundRobin, false) };
            let mut sim = lb_world(cfg, case.services, vec![Send { page, ..get(SEC, 0) }]);
            sim.run_until(1000 * SEC, FOREVER);
            let name = format!("{} ({})", case.name, page.as_str());
            let have = got(&sim).first().map(|&(t, r)| (t, r.status, r.failure.map(|(_, c)| c)));
            let want_cause = want.map(|(t, s, p)| (t, s, p.map(ProxyFailure::cause)));
            assert_eq!(have, want_cause, "{name}");
            if let Some((_, _, Some(reason))) = want {
                assert_eq!(lb(&sim).failures_of(reason), 1, "{name}: {reason:?} not counted");
            }
            assert_eq!(lb(&sim).pending(), 0, "{name}: table entries must expire");
            assert_lb_invariants(&sim, &name);
        }
    }
}

struct ConnCase {
    algorithm: Algorithm,
    /// Of 20 GETs 50 ms apart, a slow server (1 s) and a fast one (10 ms):
    /// how many the fast one serves.
    fast_served: (usize, usize),
}

const CONN_CASES: &[ConnCase] = &[
    // The slow server keeps its connection open, so everything after the
    // first request sees it busier than the idle fast one.
    ConnCase { algorithm: Algorithm::LeastConn, fast_served: (19, 19) },
    ConnCase { algorithm: Algorithm::P2c, fast_served: (19, 20) },
    // Rotation does not look at connections: half each.
    ConnCase { algorithm: Algorithm::RoundRobin, fast_served: (10, 10) },
    ConnCase { algorithm: Algorithm::WeightedRoundRobin, fast_served: (10, 10) },
];

#[test]
fn connection_aware_algorithms_see_the_balancers_active_connections() {
    for case in CONN_CASES {
        let script = (0..20).map(|k| get(SEC + k * 50 * MS, k as u16)).collect();
        let mut sim = lb_world(config(BalancerKind::Nginx, case.algorithm, false), &[Some(SEC), Some(10 * MS)], script);
        sim.run_until(5 * SEC, FOREVER);
        let fast = served(&sim, 1).len();
        let (lo, hi) = case.fast_served;
        assert!((lo..=hi).contains(&fast), "{}: fast server served {fast}, want {lo}..={hi}", case.algorithm.as_str());
        assert_eq!(got(&sim).len(), 20, "{}", case.algorithm.as_str());
        assert!(lb(&sim).peers.iter().all(|p| p.active == 0), "{}: connections leaked", case.algorithm.as_str());
        assert_lb_invariants(&sim, case.algorithm.as_str());
    }
}

struct NatCase {
    name: &'static str,
    nat: Option<[u8; 4]>,
    /// How many of the three servers the 30 shoppers end up on.
    servers_used: usize,
}

const NAT_CASES: &[NatCase] = &[
    NatCase {
        name: "an office behind one NAT address: ip_hash puts everyone on one server",
        nat: Some([202, 96, 12, 34]),
        servers_used: 1,
    },
    NatCase { name: "shoppers on their own lines (own /24 each): spread over all three", nat: None, servers_used: 3 },
];

#[test]
fn ip_hash_through_the_balancer_uses_the_client_address_table() {
    for case in NAT_CASES {
        let mut cfg = config(BalancerKind::Nginx, Algorithm::IpHash, false);
        if let Some(addr) = case.nat {
            cfg.client_addrs.insert(CLIENT, addr);
        }
        let script = (0..30).map(|s| get(SEC + u64::from(s) * 10 * MS, s)).collect();
        let mut sim = lb_world(cfg, &[Some(5 * MS); 3], script);
        sim.run_until(3 * SEC, FOREVER);
        let used = (0..3).filter(|&i| !served(&sim, i).is_empty()).count();
        assert_eq!(used, case.servers_used, "{}", case.name);
        assert_eq!(got(&sim).len(), 30, "{}", case.name);
        assert_lb_invariants(&sim, case.name);
    }
}

struct LateCase {
    name: &'static str,
    /// Server a's service time (just beyond nginx's 60 s proxy timeout), b's 5 ms.
    services: &'static [Option<TimeUs>],
    /// When the client gets its answer to a GET sent at 1 s.
    answered_at_us: TimeUs,
}

const LATE_CASES: &[LateCase] = &[
    LateCase {
        name: "a answers 3 ms after the timeout, before b: a's late answer is dropped, b's completes the retry",
        services: &[Some(60 * SEC + 3 * MS), Some(5 * MS)],
        answered_at_us: NGINX_504 + 2 * LINK_US + 5 * MS,
    },
    LateCase {
        name: "a answers 10 ms after the timeout, after b: b's answer, as before",
        services: &[Some(60 * SEC + 10 * MS), Some(5 * MS)],
        answered_at_us: NGINX_504 + 2 * LINK_US + 5 * MS,
    },
];

#[test]
fn a_late_answer_from_an_abandoned_attempt_never_completes_the_retry() {
    for case in LATE_CASES {
        let cfg = BalancerConfig { active_check: None, ..config(BalancerKind::Nginx, Algorithm::RoundRobin, false) };
        let mut sim = lb_world(cfg, case.services, vec![get(SEC, 0)]);
        sim.run_until(100 * SEC, FOREVER);
        let answers: Vec<(TimeUs, Status)> = got(&sim).iter().map(|&(t, r)| (t, r.status)).collect();
        assert_eq!(answers, vec![(case.answered_at_us, Status::Ok)], "{}: one answer, b's", case.name);
        assert_eq!(lb(&sim).retries, 1, "{}: the GET was retried once", case.name);
        assert_eq!(served(&sim, 1).len(), 1, "{}: b served the retry", case.name);
        assert!(lb(&sim).peers.iter().all(|p| p.active == 0), "{}: connections leaked", case.name);
        assert_eq!(lb(&sim).pending(), 0, "{}", case.name);
        assert_lb_invariants(&sim, case.name);
    }
}

struct SlowProbeCase {
    name: &'static str,
    /// Server a answers everything after this (BIG-IP probes every 5 s, 5 s timeout, fall 3).
    service_us: TimeUs,
    /// Whether a is out of rotation at 40 s.
    down: bool,
}

const SLOW_PROBE_CASES: &[SlowProbeCase] = &[
    SlowProbeCase {
        name: "answers in 7 s: every probe times out (the late answer belongs to a closed probe)",
        service_us: 7 * SEC,
        down: true,
    },
    SlowProbeCase { name: "answers in 3 s: every probe passes", service_us: 3 * SEC, down: false },
];

#[test]
fn a_late_answer_to_a_timed_out_probe_does_not_pass_the_next_probe() {
    for case in SLOW_PROBE_CASES {
        let cfg = config(BalancerKind::F5, Algorithm::RoundRobin, false);
        let mut sim = lb_world(cfg, &[Some(case.service_us), Some(5 * MS)], Vec::new());
        sim.run_until(40 * SEC, FOREVER);
        let now = sim.now_us();
        assert_eq!(!lb(&sim).is_available(0, now), case.down, "{}: a out of rotation", case.name);
        assert!(lb(&sim).is_available(1, now), "{}: b stays in", case.name);
        assert_lb_invariants(&sim, case.name);
    }
}

// ---- keepalived / VRRP --------------------------------------------------------------

/// One keepalived instance of a test pair.
#[derive(Clone, Copy, Debug)]
struct RouterSpec {
    priority: u8,
    initial: InitialState,
    preempt: bool,
    advert_int_us: TimeUs,
    /// `systemctl stop keepalived` at this time.
    stop_at_us: Option<TimeUs>,
}

const fn spec(priority: u8, initial: InitialState) -> RouterSpec {
    RouterSpec { priority, initial, preempt: true, advert_int_us: SEC, stop_at_us: None }
}

#[derive(Clone, Debug)]
struct RouterHost {
    router: VrrpRouter,
    stop_at_us: Option<TimeUs>,
    heard: Vec<(TimeUs, VrrpMsg)>,
}

/// A host that sends to the VIP every second through its own ARP cache,
/// noting where each packet went (`None`: no entry, dropped).
#[derive(Clone, Debug)]
struct Sender {
    arp: VipTable,
    pings: Vec<(TimeUs, Option<NodeId>)>,
}

#[derive(Clone, Debug)]
enum VHost {
    Router(RouterHost),
    Switch(VipTable),
    Sender(Sender),
}

/// The test's own timer (tag SHOP, never a VRRP key).
const STOP: TimerKey = 7;
const PING: TimerKey = 8;
const LB1: NodeId = NodeId(0);
const LB2: NodeId = NodeId(1);
const SWITCH: NodeId = NodeId(2);
const ONE_OWNER: &str = "one-vip-owner-per-epoch";

impl Node for VHost {
    type Msg = VrrpMsg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, VrrpMsg>) {
        match self {
            VHost::Router(h) => {
                h.router.on_start(ctx);
                if let Some(at_us) = h.stop_at_us.take() {
                    ctx.set_timer(STOP, at_us - ctx.now_us);
                }
            }
            VHost::Switch(t) => t.on_start(ctx),
            VHost::Sender(s) => {
                s.arp.on_start(ctx);
                ctx.set_timer(PING, SEC);
            }
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, VrrpMsg>, from: NodeId, msg: VrrpMsg) {
        match self {
            VHost::Router(h) => {
                h.heard.push((ctx.now_us, msg));
                h.router.on_message(ctx, from, msg);
            }
            VHost::Switch(t) => t.on_message(ctx, from, msg),
            VHost::Sender(s) => s.arp.on_message(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, VrrpMsg>, key: TimerKey) {
        match self {
            VHost::Router(h) if key == STOP => h.router.admin_stop(ctx),
            VHost::Router(h) => h.router.on_timer(ctx, key),
            VHost::Switch(t) => t.on_timer(ctx, key),
            VHost::Sender(s) if key == PING => {
                let to = s.arp.lookup(ctx, VrrpConfig::default().vrid);
                s.pings.push((ctx.now_us, to));
                ctx.set_timer(PING, SEC);
            }
            VHost::Sender(s) => s.arp.on_timer(ctx, key),
        }
    }

    fn on_crash(&mut self) {
        match self {
            VHost::Router(h) => h.router.on_crash(),
            VHost::Switch(t) => t.on_crash(),
            VHost::Sender(s) => s.arp.on_crash(),
        }
    }
}

fn routers_of(nodes: &[VHost]) -> Vec<(NodeId, &VrrpRouter)> {
    let mut routers = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        if let VHost::Router(h) = node {
            routers.push((NodeId(i as u16), &h.router));
        }
    }
    routers
}

fn one_owner_per_epoch(view: &View<'_, VHost>) -> Result<(), String> {
    check_one_vip_owner_per_epoch(&routers_of(view.nodes), view.lifecycles, Freeze::WholeHost, view.now_us)
}

/// lb-1 and lb-2 advertise to each other and announce the VIP to the switch.
fn vrrp_world(specs: [RouterSpec; 2]) -> Sim<VHost> {
    vrrp_world_with(specs, VHost::Switch(VipTable::new(vec![LB1, LB2])), true)
}

/// The pair and node #2, which hears their gratuitous ARPs if `listens`.
fn vrrp_world_with(specs: [RouterSpec; 2], third: VHost, listens: bool) -> Sim<VHost> {
    let mut sim = Sim::new(3, LinkProfile::fixed(LINK_US));
    for (i, s) in specs.into_iter().enumerate() {
        let config = VrrpConfig {
            priority: s.priority,
            initial_state: s.initial,
            preempt: s.preempt,
            advert_int_us: s.advert_int_us,
            ..VrrpConfig::default()
        };
        let listeners = if listens { vec![SWITCH] } else { Vec::new() };
        let router = VrrpRouter::new(config, vec![[LB2, LB1][i]], listeners);
        let host = RouterHost { router, stop_at_us: s.stop_at_us, heard: Vec::new() };
        sim.add_node(format!("lb-{}", i + 1), VHost::Router(host));
    }
    sim.add_node("switch", third);
    sim.properties_mut().always(ONE_OWNER, one_owner_per_epoch);
    sim
}

fn host(sim: &Sim<VHost>, id: NodeId) -> &RouterHost {
    match sim.node(id) {
        VHost::Router(h) => h,
        VHost::Switch(_) | VHost::Sender(_) => unreachable!(),
    }
}

fn vip_at(sim: &Sim<VHost>) -> Option<NodeId> {
    match sim.node(SWITCH) {
        VHost::Switch(t) => t.resolve(VrrpConfig::default().vrid),
        VHost::Router(_) | VHost::Sender(_) => unreachable!(),
    }
}

/// When `id` last became `to` (and why).
fn last_became(sim: &Sim<VHost>, id: NodeId, to: VrrpState) -> Option<(TimeUs, TransitionReason)> {
    host(sim, id).router.transitions.iter().rev().find(|t| t.to == to).map(|t| (t.at_us, t.reason))
}

/// Arrival times of the live adverts `id` heard.
fn adverts_heard(sim: &Sim<VHost>, id: NodeId) -> Vec<TimeUs> {
    let live = |m: &VrrpMsg| matches!(m, VrrpMsg::Advert { priority, .. } if *priority > 0);
    host(sim, id).heard.iter().filter(|(_, m)| live(m)).map(|&(t, _)| t).collect()
}

fn owner_rule_holds(sim: &Sim<VHost>) -> bool {
    sim.properties().verdict(ONE_OWNER).expect("registered").holds
}

struct TakeoverCase {
    master_priority: u8,
    backup_priority: u8,
    advert_int_us: TimeUs,
    /// 3 × advert_int + (256 − priority) × advert_int / 256.
    master_down_us: TimeUs,
}

const TAKEOVER_CASES: &[TakeoverCase] = &[
    TakeoverCase { master_priority: 200, backup_priority: 100, advert_int_us: SEC, master_down_us: 3_609_375 },
    TakeoverCase { master_priority: 200, backup_priority: 150, advert_int_us: SEC, master_down_us: 3_414_062 },
    TakeoverCase { master_priority: 255, backup_priority: 254, advert_int_us: SEC, master_down_us: 3_007_812 },
    TakeoverCase { master_priority: 200, backup_priority: 1, advert_int_us: SEC, master_down_us: 3_996_093 },
    TakeoverCase { master_priority: 200, backup_priority: 100, advert_int_us: 2 * SEC, master_down_us: 7_218_750 },
];

#[test]
fn backup_takes_over_one_master_down_interval_after_the_last_advert() {
    let crash_us = 20 * SEC + 500 * MS;
    for case in TAKEOVER_CASES {
        let name = format!("priority {} advert_int {} µs", case.backup_priority, case.advert_int_us);
        assert_eq!(master_down_interval_us(case.backup_priority, case.advert_int_us), case.master_down_us, "{name}");
        let master =
            RouterSpec { advert_int_us: case.advert_int_us, ..spec(case.master_priority, InitialState::Master) };
        let backup =
            RouterSpec { advert_int_us: case.advert_int_us, ..spec(case.backup_priority, InitialState::Backup) };
        let mut sim = vrrp_world([master, backup]);
        sim.schedule_fault(crash_us, Fault::Crash { node: LB1 });
        sim.run_until(40 * SEC, FOREVER);
        let last_advert = *adverts_heard(&sim, LB2).last().expect("lb-2 heard lb-1");
        let (took_over, reason) = last_became(&sim, LB2, VrrpState::Master).expect("lb-2 took over");
        assert_eq!(reason, TransitionReason::MasterDown, "{name}");
        assert_eq!(
            took_over,
            last_advert + case.master_down_us,
            "{name}: not one Master_Down_Interval after the last advert"
        );
        let after_crash = took_over - crash_us;
        let window = (case.master_down_us + LINK_US - case.advert_int_us)..=(case.master_down_us + LINK_US);
        assert!(window.contains(&after_crash), "{name}: took over {after_crash} µs after the crash, want {window:?}");
        assert_eq!(vip_at(&sim), Some(LB2), "{name}: the gratuitous ARP moved the VIP");
        assert_eq!(host(&sim, LB2).router.epoch, 2, "{name}: a new owner claims a new epoch");
        assert!(owner_rule_holds(&sim), "{name}: a crashed master holds nothing");
    }
}

struct AdvertCase {
    name: &'static str,
    master: RouterSpec,
    /// When lb-2 hears the first advert, and how many by 10.5 s.
    first_us: TimeUs,
    count: usize,
}

const ADVERT_CASES: &[AdvertCase] = &[
    AdvertCase {
        name: "state MASTER waits one interval plus the smallest skew (1 s + 1/256 s) for a better master",
        master: spec(200, InitialState::Master),
        first_us: SEC + 3_906 + LINK_US,
        count: 10,
    },
    AdvertCase {
        name: "advert_int 2: every 2 s",
        master: RouterSpec { advert_int_us: 2 * SEC, ..spec(200, InitialState::Master) },
        first_us: 2 * SEC + 7_812 + LINK_US,
        count: 5,
    },
    AdvertCase {
        name: "the address owner (priority 255) is master at once",
        master: spec(255, InitialState::Backup),
        first_us: LINK_US,
        count: 11,
    },
];

#[test]
fn the_master_advertises_every_advert_int() {
    for case in ADVERT_CASES {
        let backup = RouterSpec { advert_int_us: case.master.advert_int_us, ..spec(100, InitialState::Backup) };
        let mut sim = vrrp_world([case.master, backup]);
        sim.run_until(10 * SEC + 500 * MS, FOREVER);
        let times = adverts_heard(&sim, LB2);
        assert_eq!(times.first(), Some(&case.first_us), "{}", case.name);
        assert_eq!(times.len(), case.count, "{}: {times:?}", case.name);
        assert!(times.windows(2).all(|w| w[1] - w[0] == case.master.advert_int_us), "{}: {times:?}", case.name);
        assert_eq!(host(&sim, LB2).router.state, VrrpState::Backup, "{}", case.name);
        assert_eq!(vip_holders(&routers_of(sim.nodes()), 51), vec![LB1], "{}", case.name);
    }
}

struct StopCase {
    priorities: [u8; 2],
    /// (256 − backup priority) / 256 s.
    skew_us: TimeUs,
}

const STOP_CASES: &[StopCase] = &[
    StopCase { priorities: [200, 100], skew_us: 609_375 },
    StopCase { priorities: [200, 50], skew_us: 804_687 },
    StopCase { priorities: [250, 200], skew_us: 218_750 },
];

#[test]
fn a_graceful_stop_hands_over_after_the_skew_time_only() {
    let stop_us = 10 * SEC + 500 * MS;
    for case in STOP_CASES {
        let [a, b] = case.priorities;
        let name = format!("priorities {a}/{b}");
        assert_eq!(skew_us(b, SEC), case.skew_us, "{name}");
        let master = RouterSpec { stop_at_us: Some(stop_us), ..spec(a, InitialState::Master) };
        let mut sim = vrrp_world([master, spec(b, InitialState::Backup)]);
        sim.run_until(20 * SEC, FOREVER);
        let (took_over, reason) = last_became(&sim, LB2, VrrpState::Master).expect("lb-2 took over");
        assert_eq!(reason, TransitionReason::PriorityZeroHeard, "{name}");
        assert_eq!(took_over, stop_us + LINK_US + case.skew_us, "{name}: priority 0 → takeover after the skew");
        assert!(took_over - stop_us < master_down_interval_us(b, SEC) - 2 * SEC, "{name}: not the 3 intervals");
        assert_eq!(host(&sim, LB1).router.state, VrrpState::Init, "{name}");
        assert_eq!(vip_at(&sim), Some(LB2), "{name}");
        assert!(owner_rule_holds(&sim), "{name}");
    }
}

struct ReturnCase {
    name: &'static str,
    lb1: RouterSpec,
    /// lb-1 crashes at 10.5 s and restarts at 20 s; lb-2 (priority 100) covers.
    /// Who holds the VIP at 40 s, and how long lb-1 waited after its restart.
    holder: NodeId,
    lb1_back_after_us: Option<TimeUs>,
    warnings: usize,
}

const RETURN_CASES: &[ReturnCase] = &[
    ReturnCase {
        name: "preempt (default), state MASTER: back after 1 s + 1/256 s, ignoring lb-2's lower adverts",
        lb1: spec(200, InitialState::Master),
        holder: LB1,
        lb1_back_after_us: Some(SEC + 3_906),
        warnings: 0,
    },
    ReturnCase {
        name: "preempt, state BACKUP: back after its own Master_Down_Interval 3 + 56/256 s",
        lb1: spec(200, InitialState::Backup),
        holder: LB1,
        lb1_back_after_us: Some(3_218_750),
        warnings: 0,
    },
    ReturnCase {
        name: "nopreempt (state BACKUP): the current master keeps the VIP",
        lb1: RouterSpec { preempt: false, ..spec(200, InitialState::Backup) },
        holder: LB2,
        lb1_back_after_us: None,
        warnings: 0,
    },
    ReturnCase {
        name: "nopreempt with state MASTER: keepalived clears nopreempt (with a warning) and preempts",
        lb1: RouterSpec { preempt: false, ..spec(200, InitialState::Master) },
        holder: LB1,
        lb1_back_after_us: Some(SEC + 3_906),
        warnings: 1,
    },
];

#[test]
fn a_better_router_that_returns_preempts_unless_nopreempt() {
    let restart_us = 20 * SEC;
    for case in RETURN_CASES {
        let mut sim = vrrp_world([case.lb1, spec(100, InitialState::Backup)]);
        sim.schedule_fault(10 * SEC + 500 * MS, Fault::Crash { node: LB1 });
        sim.schedule_fault(restart_us, Fault::Restart { node: LB1 });
        sim.run_until(40 * SEC, FOREVER);
        let holders = vip_holders(&routers_of(sim.nodes()), 51);
        assert_eq!(holders, vec![case.holder], "{}", case.name);
        assert_eq!(vip_at(&sim), Some(case.holder), "{}: the switch follows", case.name);
        assert_eq!(host(&sim, LB1).router.warnings.len(), case.warnings, "{}", case.name);
        let lb1_back = last_became(&sim, LB1, VrrpState::Master).map(|(t, _)| t).filter(|&t| t >= restart_us);
        assert_eq!(lb1_back.map(|t| t - restart_us), case.lb1_back_after_us, "{}", case.name);
        if let Some(back) = lb1_back {
            let (stepped_down, why) = last_became(&sim, LB2, VrrpState::Backup).expect("lb-2 stepped down");
            assert_eq!((stepped_down, why), (back + LINK_US, TransitionReason::HigherPriorityHeard), "{}", case.name);
        }
        // Two masters only for the one link delay of the first advert.
        assert!(owner_rule_holds(&sim), "{}", case.name);
    }
}

struct SplitCase {
    name: &'static str,
    /// Applied at 10.5 s and healed at 31 s.
    cut: Option<Fault>,
    split_brain: bool,
    /// The switch's entry changed holder at least this often during the cut.
    min_moves: u64,
}

const SPLIT_CASES: &[SplitCase] = &[
    SplitCase {
        name: "two-way partition: adverts blocked both ways, both MASTER",
        cut: Some(Fault::Cut { from: LB1, to: LB2, both_ways: true }),
        split_brain: true,
        min_moves: 1,
    },
    SplitCase {
        name: "one-way cut lb-1 → lb-2: lb-1 hears lb-2 and forces elections every second; the VIP flaps",
        cut: Some(Fault::Cut { from: LB1, to: LB2, both_ways: false }),
        split_brain: true,
        min_moves: 4,
    },
    SplitCase { name: "no partition: one owner", cut: None, split_brain: false, min_moves: 0 },
];

#[test]
fn blocked_adverts_give_split_brain_that_heals_to_the_higher_priority() {
    for case in SPLIT_CASES {
        let mut sim = vrrp_world([spec(200, InitialState::Master), spec(100, InitialState::Backup)]);
        if let Some(cut) = case.cut {
            sim.schedule_fault(10 * SEC + 500 * MS, cut);
            sim.schedule_fault(31 * SEC, Fault::Heal { a: LB1, b: LB2 });
        }
        sim.run_until(30 * SEC, FOREVER);
        let during = vip_holders(&routers_of(sim.nodes()), 51);
        let want = if case.split_brain { vec![LB1, LB2] } else { vec![LB1] };
        assert_eq!(during, want, "{}: holders during the cut", case.name);
        assert_eq!(owner_rule_holds(&sim), !case.split_brain, "{}", case.name);
        if case.split_brain {
            let (took_over, _) = last_became(&sim, LB2, VrrpState::Master).expect("lb-2 took over");
            let verdict = sim.properties().verdict(ONE_OWNER).unwrap();
            let broke_at = verdict.first_violation.as_ref().expect("violation recorded").at_us;
            assert!(
                broke_at > took_over + SEC && broke_at <= took_over + 2 * SEC,
                "{}: broke at {broke_at}",
                case.name
            );
        }
        let moves = match sim.node(SWITCH) {
            VHost::Switch(t) => t.moves,
            VHost::Router(_) | VHost::Sender(_) => unreachable!(),
        };
        assert!(moves >= case.min_moves, "{}: the VIP moved {moves} times", case.name);
        sim.run_until(59 * SEC, FOREVER);
        // Healed: lb-2 hears the higher priority and steps down at once.
        assert_eq!(vip_holders(&routers_of(sim.nodes()), 51), vec![LB1], "{}: after healing", case.name);
        if case.cut.is_some() {
            let (back, why) = last_became(&sim, LB2, VrrpState::Backup).unwrap();
            assert!(back > 31 * SEC && back <= 32 * SEC + LINK_US, "{}: stepped down at {back}", case.name);
            assert_eq!(why, TransitionReason::HigherPriorityHeard, "{}", case.name);
        }
        // The switch learns only from ARP: by the next refresh (60 s) it asks
        // "who has the VIP?" and only the master answers.
        sim.run_until(61 * SEC, FOREVER);
        assert_eq!(vip_at(&sim), Some(LB1), "{}: the switch re-resolved the VIP", case.name);
    }
}

#[test]
fn after_a_two_way_split_heals_the_switch_keeps_sending_to_the_old_backup_until_it_re_resolves() {
    let mut sim = vrrp_world([spec(200, InitialState::Master), spec(100, InitialState::Backup)]);
    sim.schedule_fault(10 * SEC + 500 * MS, Fault::Cut { from: LB1, to: LB2, both_ways: true });
    sim.schedule_fault(31 * SEC, Fault::Heal { a: LB1, b: LB2 });
    sim.run_until(59 * SEC, FOREVER);
    // lb-2 dropped the VIP when it stepped down, but told nobody: the switch
    // still points at it, so the VIP's traffic is black-holed until 60 s.
    assert_eq!(host(&sim, LB2).router.state, VrrpState::Backup);
    assert_eq!(vip_at(&sim), Some(LB2), "the stale ARP entry should still name lb-2");
    sim.run_until(61 * SEC, FOREVER);
    assert_eq!(vip_at(&sim), Some(LB1), "the refresh at 60 s finds the real master");
}

struct ArpCase {
    name: &'static str,
    /// Does the sender hear the routers' gratuitous ARPs?
    listens: bool,
    /// The sender crashes at 20.5 s and restarts at 21 s.
    crashes: bool,
    /// lb-1 (priority 200, state MASTER) is master from 1.0039 s. Pings
    /// (every second from 1 s) in these windows [from, to) find no entry; every other
    /// goes to lb-1.
    misses: &'static [(TimeUs, TimeUs)],
    /// "Who has the VIP?" broadcasts the sender made.
    requests: u64,
}

const ARP_CASES: &[ArpCase] = &[
    ArpCase {
        name: "hears the gratuitous ARP: the 1 s miss asks (nobody is master yet), the GARP fills the entry",
        listens: true,
        crashes: false,
        misses: &[(SEC, 2 * SEC)],
        requests: 1,
    },
    ArpCase {
        name: "hears no gratuitous ARP: asks at 1 s (unanswered), again at 2 s (retrans_time 1 s), lb-1 answers",
        listens: false,
        crashes: false,
        misses: &[(SEC, 3 * SEC)],
        requests: 2,
    },
    ArpCase {
        name: "crashed after the GARPs: its entry is gone; the first ping after the restart asks, lb-1 answers",
        listens: true,
        crashes: true,
        misses: &[(SEC, 2 * SEC), (21 * SEC, 23 * SEC)],
        requests: 2,
    },
];

#[test]
fn an_arp_cache_without_an_entry_asks_who_has_the_vip_and_the_master_answers() {
    for case in ARP_CASES {
        let sender = Sender { arp: VipTable::new(vec![LB1, LB2]), pings: Vec::new() };
        let specs = [spec(200, InitialState::Master), spec(100, InitialState::Backup)];
        let mut sim = vrrp_world_with(specs, VHost::Sender(sender), case.listens);
        if case.crashes {
            sim.schedule_fault(20_500 * MS, Fault::Crash { node: SWITCH });
            sim.schedule_fault(21 * SEC, Fault::Restart { node: SWITCH });
        }
        sim.run_until(40 * SEC, FOREVER);
        let VHost::Sender(s) = sim.node(SWITCH) else { unreachable!() };
        assert!(s.pings.len() >= 38, "{}: pings {:?}", case.name, s.pings);
        for &(at_us, to) in &s.pings {
            let want = if case.misses.iter().any(|&(from, to)| (from..to).contains(&at_us)) { None } else { Some(LB1) };
            assert_eq!(to, want, "{}: the ping at {at_us} µs", case.name);
        }
        assert_eq!(s.arp.arp_requests_sent, case.requests, "{}: ARP requests", case.name);
        assert!(owner_rule_holds(&sim), "{}", case.name);
    }
}

fn owners_keepalived_frozen(view: &View<'_, VHost>) -> Result<(), String> {
    check_one_vip_owner_per_epoch(&routers_of(view.nodes), view.lifecycles, Freeze::KeepalivedOnly, view.now_us)
}

const KEEPALIVED_FROZEN: &str = "one-vip-owner-per-epoch (keepalived-only freeze)";

struct FreezeCase {
    name: &'static str,
    /// lb-1 (the master, priority 200) is frozen from 10.5 s for this long.
    pause_us: TimeUs,
    /// lb-2 took over while lb-1 was frozen.
    took_over: bool,
    /// The invariant for a whole-host freeze (the simulator's pause) holds.
    whole_host_holds: bool,
    /// The invariant read as a keepalived-only freeze (SIGSTOP) holds.
    keepalived_only_holds: bool,
}

const FREEZE_CASES: &[FreezeCase] = &[
    FreezeCase {
        name: "frozen 10 s: lb-2 takes over at ~14.1 s; lb-1 resumes at 20.5 s and wins within one advert",
        pause_us: 10 * SEC,
        took_over: true,
        whole_host_holds: true,
        keepalived_only_holds: false,
    },
    FreezeCase {
        name: "frozen 2 s, under Master_Down_Interval (3.61 s): nobody takes over",
        pause_us: 2 * SEC,
        took_over: false,
        whole_host_holds: true,
        keepalived_only_holds: true,
    },
];

#[test]
fn a_master_frozen_with_its_host_owns_nothing_until_it_resumes() {
    for case in FREEZE_CASES {
        let mut sim = vrrp_world([spec(200, InitialState::Master), spec(100, InitialState::Backup)]);
        sim.properties_mut().always(KEEPALIVED_FROZEN, owners_keepalived_frozen);
        sim.schedule_fault(10 * SEC + 500 * MS, Fault::Pause { node: LB1 });
        sim.schedule_fault(10 * SEC + 500 * MS + case.pause_us, Fault::Resume { node: LB1 });
        sim.run_until(40 * SEC, FOREVER);
        let took_over = last_became(&sim, LB2, VrrpState::Master).is_some();
        assert_eq!(took_over, case.took_over, "{}: lb-2 took over", case.name);
        assert_eq!(owner_rule_holds(&sim), case.whole_host_holds, "{}: whole-host freeze", case.name);
        let frozen = sim.properties().verdict(KEEPALIVED_FROZEN).expect("registered").holds;
        assert_eq!(frozen, case.keepalived_only_holds, "{}: keepalived-only freeze", case.name);
        assert_eq!(
            vip_holders(&routers_of(sim.nodes()), 51),
            vec![LB1],
            "{}: lb-1 (200) holds it at the end",
            case.name
        );
    }
}
