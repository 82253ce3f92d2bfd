//! The app's state and its reducer: every change goes through one `Action`.
//!
//! Owns the closed `Action` enum and `AppState` (the shared model handle, a
//! version number that makes Yew re-render, which node's menu is open, the
//! model's last refusal of a command, whether Xiaoming is followed, the
//! reader's language, the lesson being played and the reader's progress
//! through it).
//! Components dispatch actions; only `reduce` touches the model.

use super::layout::Orientation;
use super::playground::Playground;
use crate::cluster::command::{Command, CommandError, NodeAction, XiaomingAction};
use crate::cluster::design::Design;
use crate::i18n::Lang;
use crate::lesson::{self, LessonProgress, Todo};
use crate::share::SharedRun;
use crate::sim::{NodeId, TimeUs};
use std::cell::RefCell;
use std::rc::Rc;
use yew::Reducible;

/// Everything a reader (or the frame loop) can ask for.
#[derive(Clone, Debug, PartialEq)]
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
    /// A command of the model (a design switch, the shoppers' rate, …); if the
    /// model refuses it, nothing changes and the reason is kept in `refused`.
    Command(Command),
    /// Start or stop following Xiaoming's journey.
    ToggleFollow,
    /// Pause, then run until Xiaoming's current request is over.
    XiaomingNextPage,
    /// Run as fast as frames allow to the end of the loaded scenario.
    RunToEnd,
    /// Back to this virtual time of the same run (rebuilt and fast-forwarded).
    Rewind(TimeUs),
    /// Show the page in another language.
    SetLang(Lang),
    /// Replace the run with a shared one (a link, a file, a built-in
    /// scenario), fast-forwarded to the sharer's time, where it pauses.
    LoadRun(Box<SharedRun>),
    /// Start the lesson with this id: its scenario replaces the run.
    StartLesson(String),
    /// The current step is done: go on to the next one.
    NextLessonStep,
    /// Do the current step's expected act for the reader ("show me").
    ShowMe,
    /// Leave the lesson (the run goes on as free play).
    LeaveLesson,
}

/// The run was rebuilt from t = 0 with a deployment-time switch changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Replayed {
    pub switch: String,
    pub value: String,
    /// The reader's recorded actions the replay repeats.
    pub actions: usize,
}

/// A command the model refused, and why (shown under `data-error`, in the
/// reader's language: `terms::refusal`).
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    pub command: Command,
    pub error: CommandError,
}

/// The UI's state: a handle on the model plus what only the UI cares about.
#[derive(Clone)]
pub struct AppState {
    pub playground: Rc<RefCell<Playground>>,
    /// Bumped on every change so Yew knows to re-render.
    pub version: u64,
    pub menu: Option<NodeId>,
    /// The last command the model refused (cleared by the next one it accepts).
    pub refused: Option<Refusal>,
    /// Whether the reader follows Xiaoming's journey.
    pub following: bool,
    /// The last replay under another design (cleared by the next command).
    pub replayed: Option<Replayed>,
    /// The language every component shows (given to them as context).
    pub lang: Lang,
    /// The lesson being played, if any, and where the reader is in it.
    pub lesson: Option<LessonProgress>,
}

impl PartialEq for AppState {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
            && self.menu == other.menu
            && self.lang == other.lang
            && Rc::ptr_eq(&self.playground, &other.playground)
    }
}

impl AppState {
    /// The lesson actions: start one, move on, "show me", leave.
    fn lesson_action(&mut self, pg: &mut Playground, action: Action) {
        match action {
            Action::StartLesson(id) => {
                if let Some(lesson) = lesson::by_id(&id) {
                    let orientation = pg.layout.orientation;
                    *pg = Playground::from_scenario(lesson.scenario.clone());
                    pg.set_orientation(orientation);
                    self.lesson = Some(LessonProgress::start(lesson.clone(), &pg.cluster, &pg.recording));
                    (self.menu, self.refused, self.replayed, self.following) = (None, None, None, false);
                }
            }
            Action::NextLessonStep => {
                if let Some(progress) = self.lesson.as_mut() {
                    progress.next_step(&pg.cluster, &pg.recording);
                }
            }
            Action::ShowMe => {
                if let Some(progress) = self.lesson.as_ref() {
                    wait_for_the_moment(pg, progress);
                }
                match self.lesson.as_ref().and_then(|p| p.todo(&pg.cluster)) {
                    Some(Todo::Command(command)) => (self.refused, self.replayed) = carry_out(pg, command, None),
                    Some(Todo::ReplayWith { switch, value }) => {
                        let command = Command::SetSwitch { switch: switch.clone(), value };
                        (self.refused, self.replayed) = carry_out(pg, command, Some(&switch));
                        hurry_to_the_readers_acts(pg, self);
                    }
                    Some(Todo::Wait { .. }) | None => pg.play(),
                }
            }
            Action::LeaveLesson => self.lesson = None,
            _ => {}
        }
    }

    pub fn new(playground: Rc<RefCell<Playground>>) -> Self {
        Self {
            playground,
            version: 0,
            menu: None,
            refused: None,
            following: false,
            replayed: None,
            lang: Lang::En,
            lesson: None,
        }
    }
}

/// A reader's command: carried out and recorded, or refused with its reason;
/// a deployment-time switch replays the run with its new value, and so does
/// the switch a lesson's step asks to replay with (`replay_switch`).
fn carry_out(
    pg: &mut Playground,
    command: Command,
    replay_switch: Option<&str>,
) -> (Option<Refusal>, Option<Replayed>) {
    let mut replayed = None;
    let result = match &command {
        Command::SetSwitch { switch, value } if Design::needs_redeploy(switch) || replay_switch == Some(switch) => {
            let result = pg.replay_with(switch, value).map_err(CommandError::Switch);
            if result.is_ok() {
                let actions = pg.recording.journal().len();
                replayed = Some(Replayed { switch: switch.clone(), value: value.clone(), actions });
            }
            result
        }
        _ => pg.command(command.clone()),
    };
    (result.err().map(|error| Refusal { command, error }), replayed)
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        next.version += 1;
        {
            let playground = next.playground.clone();
            let mut pg = playground.borrow_mut();
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
                Action::Node(node, action) => {
                    let command = Command::Node { node: pg.cluster.sim.name(node).to_string(), action };
                    (next.refused, next.replayed) = carry_out(&mut pg, command, None);
                }
                Action::ToggleControlDots => pg.show_control = !pg.show_control,
                Action::Refresh => {}
                Action::Command(command) => {
                    let replay_switch = next.lesson.as_ref().and_then(replay_switch);
                    (next.refused, next.replayed) = carry_out(&mut pg, command, replay_switch.as_deref());
                    hurry_to_the_readers_acts(&mut pg, &next);
                }
                Action::ToggleFollow => {
                    next.following = !next.following;
                    // Followed, he takes a page only when asked; unfollowed, he walks on.
                    let action = if next.following { XiaomingAction::Manual } else { XiaomingAction::Auto };
                    // A topology without the command keeps him walking: following still shows his card.
                    let _ = pg.command(Command::Xiaoming { action });
                }
                Action::SetLang(lang) => next.lang = lang,
                Action::XiaomingNextPage => {
                    pg.pause();
                    // Refused while a page is on its way: then that page is the one to finish.
                    let _ = pg.command(Command::Xiaoming { action: XiaomingAction::NextStep });
                    super::traffic::run_to_next_page(&mut pg);
                }
                Action::RunToEnd => {
                    pg.run_to_end();
                }
                Action::Rewind(to_us) => pg.rewind_to(to_us),
                Action::LoadRun(run) => {
                    let orientation = pg.layout.orientation;
                    *pg = super::share::playground_of(&run);
                    pg.set_orientation(orientation);
                    (next.menu, next.refused, next.replayed, next.following) = (None, None, None, false);
                    next.lesson = None;
                }
                lesson_action @ (Action::StartLesson(_)
                | Action::NextLessonStep
                | Action::ShowMe
                | Action::LeaveLesson) => next.lesson_action(&mut pg, lesson_action),
            }
            // The lesson looks at the model after every action (the frame
            // loop's refreshes included): one check, a few fields.
            if let Some(progress) = next.lesson.as_mut() {
                progress.advance(&pg.cluster, &pg.recording);
            }
        }
        Rc::new(next)
    }
}

/// Most events "show me" runs, one by one, looking for the moment a step's act waits for.
const MOMENT_SEARCH_EVENTS: u32 = 200_000;

/// Runs the model event by event until the current step's moment to act
/// (bounded: if it never comes, the act is done anyway).
fn wait_for_the_moment(pg: &mut Playground, progress: &LessonProgress) {
    for _ in 0..MOMENT_SEARCH_EVENTS {
        if progress.moment_to_act(&pg.cluster, &pg.recording) {
            return;
        }
        pg.recording.step(&mut pg.cluster);
    }
}

/// In a lesson, a replay hurries (as a rewind does) to a little before the
/// reader's last act and pauses there: pressing Play shows it happen again.
fn hurry_to_the_readers_acts(pg: &mut Playground, state: &AppState) {
    if state.lesson.is_none() || state.replayed.is_none() {
        return;
    }
    if let Some(last) = pg.recording.journal().last() {
        let to_us = last.due_us().saturating_sub(LEAD_IN_US);
        if to_us > 0 {
            pg.fast_forward_to = Some(to_us);
            pg.play();
        }
    }
}

/// How long before the reader's last act a lesson's replay stops.
const LEAD_IN_US: TimeUs = 2 * crate::sim::SEC;

/// The switch the lesson's current step asks to replay the run with, if any:
/// setting it in the switch panel replays instead of switching live.
fn replay_switch(progress: &LessonProgress) -> Option<String> {
    match &progress.current()?.act {
        lesson::Act::ReplayWith { switch, .. } if !progress.done => Some(switch.clone()),
        _ => None,
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

    #[test]
    fn a_refused_command_is_kept_with_its_reason_and_changes_nothing() {
        let s = state();
        let set = |value: &str| Action::Command(Command::SetSwitch { switch: "lock".into(), value: value.into() });
        let s = s.reduce(set("bogus"));
        let refusal = s.refused.clone().expect("a bad value is refused");
        let reason = refusal.error.to_string();
        assert!(reason.contains("bogus") && reason.contains("lock-with-fencing"), "{reason}");
        assert_eq!(s.playground.borrow().cluster.design.get("lock").as_deref(), Some("lock-with-fencing"));
        let s = s.reduce(set("off"));
        assert_eq!(s.refused, None, "an accepted command clears the refusal");
        assert_eq!(s.playground.borrow().cluster.design.get("lock").as_deref(), Some("off"));
    }

    #[test]
    fn a_lesson_replaces_the_run_and_show_me_does_the_step() {
        let s = state().reduce(Action::StartLesson("no-such-lesson".into()));
        assert!(s.lesson.is_none(), "an unknown lesson starts nothing");
        let s = s.reduce(Action::StartLesson("the-balancer-fails".into()));
        let progress = s.lesson.clone().expect("the lesson started");
        assert_eq!((progress.step, progress.done), (0, false));
        assert_eq!(s.playground.borrow().seed, progress.lesson.scenario.seed, "the lesson's scenario runs");
        let s = s.reduce(Action::NextLessonStep);
        assert_eq!(s.lesson.as_ref().map(|p| p.step), Some(0), "no next step before this one is done");
        let s = s.reduce(Action::ShowMe);
        let lb = s.playground.borrow().cluster.sim.id_of("lb-south-1").unwrap();
        assert_eq!(s.playground.borrow().cluster.visible_state(lb), VisibleState::Crashed, "show me crashed it");
        s.playground.borrow_mut().run_for(20 * crate::sim::SEC);
        let s = s.reduce(Action::Refresh);
        assert!(
            s.lesson.as_ref().is_some_and(|p| p.done),
            "{:?}",
            s.lesson.as_ref().map(|p| p.explain(&s.playground.borrow().cluster, &s.playground.borrow().recording))
        );
        let s = s.reduce(Action::NextLessonStep).reduce(Action::LeaveLesson);
        assert!(s.lesson.is_none());
    }
}
