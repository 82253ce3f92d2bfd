//! The model of the shop: every mechanism as a sans-IO state machine.
//!
//! Owns the closed set of node kinds (`ClusterNode`) and dispatches the
//! kernel's calls to them; each mechanism lives in its own file. Builds on
//! `crate::sim` only: never imports the UI or anything of the web, never reads
//! a clock, never draws randomness except from the stream the kernel hands in.

pub mod app_server;
pub mod autoscaler;
pub mod balancer;
pub mod cdn;
pub mod command;
pub mod conn_track;
pub mod design;
pub mod design_apply;
pub mod dns;
pub mod dns_entry;
pub mod dr;
pub mod flash_sale;
pub mod full_properties;
pub mod gateway;
pub mod gateway_host;
pub mod http_cache;
pub mod inventory;
pub mod journey_properties;
pub mod lb_algorithm;
pub mod message;
pub mod metrics;
pub mod mq;
pub mod mycat;
pub mod node;
mod node_dispatch;
pub mod product_cache;
pub mod properties;
pub mod rate_limit;
pub mod redis;
pub mod registry;
pub mod replication;
pub mod rpc;
pub mod service_host;
pub mod session_store;
pub mod shopper;
pub mod site_front;
pub mod snapshot;
pub mod timer_tag;
pub mod topology;
pub mod topology_full;
pub mod topology_sites;
pub mod two_phase;
pub mod vip_router;
pub mod vrrp;
pub mod zk_lock;

pub use message::{DotClass, FailCause, Msg, Page, Status};
pub use node::{ClusterNode, KeepalivedLb, NodeKind, ServiceHost};
pub use topology::Cluster;
