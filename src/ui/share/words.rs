//! Why a shared run could not be loaded, in the reader's language.
//!
//! Owns `load_error`: every `LoadError` (and the `ShareError` inside) worded
//! from the catalog's `share.*` keys — which form was at fault, what was
//! wrong, what to do. The English reads as the share format's own messages.
//! A detail the share format quotes from elsewhere (a JSON parser's words, a
//! scenario's check) is passed through as it is. Pure: no DOM.

use super::loading::LoadError;
use crate::i18n::{Lang, t, tf};
use crate::share::{FORMAT_VERSION, Form, MAX_FILE_BYTES, MAX_LINK_BYTES, ShareError};

fn form(l: Lang, f: Form) -> &'static str {
    match f {
        Form::Link => t(l, "share.form-link"),
        Form::File => t(l, "share.form-file"),
    }
}

fn instead(l: Lang, f: Form) -> &'static str {
    match f {
        Form::Link => t(l, "share.instead-link"),
        Form::File => t(l, "share.instead-file"),
    }
}

/// The message for a run that could not be loaded.
pub fn load_error(l: Lang, error: &LoadError) -> String {
    match error {
        LoadError::Share(e) => share_error(l, e),
        LoadError::NeedsSites { name } => {
            let name = if name.is_empty() { t(l, "share.this-scenario") } else { name.as_str() };
            tf(l, "share.err-needs-sites", &[("name", &name)])
        }
        LoadError::NotBuiltIn { id } => {
            tf(l, "share.err-not-built-in", &[("id", id), ("ids", &super::loadable_ids().join(", "))])
        }
        LoadError::TooLongForLink { bytes } => {
            tf(l, "share.err-too-long", &[("bytes", bytes), ("limit", &MAX_LINK_BYTES)])
        }
    }
}

fn share_error(l: Lang, e: &ShareError) -> String {
    let framed = |key: &str, f: Form| tf(l, key, &[("form", &form(l, f)), ("instead", &instead(l, f))]);
    match e {
        ShareError::Empty(f) => framed("share.err-empty", *f),
        ShareError::TooLarge { form: f, bytes } => {
            let (key, limit) = match f {
                Form::Link => ("share.err-too-large-link", MAX_LINK_BYTES),
                Form::File => ("share.err-too-large-file", MAX_FILE_BYTES),
            };
            tf(l, key, &[("form", &form(l, *f)), ("bytes", bytes), ("limit", &limit)])
        }
        ShareError::NotARunLink { shown } => tf(l, "share.err-not-run-link", &[("shown", shown)]),
        ShareError::WrongVersion { form: f, found } => tf(
            l,
            "share.err-wrong-version",
            &[("form", &form(l, *f)), ("found", found), ("version", &FORMAT_VERSION), ("instead", &instead(l, *f))],
        ),
        ShareError::NotBase64 { at } => {
            tf(l, "share.err-not-base64", &[("at", &(at + 1)), ("instead", &instead(l, Form::Link))])
        }
        ShareError::Truncated(f) => framed("share.err-truncated", *f),
        ShareError::NotText => tf(l, "share.err-not-text", &[("instead", &instead(l, Form::Link))]),
        ShareError::Malformed { form: f, message } => {
            tf(l, "share.err-malformed", &[("form", &form(l, *f)), ("detail", message), ("instead", &instead(l, *f))])
        }
        ShareError::WrongKind { found } => tf(l, "share.err-wrong-kind", &[("found", found)]),
        ShareError::Scenario { form: f, error } => {
            tf(l, "share.err-scenario", &[("form", &form(l, *f)), ("detail", &error.to_string())])
        }
        ShareError::OutOfRange { form: f, field, message } => tf(
            l,
            "share.err-out-of-range",
            &[("form", &form(l, *f)), ("field", field), ("detail", message), ("instead", &instead(l, *f))],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::share::{decode_link, from_file};

    /// In English each message is the share format's own; in Chinese it differs.
    #[test]
    fn every_share_error_reads_in_both_languages() {
        let bad_links = ["", "#run=", "#run=7.x", "#run=1.A*A", "#run=1.AAAA", "#nope", "#run=1.e30"];
        let bad_files = ["", "{", r#"{"clusterlab":"lesson","version":1}"#, r#"{"clusterlab":"run","version":9}"#];
        let errors = bad_links
            .iter()
            .filter_map(|x| decode_link(x).err())
            .chain(bad_files.iter().filter_map(|x| from_file(x).err()))
            .chain([ShareError::TooLarge { form: Form::File, bytes: 1 << 20 }]);
        for e in errors {
            let error = LoadError::Share(e.clone());
            assert_eq!(load_error(Lang::En, &error), e.to_string());
            assert_ne!(load_error(Lang::Zh, &error), e.to_string(), "{e}: no Chinese");
        }
        let sites = LoadError::NeedsSites { name: String::new() };
        assert!(
            load_error(Lang::En, &sites).contains("two sites") && load_error(Lang::Zh, &sites).contains("两地三中心")
        );
    }
}
