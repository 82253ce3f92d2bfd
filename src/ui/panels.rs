//! The panels under the diagram: design switches, traffic, charts and the selected node's inspector.
//!
//! Owns how those panels are laid out together and the reading of the model
//! each needs (switch rows, the crowd's size, Xiaoming, a snapshot for the
//! inspector — taken only while a node is selected). Never changes the model
//! except by dispatching an `Action`.

use super::charts::Charts;
use super::inspect::Inspector;
use super::lang::use_lang;
use super::playground::Playground;
use super::state::{Action, Refusal, Replayed};
use super::switches::{self, Switches};
use super::traffic::{self, Traffic};
use crate::i18n::t;
use crate::sim::NodeId;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties)]
pub struct PanelsProps {
    pub playground: Rc<RefCell<Playground>>,
    pub version: u64,
    pub selected: Option<NodeId>,
    pub refused: Option<Refusal>,
    pub replayed: Option<Replayed>,
    pub following: bool,
    pub dispatch: Callback<Action>,
}

impl PartialEq for PanelsProps {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
            && Rc::ptr_eq(&self.playground, &other.playground)
            && self.selected == other.selected
            && self.refused == other.refused
            && self.replayed == other.replayed
            && self.following == other.following
    }
}

#[function_component(Panels)]
pub fn panels(props: &PanelsProps) -> Html {
    let l = use_lang();
    let pg = props.playground.borrow();
    let cluster = &pg.cluster;
    let inspector = props.selected.map(|node| {
        let snapshot = Rc::new(cluster.snapshot());
        html! {
            <section class="panel inspector-panel" aria-label={t(l, "panels.inspector")}>
                <h2>{ t(l, "panels.inspector") }</h2>
                <Inspector {snapshot} {node} />
            </section>
        }
    });
    html! {
        <div class="panels">
            { inspector.unwrap_or_default() }
            <Switches rows={switches::rows(&cluster.design)} refused={props.refused.clone()}
                replayed={props.replayed.clone()} dispatch={props.dispatch.clone()} />
            <super::real_config::RealConfig playground={props.playground.clone()} design={cluster.design} />
            <Traffic active={cluster.active_shoppers()} capacity={cluster.crowd_capacity()} following={props.following}
                xiaoming={props.following.then(|| traffic::xiaoming(cluster)).flatten()}
                refused={props.refused.clone()} dispatch={props.dispatch.clone()} />
            <Charts playground={props.playground.clone()} version={props.version} />
            <super::compare::ComparePanel playground={props.playground.clone()} />
        </div>
    }
}
