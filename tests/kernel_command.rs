//! Operator commands (`Sim::command`) reach a node through the same `Ctx` a
//! handler gets: they are traced, their effects are carried out, and a
//! command to a crashed node does nothing.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::sim::{Ctx, Fault, LinkProfile, MS, Message, Node, NodeId, Sim, TimerKey, TraceKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Hello(u32);

impl Message for Hello {
    fn label(&self) -> &'static str {
        "hello"
    }
}

#[derive(Default)]
struct Counter {
    heard: Vec<(u64, u32)>,
    setting: u32,
}

impl Node for Counter {
    type Msg = Hello;
    fn on_message(&mut self, ctx: &mut Ctx<'_, Hello>, _from: NodeId, msg: Hello) {
        self.heard.push((ctx.now_us, msg.0));
    }
    fn on_timer(&mut self, _ctx: &mut Ctx<'_, Hello>, _key: TimerKey) {}
    fn on_crash(&mut self) {
        self.setting = 0;
    }
}

#[test]
fn a_command_runs_with_a_ctx_is_traced_and_skips_crashed_nodes() {
    let mut sim = Sim::new(3, LinkProfile::fixed(2 * MS));
    let a = sim.add_node("a", Counter::default());
    let b = sim.add_node("b", Counter::default());
    sim.run_until(10 * MS, 100);
    sim.command(a, "set-and-greet", |node, ctx| {
        node.setting = 7;
        ctx.send(b, Hello(41));
    });
    assert_eq!(sim.node(a).setting, 7);
    let traced = sim.trace().recent().iter().any(|e| e.kind == TraceKind::Fault && e.label == "set-and-greet");
    assert!(traced, "the command is not in the trace");
    sim.run_until(20 * MS, 100);
    assert_eq!(sim.node(b).heard, vec![(12 * MS, 41)]);
    sim.inject(Fault::Crash { node: a });
    sim.command(a, "set", |node, _ctx| node.setting = 9);
    assert_eq!(sim.node(a).setting, 0, "a crashed node obeyed a command");
}
