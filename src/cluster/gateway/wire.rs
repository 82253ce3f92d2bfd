//! The gateway as a node: its test-world wire and the handlers around `route`.
//!
//! Owns `GatewayMsg` (HTTP in and out, for a world of its own; in the cluster
//! the shop's HTTP messages take its place) and the thin handlers that turn
//! `route`'s decisions into sends and timers: forward the converted RPC (after
//! nginx's delay, if any) with the upstream timeout, answer from RPC replies,
//! 504 on timeout, 502 on a refused connection. Never decides anything itself.

use super::routes::AuthToken;
use super::{Decision, Gateway, GatewayReason, HttpOut, RequestMeta};
use crate::cluster::rpc::RpcMsg;
use crate::cluster::timer_tag::{self, GATEWAY};
use crate::sim::{Ctx, Message, NodeId, TimerKey};

/// The test world's wire (in the cluster, its HTTP messages take this place).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GatewayMsg {
    Http { id: u32, path: &'static str, token: Option<AuthToken>, arg: u32 },
    HttpReply(HttpOut),
}

impl Message for GatewayMsg {
    fn label(&self) -> &'static str {
        match self {
            Self::Http { .. } => "http-request",
            Self::HttpReply(_) => "http-response",
        }
    }
}

impl Gateway {
    pub fn on_message<M: From<GatewayMsg> + From<RpcMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        msg: GatewayMsg,
    ) {
        let GatewayMsg::Http { id, path, token, arg } = msg else { return };
        match self.route(ctx.now_us, from, id, RequestMeta { path, token, arg }) {
            Decision::Respond(out) => ctx.send(from, GatewayMsg::HttpReply(out).into()),
            Decision::Forward { upstream, call, delay_us } => {
                let RpcMsg::Call { call_id, .. } = call else { return };
                ctx.send_after(delay_us, upstream, call.into());
                ctx.set_timer(timer_tag::key(GATEWAY, u64::from(call_id)), delay_us + self.config.upstream_timeout_us);
            }
        }
    }

    /// An upstream's RPC reply.
    pub fn on_rpc<M: From<GatewayMsg> + From<RpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, _from: NodeId, msg: RpcMsg) {
        let RpcMsg::Reply { call_id, result, .. } = msg else { return };
        if let Some((client, out)) = self.on_rpc_result(ctx.now_us, call_id, result) {
            ctx.cancel_timer(timer_tag::key(GATEWAY, u64::from(call_id)));
            ctx.send(client, GatewayMsg::HttpReply(out).into());
        }
    }

    /// The upstream timeout of a converted call ran out: 504.
    pub fn on_timer<M: From<GatewayMsg> + From<RpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        if timer_tag::tag_of(key) != GATEWAY {
            return;
        }
        let call_id = timer_tag::local_of(key) as u32;
        if let Some((client, out)) = self.finish(ctx.now_us, call_id, Some(GatewayReason::UpstreamTimeout), 0) {
            ctx.send(client, GatewayMsg::HttpReply(out).into());
        }
    }

    /// The upstream's host refused the converted call: 502.
    pub fn on_refused<M: From<GatewayMsg> + From<RpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, _to: NodeId, msg: RpcMsg) {
        let RpcMsg::Call { call_id, .. } = msg else { return };
        if let Some((client, out)) = self.finish(ctx.now_us, call_id, Some(GatewayReason::UpstreamRefused), 0) {
            ctx.cancel_timer(timer_tag::key(GATEWAY, u64::from(call_id)));
            ctx.send(client, GatewayMsg::HttpReply(out).into());
        }
    }
}
