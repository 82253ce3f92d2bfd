//! The settings of a VRRP instance and the timing rules of RFC 5798.
//!
//! Owns `VrrpConfig` (keepalived's defaults), where a router starts, the
//! settings keepalived corrects with a warning, and the two formulas every
//! router uses: Skew_Time and Master_Down_Interval. Part of `vrrp`, split out
//! to keep each file small; holds data and arithmetic only.

use crate::sim::{SEC, TimeUs};
use serde::{Deserialize, Serialize};

/// Priority of the router that owns the address: master at once.
pub const PRIORITY_OWNER: u8 = 255;
/// Priority sent by a master that stops: "take over now".
pub const PRIORITY_STOP: u8 = 0;
/// keepalived `state MASTER|BACKUP`: only where a router starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InitialState {
    Backup,
    Master,
}

/// Settings keepalived corrects at startup, with a warning in its log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigWarning {
    /// "nopreempt will not work with initial state MASTER - clearing".
    NopreemptNeedsInitialBackup,
    /// "nopreempt is incompatible with priority 255 - resetting nopreempt".
    NopreemptIncompatibleWithOwner,
}

/// A `vrrp_instance`; defaults are keepalived's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VrrpConfig {
    /// `virtual_router_id`.
    pub vrid: u8,
    /// `priority 100` (1–254; 255 = address owner).
    pub priority: u8,
    /// `advert_int 1`.
    pub advert_int_us: TimeUs,
    /// `state BACKUP`.
    pub initial_state: InitialState,
    /// Preemption is on unless `nopreempt`.
    pub preempt: bool,
    /// `garp_master_delay 5`: second set of gratuitous ARPs (0 = none).
    pub garp_master_delay_us: TimeUs,
    /// Re-send gratuitous ARPs when a master hears a lower priority advert.
    pub garp_on_lower_priority: bool,
}

impl Default for VrrpConfig {
    fn default() -> Self {
        Self {
            vrid: 51,
            priority: 100,
            advert_int_us: SEC,
            initial_state: InitialState::Backup,
            preempt: true,
            garp_master_delay_us: 5 * SEC,
            garp_on_lower_priority: true,
        }
    }
}

/// Skew_Time = (256 − priority) × Master_Adver_Interval / 256 (RFC 5798).
pub const fn skew_us(priority: u8, master_adver_int_us: TimeUs) -> TimeUs {
    (256 - priority as u64) * master_adver_int_us / 256
}

/// Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time.
pub const fn master_down_interval_us(priority: u8, master_adver_int_us: TimeUs) -> TimeUs {
    3 * master_adver_int_us + skew_us(priority, master_adver_int_us)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_5798_timers_at_keepalived_defaults() {
        let c = VrrpConfig::default();
        assert_eq!((c.vrid, c.priority, c.advert_int_us, c.preempt), (51, 100, SEC, true));
        // (256 − 100) / 256 s = 0.609375 s; 3 s + that = 3.609375 s.
        assert_eq!(skew_us(100, SEC), 609_375);
        assert_eq!(master_down_interval_us(100, SEC), 3_609_375);
        assert_eq!(skew_us(PRIORITY_OWNER, SEC), 3_906);
    }
}
