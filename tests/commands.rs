//! Commands to a running cluster: carried out when valid, refused with a
//! reason — and no change at all — when not; names round-trip through JSON.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::cluster::Cluster;
use clusterlab::cluster::command::{Command, CommandError, NodeAction};
use clusterlab::cluster::topology::SliceOptions;
use clusterlab::sim::{SEC, VisibleState};

fn running(seed: u64) -> Cluster {
    let mut c = Cluster::slice(&SliceOptions { seed, ..SliceOptions::default() });
    c.run_until(5 * SEC, u64::MAX);
    c
}

#[test]
fn valid_commands_act_and_invalid_ones_change_nothing() {
    let mut c = running(3);
    let app2 = c.sim.id_of("app-2").unwrap();
    c.apply(&Command::Node { node: "app-2".into(), action: NodeAction::Crash }).unwrap();
    assert_eq!(c.visible_state(app2), VisibleState::Crashed);
    c.apply(&Command::SetShoppers { shoppers: 900 }).unwrap();
    assert_eq!(c.active_shoppers(), 900);

    let before = (c.sim.trace_hash(), c.sim.events_processed(), c.active_shoppers());
    let cases = [
        (Command::Node { node: "db-9".into(), action: NodeAction::Crash }, "no node `db-9`"),
        (Command::SetShoppers { shoppers: 60_000 }, "more than the crowd can hold (3000)"),
    ];
    for (command, expected) in cases {
        let err: CommandError = c.apply(&command).expect_err("must be refused");
        assert!(err.to_string().contains(expected), "{command:?}: {err}");
        assert_eq!(
            (c.sim.trace_hash(), c.sim.events_processed(), c.active_shoppers()),
            before,
            "{command:?} changed the run"
        );
    }
}

#[test]
fn commands_read_and_write_as_json() {
    let command = Command::Node { node: "app-1".into(), action: NodeAction::Partition };
    let json = serde_json::to_string(&command).unwrap();
    assert_eq!(json, r#"{"command":"node","node":"app-1","action":"partition"}"#);
    assert_eq!(serde_json::from_str::<Command>(&json).unwrap(), command);
    for action in NodeAction::ALL {
        let text = serde_json::to_string(&action).unwrap();
        assert_eq!(text, format!("\"{}\"", action.as_str()));
    }
    assert!(serde_json::from_str::<Command>(r#"{"command":"explode"}"#).is_err());
}
