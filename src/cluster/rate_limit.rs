//! Rate limiters as pure integer algorithms, and the bound they must keep.
//!
//! Owns four algorithms and their state: Spring Cloud Gateway's token bucket
//! (`replenishRate`, `burstCapacity`, refilled on Redis `TIME`'s whole
//! seconds, over → 429), nginx `limit_req`'s leaky bucket (excess in
//! milli-requests on a millisecond clock, `burst`, `nodelay`, over → 503), the
//! sliding-window counter (`prev × (1 − elapsed) + cur`) and the fixed window
//! (which lets 2× the limit through across a window boundary). Also owns the
//! choice of what to do when the limiter's store (Redis) is unreachable —
//! fail open or fail closed — and `check_limiter_bound`, the invariant
//! "accepted ≤ burst + rate × W in any window W". Never sends a message, sets
//! a timer or draws randomness: a caller hands it the time and whether its
//! store answered, and gets a decision.
//!
//! Volatile: everything (a gateway keeping the limiter in memory loses it on a
//! crash; one keeping it in Redis loses it with Redis).

use crate::sim::{MS, SEC, TimeUs};
use std::collections::VecDeque;

mod bound;
pub use bound::{LimiterBound, check_limiter, check_limiter_bound};

/// Spring Cloud Gateway's `RedisRateLimiter` (its Lua token-bucket script).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenBucketConfig {
    /// `redis-rate-limiter.replenishRate`: tokens added per second.
    pub replenish_per_s: u64,
    /// `redis-rate-limiter.burstCapacity`: the bucket's size (it starts full).
    pub burst_capacity: u64,
    /// `redis-rate-limiter.requestedTokens` (default 1): the cost of a request.
    pub requested_tokens: u64,
    /// The script reads `redis.call('TIME')[1]`, whole seconds, so the bucket
    /// refills in steps of `replenishRate` once a second, not continuously.
    pub clock_granularity_us: TimeUs,
}

impl Default for TokenBucketConfig {
    /// The Spring Cloud Gateway documentation's example: 10/s, burst 20.
    fn default() -> Self {
        Self { replenish_per_s: 10, burst_capacity: 20, requested_tokens: 1, clock_granularity_us: SEC }
    }
}

/// nginx `limit_req_zone … rate=` with `limit_req … burst= [nodelay]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeakyBucketConfig {
    /// `rate=Nr/s` (the nginx documentation's example is 1r/s).
    pub rate_per_s: u64,
    /// `burst=` (default 0): excess requests allowed to wait or pass.
    pub burst: u64,
    /// `nodelay`: serve burst requests at once instead of spacing them.
    pub nodelay: bool,
    /// `limit_req_status` (default 503).
    pub reject_status: u16,
}

impl Default for LeakyBucketConfig {
    fn default() -> Self {
        Self { rate_per_s: 1, burst: 0, nodelay: false, reject_status: 503 }
    }
}

/// A counter window: at most `limit` requests per `window_us`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowConfig {
    pub limit: u64,
    pub window_us: TimeUs,
}

impl Default for WindowConfig {
    fn default() -> Self {
        Self { limit: 100, window_us: SEC }
    }
}

/// Which algorithm a limiter runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    TokenBucket(TokenBucketConfig),
    LeakyBucket(LeakyBucketConfig),
    SlidingWindow(WindowConfig),
    FixedWindow(WindowConfig),
}

/// What to do when the limiter's store (Redis) cannot be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorePolicy {
    /// Let the request through unchecked: Spring Cloud Gateway's
    /// `RedisRateLimiter` does this on any Redis error (availability first;
    /// the surge passes while Redis is down).
    FailOpen,
    /// Refuse the request: protects the back end, turns a Redis outage into
    /// an outage of every limited route.
    FailClosed,
}

/// A limiter's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitConfig {
    pub algorithm: Algorithm,
    pub store_policy: StorePolicy,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self { algorithm: Algorithm::TokenBucket(TokenBucketConfig::default()), store_policy: StorePolicy::FailOpen }
    }
}

/// Why a limiter refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LimitReason {
    /// Token bucket empty (Spring Cloud Gateway: 429 Too Many Requests).
    TokensExhausted,
    /// nginx `limit_req`: excess above `burst` (503 by default).
    BurstExceeded,
    /// Sliding or fixed window full (429).
    WindowFull,
    /// The limiter's store was unreachable and the policy is fail-closed (503).
    StoreUnavailable,
}

impl LimitReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TokensExhausted => "rate limited: no tokens",
            Self::BurstExceeded => "rate limited: burst exceeded",
            Self::WindowFull => "rate limited: window full",
            Self::StoreUnavailable => "limiter store unavailable",
        }
    }
}

/// A limiter's answer for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitDecision {
    /// Pass, after `delay_us` (nginx spaces burst requests unless `nodelay`).
    Allow {
        delay_us: TimeUs,
    },
    Reject {
        reason: LimitReason,
        status: u16,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Tokens scaled by `SEC`, so `replenish_per_s` scaled tokens arrive per µs.
    Token {
        tokens_scaled: u64,
        last_us: Option<TimeUs>,
    },
    /// nginx's `excess` (milli-requests) and `last` (ms).
    Leaky {
        excess_milli: u64,
        last_ms: Option<u64>,
    },
    Window {
        start_us: TimeUs,
        prev: u64,
        cur: u64,
    },
}

/// How many accept times a limiter remembers for `check_limiter_bound`.
pub const ACCEPT_LOG_CAPACITY: usize = 1024;

/// One limiter (one key: a route, a user, an IP).
#[derive(Clone, Debug)]
pub struct RateLimiter {
    /// Fixed for the limiter's life (its state is shaped by the algorithm).
    config: RateLimitConfig,
    state: State,
    /// Whether the store answered lately; the host sets it (e.g. from its
    /// Redis connection's health).
    pub store_reachable: bool,
    pub accepted: u64,
    pub rejected: u64,
    /// Requests let through unchecked because the store was down (fail-open).
    pub passed_unchecked: u64,
    /// Times of the latest accepted requests (including unchecked passes).
    pub accept_log: VecDeque<TimeUs>,
    /// The first time the accepts broke the algorithm's promised bound
    /// (checked on every accept; a fail-open pass counts as an accept).
    pub bound_violation: Option<String>,
    /// The running minimum of `check_limiter_bound`'s `g` over every accept
    /// so far, and that accept's time: the check in O(1) per accept.
    bound_min_g: Option<(i128, TimeUs)>,
}

impl RateLimiter {
    pub fn new(config: RateLimitConfig) -> Self {
        let state = match config.algorithm {
            Algorithm::TokenBucket(_) => State::Token { tokens_scaled: 0, last_us: None },
            Algorithm::LeakyBucket(_) => State::Leaky { excess_milli: 0, last_ms: None },
            Algorithm::SlidingWindow(_) | Algorithm::FixedWindow(_) => State::Window { start_us: 0, prev: 0, cur: 0 },
        };
        Self {
            config,
            state,
            store_reachable: true,
            accepted: 0,
            rejected: 0,
            passed_unchecked: 0,
            accept_log: VecDeque::new(),
            bound_violation: None,
            bound_min_g: None,
        }
    }

    pub fn config(&self) -> RateLimitConfig {
        self.config
    }

    /// Forget all state (the store that held it was lost).
    pub fn reset(&mut self) {
        *self = Self { store_reachable: self.store_reachable, ..Self::new(self.config) };
    }

    /// Decide one request arriving at `now_us`.
    pub fn check(&mut self, now_us: TimeUs) -> LimitDecision {
        let decision = if self.store_reachable {
            match self.config.algorithm {
                Algorithm::TokenBucket(c) => self.token_bucket(c, now_us),
                Algorithm::LeakyBucket(c) => self.leaky_bucket(c, now_us),
                Algorithm::SlidingWindow(c) => self.window(c, now_us, true),
                Algorithm::FixedWindow(c) => self.window(c, now_us, false),
            }
        } else {
            match self.config.store_policy {
                StorePolicy::FailOpen => {
                    self.passed_unchecked += 1;
                    LimitDecision::Allow { delay_us: 0 }
                }
                StorePolicy::FailClosed => LimitDecision::Reject { reason: LimitReason::StoreUnavailable, status: 503 },
            }
        };
        match decision {
            LimitDecision::Allow { .. } => {
                self.accepted += 1;
                if self.accept_log.len() == ACCEPT_LOG_CAPACITY {
                    self.accept_log.pop_front();
                }
                self.accept_log.push_back(now_us);
                self.watch_bound(now_us);
            }
            LimitDecision::Reject { .. } => self.rejected += 1,
        }
        decision
    }

    /// Spring Cloud Gateway's script: refill by whole elapsed clock steps,
    /// take `requested` if there are enough, store tokens and time either way.
    fn token_bucket(&mut self, c: TokenBucketConfig, now_us: TimeUs) -> LimitDecision {
        let State::Token { tokens_scaled, last_us } = &mut self.state else { unreachable!("state matches algorithm") };
        let now_q = now_us / c.clock_granularity_us.max(1) * c.clock_granularity_us.max(1);
        let capacity = c.burst_capacity.saturating_mul(SEC);
        let filled = match *last_us {
            None => capacity,
            Some(last) => {
                let refill = now_q.saturating_sub(last).saturating_mul(c.replenish_per_s);
                capacity.min(tokens_scaled.saturating_add(refill))
            }
        };
        let cost = c.requested_tokens.saturating_mul(SEC);
        let allowed = filled >= cost;
        *tokens_scaled = if allowed { filled - cost } else { filled };
        *last_us = Some(now_q);
        if allowed {
            LimitDecision::Allow { delay_us: 0 }
        } else {
            LimitDecision::Reject { reason: LimitReason::TokensExhausted, status: 429 }
        }
    }

    /// nginx `ngx_http_limit_req_lookup`: `excess = excess − rate × ms / 1000
    /// + 1000`, refuse if above `burst`; a key's first request starts at 0.
    fn leaky_bucket(&mut self, c: LeakyBucketConfig, now_us: TimeUs) -> LimitDecision {
        let State::Leaky { excess_milli, last_ms } = &mut self.state else { unreachable!("state matches algorithm") };
        let now_ms = now_us / MS;
        let rate_milli = c.rate_per_s.saturating_mul(1000).max(1);
        let excess = match *last_ms {
            None => 0,
            Some(last) => {
                let leaked = rate_milli.saturating_mul(now_ms.saturating_sub(last)) / 1000;
                (*excess_milli + 1000).saturating_sub(leaked)
            }
        };
        if excess > c.burst.saturating_mul(1000) {
            return LimitDecision::Reject { reason: LimitReason::BurstExceeded, status: c.reject_status };
        }
        // nginx moves `last` only when time has passed (`if (ms) lr->last = now`).
        if last_ms.is_none_or(|last| now_ms != last) {
            *last_ms = Some(now_ms);
        }
        *excess_milli = excess;
        let delay_us = if c.nodelay { 0 } else { excess * 1000 / rate_milli * MS };
        LimitDecision::Allow { delay_us }
    }

    /// Counter windows aligned on multiples of `window_us`.
    fn window(&mut self, c: WindowConfig, now_us: TimeUs, sliding: bool) -> LimitDecision {
        self.roll_window(c, now_us);
        let State::Window { start_us, prev, cur } = &mut self.state else { unreachable!("state matches algorithm") };
        let w = c.window_us.max(1);
        let allowed = if sliding {
            // Estimate after this request, scaled by W: prev × (W − e) + (cur + 1) × W ≤ limit × W.
            let elapsed = now_us - *start_us;
            let estimate = u128::from(*prev) * u128::from(w - elapsed) + u128::from(*cur + 1) * u128::from(w);
            estimate <= u128::from(c.limit) * u128::from(w)
        } else {
            *cur < c.limit
        };
        if allowed {
            *cur += 1;
            LimitDecision::Allow { delay_us: 0 }
        } else {
            LimitDecision::Reject { reason: LimitReason::WindowFull, status: 429 }
        }
    }

    fn roll_window(&mut self, c: WindowConfig, now_us: TimeUs) {
        let State::Window { start_us, prev, cur } = &mut self.state else { return };
        let w = c.window_us.max(1);
        let start_now = now_us / w * w;
        if start_now == *start_us {
            return;
        }
        *prev = if start_now == *start_us + w { *cur } else { 0 };
        *cur = 0;
        *start_us = start_now;
    }

    /// The sliding-window estimate `prev × (1 − elapsed/W) + cur` at `now_us`,
    /// in thousandths of a request (for inspectors and tests).
    pub fn sliding_estimate_milli(&mut self, now_us: TimeUs) -> Option<u64> {
        let Algorithm::SlidingWindow(c) = self.config.algorithm else { return None };
        self.roll_window(c, now_us);
        let State::Window { start_us, prev, cur } = self.state else { return None };
        let w = u128::from(c.window_us.max(1));
        let remaining = w - u128::from(now_us - start_us);
        Some((u128::from(prev) * remaining * 1000 / w) as u64 + cur * 1000)
    }

    /// Tokens left in a token bucket as last stored (whole tokens).
    pub fn tokens(&self) -> Option<u64> {
        match self.state {
            State::Token { tokens_scaled, last_us: Some(_) } => Some(tokens_scaled / SEC),
            // A bucket no request has touched is full (the script's `last_tokens` defaults to capacity).
            State::Token { last_us: None, .. } => match self.config.algorithm {
                Algorithm::TokenBucket(c) => Some(c.burst_capacity),
                _ => None,
            },
            _ => None,
        }
    }

    /// The bound this limiter's algorithm promises (fixed window included:
    /// it promises the same on paper, and breaks it at a boundary).
    pub fn bound(&self) -> LimiterBound {
        match self.config.algorithm {
            Algorithm::TokenBucket(c) => {
                let cost = c.requested_tokens.max(1);
                LimiterBound {
                    burst: c.burst_capacity / cost,
                    per_window: c.replenish_per_s,
                    window_us: SEC * cost,
                    clock_granularity_us: c.clock_granularity_us,
                }
            }
            Algorithm::LeakyBucket(c) => {
                LimiterBound { burst: c.burst + 1, per_window: c.rate_per_s, window_us: SEC, clock_granularity_us: MS }
            }
            Algorithm::SlidingWindow(c) | Algorithm::FixedWindow(c) => {
                LimiterBound { burst: c.limit, per_window: c.limit, window_us: c.window_us, clock_granularity_us: 1 }
            }
        }
    }
}
