//! What can be wrong with a shared run, in words a reader can act on.
//!
//! Owns the closed `ShareError` enum and its English `Display`: each message
//! says whether the link or the file is at fault, what was wrong, and what to
//! do about it. Shows at most a short, character-safe excerpt of the input.
//! Never decides anything: the decoders in `link` and `file` pick the error.

use super::{FORMAT_VERSION, MAX_FILE_BYTES, MAX_LINK_BYTES};
use crate::scenario::ScenarioError;
use std::fmt;

/// Where a shared run came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Link,
    File,
}

impl Form {
    fn the(self) -> &'static str {
        match self {
            Self::Link => "The link",
            Self::File => "The file",
        }
    }

    fn instead(self) -> &'static str {
        match self {
            Self::Link => "ask for the link again (or for the run file)",
            Self::File => "save it again from ClusterLab's Download button, or pick another file",
        }
    }

    fn limit(self) -> usize {
        match self {
            Self::Link => MAX_LINK_BYTES,
            Self::File => MAX_FILE_BYTES,
        }
    }
}

/// Why a link or file cannot be loaded.
#[derive(Clone, Debug, PartialEq)]
pub enum ShareError {
    Empty(Form),
    TooLarge {
        form: Form,
        bytes: usize,
    },
    /// Not `#run=<version>.<payload>` at all (shown: its first characters).
    NotARunLink {
        shown: String,
    },
    /// A link or run file of another version (shown as found, shortened).
    WrongVersion {
        form: Form,
        found: String,
    },
    /// The payload has a character base64url does not (counted from 0).
    NotBase64 {
        at: usize,
    },
    /// The input stops in the middle: a link cut when copied.
    Truncated(Form),
    /// The payload's bytes are not UTF-8 text.
    NotText,
    /// JSON, but not of a run's shape (serde's words).
    Malformed {
        form: Form,
        message: String,
    },
    /// A JSON file of ClusterLab's, but not a run (`"clusterlab": found`).
    WrongKind {
        found: String,
    },
    /// The scenario inside cannot be run.
    Scenario {
        form: Form,
        error: ScenarioError,
    },
    /// A number outside what the page accepts.
    OutOfRange {
        form: Form,
        field: &'static str,
        message: String,
    },
}

/// At most `max` characters of `text`, for a message.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut shown: String = text.chars().take(max).filter(|c| !c.is_control()).collect();
    if text.chars().nth(max).is_some() {
        shown.push('…');
    }
    shown
}

impl fmt::Display for ShareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty(form) => write!(f, "{} is empty: {}.", form.the(), form.instead()),
            Self::TooLarge { form, bytes } => write!(
                f,
                "{} is {bytes} bytes; the limit is {} bytes, so it was not read. {}.",
                form.the(),
                form.limit(),
                match form {
                    Form::Link => "A long run is shared as a file: use Download, then Upload",
                    Form::File => "Pick a ClusterLab run or scenario file",
                }
            ),
            Self::NotARunLink { shown } => write!(
                f,
                "The link's ending \"#{shown}\" is not a ClusterLab run (it should start with #run=); \
                 the page started a fresh run instead. Check that the whole link was copied."
            ),
            Self::WrongVersion { form, found } => write!(
                f,
                "{} is of version {found}, but this ClusterLab reads version {FORMAT_VERSION}; {}.",
                form.the(),
                form.instead()
            ),
            Self::NotBase64 { at } => write!(
                f,
                "The link has a character it cannot hold at position {} of its data: it was changed \
                 or mangled when copied; {}.",
                at + 1,
                Form::Link.instead()
            ),
            Self::Truncated(form) => {
                write!(f, "{} stops in the middle: it was cut short when copied; {}.", form.the(), form.instead())
            }
            Self::NotText => write!(f, "The link's data is not text: it was mangled; {}.", Form::Link.instead()),
            Self::Malformed { form, message } => {
                write!(f, "{} does not hold a ClusterLab run ({message}); {}.", form.the(), form.instead())
            }
            Self::WrongKind { found } => write!(
                f,
                "The file is a ClusterLab \"{found}\" file, not a run or a scenario; pick a run file \
                 (from Download) or a scenario file."
            ),
            Self::Scenario { form, error } => {
                write!(f, "{} holds a scenario that cannot be run: {error}. Fix that and load it again.", form.the())
            }
            Self::OutOfRange { form, field, message } => {
                write!(f, "{}'s `{field}` {message}; {}.", form.the(), form.instead())
            }
        }
    }
}

impl std::error::Error for ShareError {}
