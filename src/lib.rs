//! ClusterLab: a whole e-commerce cluster as a deterministic simulation.
//!
//! `sim` is the kernel (time, events, network, faults, trace, invariants);
//! `scenario` describes whole runs as data and runs them headless; `share`
//! writes a run as a link or a file and reads it back;
//! `cluster` is the model of the shop's mechanisms built on it; `realconf`
//! writes the real systems' configuration files for a design; `ui` draws a
//! snapshot of the model in the browser and sends it commands. Dependencies
//! point one way: ui → realconf → cluster → sim.

/// Declares a folder of JSON data files once, for `lesson` and `share`: a
/// list of their stems (every build; the page fetches the files) and, in
/// native builds only, each stem with its text built in (tests and the
/// headless runner). The path is taken from the invoking module's file,
/// two folders below the crate root.
macro_rules! data_files {
    ($dir:literal, $stems:ident, $texts:ident, [$($stem:literal),* $(,)?]) => {
        /// The files' stems, in order.
        pub const $stems: [&str; [$($stem),*].len()] = [$($stem),*];
        /// Each file's stem and text, in order.
        #[cfg(not(target_arch = "wasm32"))]
        pub const $texts: [(&str, &str); [$($stem),*].len()] =
            [$(($stem, include_str!(concat!("../../", $dir, "/", $stem, ".json")))),*];
    };
}

pub mod cluster;
pub mod i18n;
pub mod lesson;
pub mod realconf;
pub mod scenario;
pub mod share;
pub mod sim;
pub mod ui;
