//! The one source of randomness in the model: a seeded, version-stable PRNG.
//!
//! Owns the generator (PCG32 from `rand_pcg`, whose output for a given seed is
//! promised stable across versions), the derivation of independent sub-seeds
//! (one stream per node and one for the network, so adding a node never shifts
//! another node's draws), and every sampling routine the model uses. The
//! sampling is written here, not taken from `rand`, so that it cannot change
//! under us; it uses only integer arithmetic and IEEE basic operations, which
//! give the same bits natively and in WebAssembly. Never touches OS entropy.

use rand_core::Rng as _;
use rand_pcg::Pcg32;

/// A seeded generator owned by one part of the model.
#[derive(Clone, Debug)]
pub struct SimRng {
    inner: Pcg32,
}

/// SplitMix64's finaliser: spreads any 64-bit input over all 64 bits.
pub const fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The sub-seed for stream `stream` of a run seeded with `seed`.
pub const fn sub_seed(seed: u64, stream: u64) -> u64 {
    mix64(seed ^ mix64(stream.wrapping_add(0x5EED)))
}

impl SimRng {
    /// A generator for one stream of a run.
    pub fn new(seed: u64, stream: u64) -> Self {
        let state = sub_seed(seed, stream);
        Self { inner: Pcg32::new(state, mix64(state) | 1) }
    }

    pub fn next_u32(&mut self) -> u32 {
        self.inner.next_u32()
    }

    pub fn next_u64(&mut self) -> u64 {
        let hi = u64::from(self.next_u32());
        let lo = u64::from(self.next_u32());
        (hi << 32) | lo
    }

    /// Uniform in `0..n` without modulo bias (Lemire's method). `n == 0` gives 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        if n <= u64::from(u32::MAX) {
            let n32 = n as u32;
            let threshold = n32.wrapping_neg() % n32;
            loop {
                let m = u64::from(self.next_u32()) * u64::from(n32);
                if (m as u32) >= threshold {
                    return m >> 32;
                }
            }
        }
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// Uniform in `lo..=hi` (inclusive).
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `ppm` parts per million.
    pub fn chance_ppm(&mut self, ppm: u32) -> bool {
        ppm > 0 && (ppm >= 1_000_000 || self.below(1_000_000) < u64::from(ppm))
    }

    /// A uniform float in [0, 1) built from 53 random bits.
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// An exponentially distributed duration with the given mean (for arrivals
    /// and think times), capped at 20 means so one draw cannot stall a run.
    pub fn exp_us(&mut self, mean_us: u64) -> u64 {
        let u = 1.0 - self.unit_f64(); // (0, 1]
        let draw = -portable_ln(u) * mean_us as f64;
        (draw as u64).min(mean_us.saturating_mul(20))
    }

    /// One element of a non-empty slice, uniformly.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() { None } else { items.get(self.below(items.len() as u64) as usize) }
    }
}

/// Natural logarithm from IEEE basic operations only, so that native and wasm
/// builds agree bit for bit (a platform `ln` may differ in the last place).
/// Accurate to about 1e-15 relative for positive finite input.
pub fn portable_ln(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return f64::NEG_INFINITY;
    }
    // x = m * 2^e with m in [1, 2); then fold m into [sqrt(1/2), sqrt(2)).
    let bits = x.to_bits();
    let mut exponent = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut mantissa = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if exponent == -1023 {
        // subnormal: renormalise
        let scaled = x * (1u64 << 54) as f64;
        return portable_ln(scaled) - 54.0 * std::f64::consts::LN_2;
    }
    if mantissa > std::f64::consts::SQRT_2 {
        mantissa /= 2.0;
        exponent += 1;
    }
    // ln(m) = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172
    let s = (mantissa - 1.0) / (mantissa + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    let mut k = 1.0;
    while k < 40.0 {
        sum += term / k;
        term *= s2;
        k += 2.0;
    }
    2.0 * sum + exponent as f64 * std::f64::consts::LN_2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = SimRng::new(42, 7);
        let mut b = SimRng::new(42, 7);
        let xs: Vec<u64> = (0..16).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..16).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
    }

    #[test]
    fn streams_and_seeds_differ() {
        let first = |seed, stream| SimRng::new(seed, stream).next_u64();
        assert_ne!(first(1, 0), first(1, 1));
        assert_ne!(first(1, 0), first(2, 0));
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = SimRng::new(3, 3);
        let mut seen = [0u32; 7];
        for _ in 0..7_000 {
            let v = rng.below(7) as usize;
            seen[v] += 1;
        }
        assert!(seen.iter().all(|&c| (800..1200).contains(&c)), "{seen:?}");
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.between(5, 5), 5);
    }

    #[test]
    fn portable_ln_matches_std_closely() {
        for &x in &[1e-300, 1e-9, 0.001, 0.5, 0.7, 1.0, 1.5, 2.0, 10.0, 12345.678, 1e300] {
            let ours = portable_ln(x);
            let std_ln = x.ln();
            assert!((ours - std_ln).abs() <= 1e-13 * std_ln.abs().max(1.0), "{x}: {ours} vs {std_ln}");
        }
    }

    #[test]
    fn exp_mean_is_close() {
        let mut rng = SimRng::new(9, 9);
        let n = 20_000;
        let total: u64 = (0..n).map(|_| rng.exp_us(1_000)).sum();
        let mean = total / n;
        assert!((900..1100).contains(&mean), "mean {mean}");
    }

    #[test]
    fn chance_extremes() {
        let mut rng = SimRng::new(1, 1);
        assert!(!(0..1000).any(|_| rng.chance_ppm(0)));
        assert!((0..1000).all(|_| rng.chance_ppm(1_000_000)));
    }
}
