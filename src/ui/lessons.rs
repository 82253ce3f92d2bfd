//! The guided lessons on the page: the lesson list and the lesson panel.
//!
//! Owns `LessonList` (every lesson, `data-lesson="<id>"`, with a done or
//! in-progress mark remembered in localStorage) and `LessonPanel` (goal,
//! misconception, the steps with `data-lesson-step` / `data-step-done`, the
//! "show me" button, the explanation once a step's check passes, next step).
//! Reads `LessonProgress` from the app state; changes the model only by
//! dispatching an `Action`. Text comes in both languages; the reader's language (`use_lang`) picks one.

use super::lang::use_lang;
use super::state::Action;
use crate::i18n::Lang;
use crate::lesson::{self, LessonProgress, MISCONCEPTIONS};
use std::collections::BTreeMap;
use yew::prelude::*;

/// The UI's own words, English and Chinese.
const LESSONS: (&str, &str) = ("Lessons", "课程");
const LESSON: (&str, &str) = ("Lesson", "第");
const LESSON_SUFFIX: (&str, &str) = ("", " 课");
const GOAL: (&str, &str) = ("Goal", "目标");
const MISCONCEPTION: (&str, &str) = ("Misconception", "常见误解");
const STEP: (&str, &str) = ("Step", "步骤");
const SHOW_ME: (&str, &str) = ("Show me", "演示给我看");
const SHOW_ME_TITLE: (&str, &str) = (
    "Do this step's act for me (the lesson still waits for its effect)",
    "替我完成这一步的操作（本课仍会等待它的效果）",
);
const NEXT: (&str, &str) = ("Next step →", "下一步 →");
const WAITING: (&str, &str) = ("Waiting for the effect…", "等待效果出现……");
const FINISHED: (&str, &str) = ("Lesson complete.", "本课完成。");
const LEAVE: (&str, &str) = ("Leave the lesson", "退出课程");
const DONE_MARK: (&str, &str) = ("done", "已完成");
const STARTED_MARK: (&str, &str) = ("started", "进行中");
/// Where progress is remembered in the browser.
pub const STORAGE_KEY: &str = "clusterlab-lessons";

fn t(pair: (&'static str, &'static str), zh: bool) -> &'static str {
    if zh { pair.1 } else { pair.0 }
}

/// A lesson's remembered progress: the furthest step reached and whether it was finished.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mark {
    pub step: usize,
    pub done: bool,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Every lesson's remembered progress, by id.
pub fn load_marks() -> BTreeMap<String, Mark> {
    let text = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
    text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default()
}

/// Remembers where the reader is in `progress` (never forgets a finish).
pub fn save_progress(progress: &LessonProgress) {
    let mut marks = load_marks();
    let mark = marks.entry(progress.lesson.id.clone()).or_default();
    mark.step = mark.step.max(progress.step + usize::from(progress.done));
    mark.done |= progress.finished();
    if let (Some(s), Ok(text)) = (storage(), serde_json::to_string(&marks)) {
        let _ = s.set_item(STORAGE_KEY, &text);
    }
}

/// Where the reader is in the lesson being played: id, step, and whether it is finished.
pub type Active = (String, usize, bool);

/// The lesson being played as the list shows it.
pub fn active(progress: Option<&LessonProgress>) -> Option<Active> {
    progress.map(|p| (p.lesson.id.clone(), p.step + usize::from(p.done), p.finished()))
}

#[derive(Properties, PartialEq)]
pub struct LessonListProps {
    /// The lesson being played, if any (the list re-renders when it moves on).
    pub active: Option<Active>,
    /// Data sets arrived so far (the list re-renders when the lessons do).
    #[prop_or_default]
    pub arrivals: usize,
    pub dispatch: Callback<Action>,
}

#[function_component(LessonList)]
pub fn lesson_list(props: &LessonListProps) -> Html {
    let zh = use_lang() == Lang::Zh;
    let mut marks = load_marks();
    if let Some((id, step, finished)) = &props.active {
        let mark = marks.entry(id.clone()).or_default();
        (mark.step, mark.done) = (mark.step.max(*step), mark.done || *finished);
    }
    html! {
        <section class="lesson-list" aria-label={t(LESSONS, zh)}>
            <h2>{ t(LESSONS, zh) }</h2>
            <ol>
                { for lesson::all().iter().map(|l| {
                    let id = l.id.clone();
                    let mark = marks.get(&l.id).copied();
                    let (class, note) = match mark {
                        Some(m) if m.done => ("done", t(DONE_MARK, zh)),
                        Some(_) => ("started", t(STARTED_MARK, zh)),
                        None => ("new", ""),
                    };
                    let current = props.active.as_ref().is_some_and(|a| a.0 == l.id);
                    html! {
                        <li class={classes!(class, current.then_some("current"))}>
                            <button data-lesson={l.id.clone()} aria-current={current.then_some("true")}
                                onclick={props.dispatch.reform(move |_| Action::StartLesson(id.clone()))}>
                                <span class="lesson-no">{ l.number }</span>
                                <span class="lesson-title">{ l.title.pick(zh) }</span>
                                <span class="lesson-mark" data-lesson-mark={class} aria-label={note}></span>
                            </button>
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct LessonPanelProps {
    pub progress: LessonProgress,
    pub dispatch: Callback<Action>,
}

#[function_component(LessonPanel)]
pub fn lesson_panel(props: &LessonPanelProps) -> Html {
    let (p, zh, d) = (&props.progress, use_lang() == Lang::Zh, &props.dispatch);
    {
        let p = p.clone();
        use_effect_with((p.lesson.id.clone(), p.step, p.done), move |_| save_progress(&p));
    }
    let l = &p.lesson;
    let misconceptions: Vec<&str> = MISCONCEPTIONS
        .iter()
        .filter(|(n, ..)| l.misconceptions.contains(n))
        .map(|&(_, en, zh_text)| if zh { zh_text } else { en })
        .collect();
    let number = format!("{} {}{}", t(LESSON, zh), l.number, t(LESSON_SUFFIX, zh));
    html! {
        <section class="lesson-panel" aria-label={l.title.pick(zh).to_string()} data-lesson-active={l.id.clone()}
            data-lesson-finished={p.finished().to_string()}>
            <header>
                <span class="lesson-no">{ number }</span>
                <h2>{ l.title.pick(zh) }</h2>
                <button class="leave" data-lesson-action="leave" title={t(LEAVE, zh)} aria-label={t(LEAVE, zh)}
                    onclick={d.reform(|_| Action::LeaveLesson)}>{ "×" }</button>
            </header>
            <div class="lesson-body">
                <div class="lesson-about">
                    <p class="goal"><strong>{ t(GOAL, zh) }{ ": " }</strong>{ l.goal.pick(zh) }</p>
                    <p class="misconception" data-misconceptions={l.misconceptions.iter().map(u8::to_string).collect::<Vec<_>>().join(" ")}>
                        <strong>{ t(MISCONCEPTION, zh) }{ ": " }</strong>{ misconceptions.join(" · ") }
                        <span class="long">{ l.misconception.pick(zh) }</span>
                    </p>
                </div>
                <ol class="lesson-steps">
                    { for l.steps.iter().enumerate().map(|(i, _)| step_item(p, i, zh, d)) }
                </ol>
            </div>
        </section>
    }
}

fn step_item(p: &LessonProgress, i: usize, zh: bool, d: &Callback<Action>) -> Html {
    let step = &p.lesson.steps[i];
    let done = i < p.step || (i == p.step && p.done);
    let current = i == p.step;
    let label = format!("{} {} / {}", t(STEP, zh), i + 1, p.lesson.steps.len());
    let body = if current {
        let action = if !p.done {
            html! {
                <div class="step-actions">
                    <button class="show-me" data-lesson-action="show-me" title={t(SHOW_ME_TITLE, zh)}
                        onclick={d.reform(|_| Action::ShowMe)}>{ t(SHOW_ME, zh) }</button>
                    <span class="waiting" role="status">{ t(WAITING, zh) }</span>
                </div>
            }
        } else if p.finished() {
            html! { <p class="finished" role="status">{ t(FINISHED, zh) }</p> }
        } else {
            html! {
                <div class="step-actions">
                    <button class="next" data-lesson-action="next" onclick={d.reform(|_| Action::NextLessonStep)}>
                        { t(NEXT, zh) }
                    </button>
                </div>
            }
        };
        html! {
            <>
                <p class="instruction" data-lesson-instruction="">{ step.instruction.pick(zh) }</p>
                if p.done {
                    <p class="explanation" data-lesson-explanation="" role="status">{ step.explanation.pick(zh) }</p>
                }
                { action }
            </>
        }
    } else if done {
        html! { <p class="instruction past">{ step.instruction.pick(zh) }</p> }
    } else {
        Html::default()
    };
    html! {
        <li class={classes!(current.then_some("current"), done.then_some("done"))}
            data-lesson-step={(i + 1).to_string()} data-step-done={done.to_string()}
            aria-current={current.then_some("step")}>
            <span class="step-label">{ label }{ if done { " ✓" } else { "" } }</span>
            { body }
        </li>
    }
}
