//! The design switches panel: one control per switch the model lists, flipped live.
//!
//! Owns the `data-switch="<name>"` controls of brief §5. The list of
//! switches and their values comes from the model (`Design::SWITCHES`,
//! `Design::values`), so a switch added there appears here unchanged. A
//! choice is sent as `Command::SetSwitch`; if the model refuses it, the
//! reason is shown under `data-error="switch"` and nothing changes. A switch
//! chosen at deployment (the session store) says so beside it: changing it
//! replays the run from t = 0 with the same seed and the reader's actions,
//! and a status line (`data-notice="replayed"`) says what was replayed.
//! Holds no state of its own.

use super::lang::use_lang;
use super::state::{Action, Refusal, Replayed};
use crate::cluster::command::Command;
use crate::cluster::design::Design;
use crate::i18n::{Lang, t, td, tf};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// One switch as shown: name, current value, the values it can take.
#[derive(Clone, Debug, PartialEq)]
pub struct SwitchRow {
    pub name: &'static str,
    pub value: String,
    pub values: Vec<&'static str>,
}

/// Every switch of `design`, in the model's order.
pub fn rows(design: &Design) -> Vec<SwitchRow> {
    Design::SWITCHES
        .iter()
        .map(|&name| SwitchRow {
            name,
            value: design.get(name).unwrap_or_default(),
            values: Design::values(name).unwrap_or_default(),
        })
        .collect()
}

/// A switch's label: the catalog's (the textbooks' term) where it has one,
/// else its words (`session-store` → `Session store`), so a new switch
/// needs no UI change.
pub fn label(l: Lang, name: &str) -> String {
    if let Some(text) = td(l, "switch", name) {
        return text.to_string();
    }
    let spaced = name.replace('-', " ");
    let mut chars = spaced.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[derive(Properties, PartialEq)]
pub struct SwitchesProps {
    pub rows: Vec<SwitchRow>,
    /// The model's last refusal, if it was a switch.
    pub refused: Option<Refusal>,
    /// The last replay under a deployment-time switch.
    pub replayed: Option<Replayed>,
    pub dispatch: Callback<Action>,
}

/// What a replay did, in a sentence.
pub fn replayed_text(l: Lang, r: &Replayed) -> String {
    let actions = match r.actions {
        0 => t(l, "switches.replayed-none").to_string(),
        1 => t(l, "switches.replayed-one").to_string(),
        n => tf(l, "switches.replayed-many", &[("n", &n)]),
    };
    let value: &str = td(l, "switch", &format!("{}.{}", r.switch, r.value)).unwrap_or(&r.value);
    let switch = label(l, &r.switch);
    tf(l, "switches.replayed", &[("switch", &switch), ("value", &value.to_string()), ("actions", &actions)])
}

#[function_component(Switches)]
pub fn switches(props: &SwitchesProps) -> Html {
    let l = use_lang();
    let error = props.refused.as_ref().filter(|r| matches!(r.command, Command::SetSwitch { .. }));
    html! {
        <section class="switches panel" aria-label={t(l, "switches.label")}>
            <h2>{ t(l, "switches.title") }</h2>
            <div class="switch-grid">
                { for props.rows.iter().map(|row| switch_control(l, row, &props.dispatch)) }
            </div>
            if let Some(refusal) = error {
                <p class="panel-error" role="alert" data-error="switch">{ super::terms::refusal(l, &refusal.error) }</p>
            }
            if let Some(replayed) = &props.replayed {
                <p class="panel-note" role="status" data-notice="replayed">{ replayed_text(l, replayed) }</p>
            }
        </section>
    }
}

fn switch_control(l: Lang, row: &SwitchRow, dispatch: &Callback<Action>) -> Html {
    let name = row.name;
    let onchange = dispatch.reform(move |e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        Action::Command(Command::SetSwitch { switch: name.to_string(), value: select.value() })
    });
    let id = format!("switch-{name}");
    let redeploy = Design::needs_redeploy(name);
    html! {
        <label class="switch" for={id.clone()}>
            <span>{ label(l, name) }</span>
            if redeploy {
                <small class="switch-hint">{ t(l, "switches.redeploy-hint") }</small>
            }
            <select {id} data-switch={name} {onchange}>
                { for row.values.iter().map(|&v| html! {
                    <option value={v} selected={v == row.value}>{ td(l, "switch", &format!("{name}.{v}")).unwrap_or(v) }</option>
                }) }
            </select>
        </label>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_switch_of_the_model_has_a_row_with_its_current_value() {
        let design = Design::default();
        let rows = rows(&design);
        assert_eq!(rows.len(), Design::SWITCHES.len());
        for row in &rows {
            assert!(row.values.contains(&row.value.as_str()), "{}: {} not in {:?}", row.name, row.value, row.values);
        }
        let store = rows.iter().find(|r| r.name == "session-store").unwrap();
        assert_eq!(store.value, "sticky");
        let flipped = design.with("session-store", "redis").unwrap();
        assert_eq!(super::rows(&flipped).iter().find(|r| r.name == "session-store").unwrap().value, "redis");
    }

    #[test]
    fn labels_are_words() {
        assert_eq!(label(Lang::En, "session-store"), "Session store");
        assert_eq!(label(Lang::En, "lock"), "Stock lock (ZooKeeper)");
        assert_eq!(label(Lang::Zh, "lock"), "库存锁（ZooKeeper 分布式锁）");
        assert_eq!(label(Lang::En, "new-switch"), "New switch", "a new switch gets a label from its name");
        assert_eq!(label(Lang::En, ""), "");
    }
}
