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

use super::state::{Action, Refusal, Replayed};
use crate::cluster::command::Command;
use crate::cluster::design::Design;
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

/// A switch's label: the textbooks' name where it has one, else its words
/// (`session-store` → `Session store`), so a new switch needs no UI change.
pub fn label(name: &str) -> String {
    let known = match name {
        "lb-algorithm" => Some("Balancing algorithm"),
        "balancer-kind" => Some("Balancer (F5 / LVS / nginx)"),
        "lock" => Some("Stock lock (ZooKeeper)"),
        "two-phase" => Some("Two-phase commit"),
        "switch-type" => Some("MyCat switchType"),
        _ => None,
    };
    if let Some(text) = known {
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
pub fn replayed_text(r: &Replayed) -> String {
    let actions = match r.actions {
        0 => "no actions of yours to repeat".to_string(),
        1 => "your 1 action repeats at its time".to_string(),
        n => format!("your {n} actions repeat at their times"),
    };
    format!("Replaying from 0 s with {} = {}: same seed, {actions}.", r.switch, r.value)
}

#[function_component(Switches)]
pub fn switches(props: &SwitchesProps) -> Html {
    let error = props.refused.as_ref().filter(|r| matches!(r.command, Command::SetSwitch { .. }));
    html! {
        <section class="switches panel" aria-label="Design switches">
            <h2>{ "Design" }</h2>
            <div class="switch-grid">
                { for props.rows.iter().map(|row| switch_control(row, &props.dispatch)) }
            </div>
            if let Some(refusal) = error {
                <p class="panel-error" role="alert" data-error="switch">{ &refusal.reason }</p>
            }
            if let Some(replayed) = &props.replayed {
                <p class="panel-note" role="status" data-notice="replayed">{ replayed_text(replayed) }</p>
            }
        </section>
    }
}

fn switch_control(row: &SwitchRow, dispatch: &Callback<Action>) -> Html {
    let name = row.name;
    let onchange = dispatch.reform(move |e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        Action::Command(Command::SetSwitch { switch: name.to_string(), value: select.value() })
    });
    let id = format!("switch-{name}");
    let redeploy = Design::needs_redeploy(name);
    html! {
        <label class="switch" for={id.clone()}>
            <span>{ label(name) }</span>
            if redeploy {
                <small class="switch-hint">{ "set at deployment: changing it replays the run" }</small>
            }
            <select {id} data-switch={name} {onchange}>
                { for row.values.iter().map(|&v| html! {
                    <option value={v} selected={v == row.value}>{ v }</option>
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
        assert_eq!(label("session-store"), "Session store");
        assert_eq!(label("lock"), "Stock lock (ZooKeeper)");
        assert_eq!(label("cache-ttl"), "Cache ttl", "a new switch gets a label from its name");
        assert_eq!(label(""), "");
    }
}
