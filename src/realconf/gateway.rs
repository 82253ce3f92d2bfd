//! The gateway snippet: Spring Cloud Gateway's rate limiter and retry filter, and the product cache.
//!
//! Owns the gateway's `application.yml` as the `rate-limit` switch has it
//! (`RequestRateLimiter` with the model's replenish rate and burst, one
//! bucket per service; a sliding window as a custom limiter; none) with the
//! `Retry` filter from the model's `RetryConfig`, and the product service's
//! cache-aside on Redis as `product-cache` and `cache-ttl` have it. Never
//! invents a rate: each comes from the gateway's `GatewayConfig`.

use super::facts::Facts;
use super::{Snippet, header, millis, secs};
use crate::cluster::design::{CacheDesign, Design};
use crate::cluster::gateway::GatewayConfig;
use crate::cluster::rate_limit::{Algorithm, StorePolicy};
use std::fmt::Write;

const SWITCHES: [&str; 3] = ["rate-limit", "product-cache", "cache-ttl"];

pub fn snippet(design: &Design, facts: &Facts) -> Snippet {
    let mut text = header("yaml", design, &SWITCHES);
    if let Some((name, config)) = &facts.gateway {
        text.push_str(&gateway_yaml(name, config));
    }
    text.push_str(&product_cache_yaml(design, facts));
    Snippet { id: "gateway", title: "Gateway and product cache", language: "yaml", text }
}

fn gateway_yaml(name: &str, config: &GatewayConfig) -> String {
    let mut out = format!("# {name}: application.yml\nspring:\n  cloud:\n    gateway:\n      default-filters:\n");
    match config.rate_limit.map(|r| (r.algorithm, r.store_policy)) {
        None => out.push_str("        # rate-limit=off: no RequestRateLimiter; a surge reaches the services whole\n"),
        Some((Algorithm::TokenBucket(bucket), policy)) => {
            let _ = write!(
                out,
                "        # One bucket per service (the key is the route), in Redis: {} tokens a second,\n        \
                 # {} at most; a request over it gets 429.{}\n        \
                 - name: RequestRateLimiter\n          args:\n            \
                 redis-rate-limiter.replenishRate: {}\n            \
                 redis-rate-limiter.burstCapacity: {}\n            \
                 redis-rate-limiter.requestedTokens: {}\n            \
                 key-resolver: \"#{{@routeKeyResolver}}\"\n",
                bucket.replenish_per_s,
                bucket.burst_capacity,
                fail_open_note(policy),
                bucket.replenish_per_s,
                bucket.burst_capacity,
                bucket.requested_tokens
            );
        }
        Some((Algorithm::SlidingWindow(window) | Algorithm::FixedWindow(window), policy)) => {
            let _ = write!(
                out,
                "        # Spring Cloud Gateway's built-in limiter is the token bucket; a sliding window of\n        \
                 # {} requests per {} s per service needs your own RateLimiter bean.{}\n        \
                 - name: RequestRateLimiter\n          args:\n            \
                 rate-limiter: \"#{{@slidingWindowRateLimiter}}\"\n            \
                 key-resolver: \"#{{@routeKeyResolver}}\"\n",
                window.limit,
                secs(window.window_us),
                fail_open_note(policy)
            );
        }
        Some((Algorithm::LeakyBucket(_), _)) => {
            out.push_str("        # a leaky bucket is not built in either: a custom RateLimiter bean\n");
        }
    }
    if let Some(retry) = config.retry {
        let methods = if retry.idempotent_only { "GET" } else { "GET,POST" };
        let _ = write!(
            out,
            "        # Retry: a GET that failed on one instance is tried on another; an order (POST) never\n        \
             - name: Retry\n          args:\n            retries: {}\n            methods: {methods}\n",
            retry.retries
        );
    }
    let _ = writeln!(
        out,
        "      httpclient:\n        response-timeout: {}ms   # the model's call timeout",
        millis(config.upstream_timeout_us)
    );
    out
}

fn fail_open_note(policy: StorePolicy) -> &'static str {
    match policy {
        StorePolicy::FailOpen => {
            "\n        # If Redis is down the request passes unchecked (RedisRateLimiter fails open)."
        }
        StorePolicy::FailClosed => {
            "\n        # If Redis is down the request is refused (a custom limiter: SCG's own fails open)."
        }
    }
}

fn product_cache_yaml(design: &Design, facts: &Facts) -> String {
    let Some((cache, config)) = &facts.product_cache else { return String::new() };
    let mut out = String::from("\n---\n# product-1, product-2: application.yml (cache-aside on the product cache)\n");
    if design.product_cache == CacheDesign::Off {
        out.push_str("# product-cache=off: no cache; every detail page reads MyCat.\n");
        return out;
    }
    let _ = write!(
        out,
        "spring:\n  data:\n    redis:\n      host: {cache}\n      timeout: {}ms   # then read MyCat instead\n\
         # Each product is cached on a miss with SET product:<id> <json> EX {} (cache-ttl) and\n\
         # deleted when it changes.\n",
        millis(config.cache_timeout_us),
        secs(config.ttl_us)
    );
    if design.product_cache == CacheDesign::SingleFlight {
        out.push_str(
            "# single-flight: concurrent misses on one product wait for one load, e.g. with Spring's\n\
             # @Cacheable(cacheNames = \"product\", sync = true) on the loader.\n",
        );
    } else {
        out.push_str("# on: concurrent misses on a hot product all load MyCat (a stampede when it expires).\n");
    }
    out
}
