//! The animation loop and keyboard shortcuts.
//!
//! Owns the `requestAnimationFrame` loop: each frame advances the model by a
//! bounded slice of virtual time, repaints the dot canvas, and — a few times a
//! second, not every frame — asks Yew to re-render the DOM. Also owns the
//! page-wide shortcuts (space, →, digits). Never changes the model except
//! through `Playground::frame` and dispatched actions.

use super::dots;
use super::layout::Orientation;
use super::observe::SizeWatch;
use super::playground::Playground;
use super::state::{Action, AppState};
use gloo::events::{EventListener, EventListenerOptions};
use gloo::render::{AnimationFrame, request_animation_frame};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlCanvasElement, KeyboardEvent};
use yew::{NodeRef, UseReducerDispatcher};

/// DOM refreshes per second while playing (dots move every frame regardless).
const DOM_REFRESH_MS: f64 = 125.0;
/// With reduced motion, the counts that replace the dots are redrawn this rarely.
const REDUCED_MOTION_REPAINT_MS: f64 = 500.0;

struct FrameLoop {
    playground: Rc<RefCell<Playground>>,
    dispatcher: UseReducerDispatcher<AppState>,
    canvas: NodeRef,
    handle: RefCell<Option<AnimationFrame>>,
    stopped: Cell<bool>,
    last_refresh_ms: Cell<f64>,
    last_paint_ms: Cell<f64>,
    reduced_motion: bool,
    /// The dot canvas's CSS size, kept by a `ResizeObserver` once it is mounted.
    canvas_size: RefCell<Option<SizeWatch>>,
    /// Where the dots are, refilled every paint (no allocation per frame).
    dots: RefCell<dots::Dots>,
}

/// Starts the loop; the returned function stops it.
pub fn start(
    playground: Rc<RefCell<Playground>>,
    dispatcher: UseReducerDispatcher<AppState>,
    canvas: NodeRef,
) -> impl FnOnce() {
    let frame_loop = Rc::new(FrameLoop {
        playground,
        dispatcher,
        canvas,
        handle: RefCell::new(None),
        stopped: Cell::new(false),
        last_refresh_ms: Cell::new(0.0),
        last_paint_ms: Cell::new(f64::NEG_INFINITY),
        reduced_motion: prefers_reduced_motion(),
        canvas_size: RefCell::new(None),
        dots: RefCell::default(),
    });
    schedule(frame_loop.clone());
    move || {
        frame_loop.stopped.set(true);
        frame_loop.handle.borrow_mut().take();
    }
}

fn schedule(frame_loop: Rc<FrameLoop>) {
    let next = frame_loop.clone();
    let handle = request_animation_frame(move |now_ms| {
        if next.stopped.get() {
            return;
        }
        next.tick(now_ms);
        schedule(next);
    });
    *frame_loop.handle.borrow_mut() = Some(handle);
}

impl FrameLoop {
    fn tick(&self, now_ms: f64) {
        let Ok(mut pg) = self.playground.try_borrow_mut() else { return };
        let performance = web_sys::window().and_then(|w| w.performance());
        let mut wall_ms = move || performance.as_ref().map_or(now_ms, |p| p.now());
        let was_playing = pg.playing;
        // The model gets less of a frame that will also re-render the page.
        let refresh_due = now_ms - self.last_refresh_ms.get() >= DOM_REFRESH_MS;
        let budget_ms = pg.model_budget_ms(refresh_due);
        pg.frame_within(now_ms, budget_ms, &mut wall_ms);
        let playing = pg.playing;
        // A frame that stopped the run (a rewind arrived, a scenario ended) shows where.
        let just_stopped = was_playing && !playing;
        let repaint_every = if self.reduced_motion { REDUCED_MOTION_REPAINT_MS } else { 0.0 };
        if now_ms - self.last_paint_ms.get() >= repaint_every
            && let Some(canvas) = self.canvas.cast::<HtmlCanvasElement>()
        {
            let paint_start_ms = wall_ms();
            let mut watch = self.canvas_size.borrow_mut();
            if watch.is_none() {
                *watch = SizeWatch::new(&canvas);
            }
            let css_size_px = watch.as_ref().and_then(SizeWatch::size_px);
            let looks = (pg.show_control, self.reduced_motion);
            let dots = dots::draw(&canvas, css_size_px, &pg.cluster, &pg.layout, looks, &mut self.dots.borrow_mut());
            pg.stats.record_draw(wall_ms() - paint_start_ms, dots);
            self.last_paint_ms.set(now_ms);
        }
        let refresh = just_stopped || (playing && refresh_due);
        if refresh {
            pg.stats.refresh_asked(wall_ms());
        }
        drop(pg);
        if refresh {
            self.last_refresh_ms.set(now_ms);
            self.dispatcher.dispatch(Action::Refresh);
        }
    }
}

fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-reduced-motion: reduce)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// Lays the diagram out for the viewport now and whenever it is resized.
pub fn follow_viewport(dispatcher: UseReducerDispatcher<AppState>) -> Option<EventListener> {
    let window = web_sys::window()?;
    let orientation_now = |w: &web_sys::Window| {
        let width = w.inner_width().ok().and_then(|v| v.as_f64()).unwrap_or(1366.0);
        Orientation::for_width(width)
    };
    dispatcher.dispatch(Action::SetOrientation(orientation_now(&window)));
    let target = window.clone();
    Some(EventListener::new(&target, "resize", move |_| {
        dispatcher.dispatch(Action::SetOrientation(orientation_now(&window)));
    }))
}

/// Speeds for the digit keys 1–9: a log scale from 0.1× to 1000×.
pub const DIGIT_SPEEDS: [f64; 9] = [0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0];

/// Space plays or pauses, → steps one event, 1–9 pick a speed. Keys typed
/// into a form control, or pressed with a modifier, are left alone.
pub fn keyboard_shortcuts(dispatcher: UseReducerDispatcher<AppState>) -> Option<EventListener> {
    let document = web_sys::window()?.document()?;
    // Not passive: the shortcuts stop the browser's own use of their keys.
    let options = EventListenerOptions::enable_prevent_default();
    Some(EventListener::new_with_options(&document, "keydown", options, move |event| {
        let Some(e) = event.dyn_ref::<KeyboardEvent>() else { return };
        if e.ctrl_key() || e.meta_key() || e.alt_key() || typing_into_control(e) {
            return;
        }
        let action = match e.key().as_str() {
            " " => Action::TogglePlay,
            "ArrowRight" => Action::Step,
            "Escape" => Action::CloseMenu,
            k => match k.parse::<usize>() {
                Ok(d @ 1..=9) => Action::SetSpeed(DIGIT_SPEEDS[d - 1]),
                _ => return,
            },
        };
        e.prevent_default();
        dispatcher.dispatch(action);
    }))
}

fn typing_into_control(e: &KeyboardEvent) -> bool {
    let Some(target) = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return false };
    let tag = target.tag_name().to_ascii_lowercase();
    // Space on a focused button or node activates it; let that happen.
    let activates = e.key() == " " && (tag == "button" || target.get_attribute("role").as_deref() == Some("button"));
    matches!(tag.as_str(), "input" | "select" | "textarea") || activates
}
