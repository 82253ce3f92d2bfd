//! Lines the model writes in English, read back in the reader's language.
//!
//! Owns `translate_line`: a mechanism's event-log line is matched against
//! the English catalog's `logline.*` templates (the same words, with the
//! values as `{name}` placeholders); the values it finds are put into the
//! other language's template. A line no template matches is returned as it
//! is. `tests/i18n.rs` checks that every line the model can write has a
//! template. Pure string work, no allocation beyond the result.

use super::{Lang, fill};
use std::fmt::Display;

/// The family of catalog keys that hold the model's log lines.
pub const LINE_FAMILY: &str = "logline.";
/// The family of catalog keys that hold why an invariant broke.
pub const REASON_FAMILY: &str = "reason.";

/// The values of `template`'s placeholders in `line`, if it matches: each
/// literal piece in order, each value the shortest text up to the next
/// piece, the last piece at the very end.
pub fn match_template<'a>(template: &'a str, line: &'a str) -> Option<Vec<(&'a str, &'a str)>> {
    let mut values = Vec::new();
    let (mut rest_t, mut rest_l) = (template, line);
    let mut pending: Option<&str> = None;
    loop {
        let (literal, after) = match rest_t.find('{') {
            Some(open) => (&rest_t[..open], Some(&rest_t[open + 1..])),
            None => (rest_t, None),
        };
        match pending.take() {
            None => rest_l = rest_l.strip_prefix(literal)?,
            Some(name) if after.is_none() && literal.is_empty() => {
                values.push((name, rest_l));
                return Some(values);
            }
            Some(name) => {
                let at =
                    if after.is_none() { rest_l.strip_suffix(literal).map(str::len)? } else { rest_l.find(literal)? };
                values.push((name, &rest_l[..at]));
                rest_l = &rest_l[at + literal.len()..];
            }
        }
        let Some(after) = after else { return rest_l.is_empty().then_some(values) };
        let close = after.find('}')?;
        pending = Some(&after[..close]);
        rest_t = &after[close + 1..];
    }
}

/// `line` in `lang`: the first `logline.*` template it matches, with its
/// values, in `lang`'s words; the line itself if none matches.
pub fn translate_line(lang: Lang, line: &str) -> String {
    translate_in(lang, LINE_FAMILY, line)
}

/// Why an invariant broke (the model's English), in `lang`'s words.
pub fn translate_reason(lang: Lang, reason: &str) -> String {
    translate_in(lang, REASON_FAMILY, reason)
}

/// `text` through `family`'s templates; a text no template matches whole is
/// tried again after its first `: ` (a prefix naming a node or a check stays).
fn translate_in(lang: Lang, family: &str, text: &str) -> String {
    if lang == Lang::En {
        return text.to_string();
    }
    if let Some(said) = by_template(lang, family, text) {
        return said;
    }
    match text.split_once(": ") {
        Some((prefix, rest)) => match by_template(lang, family, rest) {
            Some(said) => format!("{prefix}: {said}"),
            None => text.to_string(),
        },
        None => text.to_string(),
    }
}

fn by_template(lang: Lang, family: &str, text: &str) -> Option<String> {
    let english = Lang::En.catalog();
    let templates = english.messages.range(family.to_string()..).take_while(|(k, _)| k.starts_with(family));
    let (key, values) = templates.into_iter().find_map(|(key, t)| match_template(t, text).map(|v| (key, v)))?;
    let target = lang.catalog().get(key)?;
    let args: Vec<(&str, &dyn Display)> = values.iter().map(|(name, value)| (*name, value as &dyn Display)).collect();
    Some(fill(target, &args))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A template, a line, and the values it should find (None: no match).
    type Case<'a> = (&'a str, &'a str, Option<Vec<(&'a str, &'a str)>>);

    #[test]
    fn templates_match_lines_and_give_their_values() {
        let cases: [Case; 6] = [
            ("edge purged {0}", "edge purged /app.js, /p7.jpg", Some(vec![("0", "/app.js, /p7.jpg")])),
            (
                "VRRP {0}: leaving MASTER ({reason}), VIP released",
                "VRRP 51: leaving MASTER (Shutdown), VIP released",
                Some(vec![("0", "51"), ("reason", "Shutdown")]),
            ),
            (
                "{why}; serving",
                "state transfer from app-2 done; serving",
                Some(vec![("why", "state transfer from app-2 done")]),
            ),
            ("-failover-abort-no-good-slave", "-failover-abort-no-good-slave", Some(vec![])),
            ("edge purged {0}", "edge purged", None),
            ("RDB saved: {0} keys as of {1} µs", "RDB saved: 3 keys", None),
        ];
        for (template, line, expected) in cases {
            assert_eq!(match_template(template, line), expected, "{template} ~ {line}");
        }
    }

    #[test]
    fn a_known_line_reads_in_chinese_and_an_unknown_one_stays() {
        let zh = translate_line(Lang::Zh, "semi-sync: no ack in 10000 ms, falling back to async");
        assert!(zh.contains("10000") && zh.contains("半同步"), "{zh}");
        assert_eq!(translate_line(Lang::Zh, "something new"), "something new");
        assert_eq!(translate_line(Lang::En, "edge purged x"), "edge purged x");
        let reason = translate_reason(Lang::Zh, "inventory-db: product 7: 31 units sold of 30 supplied (1 oversold)");
        assert!(reason.starts_with("inventory-db: ") && reason.contains("超卖 1"), "{reason}");
    }
}
