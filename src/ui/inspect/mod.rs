//! Inspectors: what is inside a node, one view per kind, read from the model's `Snapshot`.
//!
//! Owns the `Inspector` component (a node of a snapshot in, semantic HTML
//! out: tables with captions and column headers, definition lists) and the
//! small formatting helpers its views share. Each family of node kinds has
//! its own child module: `inspect/access` (shoppers, balancers and the VIP,
//! app servers, Redis, the autoscaler), `inspect/edge` (DNS, resolvers,
//! browsers, CDN, product cache), `inspect/services` (registry, consumers'
//! cached lists, gateway, message queue), `inspect/coord` (the ZooKeeper
//! lock queue, the stock store, 2PC) and `inspect/storage` (MySQL, MyCat,
//! the GSLB and site fronts). Reads a snapshot; never changes the model.

mod access;
mod coord;
mod edge;
mod services;
mod storage;

pub use coord::{TxnRound, blocked_participants, phase_kind, phase_text, rounds, watches_of};

use crate::cluster::snapshot::{NodeDetail, Snapshot};
use crate::i18n::{t, tf};
use crate::sim::NodeId;
use crate::sim::time::format_time_us;
use crate::ui::lang::use_lang;
use crate::ui::terms;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    /// The whole snapshot: some views read a neighbour (the lock view shows
    /// the fencing token the stock store last accepted).
    pub snapshot: Rc<Snapshot>,
    pub node: NodeId,
}

/// The inspector of one node (`data-inspector="<kind>"`).
#[function_component(Inspector)]
pub fn inspector(props: &InspectorProps) -> Html {
    let snap = &props.snapshot;
    let l = use_lang();
    let Some(node) = snap.nodes.get(props.node.index()) else {
        return html! { <p class="inspector-missing">{ t(l, "inspect.missing") }</p> };
    };
    let body = match &node.detail {
        NodeDetail::LockService { .. } | NodeDetail::Stock { .. } | NodeDetail::TwoPhase { .. } => {
            coord::view(l, snap, node)
        }
        NodeDetail::Registry { .. }
        | NodeDetail::Service { .. }
        | NodeDetail::Gateway { .. }
        | NodeDetail::Queue { .. } => services::view(l, snap, node),
        NodeDetail::Dns { .. }
        | NodeDetail::Resolver { .. }
        | NodeDetail::Browsers { .. }
        | NodeDetail::Cdn { .. }
        | NodeDetail::ProductCache { .. } => edge::view(l, snap, node),
        NodeDetail::Mysql { .. }
        | NodeDetail::Mycat { .. }
        | NodeDetail::Gslb { .. }
        | NodeDetail::SiteFront { .. } => storage::view(l, snap, node),
        _ => access::view(l, snap, node),
    };
    html! {
        <section class="inspector" data-inspector={kind_name(&node.detail)}
                 aria-label={tf(l, "inspect.label", &[("node", &node.id)])}>
            <h3>
                { &node.id }{ " " }
                <span class={classes!("state-pill", format!("state-{}", node.state))}>{ terms::state(l, node.state) }</span>
            </h3>
            { body }
        </section>
    }
}

/// The kind of a detail as the snapshot's JSON names it (`lock-service`, …).
pub fn kind_name(detail: &NodeDetail) -> &'static str {
    match detail {
        NodeDetail::Shoppers { .. } => "shoppers",
        NodeDetail::Balancer { .. } => "balancer",
        NodeDetail::VipRouter { .. } => "vip-router",
        NodeDetail::AppServer { .. } => "app-server",
        NodeDetail::Registry { .. } => "registry",
        NodeDetail::Service { .. } => "service",
        NodeDetail::TwoPhase { .. } => "two-phase",
        NodeDetail::Gateway { .. } => "gateway",
        NodeDetail::ProductCache { .. } => "product-cache",
        NodeDetail::Dns { .. } => "dns",
        NodeDetail::Resolver { .. } => "resolver",
        NodeDetail::Redis { .. } => "redis",
        NodeDetail::Autoscaler { .. } => "autoscaler",
        NodeDetail::Gslb { .. } => "gslb",
        NodeDetail::SiteFront { .. } => "site-front",
        NodeDetail::Browsers { .. } => "browsers",
        NodeDetail::LockService { .. } => "lock-service",
        NodeDetail::Stock { .. } => "stock",
        NodeDetail::Queue { .. } => "queue",
        NodeDetail::Mysql { .. } => "mysql",
        NodeDetail::Mycat { .. } => "mycat",
        NodeDetail::Cdn { .. } => "cdn",
        NodeDetail::Other { .. } => "other",
    }
}

/// A table with a caption and column headers; `empty` when there are no rows.
fn table(caption: &str, headers: &[&str], rows: Vec<Html>, empty: &str) -> Html {
    html! {
        <table class="inspect-table">
            <caption>{ caption }</caption>
            <thead><tr>{ for headers.iter().map(|h| html! { <th scope="col">{ *h }</th> }) }</tr></thead>
            <tbody>
                if rows.is_empty() {
                    <tr><td class="quiet" colspan={headers.len().to_string()}>{ empty }</td></tr>
                }
                { for rows }
            </tbody>
        </table>
    }
}

/// A definition list of (term, value) facts.
fn facts(items: &[(&str, String)]) -> Html {
    html! {
        <dl class="inspect-facts">
            { for items.iter().map(|(term, value)| html! {
                <div><dt>{ *term }</dt><dd>{ value }</dd></div>
            }) }
        </dl>
    }
}

/// Virtual time as `12.345 s`.
fn at(t_us: u64) -> String {
    format_time_us(t_us)
}

/// How long ago `then_us` was, as `3.2 s ago`.
fn ago(l: crate::i18n::Lang, now_us: u64, then_us: u64) -> String {
    tf(l, "inspect.ago", &[("span", &format_time_us(now_us.saturating_sub(then_us)))])
}

/// A per-mille ratio as a percentage with one decimal.
pub fn percent(permille: u64) -> String {
    format!("{}.{} %", permille / 10, permille % 10)
}

/// A comma-separated list, or an em dash for none.
fn list(items: &[String]) -> String {
    if items.is_empty() { "—".to_string() } else { items.join(", ") }
}

/// A neighbour's detail in the same snapshot (e.g. the stock store for the lock view).
fn find_detail(snap: &Snapshot, pick: impl Fn(&NodeDetail) -> bool) -> Option<(&str, &NodeDetail)> {
    snap.nodes.iter().find(|n| pick(&n.detail)).map(|n| (n.id.as_str(), &n.detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_and_lists_read_plainly() {
        assert_eq!(percent(1000), "100.0 %");
        assert_eq!(percent(875), "87.5 %");
        assert_eq!(percent(3), "0.3 %");
        assert_eq!(list(&[]), "—");
        assert_eq!(list(&["a".into(), "b".into()]), "a, b");
        assert_eq!(ago(crate::i18n::Lang::En, 5_000_000, 2_000_000), "3.000 s ago");
        assert_eq!(ago(crate::i18n::Lang::En, 1, 2), "0 µs ago", "a timestamp in the future is not negative");
    }
}
