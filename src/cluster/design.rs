//! The design switches of the brief: one plain value that says how the shop is built.
//!
//! Owns the `Design` a reader flips in the UI, a lesson sets up and a
//! scenario file names under `switches`: where sessions live, how the
//! balancer picks and what kind of balancer it is, whether the product cache and its stampede guard are on
//! and how long cached product data lives (`cache-ttl`),
//! whether purchases take the ZooKeeper lock and the store checks fencing
//! tokens, whether order and stock commit through 2PC, async or semi-sync
//! replication, MyCat's `switchType`, the gateway's rate limiter and elastic
//! scaling. Each switch has a closed set of values with a kebab-case name
//! (the `data-switch` values of the UI) and its real-world default. A switch
//! can be flipped while the shop runs (`design_apply`). Never touches a node
//! itself.

use super::lb_algorithm::{Algorithm as LbAlgorithm, BalancerKind};
use super::session_store::SessionStoreKind;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The product cache in front of MyCat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CacheDesign {
    /// Every detail page reads the database.
    Off,
    /// Cache-aside with a TTL; concurrent misses on a hot key all load the DB.
    #[default]
    On,
    /// Cache-aside with single-flight: one DB load per key at a time.
    SingleFlight,
}

/// How purchases serialise on a product's stock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockDesign {
    /// Read-modify-write with no lock: concurrent buyers oversell.
    Off,
    /// The ZooKeeper lock, but the store does not check tokens: a paused
    /// holder whose session expired can still write.
    Lock,
    /// The lock, and the store rejects a token older than one it has seen.
    #[default]
    LockWithFencing,
}

/// How a MySQL source commits with respect to its replica.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplicationDesign {
    /// MySQL's default: acknowledged writes can be lost in a failover.
    #[default]
    Async,
    /// Semi-sync (AFTER_SYNC), falling back to async after 10 s without an ack.
    SemiSync,
}

/// MyCat's `switchType`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SwitchDesign {
    /// −1: never move the write host.
    Never,
    /// 1: move to the next healthy host (MyCat's default).
    #[default]
    Automatic,
    /// 2: move only to a replica that reported no lag.
    WhenInSync,
}

/// The gateway's `RequestRateLimiter`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RateLimitDesign {
    Off,
    /// Spring Cloud Gateway's Redis token bucket.
    #[default]
    TokenBucket,
    /// A sliding-window counter.
    SlidingWindow,
}

/// How long cached product data lives: the product cache's entry TTL and
/// the CDN's `s-maxage` on product descriptions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CacheTtl {
    #[serde(rename = "10s")]
    S10,
    #[serde(rename = "60s")]
    S60,
    /// Five minutes: the product cache's usual TTL in cache-aside examples.
    #[default]
    #[serde(rename = "300s")]
    S300,
    #[serde(rename = "3600s")]
    S3600,
}

impl CacheTtl {
    pub const ALL: [CacheTtl; 4] = [Self::S10, Self::S60, Self::S300, Self::S3600];

    pub const fn seconds(self) -> u64 {
        match self {
            Self::S10 => 10,
            Self::S60 => 60,
            Self::S300 => 300,
            Self::S3600 => 3_600,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::S10 => "10s",
            Self::S60 => "60s",
            Self::S300 => "300s",
            Self::S3600 => "3600s",
        }
    }
}

/// Every switch of the brief, with its real-world default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "kebab-case")]
pub struct Design {
    pub session_store: SessionStoreKind,
    pub lb_algorithm: LbAlgorithm,
    /// F5 (L4–7 hardware), LVS (L4, in the kernel) or nginx (L7).
    pub balancer_kind: BalancerKind,
    pub product_cache: CacheDesign,
    /// The product cache's TTL and the CDN's TTL for product descriptions.
    pub cache_ttl: CacheTtl,
    pub lock: LockDesign,
    /// Order and stock commit together through the 2PC coordinator.
    pub two_phase: bool,
    pub replication: ReplicationDesign,
    pub switch_type: SwitchDesign,
    pub rate_limit: RateLimitDesign,
    /// Add and remove app servers with the load.
    pub autoscaling: bool,
}

impl Default for Design {
    fn default() -> Self {
        Self {
            session_store: SessionStoreKind::Sticky,
            lb_algorithm: LbAlgorithm::default(),
            balancer_kind: BalancerKind::default(),
            product_cache: CacheDesign::default(),
            cache_ttl: CacheTtl::default(),
            lock: LockDesign::default(),
            two_phase: true,
            replication: ReplicationDesign::default(),
            switch_type: SwitchDesign::default(),
            rate_limit: RateLimitDesign::default(),
            autoscaling: false,
        }
    }
}

/// A switch name or value the design does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SwitchError {
    UnknownSwitch {
        switch: String,
    },
    UnknownValue {
        switch: &'static str,
        value: String,
        allowed: Vec<&'static str>,
    },
    /// The switch is chosen when the servers are deployed (the session store
    /// picks the Tomcats' session manager): a running shop cannot change it,
    /// a run can be replayed with it from the start.
    NeedsRedeploy {
        switch: &'static str,
        value: String,
    },
}

impl fmt::Display for SwitchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownSwitch { switch } => {
                write!(f, "there is no design switch `{switch}`; the switches are {}", Design::SWITCHES.join(", "))
            }
            Self::UnknownValue { switch, value, allowed } => {
                write!(f, "`{value}` is not a value of `{switch}`; it can be {}", allowed.join(", "))
            }
            Self::NeedsRedeploy { switch, value } => write!(
                f,
                "`{switch}` is part of how the app servers are deployed, so a running shop cannot switch to \
                 `{value}`: replay the run with it from the start (same seed, same actions)"
            ),
        }
    }
}

impl std::error::Error for SwitchError {}

impl Design {
    /// The `data-switch` names, in the order the UI shows them.
    pub const SWITCHES: [&'static str; 11] = [
        "session-store",
        "lb-algorithm",
        "balancer-kind",
        "product-cache",
        "cache-ttl",
        "lock",
        "two-phase",
        "replication",
        "switch-type",
        "rate-limit",
        "autoscaling",
    ];

    /// Switches chosen when the servers are deployed: a running shop refuses
    /// them, and the playground replays the run with the new value instead.
    pub const REDEPLOY_SWITCHES: [&'static str; 1] = ["session-store"];

    /// Whether `switch` is chosen at deployment (see `REDEPLOY_SWITCHES`).
    pub fn needs_redeploy(switch: &str) -> bool {
        Self::REDEPLOY_SWITCHES.contains(&switch)
    }

    /// The values a switch can take, as their names.
    pub fn values(switch: &str) -> Option<Vec<&'static str>> {
        let names = match switch {
            "session-store" => SessionStoreKind::ALL.iter().map(|k| k.as_str()).collect(),
            "lb-algorithm" => LbAlgorithm::ALL.iter().map(|a| a.as_str()).collect(),
            "balancer-kind" => vec!["f5", "lvs", "nginx"],
            "product-cache" => vec!["off", "on", "single-flight"],
            "cache-ttl" => CacheTtl::ALL.iter().map(|t| t.as_str()).collect(),
            "lock" => vec!["off", "lock", "lock-with-fencing"],
            "two-phase" | "autoscaling" => vec!["off", "on"],
            "replication" => vec!["async", "semi-sync"],
            "switch-type" => vec!["never", "automatic", "when-in-sync"],
            "rate-limit" => vec!["off", "token-bucket", "sliding-window"],
            _ => return None,
        };
        Some(names)
    }

    /// The current value of a switch, by name.
    pub fn get(&self, switch: &str) -> Option<String> {
        let value = match switch {
            "two-phase" => on_off(self.two_phase).to_string(),
            "autoscaling" => on_off(self.autoscaling).to_string(),
            _ => {
                let json = serde_json::to_value(self).ok()?;
                json.get(switch)?.as_str()?.to_string()
            }
        };
        Some(value)
    }

    /// This design with one switch changed; an unknown switch or value is an
    /// error and changes nothing.
    pub fn with(&self, switch: &str, value: &str) -> Result<Design, SwitchError> {
        let Some(allowed) = Self::values(switch) else {
            return Err(SwitchError::UnknownSwitch { switch: switch.to_string() });
        };
        let Some(&name) = allowed.iter().find(|&&v| v == value) else {
            let switch = Self::SWITCHES.iter().find(|&&s| s == switch).copied().unwrap_or("switch");
            return Err(SwitchError::UnknownValue { switch, value: value.to_string(), allowed });
        };
        let mut json = serde_json::to_value(self).expect("a design is plain data");
        let field = match switch {
            "two-phase" | "autoscaling" => serde_json::Value::Bool(name == "on"),
            _ => serde_json::Value::String(name.to_string()),
        };
        json[switch] = field;
        Ok(serde_json::from_value(json).expect("every listed value parses"))
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}
