//! Reading the page's URL: `?seed=N`, `?topology=slice|full`, `?shoppers=N`,
//! `?scenario=<id>` (a built-in scenario; the run in a link's fragment is
//! `super::share`'s).
//!
//! Owns the parsing of query parameters into start-up options, with a clear
//! message for anything it cannot use. Pure string handling, no DOM.

use super::playground::Topology;

/// The seed used when the URL names none.
pub const DEFAULT_SEED: u64 = 42;

/// Start-up options from a query string, or a message saying what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartOptions {
    pub seed: u64,
    /// The whole shop unless `?topology=slice`.
    pub topology: Topology,
    /// Shoppers in the South China crowd at the start (a Double-11 crowd is
    /// up to ten times the default).
    pub shoppers: Option<u16>,
    /// A built-in scenario to start with (`?scenario=<id>`), known to load.
    pub scenario: Option<String>,
    /// A message for the reader about input that was ignored.
    pub warning: Option<String>,
}

fn shown(value: &str) -> String {
    value.chars().take(24).collect()
}

/// Parses `?seed=N&topology=…&shoppers=N` (the leading `?` is optional).
/// Unknown parameters are ignored; a bad value falls back to the default
/// with a warning.
pub fn parse_query(query: &str) -> StartOptions {
    let mut options =
        StartOptions { seed: DEFAULT_SEED, topology: Topology::Full, shoppers: None, scenario: None, warning: None };
    for pair in query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let problem = match key {
            "seed" => value.parse::<u64>().map(|seed| options.seed = seed).err().map(|_| {
                format!(
                    "The link's seed \"{}\" is not a whole number from 0 to 18446744073709551615; \
                     using seed {DEFAULT_SEED} instead.",
                    shown(value)
                )
            }),
            "topology" => match Topology::parse(value) {
                Some(t) => {
                    options.topology = t;
                    None
                }
                None => Some(format!(
                    "The link's topology \"{}\" is not slice or full; showing the whole shop.",
                    shown(value)
                )),
            },
            "shoppers" => value.parse::<u16>().map(|n| options.shoppers = Some(n)).err().map(|_| {
                format!("The link's shoppers \"{}\" is not a whole number from 0 to 65535; ignored.", shown(value))
            }),
            "scenario" => match super::share::built_in(value) {
                Ok(_) => {
                    options.scenario = Some(value.to_string());
                    None
                }
                Err(message) => Some(format!("{message} Starting a free play.")),
            },
            _ => None,
        };
        if problem.is_some() {
            options.warning = problem;
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

    #[test]
    fn topology_and_shoppers_from_queries() {
        let cases = [
            ("", Topology::Full, None, false),
            ("?topology=slice&seed=3", Topology::Slice, None, false),
            ("?topology=full", Topology::Full, None, false),
            ("?topology=sites", Topology::Full, None, true),
            ("?shoppers=3000", Topology::Full, Some(3000), false),
            ("?shoppers=lots", Topology::Full, None, true),
            ("?shoppers=70000", Topology::Full, None, true),
        ];
        for (query, topology, shoppers, warned) in cases {
            let got = parse_query(query);
            assert_eq!((got.topology, got.shoppers, got.warning.is_some()), (topology, shoppers, warned), "{query:?}");
        }
    }

    #[test]
    fn built_in_scenarios_from_queries() {
        let got = parse_query("?scenario=double-11&seed=3");
        assert_eq!((got.scenario.as_deref(), got.warning), (Some("double-11"), None));
        let unknown = parse_query("?scenario=double-12").warning.expect("an unknown id is reported");
        assert!(
            unknown.contains("\"double-12\" is not a built-in scenario") && unknown.contains("crash-xiaomings-server")
        );
        let sites = parse_query("?scenario=city-fails");
        assert!(sites.scenario.is_none() && sites.warning.unwrap().contains("two sites"));
    }
}
