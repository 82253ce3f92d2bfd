//! The application layer's mechanisms, alone and through the kernel: rate
//! limiters (Spring Cloud Gateway's token bucket, nginx `limit_req`, sliding
//! and fixed windows, the limiter bound, fail-open vs fail-closed), the API
//! gateway (routing, auth, limiting, HTTP ↔ RPC, access log), the registry
//! (Nacos 1.x and Eureka timings, protect threshold, stale consumer caches),
//! Dubbo-style RPC (failover, failfast, unknown outcomes, double-applied
//! decrements) and the cache-aside product cache (hit, miss, invalidate,
//! stampede with and without single-flight).
//!
//! Each behaviour is a table of cases checked by one function; every case
//! names itself in its assertion messages. Numbers are the real systems'
//! defaults (see the docs on each config struct).
#![cfg(not(target_arch = "wasm32"))]

#[path = "mech_app/world.rs"]
mod world;

use clusterlab::cluster::gateway::{
    AuthToken, GatewayConfig, GatewayMsg, GatewayReason, RetryConfig, check_access_log,
};
use clusterlab::cluster::product_cache::{
    CacheAsideConfig, CacheMsg, ReadSource, StampedeGuard, check_never_served_expired, check_single_flight,
};
use clusterlab::cluster::rate_limit::{
    Algorithm, LeakyBucketConfig, LimitDecision, LimitReason, RateLimitConfig, RateLimiter, StorePolicy,
    TokenBucketConfig, WindowConfig, check_limiter, check_limiter_bound,
};
use clusterlab::cluster::registry::{RegistryConfig, RegistryMsg, ServiceKind, check_cache_from_registry};
use clusterlab::cluster::rpc::{
    BizError, CallOutcome, ClusterMode, LoadBalance, Method, RpcConfig, RpcFailure, RpcMsg, check_call_records,
};
use clusterlab::sim::{Fault, MINUTE_US, MS, NodeId, SEC, SimRng, TimeUs};
use std::collections::BTreeSet;
use world::*;

// ---- message sizes -----------------------------------------------------------

#[test]
fn messages_are_small_and_copy() {
    fn copy<T: Copy>() {}
    copy::<GatewayMsg>();
    copy::<RpcMsg>();
    copy::<RegistryMsg>();
    copy::<CacheMsg>();
    let sizes = [
        ("GatewayMsg", size_of::<GatewayMsg>()),
        ("RpcMsg", size_of::<RpcMsg>()),
        ("RegistryMsg", size_of::<RegistryMsg>()),
        ("CacheMsg", size_of::<CacheMsg>()),
    ];
    for (name, size) in sizes {
        assert!(size <= 32, "{name} is {size} bytes, more than 32");
    }
}

// ---- rate limiters, pure -------------------------------------------------------

/// `burst` requests at `at_us`; how many pass and how many are refused.
#[derive(Clone, Copy, Debug)]
struct Burst {
    at_us: TimeUs,
    sent: u32,
    passed: u32,
}

/// Fire each burst at the limiter and check the pass count; every refusal
/// must carry `reject` (status, reason). Returns the limiter for more checks.
fn check_bursts(name: &str, config: RateLimitConfig, bursts: &[Burst], reject: (u16, LimitReason)) -> RateLimiter {
    let mut limiter = RateLimiter::new(config);
    for b in bursts {
        let mut passed = 0;
        for _ in 0..b.sent {
            match limiter.check(b.at_us) {
                LimitDecision::Allow { .. } => passed += 1,
                LimitDecision::Reject { reason, status } => {
                    assert_eq!((status, reason), reject, "{name}: refusal at {} µs", b.at_us);
                }
            }
        }
        assert_eq!(passed, b.passed, "{name}: {} sent at {} µs", b.sent, b.at_us);
    }
    let total_passed: u32 = bursts.iter().map(|b| b.passed).sum();
    let total_sent: u32 = bursts.iter().map(|b| b.sent).sum();
    assert_eq!(
        (limiter.accepted, limiter.rejected),
        (total_passed.into(), (total_sent - total_passed).into()),
        "{name}"
    );
    limiter
}

const fn burst(at_us: TimeUs, sent: u32, passed: u32) -> Burst {
    Burst { at_us, sent, passed }
}

fn token_bucket(replenish_per_s: u64, burst_capacity: u64, clock_granularity_us: TimeUs) -> RateLimitConfig {
    let c = TokenBucketConfig { replenish_per_s, burst_capacity, requested_tokens: 1, clock_granularity_us };
    RateLimitConfig { algorithm: Algorithm::TokenBucket(c), store_policy: StorePolicy::FailOpen }
}

#[test]
fn token_bucket_bursts_then_replenishes_at_the_rate() {
    // Spring Cloud Gateway's documented example: replenishRate 10, burstCapacity 20.
    let cases: [(&str, TimeUs, &[Burst]); 2] = [
        (
            // The script reads Redis TIME in whole seconds: nothing refills
            // within a second, then 10 tokens arrive at once.
            "scg whole-second clock",
            SEC,
            &[burst(0, 30, 20), burst(500 * MS, 5, 0), burst(SEC, 15, 10), burst(3 * SEC + 400 * MS, 25, 20)],
        ),
        (
            // A continuous clock refills 5 tokens in half a second.
            "continuous clock",
            1,
            &[burst(0, 30, 20), burst(500 * MS, 5, 5), burst(SEC, 15, 5), burst(3 * SEC + 400 * MS, 25, 20)],
        ),
    ];
    for (name, granularity, bursts) in cases {
        let limiter =
            check_bursts(name, token_bucket(10, 20, granularity), bursts, (429, LimitReason::TokensExhausted));
        check_limiter(&limiter).unwrap_or_else(|e| panic!("{name}: bound broken: {e}"));
        assert_eq!(limiter.tokens(), Some(0), "{name}: the last burst emptied the bucket");
    }
}

#[test]
fn nginx_leaky_bucket_refuses_with_503_and_spaces_the_burst() {
    struct Case {
        name: &'static str,
        config: LeakyBucketConfig,
        bursts: Vec<Burst>,
        /// Delays of the requests passed in the first burst.
        first_delays_ms: &'static [u64],
    }
    let cases = [
        Case {
            // limit_req zone rate=10r/s burst=5: 1 + 5 pass, spaced 100 ms apart.
            name: "rate=10r/s burst=5",
            config: LeakyBucketConfig { rate_per_s: 10, burst: 5, nodelay: false, reject_status: 503 },
            bursts: vec![burst(0, 10, 6), burst(100 * MS, 2, 1), burst(700 * MS, 7, 6)],
            first_delays_ms: &[0, 100, 200, 300, 400, 500],
        },
        Case {
            name: "rate=10r/s burst=5 nodelay",
            config: LeakyBucketConfig { rate_per_s: 10, burst: 5, nodelay: true, reject_status: 503 },
            bursts: vec![burst(0, 10, 6), burst(100 * MS, 2, 1)],
            first_delays_ms: &[0, 0, 0, 0, 0, 0],
        },
        Case {
            // The defaults: the docs' rate=1r/s, burst=0 — one request a second.
            name: "rate=1r/s burst=0",
            config: LeakyBucketConfig::default(),
            bursts: vec![burst(0, 2, 1), burst(500 * MS, 1, 0), burst(SEC, 1, 1), burst(1999 * MS, 1, 0)],
            first_delays_ms: &[0],
        },
    ];
    for case in cases {
        let config =
            RateLimitConfig { algorithm: Algorithm::LeakyBucket(case.config), store_policy: StorePolicy::FailOpen };
        let mut probe = RateLimiter::new(config);
        let delays: Vec<u64> = (0..case.bursts[0].sent)
            .filter_map(|_| match probe.check(0) {
                LimitDecision::Allow { delay_us } => Some(delay_us / MS),
                LimitDecision::Reject { .. } => None,
            })
            .collect();
        assert_eq!(delays, case.first_delays_ms, "{}: delays of the first burst", case.name);
        let limiter = check_bursts(case.name, config, &case.bursts, (503, LimitReason::BurstExceeded));
        check_limiter(&limiter).unwrap_or_else(|e| panic!("{}: bound broken: {e}", case.name));
    }
}

#[test]
fn sliding_window_estimate_is_prev_times_remaining_plus_current() {
    // Cloudflare's worked example: 50 per minute, 42 in the previous minute,
    // 18 so far in this one, 15 s in: 42 × 45/60 + 18 = 49.5.
    let config = RateLimitConfig {
        algorithm: Algorithm::SlidingWindow(WindowConfig { limit: 50, window_us: MINUTE_US }),
        store_policy: StorePolicy::FailOpen,
    };
    let mut limiter = RateLimiter::new(config);
    // (time, sent, passed, estimate in thousandths after the burst)
    let steps: [(TimeUs, u32, u32, u64); 5] = [
        (10 * SEC, 42, 42, 42_000),
        // 15 s into the next minute: 42 × 0.75 = 31.5; 18 fit (49.5 + 1 > 50 stops the 19th).
        (75 * SEC, 20, 18, 49_500),
        // 30 s in: 42 × 0.5 + 18 = 39 → 11 more.
        (90 * SEC, 15, 11, 50_000),
        // 45 s in: 42 × 0.25 + 29 = 39.5 → 10 more (49.5), the 11th would make 50.5.
        (105 * SEC, 12, 10, 49_500),
        // Two windows later the previous count is gone: a full 50 again.
        (250 * SEC, 60, 50, 50_000),
    ];
    for (at_us, sent, passed, estimate) in steps {
        let got = (0..sent).filter(|_| matches!(limiter.check(at_us), LimitDecision::Allow { .. })).count() as u32;
        assert_eq!(got, passed, "passed at {} s", at_us / SEC);
        assert_eq!(limiter.sliding_estimate_milli(at_us), Some(estimate), "estimate at {} s", at_us / SEC);
    }
    check_limiter(&limiter).expect("the sliding window keeps limit + rate × W");
}

#[test]
fn fixed_window_lets_twice_the_limit_across_a_boundary_and_the_bound_flags_only_it() {
    // 100 per second; 100 requests 1 ms before a boundary and 100 right on it.
    let window = WindowConfig { limit: 100, window_us: SEC };
    let cases = [
        ("fixed window", Algorithm::FixedWindow(window), 200, false),
        ("sliding window", Algorithm::SlidingWindow(window), 100, true),
        ("token bucket 100/s burst 100", token_bucket(100, 100, 1).algorithm, 100, true),
    ];
    for (name, algorithm, passed, bound_holds) in cases {
        let mut limiter = RateLimiter::new(RateLimitConfig { algorithm, store_policy: StorePolicy::FailOpen });
        let mut got = 0;
        for at_us in [999 * MS, SEC] {
            got += (0..100).filter(|_| matches!(limiter.check(at_us), LimitDecision::Allow { .. })).count();
        }
        assert_eq!(got, passed, "{name}: passed within 1 ms of the boundary");
        assert_eq!(check_limiter(&limiter).is_ok(), bound_holds, "{name}: verdict of check_limiter_bound");
        // The limiter watches its own accepts: the invariant reads this.
        assert_eq!(limiter.bound_violation.is_none(), bound_holds, "{name}: {:?}", limiter.bound_violation);
    }
}

#[test]
fn a_limiter_whose_store_is_down_fails_open_and_breaks_its_bound() {
    // Spring Cloud Gateway lets requests through when Redis errors: a surge
    // of 500 at one instant passes a 10/s, burst-20 limiter. Fail closed: 503s.
    let cases = [
        ("store up", true, StorePolicy::FailOpen, 20, true),
        ("store down, fail open", false, StorePolicy::FailOpen, 500, false),
        ("store down, fail closed", false, StorePolicy::FailClosed, 0, true),
    ];
    for (name, reachable, store_policy, passed, bound_holds) in cases {
        let config = RateLimitConfig { store_policy, ..token_bucket(10, 20, SEC) };
        let mut limiter = RateLimiter::new(config);
        limiter.store_reachable = reachable;
        let got = (0..500).filter(|_| matches!(limiter.check(SEC), LimitDecision::Allow { .. })).count();
        assert_eq!(got, passed, "{name}: requests let through");
        assert_eq!(limiter.bound_violation.is_none(), bound_holds, "{name}: {:?}", limiter.bound_violation);
    }
}

#[test]
fn limiters_keep_their_bound_under_random_traffic() {
    // Poisson-ish arrivals at 3× the rate, 20 seeds each: the checker must
    // pass every keeping algorithm, and catch the fixed window at least once.
    let algorithms = [
        ("token bucket scg", token_bucket(10, 20, SEC).algorithm, true),
        ("token bucket continuous", token_bucket(10, 20, 1).algorithm, true),
        (
            "leaky 10r/s burst 5",
            Algorithm::LeakyBucket(LeakyBucketConfig { burst: 5, rate_per_s: 10, ..Default::default() }),
            true,
        ),
        ("sliding 10/s", Algorithm::SlidingWindow(WindowConfig { limit: 10, window_us: SEC }), true),
        ("fixed 10/s", Algorithm::FixedWindow(WindowConfig { limit: 10, window_us: SEC }), false),
    ];
    for (name, algorithm, always_holds) in algorithms {
        let mut broken = 0;
        for seed in 0..20 {
            let mut rng = SimRng::new(seed, 7);
            let mut limiter = RateLimiter::new(RateLimitConfig { algorithm, store_policy: StorePolicy::FailOpen });
            let mut now = 0;
            for _ in 0..600 {
                now += rng.exp_us(33 * MS);
                limiter.check(now);
            }
            let times: Vec<TimeUs> = limiter.accept_log.iter().copied().collect();
            if check_limiter_bound(&times, limiter.bound()).is_err() {
                broken += 1;
            }
        }
        if always_holds {
            assert_eq!(broken, 0, "{name}: the bound must hold for every seed");
        } else {
            assert!(broken > 0, "{name}: random traffic should cross a boundary with 2× the limit");
        }
    }
}

#[test]
fn limiter_store_down_fails_open_or_closed() {
    struct Case {
        policy: StorePolicy,
        passed: u32,
        unchecked: u64,
        reject: Option<(u16, LimitReason)>,
        bound_holds: bool,
    }
    let cases = [
        // Spring Cloud Gateway's RedisRateLimiter: on a Redis error, allow.
        Case { policy: StorePolicy::FailOpen, passed: 50, unchecked: 30, reject: None, bound_holds: false },
        Case {
            policy: StorePolicy::FailClosed,
            passed: 20,
            unchecked: 0,
            reject: Some((503, LimitReason::StoreUnavailable)),
            bound_holds: true,
        },
    ];
    for case in cases {
        let name = format!("{:?}", case.policy);
        let mut limiter = RateLimiter::new(RateLimitConfig { store_policy: case.policy, ..token_bucket(10, 20, SEC) });
        // 20 pass on a healthy store, then Redis goes away and 30 more arrive.
        let mut passed = (0..20).filter(|_| matches!(limiter.check(0), LimitDecision::Allow { .. })).count() as u32;
        limiter.store_reachable = false;
        for _ in 0..30 {
            match limiter.check(100 * MS) {
                LimitDecision::Allow { .. } => passed += 1,
                LimitDecision::Reject { reason, status } => assert_eq!(Some((status, reason)), case.reject, "{name}"),
            }
        }
        assert_eq!(passed, case.passed, "{name}: passed");
        assert_eq!(limiter.passed_unchecked, case.unchecked, "{name}: passed unchecked");
        assert_eq!(check_limiter(&limiter).is_ok(), case.bound_holds, "{name}: bound verdict");
    }
}

// ---- gateway -------------------------------------------------------------------

const SECRET: u64 = 0x005E_C2E7;

fn valid(user: u16) -> Option<AuthToken> {
    Some(AuthToken::issue(SECRET, user))
}

fn forged(user: u16) -> Option<AuthToken> {
    Some(AuthToken { user, signature: AuthToken::issue(SECRET, user).signature ^ 1 })
}

fn gateway_config() -> GatewayConfig {
    GatewayConfig { token_secret: SECRET, ..GatewayConfig::default() }
}

/// What one request should get.
#[derive(Clone, Copy, Debug)]
struct Expect {
    status: u16,
    reason: Option<GatewayReason>,
    route: Option<ServiceKind>,
    /// Upstream by provider name (index into the world's providers), if any.
    upstream: Option<usize>,
}

const fn ok(route: ServiceKind, upstream: usize) -> Expect {
    Expect { status: 200, reason: None, route: Some(route), upstream: Some(upstream) }
}

const fn refused(status: u16, reason: GatewayReason, route: Option<ServiceKind>) -> Expect {
    Expect { status, reason: Some(reason), route, upstream: None }
}

/// Run `requests` (one every 10 ms) through a gateway in front of `providers`
/// and check each reply and its access-log entry.
fn check_gateway(
    name: &str,
    config: GatewayConfig,
    providers: &[ProviderSpec],
    requests: &[(Req, Expect)],
) -> GatewayWorld {
    let script: Vec<Req> =
        requests.iter().enumerate().map(|(i, (r, _))| Req { at_us: (i as u64 + 1) * 10 * MS, ..*r }).collect();
    let mut w = GatewayWorld::new(config, providers, &script);
    w.sim.run_until(10 * SEC, 1_000_000);
    let replies = w.replies();
    assert_eq!(replies.len(), requests.len(), "{name}: every request answered");
    let log = w.gateway().access_log.clone();
    for (i, (req, expect)) in requests.iter().enumerate() {
        let reply = replies.iter().find(|r| r.1.id == i as u32).unwrap_or_else(|| panic!("{name}: no reply to #{i}"));
        assert_eq!((reply.1.status, reply.1.reason), (expect.status, expect.reason), "{name}: {}", req.path);
        let entry =
            log.iter().find(|e| e.at_us == reply.0 - MS).unwrap_or_else(|| panic!("{name}: no log for {}", req.path));
        assert_eq!((entry.path, entry.status, entry.route), (req.path, expect.status, expect.route), "{name}: log");
        assert_eq!(entry.upstream, expect.upstream.map(|i| w.providers[i]), "{name}: upstream of {}", req.path);
        assert_eq!(entry.converted, expect.upstream.is_some(), "{name}: converted {}", req.path);
    }
    check_access_log(w.gateway()).unwrap_or_else(|e| panic!("{name}: {e}"));
    w
}

#[test]
fn gateway_routes_by_path_prefix_and_balances_round_robin() {
    use ServiceKind::*;
    let providers =
        [ProviderSpec::ok(Product), ProviderSpec::ok(Product), ProviderSpec::ok(Order), ProviderSpec::ok(Payment)];
    let t = valid(7);
    let requests = [
        (Req::new("/api/product/7", None, 7), ok(Product, 0)),
        (Req::new("/api/product/8", None, 8), ok(Product, 1)),
        (Req::new("/api/product/search", None, 0), ok(Product, 0)),
        (Req::new("/api/order", t, 1), ok(Order, 2)),
        (Req::new("/api/pay/42", t, 42), ok(Payment, 3)),
        // Path=/api/order/** does not match /api/orders.
        (Req::new("/api/orders", t, 1), refused(404, GatewayReason::NoRoute, None)),
        (Req::new("/static/app.js", None, 0), refused(404, GatewayReason::NoRoute, None)),
        (Req::new("/api/inventory/3", None, 3), refused(503, GatewayReason::NoInstance, Some(Inventory))),
    ];
    let w = check_gateway("routing", gateway_config(), &providers, &requests);
    // Protocol conversion: 5 HTTP requests became RPC calls and 5 came back.
    let g = w.gateway();
    assert_eq!((g.http_to_rpc, g.rpc_to_http), (5, 5), "conversions both ways");
    // The RPC method follows the route; the argument is passed through.
    assert_eq!(w.executed(0), vec![(Method::GetProduct, 7), (Method::SearchProducts, 0)]);
    assert_eq!(w.executed(1), vec![(Method::GetProduct, 8)]);
    assert_eq!(w.executed(2), vec![(Method::CreateOrder, 1)]);
    // Latency in the log: 1 ms there, 5 ms of service, 1 ms back.
    let ok_latencies: Vec<TimeUs> = g.access_log.iter().filter(|e| e.status == 200).map(|e| e.latency_us).collect();
    assert_eq!(ok_latencies, vec![7 * MS; 5]);
}

#[test]
fn gateway_requires_a_valid_token_on_order_and_pay() {
    use ServiceKind::*;
    let providers = [ProviderSpec::ok(Product), ProviderSpec::ok(Order), ProviderSpec::ok(Payment)];
    let requests = [
        (Req::new("/api/order", None, 1), refused(401, GatewayReason::MissingToken, Some(Order))),
        (Req::new("/api/order", forged(7), 1), refused(401, GatewayReason::InvalidToken, Some(Order))),
        (Req::new("/api/order", valid(7), 1), ok(Order, 1)),
        (Req::new("/api/pay", None, 1), refused(401, GatewayReason::MissingToken, Some(Payment))),
        (Req::new("/api/pay", forged(9), 1), refused(401, GatewayReason::InvalidToken, Some(Payment))),
        (Req::new("/api/pay", valid(9), 1), ok(Payment, 2)),
        // Browsing needs no login, and a forged token there is simply ignored.
        (Req::new("/api/product/1", None, 1), ok(Product, 0)),
        (Req::new("/api/product/1", forged(3), 1), ok(Product, 0)),
    ];
    let w = check_gateway("auth", gateway_config(), &providers, &requests);
    let users: Vec<Option<u16>> = w.gateway().access_log.iter().map(|e| e.user).collect();
    assert_eq!(users, vec![None, None, Some(7), None, None, Some(9), None, None], "users in the access log");
    assert_eq!(w.executed(1).len() + w.executed(2).len(), 2, "refused requests never reach a service");
}

#[test]
fn gateway_rate_limits_a_surge() {
    struct Case {
        name: &'static str,
        limit: RateLimitConfig,
        sent: usize,
        passed: usize,
        status: u16,
        reason: LimitReason,
    }
    let leaky = LeakyBucketConfig { rate_per_s: 10, burst: 5, nodelay: true, reject_status: 503 };
    let cases = [
        Case {
            name: "spring cloud gateway 10/s burst 20",
            limit: RateLimitConfig::default(),
            sent: 25,
            passed: 20,
            status: 429,
            reason: LimitReason::TokensExhausted,
        },
        Case {
            name: "nginx limit_req 10r/s burst=5 nodelay",
            limit: RateLimitConfig { algorithm: Algorithm::LeakyBucket(leaky), store_policy: StorePolicy::FailOpen },
            sent: 10,
            passed: 6,
            status: 503,
            reason: LimitReason::BurstExceeded,
        },
    ];
    for case in cases {
        let config = GatewayConfig { rate_limit: Some(case.limit), ..gateway_config() };
        let script = vec![Req::at(0, "/api/product/1", None, 1); case.sent];
        let mut w = GatewayWorld::new(config, &[ProviderSpec::ok(ServiceKind::Product)], &script);
        w.sim.run_until(5 * SEC, 1_000_000);
        let replies = w.replies();
        let statuses: Vec<u16> = replies.iter().map(|r| r.1.status).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), case.passed, "{}: 200s", case.name);
        let limited: Vec<_> = replies.iter().filter(|r| r.1.status != 200).collect();
        assert_eq!(limited.len(), case.sent - case.passed, "{}: refusals", case.name);
        for r in limited {
            assert_eq!(
                (r.1.status, r.1.reason),
                (case.status, Some(GatewayReason::RateLimited(case.reason))),
                "{}",
                case.name
            );
        }
        let logged = w.gateway().access_log.iter().filter(|e| e.status == case.status).count();
        assert_eq!(logged, case.sent - case.passed, "{}: refusals in the access log", case.name);
    }
}

#[test]
fn gateway_maps_upstream_failures_to_http_statuses() {
    struct Case {
        name: &'static str,
        provider: ProviderSpec,
        crash: bool,
        status: u16,
        reason: Option<GatewayReason>,
        latency_us: TimeUs,
    }
    let p = ServiceKind::Product;
    let cases = [
        Case {
            name: "healthy",
            provider: ProviderSpec::ok(p),
            crash: false,
            status: 200,
            reason: None,
            latency_us: 7 * MS,
        },
        Case {
            // Slower than the 1000 ms RPC timeout: 504, its outcome unknown.
            name: "slow provider",
            provider: ProviderSpec { service_us: 1500 * MS, ..ProviderSpec::ok(p) },
            crash: false,
            status: 504,
            reason: Some(GatewayReason::UpstreamTimeout),
            latency_us: 1000 * MS,
        },
        Case {
            name: "crashed provider",
            provider: ProviderSpec::ok(p),
            crash: true,
            status: 502,
            reason: Some(GatewayReason::UpstreamRefused),
            latency_us: 2 * MS,
        },
        Case {
            name: "thread pool exhausted",
            provider: ProviderSpec { behaviour: Behaviour::Overloaded, ..ProviderSpec::ok(p) },
            crash: false,
            status: 503,
            reason: Some(GatewayReason::Upstream(RpcFailure::Overloaded)),
            latency_us: 2 * MS,
        },
        Case {
            name: "business error",
            provider: ProviderSpec { behaviour: Behaviour::Biz(BizError::NotFound), ..ProviderSpec::ok(p) },
            crash: false,
            status: 409,
            reason: Some(GatewayReason::Upstream(RpcFailure::Biz(BizError::NotFound))),
            latency_us: 7 * MS,
        },
    ];
    for case in cases {
        let mut w =
            GatewayWorld::new(gateway_config(), &[case.provider], &[Req::at(10 * MS, "/api/product/1", None, 1)]);
        if case.crash {
            w.sim.schedule_fault(0, Fault::Crash { node: w.providers[0] });
        }
        w.sim.run_until(5 * SEC, 1_000_000);
        let replies = w.replies();
        assert_eq!(replies.len(), 1, "{}: one reply", case.name);
        assert_eq!((replies[0].1.status, replies[0].1.reason), (case.status, case.reason), "{}", case.name);
        let entry = w.gateway().access_log[0];
        assert_eq!((entry.status, entry.latency_us), (case.status, case.latency_us), "{}: log", case.name);
        assert_eq!(w.gateway().in_flight(), 0, "{}: nothing left pending", case.name);
        check_access_log(w.gateway()).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    }
}

/// Spring Cloud Gateway's `Retry` filter with its defaults (retries 3, GET
/// only, 5XX and IOException/TimeoutException): an idempotent call that
/// fails on one instance is sent to the other; order and pay never are, and
/// a timed-out order is an unknown outcome (the instance did run it).
#[test]
fn gateway_retries_idempotent_calls_on_another_instance_and_never_orders() {
    struct Case {
        name: &'static str,
        providers: [ProviderSpec; 2],
        /// Crash these providers (indices) before the request.
        crash: &'static [usize],
        request: Req,
        status: u16,
        reason: Option<GatewayReason>,
        upstream: usize,
        retries: u64,
        /// Calls each provider ran (a crashed one runs none).
        executed: (usize, usize),
        unknown_outcomes: u64,
    }
    let (p, o) = (ServiceKind::Product, ServiceKind::Order);
    let slow = |s| ProviderSpec { service_us: 1500 * MS, ..ProviderSpec::ok(s) };
    let with = |s, behaviour| ProviderSpec { behaviour, ..ProviderSpec::ok(s) };
    let get = Req::at(10 * MS, "/api/product/1", None, 1);
    let order = Req::at(10 * MS, "/api/order", valid(3), 42);
    let cases = [
        Case {
            name: "refused GET goes to the other instance",
            providers: [ProviderSpec::ok(p), ProviderSpec::ok(p)],
            crash: &[0],
            request: get,
            status: 200,
            reason: None,
            upstream: 1,
            retries: 1,
            executed: (0, 1),
            unknown_outcomes: 0,
        },
        Case {
            name: "timed-out GET goes to the other instance",
            providers: [slow(p), ProviderSpec::ok(p)],
            crash: &[],
            request: get,
            status: 200,
            reason: None,
            upstream: 1,
            retries: 1,
            executed: (1, 1),
            unknown_outcomes: 0,
        },
        Case {
            name: "503 (pool exhausted) GET goes to the other instance",
            providers: [with(p, Behaviour::Overloaded), ProviderSpec::ok(p)],
            crash: &[],
            request: get,
            status: 200,
            reason: None,
            upstream: 1,
            retries: 1,
            executed: (0, 1),
            unknown_outcomes: 0,
        },
        Case {
            name: "a business error (409) is not retried",
            providers: [with(p, Behaviour::Biz(BizError::NotFound)), ProviderSpec::ok(p)],
            crash: &[],
            request: get,
            status: 409,
            reason: Some(GatewayReason::Upstream(RpcFailure::Biz(BizError::NotFound))),
            upstream: 0,
            retries: 0,
            executed: (1, 0),
            unknown_outcomes: 0,
        },
        Case {
            name: "every instance down: three retries, then 502",
            providers: [ProviderSpec::ok(p), ProviderSpec::ok(p)],
            crash: &[0, 1],
            request: get,
            status: 502,
            reason: Some(GatewayReason::UpstreamRefused),
            upstream: 1,
            retries: 3,
            executed: (0, 0),
            unknown_outcomes: 0,
        },
        Case {
            name: "refused order (POST) is not retried",
            providers: [ProviderSpec::ok(o), ProviderSpec::ok(o)],
            crash: &[0],
            request: order,
            status: 502,
            reason: Some(GatewayReason::UpstreamRefused),
            upstream: 0,
            retries: 0,
            executed: (0, 0),
            unknown_outcomes: 0,
        },
        Case {
            name: "timed-out order: 504, unknown outcome, ran anyway",
            providers: [slow(o), ProviderSpec::ok(o)],
            crash: &[],
            request: order,
            status: 504,
            reason: Some(GatewayReason::UpstreamTimeout),
            upstream: 0,
            retries: 0,
            executed: (1, 0),
            unknown_outcomes: 1,
        },
    ];
    let config = GatewayConfig { retry: Some(RetryConfig::default()), ..gateway_config() };
    assert_eq!(RetryConfig::default(), RetryConfig { retries: 3, idempotent_only: true }, "SCG's defaults");
    for case in cases {
        let mut w = GatewayWorld::new(config.clone(), &case.providers, &[case.request]);
        for &i in case.crash {
            w.sim.schedule_fault(0, Fault::Crash { node: w.providers[i] });
        }
        w.sim.run_until(10 * SEC, 1_000_000);
        let replies = w.replies();
        assert_eq!(replies.len(), 1, "{}: one reply", case.name);
        let out = replies[0].1;
        assert_eq!((out.status, out.reason), (case.status, case.reason), "{}", case.name);
        assert_eq!(out.upstream, Some(w.providers[case.upstream]), "{}: the instance named", case.name);
        let g = w.gateway();
        assert_eq!(g.retries, case.retries, "{}: retries", case.name);
        assert_eq!(g.rescued_by_retry, u64::from(case.retries > 0 && case.status == 200), "{}: rescued", case.name);
        assert_eq!(g.unknown_outcomes, case.unknown_outcomes, "{}: unknown outcomes", case.name);
        assert_eq!(g.access_log[0].attempts as u64, case.retries + 1, "{}: attempts logged", case.name);
        assert_eq!((w.executed(0).len(), w.executed(1).len()), case.executed, "{}: calls run", case.name);
        assert_eq!(g.in_flight(), 0, "{}: nothing left pending", case.name);
        check_access_log(g).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    }
}

// ---- registry --------------------------------------------------------------------

/// What the registry should say about a provider at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    Healthy,
    Unhealthy,
    Gone,
}

#[test]
fn nacos_marks_a_silent_instance_unhealthy_after_15s_and_deletes_it_after_30s() {
    // Beats every 5 s; ClientBeatCheckTask every 5 s flags `now − lastBeat >
    // 15 s` and deletes `> 30 s`. With 1 ms links the last beat lands 1 ms
    // after it was sent, so each threshold is seen at the next 5 s scan.
    struct Case {
        crash_at_us: TimeUs,
        last_beat_us: TimeUs,
        checkpoints: &'static [(TimeUs, Seen)],
    }
    let cases = [
        Case {
            crash_at_us: 12 * SEC,
            last_beat_us: 10 * SEC + MS,
            checkpoints: &[
                (25 * SEC, Seen::Healthy),
                (30 * SEC, Seen::Unhealthy),
                (40 * SEC, Seen::Unhealthy),
                (45 * SEC, Seen::Gone),
            ],
        },
        Case {
            crash_at_us: 16 * SEC,
            last_beat_us: 15 * SEC + MS,
            checkpoints: &[
                (30 * SEC, Seen::Healthy),
                (35 * SEC, Seen::Unhealthy),
                (45 * SEC, Seen::Unhealthy),
                (50 * SEC, Seen::Gone),
            ],
        },
    ];
    for case in cases {
        let mut w = RegistryWorld::new(RegistryConfig::default(), 2, ServiceKind::Product);
        let victim = w.providers[0];
        w.sim.schedule_fault(case.crash_at_us, Fault::Crash { node: victim });
        let name = format!("crash at {} s", case.crash_at_us / SEC);
        let mut previous = Seen::Healthy;
        for &(at_us, expect) in case.checkpoints {
            w.sim.run_until(at_us, 1_000_000);
            let seen = match w.registry().instances.get(&(ServiceKind::Product, victim)) {
                None => Seen::Gone,
                Some(i) => {
                    assert_eq!(i.last_beat_us, case.last_beat_us, "{name}: last beat");
                    if i.healthy { Seen::Healthy } else { Seen::Unhealthy }
                }
            };
            assert_eq!(seen, expect, "{name}: at {} s", at_us / SEC);
            // Each threshold is first seen within one 5 s scan after it passes.
            let silent = at_us - case.last_beat_us;
            if seen != previous {
                let (threshold, what) =
                    if seen == Seen::Unhealthy { (15 * SEC, "flagged") } else { (30 * SEC, "deleted") };
                assert!(
                    silent > threshold && silent <= threshold + 5 * SEC,
                    "{name}: {what} {silent} µs after the last beat"
                );
            }
            previous = seen;
        }
        let other = w.registry().instances[&(ServiceKind::Product, w.providers[1])];
        assert!(other.healthy, "{name}: the beating instance stays healthy");
    }
}

#[test]
fn protect_threshold_returns_every_instance_when_too_few_are_healthy() {
    // Four instances; `dead` of them crash at 1 s and are unhealthy by the 20 s scan.
    // Nacos compares healthy/total <= protectThreshold.
    let cases = [
        (0, 1, 3, false),
        (0, 4, 4, true), // 0/4 <= 0: even the default threshold returns all
        (50, 1, 3, false),
        (50, 2, 4, true), // 2/4 <= 0.5
        (80, 1, 4, true), // 3/4 <= 0.8
    ];
    for (threshold_pct, dead, listed, protected) in cases {
        let name = format!("threshold {threshold_pct}%, {dead} of 4 dead");
        let config = RegistryConfig { protect_threshold_pct: threshold_pct, ..RegistryConfig::default() };
        let mut w = RegistryWorld::new(config, 4, ServiceKind::Product);
        for &p in &w.providers[..dead] {
            w.sim.schedule_fault(SEC, Fault::Crash { node: p });
        }
        w.sim.run_until(25 * SEC, 1_000_000);
        let list = w.registry().list(ServiceKind::Product);
        assert_eq!((usize::from(list.count), list.protected), (listed, protected), "{name}: registry's answer");
        let cached = w.consumer().cache[&ServiceKind::Product].clone();
        assert_eq!(
            (cached.instances.len(), cached.protected),
            (listed, protected),
            "{name}: consumer's cache after the 20 s fetch"
        );
    }
}

#[test]
fn consumers_keep_a_crashed_provider_until_the_registry_notices_and_they_refetch() {
    struct Case {
        name: &'static str,
        config: RegistryConfig,
        crash_at_us: TimeUs,
        /// Last moment the consumer still lists the dead provider, and first it does not.
        still_listed_us: TimeUs,
        dropped_us: Option<TimeUs>,
    }
    let no_preservation = RegistryConfig { self_preservation_pct: None, ..RegistryConfig::eureka() };
    let cases = [
        Case {
            // Last beat 10.001 s → unhealthy at the 30 s scan → the 30 s refetch drops it.
            name: "nacos 1.x",
            config: RegistryConfig::default(),
            crash_at_us: 12 * SEC,
            still_listed_us: 30 * SEC,
            dropped_us: Some(30 * SEC + 2 * MS),
        },
        Case {
            // Last renewal 30.001 s; the lease bug doubles 90 s to 180 s → expired
            // after 210.001 s; eviction runs each 60 s → gone at 240 s; fetched at 240.002 s.
            name: "eureka without self-preservation",
            config: no_preservation,
            crash_at_us: 35 * SEC,
            still_listed_us: 240 * SEC,
            dropped_us: Some(240 * SEC + 2 * MS),
        },
        Case {
            // Without the lease bug: expired after 120.001 s → evicted by the 180 s run.
            name: "eureka, no self-preservation, lease not doubled",
            config: RegistryConfig { lease_expiry_doubled: false, ..no_preservation },
            crash_at_us: 35 * SEC,
            still_listed_us: 180 * SEC,
            dropped_us: Some(180 * SEC + 2 * MS),
        },
        Case {
            // 3 instances expect 6 renewals a minute; threshold ⌊6 × 0.85⌋ = 5; the
            // two survivors send 4 ≤ 5 → self-preservation: never evicted.
            name: "eureka with self-preservation",
            config: RegistryConfig::eureka(),
            crash_at_us: 35 * SEC,
            still_listed_us: 20 * MINUTE_US,
            dropped_us: None,
        },
    ];
    for case in cases {
        let mut w = RegistryWorld::new(case.config, 3, ServiceKind::Product);
        let victim = w.providers[1];
        w.sim.schedule_fault(case.crash_at_us, Fault::Crash { node: victim });
        w.sim.run_until(case.still_listed_us, 10_000_000);
        assert!(w.consumer().instances(ServiceKind::Product).contains(&victim), "{}: still cached", case.name);
        if let Some(dropped) = case.dropped_us {
            w.sim.run_until(dropped, 10_000_000);
            let cached = w.consumer().instances(ServiceKind::Product).to_vec();
            assert_eq!(cached, vec![w.providers[0], w.providers[2]], "{}: dropped at {dropped} µs", case.name);
        } else {
            assert!(w.registry().self_preserving, "{}: in self-preservation", case.name);
        }
        let registered: BTreeSet<_> = w.providers.iter().map(|p| (ServiceKind::Product, *p)).collect();
        check_cache_from_registry(w.consumer(), &registered).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    }
}

#[test]
fn consumers_keep_their_cache_while_the_registry_is_unreachable() {
    // The registry dies or is cut off at 15 s. A dead host refuses the 20 s
    // refetch, and Nacos's update task tries again after 2, 4, 8 s (22, 26,
    // 34 s: refused) and 16 s (50 s); across a cut the 20, 30, 40 s fetches
    // are lost in silence. Back at 42 s it knows no one: restarted empty,
    // or — cut off — it heard no beat for 34.999 s and its 45 s scan deleted
    // all three (missed heartbeats ≠ dead). Their beats at 45 s come back
    // "unknown", they register again, and the 50 s refetch sees all three.
    struct Case {
        name: &'static str,
        down: Fault,
        up: Fault,
        refused: u64,
        unanswered: u64,
        re_registrations: u64,
        /// Age of the list at 51 s: the 50 s fetch's round trip (2 ms),
        /// plus 2 ms per refusal that pushed the retries later.
        age_at_51s_us: TimeUs,
    }
    let r = NodeId(0);
    let cases = [
        Case {
            name: "registry crashed",
            down: Fault::Crash { node: r },
            up: Fault::Restart { node: r },
            refused: 4,
            unanswered: 0,
            re_registrations: 1,
            age_at_51s_us: SEC - 10 * MS,
        },
        Case {
            name: "registry cut off",
            down: Fault::Isolate { node: r },
            up: Fault::Rejoin { node: r },
            refused: 0,
            unanswered: 2,
            re_registrations: 1,
            age_at_51s_us: SEC - 2 * MS,
        },
    ];
    for case in cases {
        let mut w = RegistryWorld::new(RegistryConfig::default(), 3, ServiceKind::Product);
        assert_eq!(w.registry_id, r);
        w.sim.schedule_fault(15 * SEC, case.down);
        w.sim.schedule_fault(42 * SEC, case.up);
        w.sim.run_until(41 * SEC, 1_000_000);
        let consumer = w.consumer();
        assert_eq!(consumer.instances(ServiceKind::Product), w.providers.as_slice(), "{}: cache kept", case.name);
        assert_eq!(
            consumer.cache_age_us(ServiceKind::Product, 41 * SEC),
            Some(31 * SEC - 2 * MS),
            "{}: age",
            case.name
        );
        assert_eq!(
            (consumer.registry_refused, consumer.fetches_unanswered),
            (case.refused, case.unanswered),
            "{}",
            case.name
        );
        w.sim.run_until(51 * SEC, 1_000_000);
        let consumer = w.consumer();
        assert_eq!(consumer.instances(ServiceKind::Product), w.providers.as_slice(), "{}: fresh list", case.name);
        assert_eq!(
            consumer.cache_age_us(ServiceKind::Product, 51 * SEC),
            Some(case.age_at_51s_us),
            "{}: refetched at 50 s",
            case.name
        );
        let re_registered: Vec<u64> = (0..3).map(|i| w.provider_client(i).re_registrations).collect();
        assert_eq!(re_registered, vec![case.re_registrations; 3], "{}: re-registrations", case.name);
    }
}

/// A consumer's first fetch races the providers' registration (cut off
/// until 3 s, they register on their 5 s beat) and gets an empty list.
/// Nacos's update task counts that as a failed update and tries again after
/// 2 s, then 4 s — so the consumer sees the providers at 6 s, not a whole
/// 10 s interval later; Eureka keeps its 30 s (its providers renew at 30 s
/// and the consumer's 30 s fetch may just miss them: 60 s). Later the registry restarts empty (at 40.5 s, its 40 s fetch
/// refused): the 42 s fetch answers an empty list, which replaces the cache
/// unless `namingPushEmptyProtection` keeps the last non-empty one; the
/// providers re-register on their 45 s beats and the 46 s retry sees them.
#[test]
fn an_empty_or_failed_fetch_is_retried_soon_and_protection_keeps_the_last_list() {
    struct Case {
        name: &'static str,
        config: RegistryConfig,
        faults: &'static [(TimeUs, FaultAt)],
        /// (time, instances cached then)
        probes: &'static [(TimeUs, usize)],
    }
    #[derive(Clone, Copy)]
    enum FaultAt {
        ProvidersDown,
        ProvidersUp,
        RegistryDown,
        RegistryUp,
    }
    use FaultAt::*;
    let late_providers: &[(TimeUs, FaultAt)] = &[(0, ProvidersDown), (3 * SEC, ProvidersUp)];
    let registry_restart: &[(TimeUs, FaultAt)] = &[(39 * SEC, RegistryDown), (40 * SEC + 500 * MS, RegistryUp)];
    let nacos = RegistryConfig::default();
    let cases = [
        Case {
            name: "nacos: empty first fetch retried at 2 s, 6 s",
            config: nacos,
            faults: late_providers,
            probes: &[(1900 * MS, 0), (5900 * MS, 0), (6100 * MS, 3)],
        },
        Case {
            name: "no retry: the empty list stays a whole interval",
            config: RegistryConfig { failed_fetch_retry_us: None, ..nacos },
            faults: late_providers,
            probes: &[(9900 * MS, 0), (10_100 * MS, 3)],
        },
        Case {
            name: "eureka: a whole 30 s interval (twice)",
            config: RegistryConfig::eureka(),
            faults: late_providers,
            probes: &[(30_100 * MS, 0), (59_900 * MS, 0), (60_100 * MS, 3)],
        },
        Case {
            name: "nacos: a restarted registry's empty list replaces the cache",
            config: nacos,
            faults: registry_restart,
            probes: &[(41 * SEC, 3), (43 * SEC, 0), (47 * SEC, 3)],
        },
        Case {
            name: "nacos with push-empty protection keeps the last list",
            config: RegistryConfig { push_empty_protection: true, ..nacos },
            faults: registry_restart,
            probes: &[(41 * SEC, 3), (43 * SEC, 3), (47 * SEC, 3)],
        },
    ];
    for case in cases {
        let mut w = RegistryWorld::new(case.config, 3, ServiceKind::Product);
        for &(at, fault) in case.faults {
            let nodes = match fault {
                ProvidersDown | ProvidersUp => w.providers.clone(),
                RegistryDown | RegistryUp => vec![w.registry_id],
            };
            for node in nodes {
                let f = match fault {
                    ProvidersDown => Fault::Isolate { node },
                    ProvidersUp => Fault::Rejoin { node },
                    RegistryDown => Fault::Crash { node },
                    RegistryUp => Fault::Restart { node },
                };
                w.sim.schedule_fault(at, f);
            }
        }
        for &(at, cached) in case.probes {
            w.sim.run_until(at, 10_000_000);
            let seen = w.consumer().instances(ServiceKind::Product).len();
            assert_eq!(seen, cached, "{}: instances cached at {at} µs", case.name);
        }
        let registered: BTreeSet<_> = w.providers.iter().map(|p| (ServiceKind::Product, *p)).collect();
        check_cache_from_registry(w.consumer(), &registered).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    }
}

// ---- RPC ---------------------------------------------------------------------------

/// What happens to every provider before the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trouble {
    None,
    /// Paused: the call is received by nobody in time (a GC pause, a freeze).
    Paused,
    /// Crashed: the host refuses the connection.
    Crashed,
}

/// One RPC case: `(name, config, method, providers, trouble, attempts, outcome, elapsed)`.
type RpcCase = (&'static str, RpcConfig, Method, &'static [Behaviour], Trouble, u8, CallOutcome, TimeUs);

fn check_rpc_call(case: RpcCase, seed: u64) {
    let (name, config, method, behaviours, trouble, attempts, outcome, elapsed_us) = case;
    let name = format!("{name} (seed {seed})");
    let mut w = RpcWorld::new(seed, config, behaviours, 5 * MS, &[(0, method, 1)]);
    for node in w.providers.clone() {
        match trouble {
            Trouble::None => {}
            Trouble::Paused => w.sim.schedule_fault(0, Fault::Pause { node }),
            Trouble::Crashed => w.sim.schedule_fault(0, Fault::Crash { node }),
        }
    }
    w.sim.run_until(10 * SEC, 1_000_000);
    let records = w.records();
    assert_eq!(records.len(), 1, "{name}: one finished call");
    let r = records[0];
    assert_eq!((r.attempts, r.outcome), (attempts, Some(outcome)), "{name}");
    let distinct: BTreeSet<NodeId> = r.tried().iter().copied().collect();
    assert_eq!(distinct.len(), usize::from(r.attempts), "{name}: every attempt on a new provider");
    assert_eq!(r.finished_us - r.started_us, elapsed_us, "{name}: elapsed");
    check_call_records(w.client()).unwrap_or_else(|e| panic!("{name}: {e}"));
}

#[test]
fn failover_retries_on_distinct_providers_and_failfast_does_not() {
    // Dubbo: retries=2 → 3 attempts, each with its own 1000 ms timeout; 1 ms links, 5 ms service.
    let dubbo = RpcConfig::default();
    let failfast_writes = RpcConfig { non_idempotent_cluster: ClusterMode::Failfast, ..dubbo };
    let busy: &[Behaviour] = &[Behaviour::Overloaded; 4];
    let fine: &[Behaviour] = &[Behaviour::Ok; 4];
    let no_stock: &[Behaviour] = &[Behaviour::Biz(BizError::InsufficientStock); 4];
    let overloaded = CallOutcome::Failed(RpcFailure::Overloaded);
    let cases: [RpcCase; 8] = [
        ("failover, all overloaded", dubbo, Method::GetProduct, busy, Trouble::None, 3, overloaded, 6 * MS),
        ("failover, all paused", dubbo, Method::GetProduct, fine, Trouble::Paused, 3, CallOutcome::Unknown, 3000 * MS),
        (
            "failover, all crashed",
            dubbo,
            Method::GetProduct,
            fine,
            Trouble::Crashed,
            3,
            CallOutcome::Failed(RpcFailure::Refused),
            6 * MS,
        ),
        // Dubbo's default retries writes too: three attempts at creating one order.
        (
            "failover write, all paused",
            dubbo,
            Method::CreateOrder,
            fine,
            Trouble::Paused,
            3,
            CallOutcome::Unknown,
            3000 * MS,
        ),
        (
            "failfast write, overloaded",
            failfast_writes,
            Method::CreateOrder,
            busy,
            Trouble::None,
            1,
            overloaded,
            2 * MS,
        ),
        (
            "failfast write, paused",
            failfast_writes,
            Method::CreateOrder,
            fine,
            Trouble::Paused,
            1,
            CallOutcome::Unknown,
            1000 * MS,
        ),
        (
            "business exception",
            dubbo,
            Method::DecrementStock,
            no_stock,
            Trouble::None,
            1,
            CallOutcome::Failed(RpcFailure::Biz(BizError::InsufficientStock)),
            7 * MS,
        ),
        (
            "no provider",
            dubbo,
            Method::GetProduct,
            &[],
            Trouble::None,
            0,
            CallOutcome::Failed(RpcFailure::NoProvider),
            0,
        ),
    ];
    for case in cases {
        (1..=5).for_each(|seed| check_rpc_call(case, seed));
    }
}

#[test]
fn a_timeout_is_unknown_and_a_retried_decrement_applies_twice() {
    // Inventory-1 takes 1500 ms (past Dubbo's 1000 ms timeout) but does
    // decrement; inventory-2 answers in 5 ms. Round robin tries inventory-1 first.
    struct Case {
        name: &'static str,
        cluster: ClusterMode,
        method: Method,
        outcome: CallOutcome,
        attempts: u8,
        /// Executions on (inventory-1, inventory-2).
        executed: (usize, usize),
        twice: bool,
    }
    let cases = [
        Case {
            name: "failover decrement",
            cluster: ClusterMode::Failover,
            method: Method::DecrementStock,
            outcome: CallOutcome::Ok(0),
            attempts: 2,
            executed: (1, 1),
            twice: true,
        },
        Case {
            name: "failfast decrement",
            cluster: ClusterMode::Failfast,
            method: Method::DecrementStock,
            outcome: CallOutcome::Unknown,
            attempts: 1,
            executed: (1, 0),
            twice: false,
        },
        Case {
            name: "failover read",
            cluster: ClusterMode::Failover,
            method: Method::GetStock,
            outcome: CallOutcome::Ok(0),
            attempts: 2,
            executed: (1, 1),
            twice: false,
        },
    ];
    for case in cases {
        let config = RpcConfig {
            cluster: case.cluster,
            non_idempotent_cluster: case.cluster,
            load_balance: LoadBalance::RoundRobin,
            ..RpcConfig::default()
        };
        let mut w = RpcWorld::new(1, config, &[Behaviour::Ok, Behaviour::Ok], 5 * MS, &[(0, case.method, 1)]);
        w.set_service_time(0, 1500 * MS);
        w.sim.run_until(5 * SEC, 1_000_000);
        let r = w.records()[0];
        assert_eq!(
            (r.outcome, r.attempts, r.unknown_attempts),
            (Some(case.outcome), case.attempts, 1),
            "{}",
            case.name
        );
        assert_eq!((w.executed(0).len(), w.executed(1).len()), case.executed, "{}: executions", case.name);
        assert_eq!(r.may_have_applied_twice(), case.twice, "{}: flagged as possibly applied twice", case.name);
        // The slow attempt's reply arrives at 1502 ms, after the consumer gave up on it.
        assert_eq!(w.client().late_replies, 1, "{}: late reply", case.name);
        assert_eq!(w.client().maybe_applied_twice, u64::from(case.twice), "{}: counted", case.name);
        let stock_taken: u32 =
            (0..2).map(|i| w.executed(i).iter().filter(|(m, _)| *m == Method::DecrementStock).count() as u32).sum();
        let expected_taken = if case.method == Method::DecrementStock { case.executed.0 + case.executed.1 } else { 0 };
        assert_eq!(stock_taken as usize, expected_taken, "{}: units decremented for one order", case.name);
    }
}

// ---- product cache ----------------------------------------------------------------------

#[test]
fn cache_aside_hits_misses_and_invalidates_on_update() {
    // TTL 300 s. (time, op) → (source, version) for reads.
    let script = [
        (0, Op::Read(1)),
        (100 * MS, Op::Read(1)),
        (200 * MS, Op::Update(1)),
        (300 * MS, Op::Read(1)),
        (400 * MS, Op::Read(1)),
        (301 * SEC, Op::Read(1)),
    ];
    let expected: [(u32, Option<(u32, ReadSource)>); 6] = [
        (0, Some((1, ReadSource::Db))),
        (1, Some((1, ReadSource::Cache))),
        (2, Some((2, ReadSource::Db))), // the update: DB now at version 2
        (3, Some((2, ReadSource::Db))), // invalidated: reload
        (4, Some((2, ReadSource::Cache))),
        (5, Some((2, ReadSource::Db))), // set at 0.310 s, expired at 300.310 s
    ];
    let mut w = CacheWorld::new(CacheAsideConfig::default(), &script);
    w.sim.run_until(400 * SEC, 1_000_000);
    let done = w.done();
    for (tag, result) in expected {
        let d = done.iter().find(|d| d.tag == tag).unwrap_or_else(|| panic!("op {tag} unanswered"));
        assert_eq!(d.result.ok(), result, "op {tag}");
    }
    let aside = w.aside();
    assert_eq!((aside.reads, aside.hits, aside.misses, aside.db_loads), (5, 2, 3, 3));
    assert_eq!(aside.hit_ratio_permille(), 400);
    assert_eq!(aside.invalidations, 1);
    assert_eq!(w.db_loads(), 3, "the DB saw three loads");
    check_never_served_expired(w.store()).expect("never past TTL");
    let fresh = w.store().freshness(400 * SEC);
    assert_eq!(fresh.len(), 1);
    assert_eq!((fresh[0].version, fresh[0].ttl_us), (2, 300 * SEC));
    assert_eq!(fresh[0].age_us, 400 * SEC - (301 * SEC + 10 * MS), "age of the entry set by the last miss");
}

#[test]
fn a_hot_key_expiring_stampedes_the_db_unless_single_flight() {
    // Product 7 cached at ~0 s with TTL 300 s; at 400 s ten readers ask at once.
    let cases = [(StampedeGuard::None, 10, 0), (StampedeGuard::SingleFlight, 1, 9)];
    for (guard, loads_at_expiry, coalesced) in cases {
        let mut script = vec![(0, Op::Read(7))];
        script.extend((0..10).map(|_| (400 * SEC, Op::Read(7))));
        let mut w = CacheWorld::new(CacheAsideConfig { guard, ..CacheAsideConfig::default() }, &script);
        w.sim.run_until(400 * SEC + 2 * MS, 1_000_000);
        check_single_flight(w.aside()).unwrap_or_else(|e| panic!("{guard:?}: {e}"));
        w.sim.run_until(401 * SEC, 1_000_000);
        assert_eq!(w.db_loads(), 1 + loads_at_expiry, "{guard:?}: loads the DB saw");
        assert_eq!(w.aside().loads_coalesced, coalesced, "{guard:?}: misses that waited");
        let answers: Vec<_> = w.done().iter().filter(|d| d.tag > 0).map(|d| d.result).collect();
        assert_eq!(answers, vec![Ok((1, ReadSource::Db)); 10], "{guard:?}: every reader got the row");
    }
}

#[test]
fn a_dead_cache_sends_every_read_to_the_db() {
    let mut w = CacheWorld::new(CacheAsideConfig::default(), &[(10 * MS, Op::Read(3)), (20 * MS, Op::Read(3))]);
    w.sim.schedule_fault(0, Fault::Crash { node: w.cache });
    w.sim.run_until(SEC, 1_000_000);
    let aside = w.aside();
    assert_eq!((aside.cache_errors, aside.db_loads, aside.hits), (2, 2, 0), "refused → DB, twice");
    assert!(w.done().iter().all(|d| d.result == Ok((1, ReadSource::Db))));
}
