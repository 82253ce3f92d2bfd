//! The static diagram: layer bands, region lanes, edges and one box per node,
//! in SVG, with the dot canvas between the edges and the boxes.
//!
//! Owns the SVG markup and the node hooks (`data-node`, `data-state`), each
//! box's state badge, load bar and failure marker (hover shows the reasons;
//! a tap opens the node's menu, which lists them too). A click, tap, Enter or
//! Space on a node opens its action menu. Moving requests are not drawn here
//! (see `dots`): this part only changes when the model's state does. Child:
//! `diagram/summary` (what each box says, read from the `Snapshot`).

pub mod summary;

use super::lang::use_lang;
use super::layout::{Band, Layout, Orientation, edges};
use super::state::Action;
use super::terms;
use crate::cluster::Cluster;
use crate::cluster::snapshot::Snapshot;
use crate::i18n::{Lang, t, tf};
use crate::sim::NodeId;
use std::rc::Rc;
pub use summary::NodeBox;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    /// Bumped when the model changes.
    pub version: u64,
    pub layout: Rc<Layout>,
    pub nodes: Vec<NodeBox>,
    pub edges: Rc<Vec<Edge>>,
    pub selected: Option<NodeId>,
    /// The dot canvas, drawn between the edges and the boxes.
    pub canvas: NodeRef,
    pub show_control: bool,
    pub dispatch: Callback<Action>,
}

/// A line between two nodes: their ids and centres, in view-box units.
pub type Edge = (NodeId, NodeId, (f64, f64), (f64, f64));

/// The node boxes and edge lines for the current model state.
pub fn describe(
    l: Lang,
    cluster: &Cluster,
    snapshot: &Snapshot,
    layout: &Layout,
    speed: f64,
) -> (Vec<NodeBox>, Rc<Vec<Edge>>) {
    let centres: Vec<(f64, f64)> = layout.places.iter().map(|p| (p.cx, p.cy)).collect();
    let nodes = summary::node_boxes(l, cluster, snapshot, &centres, speed);
    let at = |id: NodeId| centres[id.index()];
    let edges = Rc::new(edges::edges(cluster).into_iter().map(|(a, b)| (a, b, at(a), at(b))).collect());
    (nodes, edges)
}

fn num(v: f64) -> String {
    format!("{v:.1}")
}

#[function_component(Diagram)]
pub fn diagram(props: &DiagramProps) -> Html {
    let layout = &props.layout;
    let l = use_lang();
    let view_box = format!("0 0 {} {}", num(layout.view_w), num(layout.view_h));
    let toggle = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: Event| dispatch.emit(Action::ToggleControlDots))
    };
    let tall = layout.orientation == Orientation::Tall;
    html! {
        <>
            <DiagramBack layout={layout.clone()} edges={props.edges.clone()} selected={props.selected} />
            <canvas ref={props.canvas.clone()} class="dots" aria-hidden="true"></canvas>
            <svg class={classes!("diagram", layout.kind)} viewBox={view_box} preserveAspectRatio="xMidYMid meet"
                 role="group" aria-label={t(l, "diagram.label")}>
                { for props.nodes.iter().map(|n| html! {
                    <NodeView key={n.id.index()} node={n.clone()} layout={layout.clone()}
                        selected={props.selected == Some(n.id)} dispatch={props.dispatch.clone()} />
                }) }
            </svg>
            <div class={classes!("diagram-key", tall.then_some("tall"))}>
                <span class="key"><b class="key-fail">{ "!" }</b>{ " " }{ t(l, "diagram.key-failed") }</span>
                <span class="key"><i class="key-load"></i>{ " " }{ t(l, "diagram.key-busy") }</span>
                <span class="key"><i class="key-off"></i>{ " " }{ t(l, "diagram.key-off") }</span>
                <label class="chatter-toggle">
                    <input type="checkbox" data-control="control-traffic" checked={props.show_control}
                        onchange={toggle} />
                    { " " }{ t(l, "diagram.show-control") }
                </label>
            </div>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct BackProps {
    layout: Rc<Layout>,
    edges: Rc<Vec<Edge>>,
    selected: Option<NodeId>,
}

/// Bands, lanes and links: re-rendered only when the layout, the language
/// or the selection changes, not on every refresh.
#[function_component(DiagramBack)]
fn diagram_back(props: &BackProps) -> Html {
    let (layout, l) = (&props.layout, use_lang());
    html! {
        <svg class={classes!("diagram-back", layout.kind)} viewBox={format!("0 0 {} {}", num(layout.view_w), num(layout.view_h))}
             preserveAspectRatio="xMidYMid meet" aria-hidden="true">
            { for layout.bands.iter().map(|b| band(l, b, "band")) }
            { for layout.regions.iter().map(|b| region(l, b, layout.orientation)) }
            // The selected node's links are drawn last, so they lie on top.
            { for props.edges.iter().filter(|e| !touches(e, props.selected)).map(|e| edge(e, false)) }
            { for props.edges.iter().filter(|e| touches(e, props.selected)).map(|e| edge(e, true)) }
        </svg>
    }
}

#[derive(Properties, PartialEq)]
struct NodeViewProps {
    node: NodeBox,
    layout: Rc<Layout>,
    selected: bool,
    dispatch: Callback<Action>,
}

/// One node's box: re-rendered only when what it shows changed.
#[function_component(NodeView)]
fn node_view(props: &NodeViewProps) -> Html {
    node_box(use_lang(), &props.node, &props.layout, props.selected, &props.dispatch)
}

fn touches(&(a, b, _, _): &Edge, selected: Option<NodeId>) -> bool {
    selected.is_some_and(|s| s == a || s == b)
}

fn edge(&(_, _, (x1, y1), (x2, y2)): &Edge, lit: bool) -> Html {
    html! { <line class={classes!("edge", lit.then_some("lit"))} x1={num(x1)} y1={num(y1)} x2={num(x2)} y2={num(y2)} /> }
}

/// A band's or lane's title in the reader's language first, the other after it.
fn titles(l: Lang, b: &Band) -> (&'static str, &'static str) {
    match l {
        Lang::En => (b.title, b.title_zh),
        Lang::Zh => (b.title_zh, b.title),
    }
}

fn band(l: Lang, b: &Band, class: &'static str) -> Html {
    let (first, second) = titles(l, b);
    let r = b.rect;
    html! {
        <g class={class}>
            <rect x={num(r.x)} y={num(r.y)} width={num(r.w)} height={num(r.h)} rx="12" />
            <text x={num(b.title_x)} y={num(b.title_y)} text-anchor={if b.centred { "middle" } else { "start" }}
                  class="band-title">
                { first }<tspan class="zh">{ format!(" · {second}") }</tspan>
            </text>
        </g>
    }
}

fn region(l: Lang, b: &Band, orientation: Orientation) -> Html {
    let r = b.rect;
    let (first, second) = titles(l, b);
    // Wide: the title runs upwards along the lane's left edge; tall: above
    // the lane, in a narrower form.
    let (transform, text) = match orientation {
        Orientation::Wide => {
            (format!("rotate(-90 {} {})", num(b.title_x), num(b.title_y)), format!("{first} · {second}"))
        }
        Orientation::Tall => (String::new(), format!("{first} {second}")),
    };
    html! {
        <g class="region">
            <rect x={num(r.x)} y={num(r.y)} width={num(r.w)} height={num(r.h)} rx="10" />
            <text x={num(b.title_x)} y={num(b.title_y)} text-anchor="middle" dominant-baseline="middle"
                  class="region-title" {transform}>
                { text }
            </text>
        </g>
    }
}

/// The detail line's font and text: smaller (down to 9 units) before it is
/// shortened.
fn fit_detail(text: &str, room: f64, font: f64) -> (f64, String) {
    let chars = glyphs(text).max(1.0);
    let font = font.min(room / (chars * DETAIL_GLYPH_EM)).max(9.0);
    (font, fit_text(text, room, font))
}

/// The average width of a regular glyph of a detail line, in em.
const DETAIL_GLYPH_EM: f64 = 0.54;

/// A text's width in regular glyphs: a CJK character is a full em, nearly two.
fn glyphs(text: &str) -> f64 {
    text.chars().map(glyph_width).sum()
}

fn glyph_width(c: char) -> f64 {
    if (c as u32) >= 0x2E80 { 1.0 / DETAIL_GLYPH_EM } else { 1.0 }
}

/// Shortens `text` to about `room` units at `font` size (0.54 em a glyph of
/// regular weight, digits and lower-case).
fn fit_text(text: &str, room: f64, font: f64) -> String {
    let fits = (room / (font * DETAIL_GLYPH_EM) + 1e-6).floor().max(1.0);
    if glyphs(text) <= fits {
        return text.to_string();
    }
    let mut used = 0.0;
    let mut cut: String = text
        .chars()
        .take_while(|&c| {
            used += glyph_width(c);
            used <= fits - 1.0
        })
        .collect();
    cut.push('…');
    cut
}

fn node_label(l: Lang, n: &NodeBox) -> String {
    let power =
        if n.power == "on" { String::new() } else { tf(l, "diagram.power", &[("power", &terms::state(l, n.power))]) };
    let failed = n.failures.first().map(|f| tf(l, "diagram.just-failed", &[("failure", f)])).unwrap_or_default();
    let state = terms::state(l, n.state);
    tf(
        l,
        "diagram.node-label",
        &[("node", &n.name), ("state", &state), ("power", &power), ("detail", &n.detail), ("failed", &failed)],
    )
}

fn node_box(l: Lang, n: &NodeBox, layout: &Layout, selected: bool, dispatch: &Callback<Action>) -> Html {
    let id = n.id;
    let onclick = dispatch.reform(move |_: MouseEvent| Action::OpenMenu(id));
    let onkeydown = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                e.stop_propagation();
                dispatch.emit(Action::OpenMenu(id));
            }
        })
    };
    let class = classes!(
        "node",
        format!("state-{}", n.state),
        format!("power-{}", n.power),
        selected.then_some("selected"),
        (!n.failures.is_empty()).then_some("failing")
    );
    let (w, h) = (layout.node_w, layout.node_h);
    let (x, y) = (n.cx - w / 2.0, n.cy - h / 2.0);
    let name_font = layout.name_font_for(&n.name);
    let (detail_font, detail) = fit_detail(&n.detail, w - 14.0, (layout.name_font * 0.78).round());
    let load_h = (h - 12.0) * n.load.clamp(0.0, 1.0);
    html! {
        <g class={class} data-node={n.name.clone()} data-state={n.state} data-power={n.power} tabindex="0"
           role="button" aria-label={node_label(l, n)} aria-haspopup="menu" {onclick} {onkeydown}>
            <title>{ node_title(l, n) }</title>
            <rect class="node-box" x={num(x)} y={num(y)} width={num(w)} height={num(h)} rx="8" />
            <rect class="load-track" x={num(x + 3.0)} y={num(y + 6.0)} width="3" height={num(h - 12.0)} rx="1.5" />
            <rect class="load-bar" x={num(x + 3.0)} y={num(y + h - 6.0 - load_h)} width="3" height={num(load_h)}
                  rx="1.5" />
            <text class="node-name" x={num(n.cx)} y={num(n.cy - h * 0.06)} text-anchor="middle"
                  style={format!("font-size:{name_font:.1}px")}>{ &n.name }</text>
            <text class="node-detail" x={num(n.cx)} y={num(n.cy + h * 0.33)} text-anchor="middle"
                  style={format!("font-size:{detail_font:.1}px")}>{ detail }</text>
            { badge(l, n, x + w, y) }
            if !n.failures.is_empty() {
                <g class="fail-marker">
                    <circle cx={num(x + 2.0)} cy={num(y + 2.0)} r="8" />
                    <text x={num(x + 2.0)} y={num(y + 6.0)} text-anchor="middle">{ "!" }</text>
                </g>
            }
        </g>
    }
}

/// Hover text: the state, the line, and the latest failures' reasons.
fn node_title(l: Lang, n: &NodeBox) -> String {
    let mut lines = vec![format!("{} — {} · {}", n.name, terms::state(l, n.state), n.detail)];
    lines.extend(n.failures.iter().cloned());
    lines.join("\n")
}

/// A green dot when up (and powered on); otherwise a pill naming the state.
fn badge(l: Lang, n: &NodeBox, right: f64, top: f64) -> Html {
    let text = if n.state != "up" {
        terms::state(l, n.state)
    } else if n.power != "on" {
        terms::state(l, n.power)
    } else {
        ""
    };
    if text.is_empty() {
        return html! { <circle class="badge-dot" cx={num(right - 6.0)} cy={num(top + 6.0)} r="3" /> };
    }
    let w = 10.0 + 6.2 * glyphs(text);
    html! {
        <g class="badge">
            <rect x={num(right - w + 4.0)} y={num(top - 8.0)} width={num(w)} height="15" rx="7.5" />
            <text x={num(right - w / 2.0 + 4.0)} y={num(top + 3.0)} text-anchor="middle">{ text }</text>
        </g>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_shrink_a_little_then_are_shortened() {
        let (font, text) = fit_detail("sold 570 · oversold 12", 112.0, 11.0);
        assert!((9.0..11.0).contains(&font) && text == "sold 570 · oversold 12", "{font} {text}");
        let (_, text) = fit_detail("300 shoppers · 272 in", 122.0, 11.0);
        assert_eq!(text, "300 shoppers · 272 in", "shrunk to fit exactly, not cut");
        let (font, text) = fit_detail("a very long line that cannot fit in a box", 112.0, 11.0);
        assert!(font == 9.0 && text.ends_with('…'), "{font} {text}");
    }

    #[test]
    fn long_lines_are_shortened_to_their_box() {
        assert_eq!(fit_text("2 busy · 3 sessions", 200.0, 11.0), "2 busy · 3 sessions");
        let cut = fit_text("depth 1234 · unacked 5678 and more", 100.0, 11.0);
        assert!(cut.ends_with('…') && cut.chars().count() <= 17, "{cut}");
    }
}
