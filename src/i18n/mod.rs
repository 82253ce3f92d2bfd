//! The page's two languages: `Lang`, the message catalogs and their lookup.
//!
//! Owns the Simplified Chinese and English catalogs (`en.json`,
//! `zh-CN.json`: flat objects of dotted keys such as `controls.play`, with
//! `{name}` placeholders), parsed once, and the choice of a
//! starting language from the URL, the stored choice and the browser's
//! language. Plain data: no DOM, no storage, no Yew — the UI reads the
//! browser and hands the strings in. A key missing from a catalog reads as
//! the key itself; `tests/i18n.rs` makes sure no key is ever missing.
//! Natively the catalogs are built in (`include_str!`, parsed on first use);
//! in WebAssembly they stay out of the binary: the page fetches them and
//! hands their text to `install` (until then a language reads through the
//! other one's catalog if that is in, else as bare keys).
//! Child: `lines` (the model's English log lines read back in the reader's
//! language through the `logline.*` templates).

use std::collections::BTreeMap;
use std::fmt::Display;
use std::sync::OnceLock;

pub mod lines;
pub use lines::{translate_line, translate_reason};

/// A language of the page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lang {
    /// English: the default when nothing says otherwise.
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The BCP 47 tag of `<html lang>`: `en` or `zh-CN`.
    pub const fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Zh => "zh-CN",
        }
    }

    /// The short name used in `?lang=` and in storage: `en` or `zh`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Zh => "zh",
        }
    }

    /// The other language (what the toggle switches to).
    pub const fn other(self) -> Self {
        match self {
            Self::En => Self::Zh,
            Self::Zh => Self::En,
        }
    }

    /// `en` / `zh` (also the tags `zh-CN`, `en-US`…, any case); None otherwise.
    pub fn parse(text: &str) -> Option<Self> {
        let lower = text.trim().to_ascii_lowercase();
        let primary = lower.split(['-', '_']).next().unwrap_or("");
        match primary {
            "en" => Some(Self::En),
            "zh" => Some(Self::Zh),
            _ => None,
        }
    }

    /// The language to start in: the link's `?lang=`, else the reader's
    /// stored choice, else Chinese if the browser's language starts with
    /// `zh`, else English.
    pub fn choose(from_url: Option<Lang>, stored: Option<&str>, browser: Option<&str>) -> Lang {
        from_url
            .or_else(|| stored.and_then(Lang::parse))
            .or_else(|| browser.filter(|b| b.trim().to_ascii_lowercase().starts_with("zh")).map(|_| Lang::Zh))
            .unwrap_or(Lang::En)
    }

    /// This language's catalog.
    pub fn catalog(self) -> &'static Catalog {
        #[cfg(not(target_arch = "wasm32"))]
        return CATALOGS[self.index()].get_or_init(|| {
            let text = [EN_JSON, ZH_JSON][self.index()];
            Catalog::parse(text).unwrap_or_else(|e| panic!("the {} catalog does not parse: {e}", self.tag()))
        });
        #[cfg(target_arch = "wasm32")]
        return CATALOGS[self.index()].get().or_else(|| CATALOGS[self.other().index()].get()).unwrap_or(&EMPTY);
    }

    const fn index(self) -> usize {
        match self {
            Self::En => 0,
            Self::Zh => 1,
        }
    }
}

/// The English catalog's source text (built in natively; the page fetches it).
#[cfg(not(target_arch = "wasm32"))]
pub const EN_JSON: &str = include_str!("en.json");
/// The Chinese catalog's source text (built in natively; the page fetches it).
#[cfg(not(target_arch = "wasm32"))]
pub const ZH_JSON: &str = include_str!("zh-CN.json");

/// Where the page finds each catalog, relative to itself (`index.html`
/// copies `src/i18n/*.json` there).
pub const fn catalog_path(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "i18n/en.json",
        Lang::Zh => "i18n/zh-CN.json",
    }
}

static CATALOGS: [OnceLock<Catalog>; 2] = [OnceLock::new(), OnceLock::new()];
#[cfg(target_arch = "wasm32")]
static EMPTY: Catalog = Catalog { messages: BTreeMap::new() };

/// Makes `json` the catalog of `lang` (the page calls this with the fetched
/// file). A catalog that does not parse is refused with why; a language
/// already in keeps its catalog.
pub fn install(lang: Lang, json: &str) -> Result<(), String> {
    let catalog = Catalog::parse(json)?;
    let _ = CATALOGS[lang.index()].set(catalog);
    Ok(())
}

/// Whether `lang`'s own catalog is in (always, natively).
pub fn has_catalog(lang: Lang) -> bool {
    #[cfg(not(target_arch = "wasm32"))]
    lang.catalog();
    CATALOGS[lang.index()].get().is_some()
}

/// One language's messages by key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalog {
    pub messages: BTreeMap<String, String>,
}

impl Catalog {
    /// Parses a flat JSON object of strings. A key given twice is an error
    /// (a plain map would silently keep the last one).
    pub fn parse(json: &str) -> Result<Self, String> {
        let pairs: Pairs = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut messages = BTreeMap::new();
        for (key, value) in pairs.0 {
            if messages.insert(key.clone(), value).is_some() {
                return Err(format!("the key `{key}` appears twice"));
            }
        }
        Ok(Self { messages })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.messages.get(key).map(String::as_str)
    }
}

/// A JSON object read as its (key, value) pairs in order, duplicates kept.
struct Pairs(Vec<(String, String)>);

impl<'de> serde::Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Pairs, A::Error> {
                let mut out = Vec::new();
                while let Some(pair) = map.next_entry::<String, String>()? {
                    out.push(pair);
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// The message `key` in `lang` (the key itself if the catalog lacks it).
pub fn t(lang: Lang, key: &str) -> &str {
    lang.catalog().get(key).unwrap_or(key)
}

/// The message `key` in `lang`, with `{name}` placeholders filled from `args`.
pub fn tf(lang: Lang, key: &str, args: &[(&str, &dyn Display)]) -> String {
    fill(t(lang, key), args)
}

/// The message of a family of keys named by the model (`cause.timed-out`,
/// `switch.lock`); None if the catalog has no such key.
pub fn td(lang: Lang, family: &str, name: &str) -> Option<&'static str> {
    lang.catalog().get(&format!("{family}.{name}"))
}

/// `text` with each `{name}` replaced by its argument; unknown ones kept.
pub fn fill(text: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], close)) {
            Some((name, close)) if args.iter().any(|(n, _)| *n == name) => {
                let (_, value) = args.iter().find(|(n, _)| *n == name).expect("found above");
                out.push_str(&value.to_string());
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}` placeholders of a message, sorted.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = text
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_parse_and_are_chosen_in_order() {
        assert_eq!(Lang::parse("zh"), Some(Lang::Zh));
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::parse(""), None);
        assert_eq!(Lang::choose(None, None, None), Lang::En);
        assert_eq!(Lang::choose(None, None, Some("en-US")), Lang::En);
        assert_eq!(Lang::choose(None, None, Some("zh-TW")), Lang::Zh);
        assert_eq!(Lang::choose(None, Some("en"), Some("zh-CN")), Lang::En, "the stored choice wins");
        assert_eq!(Lang::choose(None, Some("junk"), Some("zh-CN")), Lang::Zh, "a bad stored value is skipped");
        assert_eq!(Lang::choose(Some(Lang::Zh), Some("en"), None), Lang::Zh, "the link wins");
        assert_eq!((Lang::Zh.tag(), Lang::En.tag(), Lang::En.other()), ("zh-CN", "en", Lang::Zh));
    }

    #[test]
    fn placeholders_are_filled_and_listed() {
        assert_eq!(fill("{n} of {total}", &[("n", &3), ("total", &"7")]), "3 of 7");
        assert_eq!(fill("a {b} {c", &[("x", &1)]), "a {b} {c", "unknown ones stay");
        assert_eq!(placeholders("{b} x {a} {b} {} {not one}"), ["a", "b"]);
    }

    #[test]
    fn a_key_given_twice_is_refused() {
        assert!(Catalog::parse(r#"{"a": "1", "a": "2"}"#).unwrap_err().contains("`a`"));
        assert_eq!(Catalog::parse(r#"{"a": "1"}"#).unwrap().get("a"), Some("1"));
        assert!(Catalog::parse(r#"{"a": 1}"#).is_err(), "values are strings");
    }

    #[test]
    fn lookups_fall_back_to_the_key() {
        assert_eq!(t(Lang::En, "no.such.key"), "no.such.key");
        assert_eq!(td(Lang::Zh, "no-such-family", "x"), None);
    }
}
