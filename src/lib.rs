//! ClusterLab: a whole e-commerce cluster as a deterministic simulation.
//!
//! `sim` is the kernel (time, events, network, faults, trace, invariants);
//! `scenario` describes whole runs as data and runs them headless; `share`
//! writes a run as a link or a file and reads it back;
//! `cluster` is the model of the shop's mechanisms built on it; `realconf`
//! writes the real systems' configuration files for a design; `ui` draws a
//! snapshot of the model in the browser and sends it commands. Dependencies
//! point one way: ui → realconf → cluster → sim.

pub mod cluster;
pub mod i18n;
pub mod lesson;
pub mod realconf;
pub mod scenario;
pub mod share;
pub mod sim;
pub mod ui;
