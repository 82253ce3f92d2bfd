//! Load-balancing algorithms with nginx's semantics, and the kinds of balancer.
//!
//! Owns the choice of one upstream for one attempt: plain round robin, smooth
//! weighted round robin (nginx's default: each pick adds every server's weight
//! to its current weight, takes the largest and subtracts the total, so
//! weights {5,1,1} give a a b a c a a), least connections compared as
//! active/weight with ties broken by weighted round robin, IP hash over the
//! first three octets of an IPv4 address (a whole /24 behind one NAT lands on
//! one server), weighted random, and the power of two choices (`random two
//! least_conn`). Every algorithm skips servers that are down, full
//! (`max_conns`) or already tried for this request. Also owns the client
//! address type and the three kinds of balancer the source texts name (F5,
//! LVS, nginx) with what each can see and do.
//!
//! Never sends, times or learns anything itself: the balancer tells it which
//! servers are down, which were tried and how many connections each holds.
//! Randomness comes only from the `SimRng` it is handed.

use crate::sim::{NodeId, SEC, SimRng, TimeUs};
use serde::{Deserialize, Serialize};

/// At most this many upstreams per balancer (the `Tried` set is one word).
pub const MAX_PEERS: usize = 64;

/// How the next upstream is chosen (`lb-algorithm` switch values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// Plain rotation that ignores weights (LVS `rr`).
    RoundRobin,
    /// nginx's default: smooth weighted round robin.
    #[default]
    WeightedRoundRobin,
    /// nginx `least_conn`: fewest active/weight, ties by weighted round robin.
    LeastConn,
    /// nginx `ip_hash`: hash of the first three octets of the client address.
    IpHash,
    /// nginx `random`: a server drawn with probability proportional to weight.
    Random,
    /// nginx `random two least_conn`: draw two, keep the less loaded.
    P2c,
}

impl Algorithm {
    pub const ALL: [Algorithm; 6] =
        [Self::RoundRobin, Self::WeightedRoundRobin, Self::LeastConn, Self::IpHash, Self::Random, Self::P2c];

    /// The switch value, as serde spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RoundRobin => "round-robin",
            Self::WeightedRoundRobin => "weighted-round-robin",
            Self::LeastConn => "least-conn",
            Self::IpHash => "ip-hash",
            Self::Random => "random",
            Self::P2c => "p2c",
        }
    }
}

/// A client's IPv4 address as the balancer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClientAddr(pub [u8; 4]);

impl ClientAddr {
    /// Where shopper `shopper` of pool node `pool` comes from when not behind a
    /// shared NAT: each shopper on its own home line (its own /24), each pool
    /// in its own first octet. A pure function, so runs stay reproducible.
    pub const fn of_shopper(pool: NodeId, shopper: u16) -> Self {
        Self([1 + (pool.0 % 223) as u8, (shopper >> 8) as u8, shopper as u8, 7])
    }
}

/// One upstream as the algorithms see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    /// nginx `weight=` (default 1).
    pub weight: u32,
    /// Requests in flight to it now.
    pub active: u32,
    /// nginx `max_conns=` (0 = no limit).
    pub max_conns: u32,
    /// Out of rotation (failed health checks or passive `max_fails`).
    pub down: bool,
}

impl Peer {
    pub const fn new(weight: u32) -> Self {
        Self { weight, active: 0, max_conns: 0, down: false }
    }

    const fn full(&self) -> bool {
        self.max_conns > 0 && self.active >= self.max_conns
    }
}

/// The upstreams already tried for one request (nginx's `tried` bitmap).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Tried(u64);

impl Tried {
    pub const fn contains(self, i: usize) -> bool {
        self.0 & (1 << i) != 0
    }
    pub const fn with(self, i: usize) -> Self {
        Self(self.0 | (1 << i))
    }
    /// True once all of the first `n` upstreams were tried.
    pub const fn covers(self, n: usize) -> bool {
        let all = if n >= MAX_PEERS { u64::MAX } else { (1u64 << n) - 1 };
        self.0 & all == all
    }
}

/// The algorithm's memory between picks (volatile: a restart forgets it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picker {
    pub algorithm: Algorithm,
    current_weight: Vec<i64>,
    /// nginx lowers a failing server's effective weight and lets it climb back
    /// by one per pick, so a flapping server gets traffic back gradually.
    effective_weight: Vec<i64>,
    cursor: usize,
}

impl Picker {
    pub fn new(algorithm: Algorithm, peers: &[Peer]) -> Self {
        assert!(peers.len() <= MAX_PEERS, "at most {MAX_PEERS} upstreams, got {}", peers.len());
        Self {
            algorithm,
            current_weight: vec![0; peers.len()],
            effective_weight: peers.iter().map(|p| i64::from(p.weight)).collect(),
            cursor: 0,
        }
    }

    /// The current weights of smooth weighted round robin (for inspectors).
    pub fn current_weights(&self) -> &[i64] {
        &self.current_weight
    }

    /// The upstream for the next attempt, or `None` if none is usable.
    pub fn pick(&mut self, peers: &[Peer], tried: Tried, client: ClientAddr, rng: &mut SimRng) -> Option<usize> {
        debug_assert_eq!(peers.len(), self.current_weight.len(), "picker built for another upstream list");
        match self.algorithm {
            Algorithm::RoundRobin => self.round_robin(peers, tried),
            Algorithm::WeightedRoundRobin => self.smooth_weighted(peers, |i| usable(peers, tried, i)),
            Algorithm::LeastConn => self.least_conn(peers, tried),
            Algorithm::IpHash => self.ip_hash(peers, tried, client),
            Algorithm::Random => weighted_draw(peers, rng, |i| usable(peers, tried, i)),
            Algorithm::P2c => two_choices(peers, tried, rng),
        }
    }

    /// An attempt on `i` failed: like nginx, cut its effective weight by
    /// `weight / max_fails` so weighted round robin sends it less for a while.
    pub fn note_failure(&mut self, i: usize, peers: &[Peer], max_fails: u32) {
        let cut = i64::from(peers[i].weight / max_fails.max(1));
        self.effective_weight[i] = (self.effective_weight[i] - cut).max(0);
    }

    fn round_robin(&mut self, peers: &[Peer], tried: Tried) -> Option<usize> {
        let n = peers.len();
        let i = (0..n).map(|offset| (self.cursor + offset) % n).find(|&i| usable(peers, tried, i))?;
        self.cursor = (i + 1) % n;
        Some(i)
    }

    /// nginx's `ngx_http_upstream_get_peer` over the candidates `eligible`
    /// accepts: ties go to the first, as nginx keeps the first maximum.
    fn smooth_weighted(&mut self, peers: &[Peer], eligible: impl Fn(usize) -> bool) -> Option<usize> {
        let mut best: Option<usize> = None;
        let mut total = 0;
        for i in (0..peers.len()).filter(|&i| eligible(i)) {
            self.current_weight[i] += self.effective_weight[i];
            total += self.effective_weight[i];
            if self.effective_weight[i] < i64::from(peers[i].weight) {
                self.effective_weight[i] += 1;
            }
            if best.is_none_or(|b| self.current_weight[i] > self.current_weight[b]) {
                best = Some(i);
            }
        }
        let b = best?;
        self.current_weight[b] -= total;
        Some(b)
    }

    /// Fewest active/weight (compared as cross products, as nginx does); a
    /// tie among several goes to weighted round robin among the tied.
    fn least_conn(&mut self, peers: &[Peer], tried: Tried) -> Option<usize> {
        let load = |i: usize, j: usize| u64::from(peers[i].active) * u64::from(peers[j].weight.max(1));
        let mut best: Option<usize> = None;
        let mut many = false;
        for i in (0..peers.len()).filter(|&i| usable(peers, tried, i)) {
            match best {
                Some(b) if load(i, b) == load(b, i) => many = true,
                Some(b) if load(i, b) > load(b, i) => {}
                _ => {
                    best = Some(i);
                    many = false;
                }
            }
        }
        let b = best?;
        if !many {
            return Some(b);
        }
        self.smooth_weighted(peers, |i| usable(peers, tried, i) && load(i, b) == load(b, i))
    }

    /// nginx `ip_hash`: hash = 89, then `hash = (hash × 113 + octet) mod 6271`
    /// over the first three octets, server by `hash mod total_weight`; an
    /// unusable server rehashes, and after 20 tries nginx falls back to
    /// weighted round robin.
    fn ip_hash(&mut self, peers: &[Peer], tried: Tried, client: ClientAddr) -> Option<usize> {
        let total_weight: u64 = peers.iter().map(|p| u64::from(p.weight)).sum();
        if total_weight == 0 {
            return None;
        }
        let mut hash: u64 = 89;
        for _ in 0..=20 {
            for octet in &client.0[..3] {
                hash = (hash * 113 + u64::from(*octet)) % 6271;
            }
            let i = index_by_weight(peers, hash % total_weight, |_| true);
            if usable(peers, tried, i) {
                return Some(i);
            }
        }
        self.smooth_weighted(peers, |i| usable(peers, tried, i))
    }
}

/// Whether upstream `i` may take this attempt.
fn usable(peers: &[Peer], tried: Tried, i: usize) -> bool {
    let p = &peers[i];
    !p.down && !p.full() && p.weight > 0 && !tried.contains(i)
}

/// The eligible upstream whose weight interval contains `ticket`.
fn index_by_weight(peers: &[Peer], mut ticket: u64, eligible: impl Fn(usize) -> bool) -> usize {
    let mut last = 0;
    for i in (0..peers.len()).filter(|&i| eligible(i)) {
        let w = u64::from(peers[i].weight);
        if ticket < w {
            return i;
        }
        ticket -= w;
        last = i;
    }
    last
}

/// One eligible upstream drawn with probability proportional to its weight.
/// (nginx draws over all servers and redraws on an unusable one; drawing over
/// the usable ones only gives the same distribution without the loop.)
fn weighted_draw(peers: &[Peer], rng: &mut SimRng, eligible: impl Fn(usize) -> bool) -> Option<usize> {
    let total: u64 = (0..peers.len()).filter(|&i| eligible(i)).map(|i| u64::from(peers[i].weight)).sum();
    if total == 0 {
        return None;
    }
    Some(index_by_weight(peers, rng.below(total), eligible))
}

/// `random two least_conn`: two different servers drawn by weight; the second
/// is kept unless it is strictly more loaded (active/weight) than the first.
fn two_choices(peers: &[Peer], tried: Tried, rng: &mut SimRng) -> Option<usize> {
    let first = weighted_draw(peers, rng, |i| usable(peers, tried, i))?;
    let Some(second) = weighted_draw(peers, rng, |i| i != first && usable(peers, tried, i)) else {
        return Some(first);
    };
    let (a, b) = (&peers[first], &peers[second]);
    let second_busier = u64::from(b.active) * u64::from(a.weight) > u64::from(a.active) * u64::from(b.weight);
    Some(if second_busier { first } else { second })
}

// ---- kinds of balancer --------------------------------------------------------

/// The three kinds of balancer the source texts name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BalancerKind {
    /// F5 BIG-IP LTM: a hardware full proxy, layers 4–7.
    F5,
    /// LVS (IPVS in the Linux kernel) managed by keepalived: layer 4 only.
    Lvs,
    /// nginx as a reverse proxy: layer 7.
    #[default]
    Nginx,
}

/// How a balancer keeps a client on the same server (`sticky` switch).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Persistence {
    /// By the route in the session cookie (needs to read HTTP).
    Cookie,
    /// By the client's source address, for `persistence_timeout` (LVS `-p`).
    SourceIp,
}

/// An active health check: a probe every `interval_us`; a probe refused or
/// unanswered within `probe_timeout_us` fails; `fall` failures in a row take
/// the server out, one success brings it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveCheck {
    pub interval_us: TimeUs,
    pub probe_timeout_us: TimeUs,
    pub fall: u32,
}

/// What a kind of balancer can see and do. Honest to the defaults of each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Reads HTTP: cookies, methods, and can answer with an error page.
    pub http_aware: bool,
    pub persistence: Persistence,
    /// Re-sends to the next server when a connection is refused (nothing was
    /// sent yet, so any method is safe).
    pub retry_refused: bool,
    /// Re-sends an idempotent request whose server timed out.
    pub retry_timeout_idempotent: bool,
    /// Learns from failed requests (nginx `max_fails` / `fail_timeout`).
    pub passive_health: bool,
    /// On `proxy_timeout` the client is told (504 page or a TCP reset); if
    /// false the entry is dropped silently and the client waits for its own
    /// timeout.
    pub answers_timeout: bool,
    /// Default request timeout: nginx `proxy_read_timeout 60s`, BIG-IP TCP
    /// profile idle timeout 300 s, IPVS established-TCP timeout 900 s.
    pub timeout_us: TimeUs,
    /// Default health check: none in open-source nginx (passive only); BIG-IP
    /// `http` monitor interval 5 s, timeout 16 s (≈ three missed probes);
    /// keepalived `TCP_CHECK` every `delay_loop` 60 s, `connect_timeout` 5 s.
    pub active_check: Option<ActiveCheck>,
}

impl BalancerKind {
    pub const fn capabilities(self) -> Capabilities {
        match self {
            // Full proxy with an HTTP profile and cookie-insert persistence;
            // pool "Reselect Tries" defaults to 0, so a failed connection is
            // not retried elsewhere, and a request once sent never is.
            Self::F5 => Capabilities {
                http_aware: true,
                persistence: Persistence::Cookie,
                retry_refused: false,
                retry_timeout_idempotent: false,
                passive_health: false,
                answers_timeout: true,
                timeout_us: 300 * SEC,
                active_check: Some(ActiveCheck { interval_us: 5 * SEC, probe_timeout_us: 5 * SEC, fall: 3 }),
            },
            // Forwards connections, never reads them: no cookies, no retries,
            // no error pages, no passive health; keepalived's checker is the
            // only thing that takes a dead real server out.
            Self::Lvs => Capabilities {
                http_aware: false,
                persistence: Persistence::SourceIp,
                retry_refused: false,
                retry_timeout_idempotent: false,
                passive_health: false,
                answers_timeout: false,
                timeout_us: 900 * SEC,
                active_check: Some(ActiveCheck { interval_us: 60 * SEC, probe_timeout_us: 5 * SEC, fall: 1 }),
            },
            // `proxy_next_upstream error timeout`, passive health checks.
            Self::Nginx => Capabilities {
                http_aware: true,
                persistence: Persistence::Cookie,
                retry_refused: true,
                retry_timeout_idempotent: true,
                passive_health: true,
                answers_timeout: true,
                timeout_us: 60 * SEC,
                active_check: None,
            },
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::F5 => "f5",
            Self::Lvs => "lvs",
            Self::Nginx => "nginx",
        }
    }
}
