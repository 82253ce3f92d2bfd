//! The pure side of sharing in the page: which shared runs it can draw, the
//! run it starts with, and the `Playground` a `SharedRun` becomes.
//!
//! Owns `current_run` (what the share button shares), `page_can_load` (the
//! slice and the whole shop, not yet the two sites), the built-in scenarios
//! the page offers, `start_run` (a link's fragment first, then
//! `?scenario=`) and `playground_of` (built at t = 0, fast-forwarding to the
//! sharer's time). No DOM: tested natively. Never decodes a link or file
//! itself (`crate::share` does).

use crate::scenario::TopologyKind;
use crate::scenario::validate::MAX_DURATION_MS;
use crate::share::{self, ShareError, SharedRun, builtin};
use crate::ui::playground::Playground;

/// Why a shared run cannot be loaded in the page (worded in the reader's
/// language by `share/words`).
#[derive(Clone, Debug, PartialEq)]
pub enum LoadError {
    /// The link or file itself is bad.
    Share(ShareError),
    /// A two-sites scenario: the page does not draw that topology yet.
    NeedsSites { name: String },
    /// `?scenario=` or the list named no built-in scenario.
    NotBuiltIn { id: String },
    /// The run has grown past what a link holds.
    TooLongForLink { bytes: usize },
}

impl From<ShareError> for LoadError {
    fn from(e: ShareError) -> Self {
        Self::Share(e)
    }
}

/// What the share button makes of the running playground: its scenario so
/// far, its time and speed.
pub fn current_run(pg: &Playground) -> SharedRun {
    SharedRun {
        scenario: pg.recording.scenario_so_far(),
        at_ms: share::at_ms_of(pg.cluster.sim.now_us()),
        speed: pg.speed,
        lesson: None,
    }
}

/// The run, if the page can draw it (the slice and the whole shop: not yet
/// the two sites).
pub fn page_can_load(run: SharedRun) -> Result<SharedRun, LoadError> {
    if run.scenario.topology.kind == TopologyKind::Sites {
        return Err(LoadError::NeedsSites { name: share::error::excerpt(&run.scenario.name, 80) });
    }
    Ok(run)
}

/// The built-in scenarios the page can draw (each parsed once, once their
/// text is in: the share panel lists them on every render); none before.
pub fn loadable_ids() -> Vec<&'static str> {
    static LOADABLE: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    if !builtin::loaded() {
        return Vec::new();
    }
    LOADABLE.get_or_init(|| builtin::ids().filter(|id| built_in(id).is_ok()).collect()).clone()
}

/// Built-in scenario `id` from its start, or why it cannot be loaded.
pub fn built_in(id: &str) -> Result<SharedRun, LoadError> {
    match builtin::load(id) {
        Some(loaded) => page_can_load(loaded?),
        None => Err(LoadError::NotBuiltIn { id: share::error::excerpt(id, 40) }),
    }
}

/// The run the page starts with: from the link's fragment `hash` if it has
/// one (a bad one gives its message and a free play), else `?scenario=`.
pub fn start_run(hash: &str, scenario_id: Option<&str>) -> (Option<SharedRun>, Option<LoadError>) {
    if !hash.trim_start_matches('#').is_empty() {
        return match share::decode_link(hash).map_err(LoadError::from).and_then(page_can_load) {
            Ok(run) => (Some(run), None),
            Err(message) => (None, Some(message)),
        };
    }
    (scenario_id.and_then(|id| built_in(id).ok()), None)
}

/// The playground a shared run describes: built at t = 0 at the shared speed
/// and fast-forwarding (frame by frame) to the sharer's time, where it pauses.
/// A free play's recipe (a day long) keeps free play's open end.
pub fn playground_of(run: &SharedRun) -> Playground {
    let mut pg = Playground::from_scenario(run.scenario.clone());
    pg.set_speed(run.speed);
    if run.scenario.duration_ms == MAX_DURATION_MS {
        pg.end_us = None;
    }
    if run.at_us() > 0 {
        pg.fast_forward_to = Some(run.at_us());
        pg.play();
    }
    pg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SEC;
    use crate::ui::playground::{self, Topology};
    use crate::ui::state::{Action, AppState};
    use std::cell::RefCell;
    use std::rc::Rc;
    use yew::Reducible;

    #[test]
    fn the_shared_default_speed_is_the_pages() {
        assert_eq!(share::DEFAULT_SPEED, playground::DEFAULT_SPEED);
        assert_eq!((share::MIN_SPEED, share::MAX_SPEED), (playground::MIN_SPEED, playground::MAX_SPEED));
    }

    #[test]
    fn a_shared_free_play_loads_fast_forwarding_with_no_end() {
        let mut pg = Playground::with_topology(3, Topology::Slice, None);
        pg.run_for(2 * SEC + 5);
        pg.set_speed(7.0);
        let run = current_run(&pg);
        let loaded = playground_of(&run);
        assert_eq!((loaded.fast_forward_to, loaded.playing, loaded.speed), (Some(2 * SEC + 5), true, 7.0));
        assert_eq!((loaded.end_us, loaded.topology), (None, Topology::Slice));
        let (start, error) = start_run(&share::encode_link(&run), Some("double-11"));
        assert_eq!((start, error), (Some(run), None), "the link wins over ?scenario=");
    }

    #[test]
    fn built_in_scenarios_load_unless_the_page_cannot_draw_them() {
        assert!(loadable_ids().contains(&"crash-xiaomings-server"));
        assert!(!loadable_ids().contains(&"centre-fails"));
        let run = built_in("double-11").unwrap();
        let pg = playground_of(&run);
        assert_eq!((pg.fast_forward_to, pg.playing, pg.end_us), (None, false, Some(run.scenario.duration_ms * 1000)));
        assert!(matches!(built_in("centre-fails"), Err(LoadError::NeedsSites { .. })));
        assert_eq!(built_in("nope").unwrap_err(), LoadError::NotBuiltIn { id: "nope".into() });
        assert_eq!(start_run("", Some("nope")), (None, None), "the URL's own warning reports it");
        let (run, error) = start_run("#run=7.x", None);
        let wrong = ShareError::WrongVersion { form: share::Form::Link, found: "\"7\"".into() };
        assert_eq!((run, error), (None, Some(LoadError::Share(wrong))));
    }

    /// The reducer's `LoadRun`: the same playground handle holds the shared
    /// run, in the screen's orientation, with menus and notices cleared; it
    /// pauses where the sharer was with the sharer's trace.
    #[test]
    fn loading_a_run_replaces_the_playground_and_arrives_at_the_sharers_trace() {
        use crate::cluster::command::{Command, NodeAction};
        use crate::ui::layout::Orientation;
        let mut sharer = Playground::with_topology(5, Topology::Slice, None);
        sharer.run_for(SEC);
        sharer.command(Command::Node { node: "app-1".into(), action: NodeAction::Crash }).unwrap();
        sharer.run_for(3 * SEC + 7);
        let run = current_run(&sharer);
        let state = Rc::new(AppState::new(Rc::new(RefCell::new(Playground::new(9)))));
        state.playground.borrow_mut().set_orientation(Orientation::Tall);
        let app1 = state.playground.borrow().cluster.sim.id_of("app-1").unwrap();
        let handle = state.playground.clone();
        let state = state.reduce(Action::OpenMenu(app1)).reduce(Action::LoadRun(Box::new(run)));
        assert!(Rc::ptr_eq(&handle, &state.playground) && state.menu.is_none());
        let mut pg = state.playground.borrow_mut();
        assert_eq!((pg.seed, pg.layout.orientation, pg.cluster.sim.now_us()), (5, Orientation::Tall, 0));
        let mut frozen = || 0.0;
        for frame in 0..10_000 {
            if !pg.playing {
                break;
            }
            pg.frame(f64::from(frame) * 16.0, &mut frozen);
        }
        assert_eq!(pg.cluster.sim.now_us(), sharer.cluster.sim.now_us());
        assert_eq!(pg.cluster.sim.trace_hash(), sharer.cluster.sim.trace_hash());
    }
}
