//! ClusterLab: a whole e-commerce cluster as a deterministic simulation.
//!
//! `sim` is the kernel (time, events, network, faults, trace, invariants);
//! `scenario` describes whole runs as data and runs them headless;
//! `cluster` is the model of the shop's mechanisms built on it; `realconf`
//! writes the real systems' configuration files for a design; `ui` draws a
//! snapshot of the model in the browser and sends it commands. Dependencies
//! point one way: ui → realconf → cluster → sim.

pub mod cluster;
pub mod lesson;
pub mod realconf;
pub mod scenario;
pub mod sim;
pub mod ui;
