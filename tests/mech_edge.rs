//! The edge of the shop: the browser's HTTP cache (RFC 9111/9110), a CDN edge
//! in front of the origin, and DNS load balancing with caching resolvers and
//! JVM-like clients.
//!
//! Pure rules (freshness, conditional requests, answer order) are checked as
//! tables against the functions; anything that depends on time runs inside a
//! `Sim` with fixed 10 ms links and small test nodes that host the real state
//! machines. Every case uses the real defaults and numbers: max-age, Expires,
//! the 10 % heuristic, s-maxage, a 60 s DNS TTL, the JVM's 30 s / 10 s caches.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::cluster::cdn::{CdnConfig, CdnEdge, CdnMsg};
use clusterlab::cluster::dns::{
    ARecord, Authoritative, AuthoritativeConfig, DnsClient, DnsClientConfig, DnsFailure, DnsMsg, NameId, Region,
    Resolution, Resolver, ResolverConfig, failover_bound_us,
};
use clusterlab::cluster::http_cache::{
    Browser, BrowserConfig, CacheKind, CachePolicy, FetchFailure, FetchOutcome, Headers, HttpCacheMsg, Origin,
    OriginConfig, OriginResource, ResourceId, ResponseStatus, ServedVia, check_no_stale_served, not_modified,
    origin_answer,
};
use clusterlab::cluster::timer_tag;
use clusterlab::sim::{Ctx, Fault, LinkProfile, MINUTE_US, MS, Message, Node, NodeId, SEC, Sim, TimeUs, TimerKey};

// ---- a test world hosting the real state machines -----------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Wire {
    Http(HttpCacheMsg),
    Cdn(CdnMsg),
    Dns(DnsMsg),
    /// Application traffic a DNS client sends to the address it resolved.
    Hit,
}

impl From<HttpCacheMsg> for Wire {
    fn from(m: HttpCacheMsg) -> Self {
        Wire::Http(m)
    }
}
impl From<CdnMsg> for Wire {
    fn from(m: CdnMsg) -> Self {
        Wire::Cdn(m)
    }
}
impl From<DnsMsg> for Wire {
    fn from(m: DnsMsg) -> Self {
        Wire::Dns(m)
    }
}

impl Message for Wire {
    fn label(&self) -> &'static str {
        match self {
            Wire::Http(m) => m.label(),
            Wire::Cdn(m) => m.label(),
            Wire::Dns(m) => m.label(),
            Wire::Hit => "hit",
        }
    }
}

/// One scripted action of a test node, at an absolute time.
#[derive(Clone, Copy, Debug)]
enum Step {
    Fetch(ResourceId),
    Purge(NodeId, ResourceId),
}

/// What a test node runs.
#[derive(Clone, Debug)]
enum Role {
    Browser(Browser),
    Origin(Origin),
    Edge(CdnEdge),
    Operator,
    Auth(Authoritative),
    Resolver(Resolver),
    /// A client population resolving `NAME` every `every_us` from `first_us`
    /// and sending one `Hit` to the address it got.
    Client {
        dns: DnsClient,
        first_us: TimeUs,
        every_us: TimeUs,
    },
    /// A regional entry point that only receives traffic.
    Entry,
}

#[derive(Clone, Debug)]
struct TestNode {
    role: Role,
    plan: Vec<(TimeUs, Step)>,
    /// Clients: (time, address) of every hit sent; entries: hits received.
    hits: Vec<(TimeUs, NodeId)>,
    /// Clients: every resolution result, in order.
    lookups: Vec<(TimeUs, Resolution)>,
}

const PLAN_TAG: u8 = 0xEE;
const TICK: u64 = u32::MAX as u64;
const NAME: NameId = NameId(1);

fn node(role: Role) -> TestNode {
    TestNode { role, plan: Vec::new(), hits: Vec::new(), lookups: Vec::new() }
}

impl TestNode {
    fn run_step(&mut self, ctx: &mut Ctx<'_, Wire>, step: Step) {
        match (step, &mut self.role) {
            (Step::Fetch(r), Role::Browser(b)) => b.fetch(ctx, r),
            (Step::Purge(edge, r), Role::Operator) => ctx.send(edge, Wire::Cdn(CdnMsg::Purge { resource: r })),
            (step, _) => panic!("step {step:?} does not fit this node"),
        }
    }

    fn tick(&mut self, ctx: &mut Ctx<'_, Wire>) {
        let Role::Client { dns, every_us, .. } = &mut self.role else { return };
        let every_us = *every_us;
        let resolution = dns.resolve(ctx, NAME);
        self.lookups.push((ctx.now_us, resolution));
        if let Resolution::Address(ip) = resolution {
            ctx.send(ip, Wire::Hit);
            self.hits.push((ctx.now_us, ip));
        }
        ctx.set_timer(timer_tag::key(PLAN_TAG, TICK), every_us);
    }
}

impl Node for TestNode {
    type Msg = Wire;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Wire>) {
        for (i, &(at_us, _)) in self.plan.iter().enumerate() {
            ctx.set_timer(timer_tag::key(PLAN_TAG, i as u64), at_us.saturating_sub(ctx.now_us));
        }
        if let Role::Client { first_us, .. } = self.role {
            ctx.set_timer(timer_tag::key(PLAN_TAG, TICK), first_us);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Wire>, from: NodeId, msg: Wire) {
        match (&mut self.role, msg) {
            (Role::Browser(b), Wire::Http(m)) => b.on_message(ctx, from, m),
            (Role::Origin(o), Wire::Http(m)) => o.on_message(ctx, from, m),
            (Role::Edge(e), Wire::Http(m)) => e.on_message(ctx, from, m),
            (Role::Edge(e), Wire::Cdn(m)) => e.on_cdn_message(ctx, from, m),
            (Role::Auth(a), Wire::Dns(m)) => a.on_message(ctx, from, m),
            (Role::Resolver(r), Wire::Dns(m)) => r.on_message(ctx, from, m),
            (Role::Client { dns, .. }, Wire::Dns(m)) => dns.on_message(ctx, from, m),
            (Role::Entry, Wire::Hit) => self.hits.push((ctx.now_us, from)),
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Wire>, key: TimerKey) {
        if timer_tag::tag_of(key) == PLAN_TAG {
            match timer_tag::local_of(key) {
                TICK => self.tick(ctx),
                i => self.run_step(ctx, self.plan[i as usize].1),
            }
            return;
        }
        match &mut self.role {
            Role::Browser(b) => b.on_timer(ctx, key),
            Role::Edge(e) => e.on_timer(ctx, key),
            Role::Resolver(r) => r.on_timer(ctx, key),
            Role::Client { dns, .. } => dns.on_timer(ctx, key),
            _ => {}
        }
    }

    fn on_refused(&mut self, ctx: &mut Ctx<'_, Wire>, to: NodeId, msg: Wire) {
        match (&mut self.role, msg) {
            (Role::Browser(b), Wire::Http(m)) => b.on_refused(ctx, to, m),
            (Role::Edge(e), Wire::Http(m)) => e.on_refused(ctx, to, m),
            (Role::Resolver(r), Wire::Dns(m)) => r.on_refused(ctx, to, m),
            (Role::Client { dns, .. }, Wire::Dns(m)) => dns.on_refused(ctx, to, m),
            _ => {}
        }
    }

    fn on_crash(&mut self) {
        match &mut self.role {
            Role::Browser(b) => b.on_crash(),
            Role::Origin(o) => o.on_crash(),
            Role::Edge(e) => e.on_crash(),
            Role::Auth(a) => a.on_crash(),
            Role::Resolver(r) => r.on_crash(),
            Role::Client { dns, .. } => dns.on_crash(),
            Role::Operator | Role::Entry => {}
        }
    }
}

const LATENCY_US: TimeUs = 10 * MS;
const FOREVER: u64 = u64::MAX;
const RES: ResourceId = ResourceId(7);

fn world(nodes: Vec<TestNode>) -> Sim<TestNode> {
    let mut sim = Sim::new(42, LinkProfile::fixed(LATENCY_US));
    for (i, n) in nodes.into_iter().enumerate() {
        sim.add_node(format!("n{i}"), n);
    }
    sim
}

fn run_to(sim: &mut Sim<TestNode>, at_us: TimeUs) {
    assert!(sim.run_until(at_us, FOREVER).reached);
}

fn browser(upstream: NodeId, fetch_at_us: &[TimeUs]) -> TestNode {
    let mut n = node(Role::Browser(Browser::new(BrowserConfig::default(), upstream)));
    n.plan = fetch_at_us.iter().map(|&t| (t, Step::Fetch(RES))).collect();
    n
}

fn origin_with(policy: CachePolicy, last_modified_us: TimeUs) -> TestNode {
    let mut origin = Origin::new(OriginConfig::default());
    origin.publish(last_modified_us, RES, policy);
    node(Role::Origin(origin))
}

fn the_browser(sim: &Sim<TestNode>, id: NodeId) -> &Browser {
    match &sim.node(id).role {
        Role::Browser(b) => b,
        _ => unreachable!(),
    }
}

fn the_origin(sim: &mut Sim<TestNode>, id: NodeId) -> &mut Origin {
    match &mut sim.node_mut(id).role {
        Role::Origin(o) => o,
        _ => unreachable!(),
    }
}

fn the_edge(sim: &mut Sim<TestNode>, id: NodeId) -> &mut CdnEdge {
    match &mut sim.node_mut(id).role {
        Role::Edge(e) => e,
        _ => unreachable!(),
    }
}

fn served(b: &Browser) -> Vec<(ServedVia, u32)> {
    let pick = |(_, o): &(TimeUs, FetchOutcome)| match *o {
        FetchOutcome::Served { via, version, .. } => Some((via, version)),
        FetchOutcome::Failed { .. } => None,
    };
    b.recent.iter().filter_map(pick).collect()
}

// ---- messages stay small ------------------------------------------------------

#[test]
fn messages_are_at_most_32_bytes() {
    let sizes =
        [("HttpCacheMsg", size_of::<HttpCacheMsg>()), ("CdnMsg", size_of::<CdnMsg>()), ("DnsMsg", size_of::<DnsMsg>())];
    for (name, size) in sizes {
        assert!(size <= 32, "{name} is {size} bytes");
    }
}

// ---- freshness (RFC 9111 §4.2) ------------------------------------------------

const DATE_US: TimeUs = 1_000 * SEC;

fn dated(f: impl FnOnce(&mut Headers)) -> Headers {
    let mut h = Headers { date_us: DATE_US, ..Headers::default() };
    f(&mut h);
    h
}

struct LifetimeCase {
    name: &'static str,
    headers: Headers,
    kind: CacheKind,
    lifetime_us: TimeUs,
}

fn lifetime_cases() -> Vec<LifetimeCase> {
    let case = |name, kind, lifetime_us, headers| LifetimeCase { name, headers, kind, lifetime_us };
    let private = CacheKind::Private;
    let shared = CacheKind::Shared;
    vec![
        case("max-age=60 gives 60 s", private, 60 * SEC, dated(|h| h.max_age_us = Some(60 * SEC))),
        case(
            "max-age=60 beats a later Expires (Date + 3600 s)",
            private,
            60 * SEC,
            dated(|h| (h.max_age_us, h.expires_us) = (Some(60 * SEC), Some(DATE_US + 3_600 * SEC))),
        ),
        case(
            "max-age=600 beats an earlier Expires (Date + 10 s)",
            private,
            600 * SEC,
            dated(|h| (h.max_age_us, h.expires_us) = (Some(600 * SEC), Some(DATE_US + 10 * SEC))),
        ),
        case(
            "Expires alone: Expires − Date = 300 s",
            private,
            300 * SEC,
            dated(|h| h.expires_us = Some(DATE_US + 300 * SEC)),
        ),
        case("Expires before Date: stale at once", private, 0, dated(|h| h.expires_us = Some(DATE_US - 10 * SEC))),
        case(
            "s-maxage=300 beats max-age=10 at a shared cache",
            shared,
            300 * SEC,
            dated(|h| (h.max_age_us, h.s_maxage_us) = (Some(10 * SEC), Some(300 * SEC))),
        ),
        case(
            "a browser ignores s-maxage=300: max-age=10 applies",
            private,
            10 * SEC,
            dated(|h| (h.max_age_us, h.s_maxage_us) = (Some(10 * SEC), Some(300 * SEC))),
        ),
        case(
            "heuristic: 10 % of Date − Last-Modified (1000 s → 100 s)",
            private,
            100 * SEC,
            dated(|h| h.last_modified_us = Some(0)),
        ),
        case(
            "heuristic at a shared cache too (Date − Last-Modified 200 s → 20 s)",
            shared,
            20 * SEC,
            dated(|h| h.last_modified_us = Some(DATE_US - 200 * SEC)),
        ),
        case(
            "a browser with only s-maxage falls back to the heuristic",
            private,
            100 * SEC,
            dated(|h| (h.s_maxage_us, h.last_modified_us) = (Some(300 * SEC), Some(0))),
        ),
        case("no lifetime and no Last-Modified: 0", private, 0, dated(|_| {})),
    ]
}

#[test]
fn freshness_lifetime_follows_rfc9111_precedence() {
    for case in lifetime_cases() {
        let got = case.headers.freshness_lifetime_us(case.kind, 10);
        assert_eq!(got, case.lifetime_us, "{}", case.name);
        // Fresh exactly while the age is below the lifetime.
        if case.lifetime_us > 0 {
            assert!(case.headers.is_fresh(DATE_US + case.lifetime_us - 1, case.kind, 10), "{}", case.name);
        }
        assert!(!case.headers.is_fresh(DATE_US + case.lifetime_us, case.kind, 10), "{}", case.name);
        // no-cache: never fresh, whatever the lifetime.
        let no_cache = Headers { no_cache: true, ..case.headers };
        assert!(!no_cache.is_fresh(DATE_US, case.kind, 10), "{} with no-cache", case.name);
    }
}

// ---- conditional requests (RFC 9110 §13) ---------------------------------------

struct ConditionalCase {
    name: &'static str,
    etag: Option<u32>,
    last_modified_us: Option<TimeUs>,
    if_none_match: Option<u32>,
    if_modified_since_s: Option<u32>,
    answer_304: bool,
}

const CONDITIONAL_CASES: &[ConditionalCase] = &[
    ConditionalCase {
        name: "If-None-Match matches the ETag: 304",
        etag: Some(2),
        last_modified_us: None,
        if_none_match: Some(2),
        if_modified_since_s: None,
        answer_304: true,
    },
    ConditionalCase {
        name: "If-None-Match names an older version: 200",
        etag: Some(2),
        last_modified_us: None,
        if_none_match: Some(1),
        if_modified_since_s: None,
        answer_304: false,
    },
    ConditionalCase {
        name: "ETag matches though If-Modified-Since says modified: If-None-Match wins, 304",
        etag: Some(2),
        last_modified_us: Some(500 * SEC),
        if_none_match: Some(2),
        if_modified_since_s: Some(100),
        answer_304: true,
    },
    ConditionalCase {
        name: "ETag differs though If-Modified-Since says unmodified: If-None-Match wins, 200",
        etag: Some(2),
        last_modified_us: Some(100 * SEC),
        if_none_match: Some(1),
        if_modified_since_s: Some(500),
        answer_304: false,
    },
    ConditionalCase {
        name: "If-None-Match to a resource without ETag: 200 (If-Modified-Since ignored)",
        etag: None,
        last_modified_us: Some(100 * SEC),
        if_none_match: Some(1),
        if_modified_since_s: Some(100),
        answer_304: false,
    },
    ConditionalCase {
        name: "If-Modified-Since alone, not modified since: 304",
        etag: Some(2),
        last_modified_us: Some(100 * SEC),
        if_none_match: None,
        if_modified_since_s: Some(100),
        answer_304: true,
    },
    ConditionalCase {
        name: "If-Modified-Since alone, modified one second later: 200",
        etag: Some(2),
        last_modified_us: Some(101 * SEC),
        if_none_match: None,
        if_modified_since_s: Some(100),
        answer_304: false,
    },
    ConditionalCase {
        name: "If-Modified-Since alone misses a change within the same second: 304",
        etag: Some(2),
        last_modified_us: Some(100 * SEC + 600 * MS),
        if_none_match: None,
        if_modified_since_s: Some(100),
        answer_304: true,
    },
    ConditionalCase {
        name: "no validator: 200",
        etag: Some(2),
        last_modified_us: Some(100 * SEC),
        if_none_match: None,
        if_modified_since_s: None,
        answer_304: false,
    },
];

#[test]
fn if_none_match_takes_precedence_over_if_modified_since() {
    for c in CONDITIONAL_CASES {
        let got = not_modified(c.etag, c.last_modified_us, c.if_none_match, c.if_modified_since_s);
        assert_eq!(got, c.answer_304, "{}", c.name);
        // The origin applies the same rule to its current version.
        let policy = CachePolicy {
            etag: c.etag.is_some(),
            last_modified: c.last_modified_us.is_some(),
            ..CachePolicy::max_age(60)
        };
        let current =
            OriginResource { version: c.etag.unwrap_or(9), last_modified_us: c.last_modified_us.unwrap_or(0), policy };
        let response = origin_answer(DATE_US, &current, c.if_none_match, c.if_modified_since_s);
        let expect = if c.answer_304 { ResponseStatus::NotModified } else { ResponseStatus::Ok };
        assert_eq!(response.status, expect, "{} (origin)", c.name);
        // A 304 carries the caching headers a 200 would, with a new Date.
        assert_eq!((response.headers.date_us, response.headers.max_age_us), (DATE_US, Some(60 * SEC)), "{}", c.name);
    }
}

// ---- the browser's cache against an origin ------------------------------------

struct BrowserCase {
    name: &'static str,
    policy: CachePolicy,
    /// When the resource was published (its first Last-Modified).
    published_ms: u64,
    /// Deploys of new content at the origin.
    updates_ms: &'static [u64],
    fetch_ms: &'static [u64],
    /// How each fetch was served, and which version.
    expect: &'static [(ServedVia, u32)],
    /// (200s, 304s) the origin sent.
    origin: (u64, u64),
}

use ServedVia::{FreshCache as FRESH, Network as NET, Revalidated as REVAL};

const BROWSER_CASES: &[BrowserCase] = &[
    BrowserCase {
        name: "max-age=60: fresh for 60 s, nothing sent; then a conditional GET",
        policy: CachePolicy::max_age(60),
        published_ms: 0,
        updates_ms: &[],
        fetch_ms: &[1_000, 30_000, 60_500, 62_000],
        expect: &[(NET, 1), (FRESH, 1), (FRESH, 1), (REVAL, 1)],
        origin: (1, 1),
    },
    BrowserCase {
        name: "max-age=60 beats a later Expires (Date + 3600 s): stale at 100 s",
        policy: CachePolicy { expires_in_us: Some(3_600 * SEC), ..CachePolicy::max_age(60) },
        published_ms: 0,
        updates_ms: &[],
        fetch_ms: &[1_000, 100_000],
        expect: &[(NET, 1), (REVAL, 1)],
        origin: (1, 1),
    },
    BrowserCase {
        name: "max-age=600 beats an earlier Expires (Date + 10 s): still fresh at 30 s",
        policy: CachePolicy { expires_in_us: Some(10 * SEC), ..CachePolicy::max_age(600) },
        published_ms: 0,
        updates_ms: &[],
        fetch_ms: &[1_000, 30_000],
        expect: &[(NET, 1), (FRESH, 1)],
        origin: (1, 0),
    },
    BrowserCase {
        name: "Expires alone (Date + 10 s): stale at 30 s",
        policy: CachePolicy { expires_in_us: Some(10 * SEC), ..CachePolicy::VALIDATORS },
        published_ms: 0,
        updates_ms: &[],
        fetch_ms: &[1_000, 30_000],
        expect: &[(NET, 1), (REVAL, 1)],
        origin: (1, 1),
    },
    BrowserCase {
        name: "heuristic: Last-Modified 1000 s before Date gives 100 s; the 304 at 1110 s gives 111 s",
        policy: CachePolicy::VALIDATORS,
        published_ms: 0,
        updates_ms: &[],
        fetch_ms: &[1_000_000, 1_090_000, 1_110_000, 1_200_000],
        expect: &[(NET, 1), (FRESH, 1), (REVAL, 1), (FRESH, 1)],
        origin: (1, 1),
    },
    BrowserCase {
        name: "no-store: never stored, every fetch is a plain GET answered 200",
        policy: CachePolicy { no_store: true, ..CachePolicy::max_age(60) },
        published_ms: 0,
        updates_ms: &[],
        fetch_ms: &[1_000, 2_000, 3_000],
        expect: &[(NET, 1), (NET, 1), (NET, 1)],
        origin: (3, 0),
    },
    BrowserCase {
        name: "no-cache: stored but revalidated every time, 304 while unchanged",
        policy: CachePolicy { no_cache: true, ..CachePolicy::max_age(3_600) },
        published_ms: 0,
        updates_ms: &[],
        fetch_ms: &[1_000, 2_000, 3_000],
        expect: &[(NET, 1), (REVAL, 1), (REVAL, 1)],
        origin: (1, 2),
    },
    BrowserCase {
        name: "no-cache sees a deploy at once (ETag changed: 200)",
        policy: CachePolicy { no_cache: true, ..CachePolicy::max_age(3_600) },
        published_ms: 0,
        updates_ms: &[1_500],
        fetch_ms: &[1_000, 2_000],
        expect: &[(NET, 1), (NET, 2)],
        origin: (2, 0),
    },
    BrowserCase {
        name: "a 304 refreshes the stored Date: fresh again for max-age=60 from 70 s",
        policy: CachePolicy::max_age(60),
        published_ms: 0,
        updates_ms: &[],
        fetch_ms: &[1_000, 70_000, 100_000, 125_000, 135_000],
        expect: &[(NET, 1), (REVAL, 1), (FRESH, 1), (FRESH, 1), (REVAL, 1)],
        origin: (1, 2),
    },
    BrowserCase {
        name: "strong cache shows the old version after a deploy until max-age=60 ends",
        policy: CachePolicy::max_age(60),
        published_ms: 0,
        updates_ms: &[30_000],
        fetch_ms: &[1_000, 40_000, 62_000],
        expect: &[(NET, 1), (FRESH, 1), (NET, 2)],
        origin: (2, 0),
    },
    BrowserCase {
        name: "Last-Modified alone misses a deploy within the same second (304, old body)",
        policy: CachePolicy { etag: false, ..CachePolicy::max_age(0) },
        published_ms: 1_100,
        updates_ms: &[1_500],
        fetch_ms: &[1_200, 3_000],
        expect: &[(NET, 1), (REVAL, 1)],
        origin: (1, 1),
    },
    BrowserCase {
        name: "the same deploy is caught with an ETag (200, new body)",
        policy: CachePolicy::max_age(0),
        published_ms: 1_100,
        updates_ms: &[1_500],
        fetch_ms: &[1_200, 3_000],
        expect: &[(NET, 1), (NET, 2)],
        origin: (2, 0),
    },
];

#[test]
fn browser_cache_serves_fresh_revalidates_stale_and_obeys_directives() {
    for case in BROWSER_CASES {
        let fetch_us: Vec<TimeUs> = case.fetch_ms.iter().map(|&t| t * MS).collect();
        let mut sim = world(vec![origin_with(case.policy, case.published_ms * MS), browser(NodeId(0), &fetch_us)]);
        for &at_ms in case.updates_ms {
            run_to(&mut sim, at_ms * MS);
            the_origin(&mut sim, NodeId(0)).update(at_ms * MS, RES);
        }
        run_to(&mut sim, fetch_us.last().unwrap() + 10 * SEC);
        let b = the_browser(&sim, NodeId(1));
        assert_eq!(served(b), case.expect, "{}", case.name);
        let o = the_origin(&mut sim, NodeId(0));
        assert_eq!((o.answered_200, o.answered_304), case.origin, "{}", case.name);
        let stored = the_browser(&sim, NodeId(1)).cache.entries.contains_key(&RES);
        assert_eq!(stored, !case.policy.no_store, "{}: stored?", case.name);
        assert_eq!(check_no_stale_served(&the_browser(&sim, NodeId(1)).cache), Ok(()), "{}", case.name);
    }
}

// ---- failures and the no-stale-served invariant -------------------------------

struct ErrorCase {
    name: &'static str,
    serve_stale_on_error: bool,
    /// Done to the origin at 5 s, after the first fetch and before the second (20 s).
    fault: fn(NodeId) -> Fault,
    outcome: FetchOutcome,
    /// When the second fetch ends.
    ends_at_us: TimeUs,
    invariant_holds: bool,
}

const ERROR_CASES: &[ErrorCase] = &[
    ErrorCase {
        name: "origin down: connection refused, an error page",
        serve_stale_on_error: false,
        fault: |node| Fault::Crash { node },
        outcome: FetchOutcome::Failed { resource: RES, reason: FetchFailure::Refused },
        ends_at_us: 20 * SEC + 2 * LATENCY_US,
        invariant_holds: true,
    },
    ErrorCase {
        name: "origin silent: the browser gives up after Firefox's 300 s",
        serve_stale_on_error: false,
        fault: |node| Fault::Isolate { node },
        outcome: FetchOutcome::Failed { resource: RES, reason: FetchFailure::TimedOut },
        ends_at_us: 320 * SEC,
        invariant_holds: true,
    },
    ErrorCase {
        name: "stale-if-error on: the stale copy is shown and the invariant catches it",
        serve_stale_on_error: true,
        fault: |node| Fault::Crash { node },
        outcome: FetchOutcome::Served { resource: RES, version: 1, via: ServedVia::StaleOnError },
        ends_at_us: 20 * SEC + 2 * LATENCY_US,
        invariant_holds: false,
    },
];

#[test]
fn failed_fetches_carry_a_reason_and_stale_serves_are_caught() {
    for case in ERROR_CASES {
        let mut b = browser(NodeId(0), &[SEC, 20 * SEC]);
        if let Role::Browser(br) = &mut b.role {
            br.config.serve_stale_on_error = case.serve_stale_on_error;
        }
        let mut sim = world(vec![origin_with(CachePolicy::max_age(10), 0), b]);
        sim.schedule_fault(5 * SEC, (case.fault)(NodeId(0)));
        run_to(&mut sim, 400 * SEC);
        let b = the_browser(&sim, NodeId(1));
        assert_eq!(b.recent.len(), 2, "{}", case.name);
        assert_eq!(b.recent[1], (case.ends_at_us, case.outcome), "{}", case.name);
        assert_eq!(check_no_stale_served(&b.cache).is_ok(), case.invariant_holds, "{}", case.name);
    }
}

// ---- the CDN edge -------------------------------------------------------------

const ORIGIN: NodeId = NodeId(0);
const EDGE: NodeId = NodeId(1);
const BROWSER: NodeId = NodeId(2);

/// Origin (0), edge (1), one browser fetching through the edge (2), and an
/// operator (3) that may send a purge.
fn cdn_world(policy: CachePolicy, fetch_us: &[TimeUs], purge_at_us: Option<TimeUs>) -> Sim<TestNode> {
    let mut operator = node(Role::Operator);
    operator.plan = purge_at_us.map(|t| (t, Step::Purge(EDGE, RES))).into_iter().collect();
    let edge = node(Role::Edge(CdnEdge::new(CdnConfig::default(), ORIGIN)));
    world(vec![origin_with(policy, 0), edge, browser(EDGE, fetch_us), operator])
}

/// Deploy a new version at the origin; the edge's observer note follows.
fn deploy(sim: &mut Sim<TestNode>, at_us: TimeUs) {
    run_to(sim, at_us);
    let version = the_origin(sim, ORIGIN).update(at_us, RES).unwrap();
    the_edge(sim, EDGE).note_origin_version(RES, version);
}

/// When the browser was first shown `version`.
fn first_served(b: &Browser, version: u32) -> Option<TimeUs> {
    let is = |o: &FetchOutcome| matches!(*o, FetchOutcome::Served { version: v, .. } if v == version);
    b.recent.iter().find(|(_, o)| is(o)).map(|&(t, _)| t)
}

struct CdnCase {
    name: &'static str,
    policy: CachePolicy,
    deploy_at_s: Option<u64>,
    purge_at_s: Option<u64>,
    /// The browser is first shown version 2 by the fetch at this second.
    first_new_at_s: Option<u64>,
    /// Answers the edge gave with version 1 after the deploy.
    stale_serves: u64,
    origin_requests: u64,
}

/// HTML as CDNs are told to cache it: browsers revalidate every time, the
/// edge keeps it for s-maxage=300.
const EDGE_ONLY: CachePolicy = CachePolicy { s_maxage_us: Some(300 * SEC), ..CachePolicy::max_age(0) };

const CDN_CASES: &[CdnCase] = &[
    CdnCase {
        name: "after a deploy at 100 s the edge serves version 1 until s-maxage=300 ends (301 s)",
        policy: EDGE_ONLY,
        deploy_at_s: Some(100),
        purge_at_s: None,
        first_new_at_s: Some(301),
        stale_serves: 20,
        origin_requests: 2,
    },
    CdnCase {
        name: "a purge at 150 s ends the staleness at the next request",
        policy: EDGE_ONLY,
        deploy_at_s: Some(100),
        purge_at_s: Some(150),
        first_new_at_s: Some(151),
        stale_serves: 5,
        origin_requests: 3,
    },
    CdnCase {
        name: "without a deploy nothing served is stale; the edge revalidates at 301 s (304)",
        policy: EDGE_ONLY,
        deploy_at_s: None,
        purge_at_s: None,
        first_new_at_s: None,
        stale_serves: 0,
        origin_requests: 2,
    },
    CdnCase {
        name: "max-age=60 for both: browser and edge copies dated 61 s hide the deploy until 121 s",
        policy: CachePolicy::max_age(60),
        deploy_at_s: Some(100),
        purge_at_s: None,
        first_new_at_s: Some(121),
        stale_serves: 0,
        origin_requests: 10,
    },
];

#[test]
fn cdn_serves_the_old_version_until_ttl_or_purge() {
    for case in CDN_CASES {
        // A fetch every 10 s from 1 s to 591 s.
        let fetch_us: Vec<TimeUs> = (0..60).map(|i| (1 + 10 * i) * SEC).collect();
        let mut sim = cdn_world(case.policy, &fetch_us, case.purge_at_s.map(|s| s * SEC));
        if let Some(s) = case.deploy_at_s {
            deploy(&mut sim, s * SEC);
        }
        run_to(&mut sim, 600 * SEC);
        let b = the_browser(&sim, BROWSER);
        assert_eq!(b.served, 60, "{}", case.name);
        let first_new = first_served(b, 2);
        match (first_new, case.first_new_at_s) {
            (Some(t), Some(s)) => assert!((s * SEC..(s + 1) * SEC).contains(&t), "{}: first v2 at {t} µs", case.name),
            (got, want) => assert_eq!(got, want, "{}", case.name),
        }
        if let Some(t) = first_new {
            let late_v1 =
                b.recent.iter().any(|&(at, o)| at > t && matches!(o, FetchOutcome::Served { version: 1, .. }));
            assert!(!late_v1, "{}: version 1 served again after version 2", case.name);
        }
        let origin_requests = the_origin(&mut sim, ORIGIN).requests;
        let edge = the_edge(&mut sim, EDGE);
        assert_eq!(edge.stats.serving_stale_version, case.stale_serves, "{}", case.name);
        assert_eq!(origin_requests, case.origin_requests, "{}", case.name);
        assert_eq!(edge.stats.origin_fetches, case.origin_requests, "{}", case.name);
        assert_eq!(check_no_stale_served(&edge.cache), Ok(()), "{}", case.name);
    }
}

struct SharedCase {
    name: &'static str,
    via_cdn: bool,
    origin_requests: u64,
}

const SHARED_CASES: &[SharedCase] = &[
    SharedCase {
        name: "through the edge: its s-maxage=300 copy answers the browser's revalidations",
        via_cdn: true,
        origin_requests: 1,
    },
    SharedCase {
        name: "straight to the origin: the browser's max-age=10 is all there is",
        via_cdn: false,
        origin_requests: 3,
    },
];

#[test]
fn s_maxage_applies_to_the_cdn_but_not_the_browser() {
    let policy = CachePolicy { s_maxage_us: Some(300 * SEC), ..CachePolicy::max_age(10) };
    let fetch_us = [SEC, 20 * SEC, 40 * SEC];
    for case in SHARED_CASES {
        let mut sim = cdn_world(policy, &[], None);
        let upstream = if case.via_cdn { EDGE } else { ORIGIN };
        sim.node_mut(BROWSER).role = browser(upstream, &fetch_us).role;
        sim.node_mut(BROWSER).plan = browser(upstream, &fetch_us).plan;
        run_to(&mut sim, 60 * SEC);
        // The browser holds its copy 10 s, so it revalidates at 20 s and 40 s either way.
        assert_eq!(served(the_browser(&sim, BROWSER)), [(NET, 1), (REVAL, 1), (REVAL, 1)], "{}", case.name);
        assert_eq!(the_origin(&mut sim, ORIGIN).requests, case.origin_requests, "{}", case.name);
        let hits = if case.via_cdn { 2 } else { 0 };
        assert_eq!(the_edge(&mut sim, EDGE).stats.edge_hits, hits, "{}", case.name);
    }
}

#[test]
fn concurrent_misses_at_the_edge_make_one_origin_fetch() {
    let mut nodes =
        vec![origin_with(CachePolicy::max_age(60), 0), node(Role::Edge(CdnEdge::new(CdnConfig::default(), ORIGIN)))];
    nodes.extend((0..3).map(|_| browser(EDGE, &[SEC])));
    let mut sim = world(nodes);
    run_to(&mut sim, 10 * SEC);
    assert_eq!(the_origin(&mut sim, ORIGIN).requests, 1);
    let edge = the_edge(&mut sim, EDGE);
    assert_eq!((edge.stats.requests, edge.stats.collapsed, edge.stats.edge_hits), (3, 2, 0));
    for id in 2..5 {
        assert_eq!(served(the_browser(&sim, NodeId(id))), [(NET, 1)], "browser {id}");
    }
}

// ---- DNS: answer order ------------------------------------------------------------

const SOUTH: u8 = 0;
const NORTH: u8 = 1;

struct OrderCase {
    name: &'static str,
    /// (address, region) in zone order.
    records: &'static [(u16, u8)],
    rotate: bool,
    regional: bool,
    /// Successive queries: (asker's region, addresses answered in order).
    answers: &'static [(u8, &'static [u16])],
}

const ORDER_CASES: &[OrderCase] = &[
    OrderCase {
        name: "round robin: each answer starts one record later",
        records: &[(10, SOUTH), (11, SOUTH), (12, SOUTH)],
        rotate: true,
        regional: true,
        answers: &[(SOUTH, &[10, 11, 12]), (SOUTH, &[11, 12, 10]), (SOUTH, &[12, 10, 11]), (SOUTH, &[10, 11, 12])],
    },
    OrderCase {
        name: "rotation off: always zone order",
        records: &[(10, SOUTH), (11, SOUTH), (12, SOUTH)],
        rotate: false,
        regional: true,
        answers: &[(SOUTH, &[10, 11, 12]), (SOUTH, &[10, 11, 12])],
    },
    OrderCase {
        name: "South China resolvers get the South China VIPs first, each group rotated",
        records: &[(20, NORTH), (10, SOUTH), (21, NORTH), (11, SOUTH)],
        rotate: true,
        regional: true,
        answers: &[(SOUTH, &[10, 11, 20, 21]), (SOUTH, &[11, 10, 21, 20]), (SOUTH, &[10, 11, 20, 21])],
    },
    OrderCase {
        name: "North China resolvers get the North China VIPs first",
        records: &[(20, NORTH), (10, SOUTH), (21, NORTH), (11, SOUTH)],
        rotate: true,
        regional: true,
        answers: &[(NORTH, &[20, 21, 10, 11]), (SOUTH, &[11, 10, 21, 20]), (NORTH, &[20, 21, 10, 11])],
    },
    OrderCase {
        name: "regional routing off: one rotation over every record",
        records: &[(20, NORTH), (10, SOUTH), (21, NORTH), (11, SOUTH)],
        rotate: true,
        regional: false,
        answers: &[(SOUTH, &[20, 10, 21, 11]), (SOUTH, &[10, 21, 11, 20]), (NORTH, &[21, 11, 20, 10])],
    },
    OrderCase {
        name: "at most 4 addresses travel in one answer",
        records: &[(10, SOUTH), (11, SOUTH), (12, SOUTH), (13, SOUTH), (14, SOUTH), (15, SOUTH)],
        rotate: true,
        regional: true,
        answers: &[(SOUTH, &[10, 11, 12, 13]), (SOUTH, &[11, 12, 13, 14]), (SOUTH, &[12, 13, 14, 15])],
    },
];

fn zone(records: &[(u16, u8)], config: AuthoritativeConfig) -> Authoritative {
    let mut auth = Authoritative::new(config);
    for &(ip, region) in records {
        auth.add_record(NAME, ARecord { ip: NodeId(ip), region: Region(region) });
    }
    auth
}

#[test]
fn answers_rotate_and_put_the_askers_region_first() {
    for case in ORDER_CASES {
        let config =
            AuthoritativeConfig { rotate: case.rotate, regional: case.regional, ..AuthoritativeConfig::default() };
        let mut auth = zone(case.records, config);
        for (i, &(region, expect)) in case.answers.iter().enumerate() {
            let DnsMsg::Answer { addresses, ttl_s, .. } = auth.answer(NAME, Region(region)) else {
                panic!("{}: answer {i} is not an A answer", case.name);
            };
            let got: Vec<u16> = addresses.as_slice().iter().map(|ip| ip.0).collect();
            assert_eq!(got, expect, "{}: answer {i}", case.name);
            assert_eq!(ttl_s, 60, "{}: the default TTL is 60 s", case.name);
        }
    }
}

#[test]
fn unknown_names_and_empty_names_get_negative_answers_with_the_soa_minimum() {
    let mut auth = zone(&[(10, SOUTH)], AuthoritativeConfig::default());
    let unknown = NameId(99);
    assert!(matches!(auth.answer(unknown, Region(SOUTH)), DnsMsg::Negative { ttl_s: 300, .. }));
    assert!(auth.remove_record(NAME, NodeId(10)));
    assert!(!auth.remove_record(NAME, NodeId(10)), "removing twice removes nothing");
    let labels = [auth.answer(unknown, Region(SOUTH)).label(), auth.answer(NAME, Region(SOUTH)).label()];
    assert_eq!(labels, ["nxdomain", "nodata"]);
}

// ---- DNS: a dead or removed address keeps traffic until caches expire ------------

const AUTH: NodeId = NodeId(0);
const RESOLVER: NodeId = NodeId(1);
const X: NodeId = NodeId(2);
const Y: NodeId = NodeId(3);
const CLIENTS: usize = 10;

/// Authoritative, a South China resolver, two entry points (X in the south,
/// so first for this resolver, Y in the north), and ten client populations
/// resolving every second, their first lookups spread over 28 s.
fn dns_world(auth: Authoritative, client: DnsClientConfig) -> Sim<TestNode> {
    let resolver = Resolver::new(ResolverConfig { region: Region(SOUTH), ..ResolverConfig::default() }, AUTH);
    let mut nodes = vec![node(Role::Auth(auth)), node(Role::Resolver(resolver)), node(Role::Entry), node(Role::Entry)];
    for i in 0..CLIENTS as u64 {
        let dns = DnsClient::new(client.clone(), RESOLVER);
        nodes.push(node(Role::Client { dns, first_us: 500 * MS + i * 3_100 * MS, every_us: SEC }));
    }
    world(nodes)
}

fn the_auth(sim: &mut Sim<TestNode>) -> &mut Authoritative {
    match &mut sim.node_mut(AUTH).role {
        Role::Auth(a) => a,
        _ => unreachable!(),
    }
}

fn the_resolver(sim: &Sim<TestNode>) -> &Resolver {
    match &sim.node(RESOLVER).role {
        Role::Resolver(r) => r,
        _ => unreachable!(),
    }
}

/// Every hit any client sent, in time order per client.
fn client_hits(sim: &Sim<TestNode>) -> Vec<(TimeUs, NodeId)> {
    let mut all: Vec<_> = (4..4 + CLIENTS).flat_map(|i| sim.node(NodeId(i as u16)).hits.clone()).collect();
    all.sort();
    all
}

enum Traffic {
    /// X's last hit falls within (lo, hi) seconds of the resolver's copy expiring.
    StopsAroundResolverExpiry { lo_s: i64, hi_s: i64 },
    /// X still gets traffic at the end of the run.
    NeverStops,
}

struct FailoverCase {
    name: &'static str,
    ttl_s: u64,
    honour_record_ttl: bool,
    crash_x_at_s: Option<u64>,
    remove_x_at_s: Option<u64>,
    end_s: u64,
    traffic: Traffic,
}

const FAILOVER_CASES: &[FailoverCase] = &[
    FailoverCase {
        name: "TTL 60 s, JVM clients: X is removed at 70 s and still used up to 30 s after the resolver's copy expires",
        ttl_s: 60,
        honour_record_ttl: false,
        crash_x_at_s: None,
        remove_x_at_s: Some(70),
        end_s: 300,
        traffic: Traffic::StopsAroundResolverExpiry { lo_s: 20, hi_s: 31 },
    },
    FailoverCase {
        name: "TTL 60 s: X dies at 62 s, the operator removes it at 80 s; refused traffic until the caches expire",
        ttl_s: 60,
        honour_record_ttl: false,
        crash_x_at_s: Some(62),
        remove_x_at_s: Some(80),
        end_s: 300,
        traffic: Traffic::StopsAroundResolverExpiry { lo_s: 20, hi_s: 31 },
    },
    FailoverCase {
        name: "TTL 300 s: the same removal takes up to 300 + 30 s",
        ttl_s: 300,
        honour_record_ttl: false,
        crash_x_at_s: None,
        remove_x_at_s: Some(70),
        end_s: 700,
        traffic: Traffic::StopsAroundResolverExpiry { lo_s: 20, hi_s: 31 },
    },
    FailoverCase {
        name: "clients that honour the TTL stop with the resolver's copy, not 30 s later",
        ttl_s: 60,
        honour_record_ttl: true,
        crash_x_at_s: None,
        remove_x_at_s: Some(70),
        end_s: 300,
        traffic: Traffic::StopsAroundResolverExpiry { lo_s: -2, hi_s: 1 },
    },
    FailoverCase {
        name: "no health checks: a dead X that nobody removes gets traffic forever",
        ttl_s: 60,
        honour_record_ttl: false,
        crash_x_at_s: Some(62),
        remove_x_at_s: None,
        end_s: 600,
        traffic: Traffic::NeverStops,
    },
];

#[test]
fn a_removed_or_dead_address_keeps_traffic_until_resolver_and_client_caches_expire() {
    for case in FAILOVER_CASES {
        let auth_config = AuthoritativeConfig { ttl_us: case.ttl_s * SEC, ..AuthoritativeConfig::default() };
        let auth = zone(&[(X.0, SOUTH), (Y.0, NORTH)], auth_config.clone());
        let client_config = DnsClientConfig { honour_record_ttl: case.honour_record_ttl, ..DnsClientConfig::default() };
        let mut sim = dns_world(auth, client_config.clone());
        if let Some(s) = case.crash_x_at_s {
            sim.schedule_fault(s * SEC, Fault::Crash { node: X });
        }
        let mut removal = None;
        if let Some(s) = case.remove_x_at_s {
            run_to(&mut sim, s * SEC);
            let copy = the_resolver(&sim).cache[&NAME];
            assert!(copy.expires_us > s * SEC, "{}: the resolver holds a live copy at the removal", case.name);
            assert!(the_auth(&mut sim).remove_record(NAME, X), "{}", case.name);
            removal = Some((s * SEC, copy.expires_us));
        }
        let end_us = case.end_s * SEC;
        run_to(&mut sim, end_us);
        let hits = client_hits(&sim);
        let last_x = hits.iter().filter(|h| h.1 == X).map(|h| h.0).max().expect("X was used");
        match (&case.traffic, removal) {
            (Traffic::StopsAroundResolverExpiry { lo_s, hi_s }, Some((removed_us, expiry_us))) => {
                let after_s = (last_x as i64 - expiry_us as i64) as f64 / SEC as f64;
                assert!(
                    (*lo_s as f64..*hi_s as f64).contains(&after_s),
                    "{}: last X use {after_s} s after expiry",
                    case.name
                );
                // Bounded by resolver TTL + client cache + one lookup interval.
                let client_cache_s = if case.honour_record_ttl { 0 } else { 30 };
                assert!(last_x <= removed_us + (case.ttl_s + client_cache_s + 1) * SEC, "{}", case.name);
                let bound_us = failover_bound_us(&auth_config, &ResolverConfig::default(), &client_config);
                assert_eq!(bound_us, (case.ttl_s + client_cache_s) * SEC, "{}: the bound the UI shows", case.name);
                // Afterwards every client sends to Y, and all of them still send.
                assert!(hits.iter().filter(|h| h.0 > last_x).all(|h| h.1 == Y), "{}", case.name);
                for i in 4..4 + CLIENTS {
                    let last = sim.node(NodeId(i as u16)).hits.last().copied();
                    assert!(
                        matches!(last, Some((t, Y)) if t + 2 * SEC > end_us),
                        "{}: client {i} ends on {last:?}",
                        case.name
                    );
                }
            }
            (Traffic::NeverStops, None) => {
                assert!(last_x + 2 * SEC > end_us, "{}: X last used at {last_x} µs", case.name);
                let answer = the_auth(&mut sim).answer(NAME, Region(SOUTH));
                assert!(
                    matches!(answer, DnsMsg::Answer { addresses, .. } if addresses.first() == Some(X)),
                    "{}",
                    case.name
                );
            }
            _ => panic!("{}: inconsistent case", case.name),
        }
    }
}

// ---- DNS: negative caching (RFC 2308) ---------------------------------------------

struct NegativeCase {
    name: &'static str,
    negative_ttl_us: TimeUs,
    /// How long the resolver actually keeps the NXDOMAIN.
    cached_for_us: TimeUs,
}

const NEGATIVE_CASES: &[NegativeCase] = &[
    NegativeCase { name: "SOA minimum 300 s", negative_ttl_us: 5 * MINUTE_US, cached_for_us: 5 * MINUTE_US },
    NegativeCase { name: "SOA minimum 60 s", negative_ttl_us: MINUTE_US, cached_for_us: MINUTE_US },
    NegativeCase {
        name: "SOA minimum 5 h is capped by BIND's max-ncache-ttl of 3 h",
        negative_ttl_us: 300 * MINUTE_US,
        cached_for_us: 180 * MINUTE_US,
    },
];

#[test]
fn nxdomain_is_cached_for_its_negative_ttl_then_the_new_record_is_seen() {
    for case in NEGATIVE_CASES {
        let auth = Authoritative::new(AuthoritativeConfig {
            negative_ttl_us: case.negative_ttl_us,
            ..AuthoritativeConfig::default()
        });
        let resolver = Resolver::new(ResolverConfig::default(), AUTH);
        let dns = DnsClient::new(DnsClientConfig::default(), RESOLVER);
        let client = node(Role::Client { dns, first_us: SEC, every_us: SEC });
        let mut sim = world(vec![node(Role::Auth(auth)), node(Role::Resolver(resolver)), node(Role::Entry), client]);
        // The name is published at 5 s, after the first lookup got NXDOMAIN.
        run_to(&mut sim, 5 * SEC);
        let negative = the_resolver(&sim).cache[&NAME];
        assert_eq!(negative.result, Err(DnsFailure::NxDomain), "{}", case.name);
        // Query at 1 s, at the resolver 1.01 s, answer back 1.03 s.
        let expiry_us = 1_030 * MS + case.cached_for_us;
        assert_eq!(negative.expires_us, expiry_us, "{}", case.name);
        the_auth(&mut sim).add_record(NAME, ARecord { ip: X, region: Region(SOUTH) });
        run_to(&mut sim, expiry_us + 30 * SEC);
        let lookups = &sim.node(NodeId(3)).lookups;
        let first_ok = lookups.iter().find(|(_, r)| matches!(r, Resolution::Address(_))).map(|l| l.0).unwrap();
        // Not before the resolver forgets the NXDOMAIN; at most the JVM's
        // 10 s negative cache plus one lookup interval after.
        assert!(
            first_ok > expiry_us && first_ok <= expiry_us + 11 * SEC,
            "{}: first address at {first_ok} µs",
            case.name
        );
        let failed_before = lookups
            .iter()
            .filter(|(t, _)| *t < first_ok)
            .all(|(_, r)| matches!(r, Resolution::Failed(DnsFailure::NxDomain) | Resolution::Pending));
        assert!(failed_before, "{}: every lookup before that failed with NXDOMAIN", case.name);
        assert!(
            lookups.iter().filter(|(t, _)| *t >= first_ok).all(|(_, r)| *r == Resolution::Address(X)),
            "{}",
            case.name
        );
    }
}

// ---- DNS: the authoritative server going down ---------------------------------------

#[test]
fn resolvers_answer_from_cache_while_the_authoritative_is_down_then_servfail() {
    let auth = zone(&[(X.0, SOUTH), (Y.0, NORTH)], AuthoritativeConfig::default());
    let mut sim = dns_world(auth, DnsClientConfig::default());
    sim.schedule_fault(70 * SEC, Fault::Crash { node: AUTH });
    run_to(&mut sim, 70 * SEC);
    let expiry_us = the_resolver(&sim).cache[&NAME].expires_us;
    run_to(&mut sim, 250 * SEC);
    for i in 4..4 + CLIENTS {
        let lookups = &sim.node(NodeId(i as u16)).lookups;
        let last_ok = lookups.iter().filter(|l| l.1 == Resolution::Address(X)).map(|l| l.0).max().unwrap();
        assert!(last_ok > expiry_us, "client {i}: still resolving X after the resolver's copy expired ({last_ok} µs)");
        for &(t, r) in lookups {
            if (70 * SEC..expiry_us).contains(&t) {
                let ok = matches!(r, Resolution::Address(X) | Resolution::Pending);
                assert!(ok, "client {i} at {t} µs: the resolver's cached answer still works, got {r:?}");
            }
            // After the resolver's copy and the JVM's 30 s copy are gone, the
            // lookup fails (SERVFAIL, cached 10 s by the JVM).
            if t > expiry_us + 31 * SEC {
                assert!(
                    matches!(r, Resolution::Failed(DnsFailure::ServFail) | Resolution::Pending),
                    "client {i} at {t} µs: {r:?}"
                );
            }
        }
    }
    assert!(the_resolver(&sim).stats.servfails > 0);
    // Every client keeps failing: none of them resolves anything any more.
    assert!((4..4 + CLIENTS).all(|i| sim.node(NodeId(i as u16)).hits.last().unwrap().0 <= expiry_us + 31 * SEC));
}
