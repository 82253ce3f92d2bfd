//! Reading the page's URL: `?seed=N`.
//!
//! Owns the parsing of query parameters into start-up options, with a clear
//! message for anything it cannot use. Pure string handling, no DOM.

/// The seed used when the URL names none.
pub const DEFAULT_SEED: u64 = 42;

/// Start-up options from a query string, or a message saying what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartOptions {
    pub seed: u64,
    /// A message for the reader about input that was ignored.
    pub warning: Option<String>,
}

/// Parses `?seed=N&…` (the leading `?` is optional). Unknown parameters are
/// ignored; a bad seed falls back to the default with a warning.
pub fn parse_query(query: &str) -> StartOptions {
    let mut options = StartOptions { seed: DEFAULT_SEED, warning: None };
    for pair in query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == "seed" {
            match value.parse::<u64>() {
                Ok(seed) => options.seed = seed,
                Err(_) => {
                    let shown: String = value.chars().take(24).collect();
                    options.warning = Some(format!(
                        "The link's seed \"{shown}\" is not a whole number from 0 to 18446744073709551615; \
                         using seed {DEFAULT_SEED} instead."
                    ));
                }
            }
        }
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_from_queries() {
        let cases = [
            ("", DEFAULT_SEED, false),
            ("?seed=7", 7, false),
            ("seed=18446744073709551615", u64::MAX, false),
            ("?lesson=x&seed=9", 9, false),
            ("?seed=-1", DEFAULT_SEED, true),
            ("?seed=abc", DEFAULT_SEED, true),
            ("?seed=", DEFAULT_SEED, true),
            ("?seed=99999999999999999999999", DEFAULT_SEED, true),
            ("?&&=&seed", DEFAULT_SEED, true),
        ];
        for (query, seed, warned) in cases {
            let got = parse_query(query);
            assert_eq!((got.seed, got.warning.is_some()), (seed, warned), "query {query:?}");
        }
    }
}
