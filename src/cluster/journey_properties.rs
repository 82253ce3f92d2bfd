//! The journey's own invariants over the whole cluster: what the request flow
//! promises end to end, checked after every event.
//!
//! Owns three checks: every call the gateway forwarded is answered exactly
//! once (answered + in flight = forwarded); an order answered 200 through
//! 2PC is committed at the order participant and at a stock participant
//! (the one owning its product's shard) and its unit is sold at the stock
//! table; every notification is for an order the payment service took (and,
//! with `each-order-notified-once`, at most once). One witness: a request
//! the gateway's Retry filter rescued (answered 200 after a failed attempt).
//! Never changes a node.

use super::ClusterNode;
use super::gateway::Gateway;
use super::service_host::{Flow, ServiceHost};
use super::two_phase::{PLogKind, Resource};
use crate::sim::View;
use crate::sim::invariant::Properties;

pub const ONE_ANSWER_PER_CALL: &str = "gateway-answers-each-call-once";
pub const ORDER_OK_IS_ATOMIC: &str = "order-200-sold-and-written";
pub const NOTIFIED_ONLY_PAID: &str = "notified-only-paid-orders";
pub const SOME_GATEWAY_RETRY_RESCUED: &str = "a-gateway-retry-rescued-a-request";

pub fn register(p: &mut Properties<ClusterNode>) {
    p.always_each(
        ONE_ANSWER_PER_CALL,
        |_, n| match n {
            ClusterNode::Gateway(g) => check_one_answer_per_call(&g.gateway),
            _ => Ok(()),
        },
        |n| matches!(n, ClusterNode::Gateway(_)),
    );
    // Reads the order flows, the 2PC participants and the stock tables (a
    // service is built with its flow and participant, and keeps them).
    p.always_watching(ORDER_OK_IS_ATOMIC, order_ok_is_atomic, |n| match n {
        ClusterNode::Service(s) => s.participant.is_some() || matches!(s.flow, Some(Flow::Order(_))),
        ClusterNode::InventoryStore(_) => true,
        _ => false,
    });
    // Only a consumer's new notification can break it: a payment service's
    // `paid` table only grows.
    p.always_watching(
        NOTIFIED_ONLY_PAID,
        notified_only_paid,
        |n| matches!(n, ClusterNode::Service(s) if s.consumer.is_some()),
    );
    p.sometimes_watching(
        SOME_GATEWAY_RETRY_RESCUED,
        |v| v.nodes.iter().any(|n| matches!(n, ClusterNode::Gateway(g) if g.gateway.rescued_by_retry > 0)),
        |n| matches!(n, ClusterNode::Gateway(_)),
    );
}

/// Forwarded calls = answered + still pending.
pub fn check_one_answer_per_call(gateway: &Gateway) -> Result<(), String> {
    let accounted = gateway.forwarded_answered + gateway.in_flight() as u64;
    if gateway.http_to_rpc != accounted {
        return Err(format!(
            "{} calls forwarded, {} answered, {} in flight",
            gateway.http_to_rpc,
            gateway.forwarded_answered,
            gateway.in_flight()
        ));
    }
    Ok(())
}

fn services<'a>(view: &'a View<'_, ClusterNode>) -> impl Iterator<Item = &'a ServiceHost> {
    view.nodes.iter().filter_map(|n| if let ClusterNode::Service(s) = n { Some(&**s) } else { None })
}

/// Under 2PC an order answered 200 is committed at the order participant
/// and at a stock participant (the shard owning its product); in any design
/// each one sold a unit at the stock table.
fn order_ok_is_atomic(view: &View<'_, ClusterNode>) -> Result<(), String> {
    // One pass over the nodes for the sums; then the order flows, in node
    // order (nothing gathered: this runs after most events).
    let (mut sold, mut any_participant) = (0u64, false);
    let mut committed = [0usize; 2];
    for node in view.nodes {
        match node {
            ClusterNode::InventoryStore(s) => sold += s.units_sold(),
            ClusterNode::Service(s) => {
                if let Some(p) = &s.participant {
                    any_participant = true;
                    committed[usize::from(p.resource == Resource::Stock)] += p.committed;
                }
            }
            _ => {}
        }
    }
    let participants = || services(view).filter_map(|s| s.participant.as_ref());
    let flows = services(view).filter_map(|s| if let Some(Flow::Order(f)) = &s.flow { Some(&**f) } else { None });
    for flow in flows {
        if (flow.placed.len() as u64) > sold {
            return Err(format!("{} orders answered 200 but {sold} units sold", flow.placed.len()));
        }
        if !flow.two_phase || !any_participant {
            continue;
        }
        for resource in [Resource::Orders, Resource::Stock] {
            let committed = committed[usize::from(resource == Resource::Stock)];
            if flow.placed.len() > committed {
                return Err(format!(
                    "{} orders answered 200, {committed} committed at {resource:?}",
                    flow.placed.len()
                ));
            }
            let mut of_kind = participants().filter(|p| p.resource == resource);
            if let Some((&order, _)) = flow.placed.last_key_value()
                && !of_kind.any(|p| p.last_record(order) == Some(PLogKind::Committed))
            {
                return Err(format!("order {order} answered 200 but not committed at a {resource:?} participant"));
            }
        }
    }
    Ok(())
}

/// Every notified order was paid at the payment service.
fn notified_only_paid(view: &View<'_, ClusterNode>) -> Result<(), String> {
    let payments =
        || services(view).filter_map(|s| if let Some(Flow::Payment(f)) = &s.flow { Some(&**f) } else { None });
    if payments().next().is_none() {
        return Ok(());
    }
    for consumer in services(view).filter_map(|s| s.consumer.as_ref()) {
        // Checked after every event: a new notification is among the latest.
        if let Some(order) = consumer.recent_notified.iter().find(|o| !payments().any(|p| p.paid.contains(o))) {
            return Err(format!("order {order} notified but never paid"));
        }
    }
    Ok(())
}
