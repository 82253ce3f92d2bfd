//! Reading the page's URL: `?seed=N`, `?topology=slice|full`, `?shoppers=N`,
//! `?lang=zh|en`, `?scenario=<id>` (a built-in scenario; the run in a link's
//! fragment is `super::share`'s), `?lesson=<id>`.
//!
//! Owns the parsing of query parameters into start-up options, with a clear
//! message (in either language) for anything it cannot use. Pure string
//! handling, no DOM.

use super::playground::Topology;
use crate::i18n::{Lang, tf};

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
    /// The page's language from `?lang=` (None: the stored or browser's choice).
    pub lang: Option<Lang>,
    /// A built-in scenario to start with (`?scenario=<id>`), known to load.
    pub scenario: Option<String>,
    /// The lesson to start (a known lesson id).
    pub lesson: Option<String>,
    /// A message for the reader about input that was ignored.
    pub warning: Option<Warning>,
}

/// What was wrong with the link: a catalog key and the value it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub key: &'static str,
    pub value: String,
}

impl Warning {
    fn new(key: &'static str, value: &str) -> Self {
        Self { key, value: value.chars().take(24).collect() }
    }

    /// The message in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        let ids = super::share::loadable_ids().join(", ");
        let lessons = crate::lesson::ids().join(", ");
        tf(lang, self.key, &[("value", &self.value), ("seed", &DEFAULT_SEED), ("ids", &ids), ("lessons", &lessons)])
    }
}

/// Whether the query names parameter `key` (before its value can be checked).
pub fn names(query: &str, key: &str) -> bool {
    query.trim_start_matches('?').split('&').any(|pair| pair.split_once('=').map_or(pair, |(k, _)| k) == key)
}

/// Parses `?seed=N&topology=…&shoppers=N&lang=…` (the leading `?` is optional).
/// Unknown parameters are ignored; a bad value falls back to the default
/// with a warning.
pub fn parse_query(query: &str) -> StartOptions {
    let mut options = StartOptions {
        seed: DEFAULT_SEED,
        topology: Topology::Full,
        shoppers: None,
        lang: None,
        scenario: None,
        lesson: None,
        warning: None,
    };
    for pair in query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let problem = match key {
            "seed" => {
                value.parse::<u64>().map(|seed| options.seed = seed).err().map(|_| Warning::new("url.bad-seed", value))
            }
            "topology" => match Topology::parse(value) {
                Some(t) => {
                    options.topology = t;
                    None
                }
                None => Some(Warning::new("url.bad-topology", value)),
            },
            "shoppers" => value
                .parse::<u16>()
                .map(|n| options.shoppers = Some(n))
                .err()
                .map(|_| Warning::new("url.bad-shoppers", value)),
            "scenario" => scenario(value, &mut options),
            "lang" => match Lang::parse(value) {
                Some(lang) => {
                    options.lang = Some(lang);
                    None
                }
                None => Some(Warning::new("url.bad-lang", value)),
            },
            "lesson" => match crate::lesson::by_id(value) {
                Some(lesson) => {
                    options.lesson = Some(lesson.id.clone());
                    None
                }
                None => Some(Warning::new("url.bad-lesson", value)),
            },
            _ => None,
        };
        if problem.is_some() {
            options.warning = problem;
        }
    }
    options
}

/// `?scenario=<id>`: a built-in scenario the page can draw, or why not.
fn scenario(id: &str, options: &mut StartOptions) -> Option<Warning> {
    if super::share::built_in(id).is_ok() {
        options.scenario = Some(id.to_string());
        return None;
    }
    let exists = crate::share::builtin::load(id).is_some();
    Some(Warning::new(if exists { "url.scenario-needs-sites" } else { "url.bad-scenario" }, id))
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
        let warning = got.warning.expect("an unknown lesson is reported").text(Lang::En);
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

    #[test]
    fn built_in_scenarios_from_queries() {
        let got = parse_query("?scenario=double-11&seed=3");
        assert_eq!((got.scenario.as_deref(), got.warning), (Some("double-11"), None));
        let unknown = parse_query("?scenario=double-12").warning.expect("an unknown id is reported");
        let text = unknown.text(Lang::En);
        assert!(text.contains("double-12") && text.contains("crash-xiaomings-server"), "{text}");
        assert!(unknown.text(Lang::Zh).contains("double-12"));
        let sites = parse_query("?scenario=city-fails");
        assert!(sites.scenario.is_none() && sites.warning.unwrap().text(Lang::En).contains("two sites"));
    }

    #[test]
    fn languages_from_queries() {
        assert_eq!(parse_query("?lang=zh").lang, Some(Lang::Zh));
        assert_eq!(parse_query("?seed=3&lang=en").lang, Some(Lang::En));
        assert_eq!(parse_query("?seed=3").lang, None);
        let bad = parse_query("?lang=klingon");
        assert_eq!(bad.lang, None);
        let warning = bad.warning.expect("a bad language is reported");
        assert!(warning.text(Lang::En).contains("\"klingon\""), "{}", warning.text(Lang::En));
        assert!(warning.text(Lang::Zh).contains("klingon"), "{}", warning.text(Lang::Zh));
        let seed = parse_query("?seed=x").warning.unwrap();
        assert!(seed.text(Lang::En).contains("using seed 42"), "{}", seed.text(Lang::En));
    }
}
