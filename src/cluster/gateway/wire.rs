//! The gateway as a node: its test-world wire and the handlers around `route`.
//!
//! Owns `GatewayMsg` (HTTP in and out, for a world of its own; in the cluster
//! the shop's HTTP messages take its place) and the thin handlers that turn
//! `route`'s decisions into sends and timers: forward the converted RPC (after
//! nginx's delay, if any) with the upstream timeout, answer from RPC replies,
//! 504 on timeout, 502 on a refused connection, or send the Retry filter's
//! next attempt (its own upstream timeout replacing the last). Never decides
//! anything itself.

use super::routes::AuthToken;
use super::{Decision, Gateway, HttpOut, Next, RequestMeta};
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
        let RpcMsg::Reply { call_id, attempt, result } = msg else { return };
        let next = self.on_rpc_result(ctx.now_us, call_id, attempt, result);
        self.carry_out(ctx, call_id, next);
    }

    /// The upstream timeout of a converted call's attempt ran out: 504, or a retry.
    pub fn on_timer<M: From<GatewayMsg> + From<RpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        if timer_tag::tag_of(key) != GATEWAY {
            return;
        }
        let call_id = timer_tag::local_of(key) as u32;
        let next = self.on_attempt_timeout(ctx.now_us, call_id);
        self.carry_out(ctx, call_id, next);
    }

    /// The upstream's host refused the converted call: 502, or a retry.
    pub fn on_refused<M: From<GatewayMsg> + From<RpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, _to: NodeId, msg: RpcMsg) {
        let RpcMsg::Call { call_id, attempt, .. } = msg else { return };
        let next = self.on_attempt_refused(ctx.now_us, call_id, attempt);
        self.carry_out(ctx, call_id, next);
    }

    /// Answer the client (its timer cancelled), or send the next attempt.
    fn carry_out<M: From<GatewayMsg> + From<RpcMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        call_id: u32,
        next: Option<Next>,
    ) {
        let timer = timer_tag::key(GATEWAY, u64::from(call_id));
        match next {
            None => {}
            Some(Next::Answer { client, out }) => {
                ctx.cancel_timer(timer);
                ctx.send(client, GatewayMsg::HttpReply(out).into());
            }
            Some(Next::Retry { upstream, call }) => {
                ctx.send(upstream, call.into());
                ctx.set_timer(timer, self.config.upstream_timeout_us);
            }
        }
    }
}
