//! Reading the page's URL: `?seed=N`, `?topology=slice|full`, `?shoppers=N`,
//! `?lesson=<id>`.
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
    /// The lesson to start (a known lesson id).
    pub lesson: Option<String>,
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
        StartOptions { seed: DEFAULT_SEED, topology: Topology::Full, shoppers: None, lesson: None, warning: None };
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
            "lesson" => match crate::lesson::by_id(value) {
                Some(lesson) => {
                    options.lesson = Some(lesson.id.clone());
                    None
                }
                None => Some(format!(
                    "The link's lesson \"{}\" does not exist; the lessons are: {}.",
                    shown(value),
                    crate::lesson::ids().join(", ")
                )),
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
            ("?lesson=failover-loses-the-session&seed=9", 9, false),
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
    fn lessons_from_queries() {
        let got = parse_query("?lesson=overselling-and-the-lock");
        assert_eq!((got.lesson.as_deref(), got.warning), (Some("overselling-and-the-lock"), None));
        let got = parse_query("?lesson=lesson-99");
        assert_eq!(got.lesson, None);
        let warning = got.warning.expect("an unknown lesson is reported");
        assert!(warning.contains("lesson-99") && warning.contains("failover-loses-the-session"), "{warning}");
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
}
