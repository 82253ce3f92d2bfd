//! Traffic controls: the steady load, a Double-11 surge, and following Xiaoming.
//!
//! Owns the `data-control="shoppers"` slider (how many of the crowd shop,
//! sent as `Command::SetShoppers`), the `data-control="surge"` button (the
//! figures of `scenarios/double-11.json`: 300 shoppers to 3,000 and back),
//! and the `data-control="follow"` toggle with Xiaoming's card (his next
//! page, where his session lives, his last failure and why) and a
//! `data-control="follow-next"` button that runs the model until his current
//! request is over. A refused
//! command shows its reason under `data-error="traffic"`. Reads the model;
//! never changes it except by dispatching an `Action`.

use super::lang::use_lang;
use super::playground::Playground;
use super::state::{Action, Refusal};
use super::terms;
use crate::cluster::command::Command;
use crate::cluster::{Cluster, ClusterNode, FailCause, Page};
use crate::i18n::{Lang, t, td, tf};
use crate::sim::time::format_time_us;
use crate::sim::{MS, SEC, TimeUs};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Shoppers of the crowd in steady load (`scenarios/double-11.json`).
pub const STEADY_SHOPPERS: u16 = 300;
/// Shoppers at the Double-11 peak: ten times as many.
pub const SURGE_SHOPPERS: u16 = 3000;

/// What the surge button does now: raise to the peak (capped at what the
/// crowd can hold), or, during a surge, go back to the steady load.
pub fn surge_target(active: u16, capacity: u16) -> u16 {
    if active > STEADY_SHOPPERS { STEADY_SHOPPERS.min(capacity) } else { SURGE_SHOPPERS.min(capacity) }
}

/// Xiaoming as his card shows him.
#[derive(Clone, Debug, PartialEq)]
pub struct XiaomingView {
    pub next_page: &'static str,
    pub server: Option<String>,
    pub journeys: u32,
    pub sent_to_login: u32,
    /// (when, page, node, cause) of his latest failure.
    pub last_failure: Option<(String, Page, String, FailCause)>,
}

/// Reads Xiaoming from the model (None if the cluster has no such shopper).
pub fn xiaoming(cluster: &Cluster) -> Option<XiaomingView> {
    let sim = &cluster.sim;
    let ClusterNode::Shoppers(pool) = sim.node(cluster.xiaoming) else { return None };
    let me = pool.shoppers.first()?;
    let last_failure =
        pool.recent_failures.back().map(|f| (format_time_us(f.at_us), f.page, sim.name(f.node).to_string(), f.cause));
    Some(XiaomingView {
        next_page: Page::JOURNEY.get(me.step).map_or("home", |p| p.as_str()),
        server: cluster.xiaoming_server().map(|id| sim.name(id).to_string()),
        journeys: me.journeys_completed,
        sent_to_login: me.login_redirects,
        last_failure,
    })
}

/// Where Xiaoming is in his journey: (next page, journeys, sent to login, failures seen).
fn progress(cluster: &Cluster) -> Option<(usize, u32, u32, usize)> {
    let ClusterNode::Shoppers(pool) = cluster.sim.node(cluster.xiaoming) else { return None };
    let me = pool.shoppers.first()?;
    Some((me.step, me.journeys_completed, me.login_redirects, pool.recent_failures.len()))
}

/// Longest a "next page" run may take, in virtual time (he thinks ~2 s between pages).
const NEXT_PAGE_LIMIT_US: TimeUs = 60 * SEC;
const NEXT_PAGE_SLICE_US: TimeUs = 10 * MS;

/// Runs the model until Xiaoming's current request is over (he moved to the
/// next page, finished a journey, was sent to login or failed), in slices
/// of 10 ms of virtual time, at most a minute. Returns the time it took.
pub fn run_to_next_page(pg: &mut Playground) -> TimeUs {
    let start_us = pg.cluster.sim.now_us();
    let Some(before) = progress(&pg.cluster) else { return 0 };
    while pg.cluster.sim.now_us() - start_us < NEXT_PAGE_LIMIT_US {
        let target_us = pg.cluster.sim.now_us() + NEXT_PAGE_SLICE_US;
        pg.run_until(target_us, 1_000_000);
        if progress(&pg.cluster) != Some(before) {
            break;
        }
    }
    pg.cluster.sim.now_us() - start_us
}

#[derive(Properties, PartialEq)]
pub struct TrafficProps {
    pub active: u16,
    pub capacity: u16,
    pub following: bool,
    pub xiaoming: Option<XiaomingView>,
    pub refused: Option<Refusal>,
    pub dispatch: Callback<Action>,
}

/// The product a flash sale puts on sale, and how many units.
pub const FLASH_SALE_PRODUCT: u32 = 7;
pub const FLASH_SALE_UNITS: u32 = 30;

#[function_component(Traffic)]
pub fn traffic(props: &TrafficProps) -> Html {
    let d = &props.dispatch;
    let l = use_lang();
    let on_rate = d.reform(|e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        let shoppers = input.value().parse::<u16>().unwrap_or(STEADY_SHOPPERS);
        Action::Command(Command::SetShoppers { shoppers })
    });
    let target = surge_target(props.active, props.capacity);
    let surge_text = if target < props.active {
        tf(l, "traffic.end-surge", &[("target", &target)])
    } else {
        tf(l, "traffic.surge", &[("active", &props.active), ("target", &target)])
    };
    let error =
        props.refused.as_ref().filter(|r| matches!(r.command, Command::SetShoppers { .. } | Command::FlashSale { .. }));
    html! {
        <section class="traffic panel" aria-label={t(l, "traffic.title")}>
            <h2>{ t(l, "traffic.title") }</h2>
            <label class="rate">
                <span>{ t(l, "traffic.shoppers") }</span>
                <input type="range" data-control="shoppers" min="0" max={props.capacity.to_string()} step="10"
                       value={props.active.to_string()} onchange={on_rate}
                       aria-valuetext={tf(l, "traffic.shoppers-value", &[("n", &props.active)])} />
                <output>{ props.active }</output>
            </label>
            <div class="buttons">
                <button data-control="surge" disabled={props.capacity == 0}
                        onclick={d.reform(move |_| Action::Command(Command::SetShoppers { shoppers: target }))}>
                    { surge_text }
                </button>
                <button data-control="flash-sale" title={tf(l, "traffic.flash-sale-title", &[("product", &FLASH_SALE_PRODUCT), ("units", &FLASH_SALE_UNITS)])}
                        onclick={d.reform(|_| Action::Command(Command::FlashSale {
                            product: FLASH_SALE_PRODUCT,
                            units: FLASH_SALE_UNITS,
                        }))}>
                    { tf(l, "traffic.flash-sale", &[("units", &FLASH_SALE_UNITS)]) }
                </button>
                <button data-control="follow" aria-pressed={props.following.to_string()}
                        onclick={d.reform(|_| Action::ToggleFollow)}>
                    { t(l, if props.following { "traffic.unfollow" } else { "traffic.follow" }) }
                </button>
            </div>
            if let Some(refusal) = error {
                <p class="panel-error" role="alert" data-error="traffic">{ super::terms::refusal(l, &refusal.error) }</p>
            }
            if props.following {
                <button class="next-page" data-control="follow-next" onclick={d.reform(|_| Action::XiaomingNextPage)}
                        title={t(l, "traffic.next-page-title")}>
                    { t(l, "traffic.next-page") }
                </button>
                { xiaoming_card(l, props.xiaoming.as_ref()) }
            }
        </section>
    }
}

fn xiaoming_card(l: Lang, view: Option<&XiaomingView>) -> Html {
    let Some(x) = view else { return html! { <p class="quiet">{ t(l, "traffic.no-xiaoming") }</p> } };
    let server = x.server.clone().unwrap_or_else(|| t(l, "traffic.not-logged-in").to_string());
    let last = x.last_failure.as_ref().map_or_else(
        || t(l, "traffic.no-failure").to_string(),
        |(at, page, node, cause)| format!("{at}: {}", terms::failure(l, *page, node, *cause)),
    );
    html! {
        <dl class="xiaoming inspect-facts" aria-live="polite" data-following="xiaoming">
            <div><dt>{ t(l, "traffic.card-next-page") }</dt>
                <dd data-xiaoming="next-page">{ td(l, "page", x.next_page).unwrap_or(x.next_page) }</dd></div>
            <div><dt>{ t(l, "traffic.card-session-on") }</dt><dd data-xiaoming="server">{ server }</dd></div>
            <div><dt>{ t(l, "traffic.card-journeys") }</dt><dd>{ x.journeys }</dd></div>
            <div><dt>{ t(l, "traffic.card-sent-to-login") }</dt><dd>{ x.sent_to_login }</dd></div>
            <div><dt>{ t(l, "traffic.card-last-failure") }</dt><dd>{ last }</dd></div>
        </dl>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::topology::SliceOptions;
    use crate::ui::playground::Topology;

    #[test]
    fn the_surge_button_goes_up_to_the_peak_and_back() {
        assert_eq!(surge_target(300, 3000), 3000);
        assert_eq!(surge_target(3000, 3000), 300);
        assert_eq!(surge_target(300, 1500), 1500, "capped at the crowd's capacity");
        assert_eq!(surge_target(100, 3000), 3000);
    }

    #[test]
    fn next_page_runs_until_his_request_is_over() {
        let mut pg = Playground::with_topology(6, Topology::Slice, None);
        let mut pages = Vec::new();
        for _ in 0..4 {
            let before = progress(&pg.cluster);
            let took_us = run_to_next_page(&mut pg);
            assert!(took_us > 0 && took_us <= NEXT_PAGE_LIMIT_US, "seed 6: took {took_us} µs");
            assert_ne!(progress(&pg.cluster), before, "seed 6: he moved on");
            pages.push(xiaoming(&pg.cluster).unwrap().next_page);
        }
        assert_eq!(pages.len(), 4, "{pages:?}");
    }

    #[test]
    fn xiaoming_is_read_from_the_model() {
        let mut cluster = Cluster::slice(&SliceOptions { seed: 4, ..SliceOptions::default() });
        let start = xiaoming(&cluster).expect("the slice has Xiaoming");
        assert_eq!((start.next_page, start.server.as_deref(), start.journeys), ("home", None, 0));
        cluster.run_until(120 * crate::sim::SEC, 5_000_000);
        let later = xiaoming(&cluster).unwrap();
        assert_eq!(later.server, cluster.xiaoming_server().map(|id| cluster.sim.name(id).to_string()));
        assert!(later.server.is_some() || later.journeys > 0, "two minutes in, he has logged in: {later:?}");
    }
}
