//! Virtual time: integer microseconds since the start of a run.
//!
//! Owns the time unit and its conversions. Never reads a wall clock: the only
//! clock in the model is the simulation's own `now_us`, advanced by the event
//! queue.

/// A moment or a span of virtual time, in microseconds.
pub type TimeUs = u64;

/// One millisecond, in microseconds.
pub const MS: TimeUs = 1_000;
/// One second, in microseconds.
pub const SEC: TimeUs = 1_000_000;
/// One minute, in microseconds.
pub const MINUTE_US: TimeUs = 60 * SEC;

/// Milliseconds to microseconds.
pub const fn ms(n: u64) -> TimeUs {
    n * MS
}

/// Seconds to microseconds.
pub const fn secs(n: u64) -> TimeUs {
    n * SEC
}

/// A virtual time as text a reader can scan: `12.345 s` or `850 ms`.
pub fn format_time_us(t_us: TimeUs) -> String {
    if t_us >= SEC {
        format!("{}.{:03} s", t_us / SEC, (t_us % SEC) / MS)
    } else if t_us >= MS {
        format!("{} ms", t_us / MS)
    } else {
        format!("{t_us} µs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_each_scale() {
        assert_eq!(format_time_us(12_345_678), "12.345 s");
        assert_eq!(format_time_us(850_000), "850 ms");
        assert_eq!(format_time_us(999), "999 µs");
        assert_eq!(secs(3) + ms(600), 3_600_000);
    }
}
