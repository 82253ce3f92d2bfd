//! Time controls and headline metrics.
//!
//! Owns the play / pause / step / speed controls, the way back (`rewind`: a
//! scrubber from 0 to now — the run is rebuilt and fast-forwarded to the
//! chosen instant, where acting forks it) and `run-to-end` of a loaded
//! scenario (`data-control` hooks), and the metric read-outs (`data-metric`
//! hooks, plain numbers as text). Holds no state: it renders what it is
//! given and dispatches actions.

use super::lang::use_lang;
use super::playground::{MAX_SPEED, MIN_SPEED};
use super::state::Action;
use crate::i18n::{Lang, t, tf};
use crate::sim::time::format_time_us;
use crate::sim::{MS, TimeUs};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub playing: bool,
    pub speed: f64,
    pub now_us: TimeUs,
    /// Where the loaded scenario ends (free play has no end).
    pub end_us: Option<TimeUs>,
    /// Where a rewind or run-to-end is hurrying to.
    pub fast_forward_to: Option<TimeUs>,
    pub lagging: bool,
    pub dispatch: Callback<Action>,
}

/// Speed as shown: `×0.1`, `×3`, `×250`.
pub fn speed_label(speed: f64) -> String {
    if speed < 1.0 { format!("×{speed:.1}") } else { format!("×{}", speed.round() as u64) }
}

#[function_component(Controls)]
pub fn controls(props: &ControlsProps) -> Html {
    let d = &props.dispatch;
    let l = use_lang();
    let on_speed = d.reform(|e: InputEvent| {
        let input: HtmlInputElement = e.target_unchecked_into();
        let log10 = input.value().parse::<f64>().unwrap_or(0.0);
        Action::SetSpeed(10f64.powf(log10))
    });
    let log10 = props.speed.log10();
    html! {
        <div class="controls" role="toolbar" aria-label={t(l, "controls.label")}>
            if props.playing {
                <button data-control="pause" onclick={d.reform(|_| Action::Pause)} title={t(l, "controls.pause-title")}>{ icon(Icon::Pause) }{ t(l, "controls.pause") }</button>
            } else {
                <button data-control="play" onclick={d.reform(|_| Action::Play)} title={t(l, "controls.play-title")}>{ icon(Icon::Play) }{ t(l, "controls.play") }</button>
            }
            <button data-control="step" onclick={d.reform(|_| Action::Step)} title={t(l, "controls.step-title")}>{ icon(Icon::Step) }{ t(l, "controls.step") }</button>
            <label class="speed">
                <span>{ t(l, "controls.speed") }</span>
                <input type="range" data-control="speed" min={MIN_SPEED.log10().to_string()}
                       max={MAX_SPEED.log10().to_string()} step="0.1" value={format!("{log10:.1}")}
                       aria-valuetext={speed_label(props.speed)} oninput={on_speed} />
                <output>{ speed_label(props.speed) }</output>
            </label>
            <span class="clock" aria-label={t(l, "controls.clock")}>{ format_time_us(props.now_us) }</span>
            { time_travel(props, l) }
            if props.lagging && props.fast_forward_to.is_none() {
                <span class="lagging" title={t(l, "controls.lagging-title")}>{ t(l, "controls.lagging") }</span>
            }
        </div>
    }
}

/// The rewind scrubber (0 to now, in tenths of a second), run-to-end, and
/// where a fast-forward is going.
fn time_travel(props: &ControlsProps, l: Lang) -> Html {
    let d = &props.dispatch;
    let tenths = props.now_us / (100 * MS);
    let on_scrub = d.reform(|e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        Action::Rewind(input.value().parse::<u64>().unwrap_or(0) * 100 * MS)
    });
    let no_end = props.end_us.is_none();
    let end_title = if no_end { t(l, "controls.run-to-end-none") } else { t(l, "controls.run-to-end-title") };
    html! {
        <>
            <label class="scrub" title={t(l, "controls.rewind-title")}>
                <span>{ t(l, "controls.rewind") }</span>
                <input type="range" data-control="rewind" min="0" max={tenths.to_string()} step="1"
                       value={tenths.to_string()} aria-valuetext={format_time_us(props.now_us)}
                       onchange={on_scrub} />
            </label>
            <button data-control="run-to-end" disabled={no_end} title={end_title}
                    onclick={d.reform(|_| Action::RunToEnd)}>{ t(l, "controls.run-to-end") }</button>
            if let Some(to_us) = props.fast_forward_to {
                <span class="lagging" role="status">{ tf(l, "controls.fast-forwarding", &[("time", &format_time_us(to_us))]) }</span>
            }
        </>
    }
}

#[derive(Clone, Copy)]
enum Icon {
    Play,
    Pause,
    Step,
}

/// Small inline icons: no icon font, no request, the same on every system.
fn icon(which: Icon) -> Html {
    let path = match which {
        Icon::Play => "M4 2 L14 8 L4 14 Z",
        Icon::Pause => "M3 2 H7 V14 H3 Z M9 2 H13 V14 H9 Z",
        Icon::Step => "M2 2 L10 8 L2 14 Z M11 2 H14 V14 H11 Z",
    };
    html! {
        <svg class="icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><path d={path} /></svg>
    }
}

#[derive(Properties, PartialEq)]
pub struct MetricsProps {
    pub values: Vec<(&'static str, &'static str, u64)>,
}

/// The headline numbers: (hook name, label, value).
#[function_component(MetricsBar)]
pub fn metrics_bar(props: &MetricsProps) -> Html {
    html! {
        <dl class="metrics">
            { for props.values.iter().map(|&(name, label, value)| html! {
                <div class={classes!("metric", format!("metric-{name}"))}>
                    <dt>{ label }</dt>
                    <dd data-metric={name}>{ value }</dd>
                </div>
            }) }
        </dl>
    }
}

#[cfg(test)]
mod tests {
    use super::speed_label;

    #[test]
    fn speed_labels() {
        assert_eq!(speed_label(0.1), "×0.1");
        assert_eq!(speed_label(1.0), "×1");
        assert_eq!(speed_label(19.95), "×20");
    }
}
