//! Checking a scenario's scheduled commands before the run.
//!
//! Owns the static checks of `commands`: each is due within the run, names a
//! node, centre, switch or product this scenario's cluster has, and asks for
//! something that cluster can do (a flash sale or a CDN purge needs the whole
//! shop). A live session-store switch is refused here as the model refuses it
//! (it belongs in `switches`). Never runs the cluster.

use super::format::{Scenario, TopologyKind};
use super::validate::{MAX_FAULTS, ScenarioError, topology_node_names};
use crate::cluster::command::Command;
use crate::cluster::shopper::CATALOGUE;
use crate::cluster::topology_sites::CENTRES;

/// The most units a scheduled flash sale may put on sale.
pub const MAX_SALE_UNITS: u32 = 1_000_000;

/// Checks every scheduled command of `s`; the first problem is the error.
pub fn check_commands(s: &Scenario) -> Result<(), ScenarioError> {
    if s.commands.len() > MAX_FAULTS {
        return Err(ScenarioError::OutOfRange {
            field: "commands".to_string(),
            message: format!("may hold at most {MAX_FAULTS} entries"),
        });
    }
    let nodes = topology_node_names(s);
    for (index, scheduled) in s.commands.iter().enumerate() {
        let at_ms = scheduled.at_ms;
        if !at_ms.is_finite() || at_ms < 0.0 || at_ms > s.duration_ms as f64 {
            return Err(ScenarioError::OutOfRange {
                field: format!("commands[{index}].at_ms"),
                message: format!("is {at_ms} ms; it must be from 0 to the run's end at {} ms", s.duration_ms),
            });
        }
        check_command(s, &nodes, &scheduled.command).map_err(|message| ScenarioError::BadCommand { index, message })?;
    }
    Ok(())
}

/// Why `command` cannot be carried out in `s`'s cluster, if it cannot.
fn check_command(s: &Scenario, nodes: &[String], command: &Command) -> Result<(), String> {
    let whole_shop = s.topology.kind == TopologyKind::Full;
    match command {
        Command::Node { node, .. } if !nodes.contains(node) => {
            Err(format!("names node `{node}`, which this topology does not have (it has: {})", nodes.join(", ")))
        }
        Command::SetShoppers { shoppers } => {
            let capacity = s.topology.surge_capacity.max(s.topology.shoppers);
            if *shoppers > capacity {
                return Err(format!("asks for {shoppers} shoppers, more than the crowd can hold ({capacity})"));
            }
            Ok(())
        }
        Command::Centre { centre, .. } => {
            let known = s.topology.kind == TopologyKind::Sites && CENTRES.iter().any(|c| c.0 == centre);
            if known { Ok(()) } else { Err(format!("names data centre `{centre}`, which this topology does not have")) }
        }
        Command::SetSwitch { switch, value } => {
            let changed = s.switches.with(switch, value).map_err(|e| e.to_string())?;
            if changed.session_store != s.switches.session_store {
                return Err(format!(
                    "switches the session store to `{value}` during the run; a session store is chosen when the \
                     app servers are deployed, so set it in `switches`"
                ));
            }
            Ok(())
        }
        Command::Deploy { .. } | Command::Purge { .. } if !whole_shop => {
            Err("deploys or purges static content, which only the `full` topology has (an origin and CDN edges)".into())
        }
        Command::Deploy { product: Some(p) } | Command::Purge { product: Some(p) } => check_product(*p),
        Command::FlashSale { .. } if !whole_shop => {
            Err("starts a flash sale, which only the `full` topology can hold (it keeps stock)".into())
        }
        Command::FlashSale { product, units } => {
            check_product(*product)?;
            if *units == 0 || *units > MAX_SALE_UNITS {
                return Err(format!("puts {units} units on sale; it must be from 1 to {MAX_SALE_UNITS}"));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_product(product: u32) -> Result<(), String> {
    if product == 0 || product > CATALOGUE {
        return Err(format!("names product {product}; products are 1 to {CATALOGUE}"));
    }
    Ok(())
}
