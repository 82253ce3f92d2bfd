//! The app's state and its reducer: every change goes through one `Action`.
//!
//! Owns the closed `Action` enum and `AppState` (the shared model handle, a
//! version number that makes Yew re-render, and which node's menu is open).
//! Components dispatch actions; only `reduce` touches the model.

use super::layout::Orientation;
use super::playground::Playground;
use crate::cluster::command::NodeAction;
use crate::sim::NodeId;
use std::cell::RefCell;
use std::rc::Rc;
use yew::Reducible;

/// Everything a reader (or the frame loop) can ask for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Action {
    Play,
    Pause,
    TogglePlay,
    Step,
    /// Speed as virtual seconds per wall second.
    SetSpeed(f64),
    OpenMenu(NodeId),
    /// The viewport changed shape: lay the layers out the other way.
    SetOrientation(Orientation),
    CloseMenu,
    Node(NodeId, NodeAction),
    /// Show or hide the cluster's own chatter (heartbeats, replication) as dots.
    ToggleControlDots,
    /// The model moved on (frame loop, console API): draw again.
    Refresh,
}

/// The UI's state: a handle on the model plus what only the UI cares about.
#[derive(Clone)]
pub struct AppState {
    pub playground: Rc<RefCell<Playground>>,
    /// Bumped on every change so Yew knows to re-render.
    pub version: u64,
    pub menu: Option<NodeId>,
}

impl PartialEq for AppState {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version && self.menu == other.menu && Rc::ptr_eq(&self.playground, &other.playground)
    }
}

impl AppState {
    pub fn new(playground: Rc<RefCell<Playground>>) -> Self {
        Self { playground, version: 0, menu: None }
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        next.version += 1;
        {
            let mut pg = next.playground.borrow_mut();
            match action {
                Action::Play => pg.play(),
                Action::Pause => pg.pause(),
                Action::TogglePlay if pg.playing => pg.pause(),
                Action::TogglePlay => pg.play(),
                Action::Step => pg.step(),
                Action::SetSpeed(speed) => pg.set_speed(speed),
                Action::OpenMenu(node) => next.menu = Some(node),
                Action::SetOrientation(o) => pg.set_orientation(o),
                Action::CloseMenu => next.menu = None,
                Action::Node(node, node_action) => pg.act(node, node_action),
                Action::ToggleControlDots => pg.show_control = !pg.show_control,
                Action::Refresh => {}
            }
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::VisibleState;

    fn state() -> Rc<AppState> {
        Rc::new(AppState::new(Rc::new(RefCell::new(Playground::new(3)))))
    }

    #[test]
    fn actions_reach_the_model() {
        let s = state();
        let s = s.reduce(Action::TogglePlay);
        assert!(s.playground.borrow().playing);
        let s = s.reduce(Action::Step);
        assert!(!s.playground.borrow().playing, "a step pauses");
        let app1 = s.playground.borrow().cluster.sim.id_of("app-1").unwrap();
        let s = s.reduce(Action::OpenMenu(app1));
        assert_eq!(s.menu, Some(app1));
        let s = s.reduce(Action::Node(app1, NodeAction::Crash));
        assert_eq!(s.playground.borrow().cluster.visible_state(app1), VisibleState::Crashed);
        let s = s.reduce(Action::CloseMenu);
        assert_eq!(s.menu, None);
        assert_eq!(s.version, 5);
    }
}
