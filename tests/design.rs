//! The design switches: names, values, defaults, and bad input refused.

use clusterlab::cluster::design::{Design, LockDesign, SwitchError};
use clusterlab::cluster::session_store::SessionStoreKind;

#[test]
fn every_switch_round_trips_every_value() {
    for switch in Design::SWITCHES {
        let values = Design::values(switch).unwrap_or_else(|| panic!("{switch} lists no values"));
        assert!(values.len() >= 2, "{switch} must offer a choice");
        for value in values {
            let design = Design::default().with(switch, value).unwrap_or_else(|e| panic!("{switch}={value}: {e}"));
            assert_eq!(design.get(switch).as_deref(), Some(value), "{switch}={value} did not stick");
        }
    }
}

#[test]
fn defaults_are_the_real_systems_defaults() {
    let d = Design::default();
    let expected = [
        ("session-store", "sticky"),
        ("lb-algorithm", "weighted-round-robin"),
        ("product-cache", "on"),
        ("lock", "lock-with-fencing"),
        ("two-phase", "on"),
        ("replication", "async"),
        ("switch-type", "automatic"),
        ("rate-limit", "token-bucket"),
        ("autoscaling", "off"),
    ];
    for (switch, value) in expected {
        assert_eq!(d.get(switch).as_deref(), Some(value), "default of {switch}");
    }
}

#[test]
fn unknown_switches_and_values_are_refused_with_the_choices() {
    let d = Design::default();
    let cases: [(&str, &str, &str); 4] = [
        ("session", "redis", "there is no design switch `session`"),
        ("session-store", "mongo", "`mongo` is not a value of `session-store`; it can be memory, sticky"),
        ("two-phase", "true", "it can be off, on"),
        ("lock", "", "is not a value of `lock`"),
    ];
    for (switch, value, message) in cases {
        let err: SwitchError = d.with(switch, value).expect_err(switch);
        assert!(err.to_string().contains(message), "{switch}={value}: got {err}");
    }
}

#[test]
fn scenario_json_names_switches_as_the_ui_does() {
    let design: Design = serde_json::from_str(r#"{"session-store":"redis","lock":"off","two-phase":false}"#).unwrap();
    assert_eq!(design.session_store, SessionStoreKind::Redis);
    assert_eq!(design.lock, LockDesign::Off);
    assert!(!design.two_phase);
    assert!(serde_json::from_str::<Design>(r#"{"sticky-sessions":true}"#).is_err(), "unknown switches are errors");
}
