//! A Dubbo-style RPC client: provider choice, per-attempt timeout, cluster strategies.
//!
//! Owns the RPC vocabulary (`Method`, `RpcMsg`, failures), the consumer's
//! per-service provider lists (fed by the host from its registry cache), load
//! balancing (`random`, Dubbo's default, or round robin), the per-attempt
//! timeout (Dubbo `timeout` 1000 ms), and the cluster strategies: failover
//! (`retries=2`: up to 3 attempts, each on a provider not yet tried) and
//! failfast (one attempt). A timed-out attempt's outcome is UNKNOWN — the
//! provider may have executed it — and is recorded as such: a call whose last
//! attempt timed out ends `Unknown`, and a call that succeeded after a
//! timed-out attempt counts that attempt as possibly applied. Business
//! exceptions are never retried (Dubbo's `isBiz()`). Never serves calls and
//! never asks the registry itself: providers answer, the host feeds lists.
//!
//! Volatile: everything but the settings (calls in flight die with the client).

use super::registry::ServiceKind;
use super::timer_tag::{self, RPC};
use crate::sim::{Ctx, MS, NodeId, TimeUs, TimerKey};
use std::collections::{BTreeMap, VecDeque};

mod wire;
pub use wire::{BizError, Method, RpcFailure, RpcMsg, RpcResult};

/// Dubbo `cluster=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterMode {
    /// `failover` (Dubbo's default): retry on another provider.
    Failover,
    /// `failfast`: one attempt, for non-idempotent writes.
    Failfast,
}

/// Dubbo `loadbalance=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadBalance {
    /// `random` (Dubbo's default, equal weights here).
    Random,
    RoundRobin,
}

/// Consumer settings; defaults are Dubbo's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RpcConfig {
    /// `timeout` 1000 ms, per attempt.
    pub timeout_us: TimeUs,
    /// `retries` 2: attempts after the first, under failover.
    pub retries: u8,
    /// `cluster` for idempotent methods.
    pub cluster: ClusterMode,
    /// `cluster` for non-idempotent methods. Dubbo's default is failover for
    /// every method — which is how a write gets applied twice; the advice is
    /// to set `failfast` on writes.
    pub non_idempotent_cluster: ClusterMode,
    pub load_balance: LoadBalance,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            timeout_us: 1000 * MS,
            retries: 2,
            cluster: ClusterMode::Failover,
            non_idempotent_cluster: ClusterMode::Failover,
            load_balance: LoadBalance::Random,
        }
    }
}

/// How a call ended, as the consumer knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallOutcome {
    Ok(u32),
    Failed(RpcFailure),
    /// The last attempt timed out: it may or may not have been executed.
    Unknown,
}

/// Most attempts one call records (`retries` is capped to fit).
pub const MAX_ATTEMPTS: usize = 8;

/// One call, finished or in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallRecord {
    pub call_id: u32,
    pub method: Method,
    pub arg: u32,
    pub started_us: TimeUs,
    pub finished_us: TimeUs,
    pub attempts: u8,
    /// The provider of each attempt, in order.
    pub providers: [NodeId; MAX_ATTEMPTS],
    /// Attempts that timed out: each may have been executed.
    pub unknown_attempts: u8,
    pub outcome: Option<CallOutcome>,
}

impl CallRecord {
    pub fn tried(&self) -> &[NodeId] {
        &self.providers[..usize::from(self.attempts)]
    }

    /// A non-idempotent call that may have run more than once: its timed-out
    /// attempts may each have run, and an answered one (ok or a business
    /// error) surely did. Refusals and overload rejections never ran.
    pub fn may_have_applied_twice(&self) -> bool {
        let surely_ran = matches!(self.outcome, Some(CallOutcome::Ok(_) | CallOutcome::Failed(RpcFailure::Biz(_))));
        !self.method.is_idempotent() && u32::from(self.unknown_attempts) + u32::from(surely_ran) >= 2
    }
}

/// How many finished calls the client remembers.
pub const COMPLETED_CAPACITY: usize = 64;

/// The consumer side of RPC. Volatile: everything but `config`.
#[derive(Clone, Debug)]
pub struct RpcClient {
    pub config: RpcConfig,
    pub providers: BTreeMap<ServiceKind, Vec<NodeId>>,
    pending: BTreeMap<u32, CallRecord>,
    next_call_id: u32,
    rr_cursor: usize,
    pub completed: VecDeque<CallRecord>,
    pub calls: u64,
    pub ok: u64,
    pub failed: u64,
    pub unknown: u64,
    pub retries: u64,
    /// Replies to attempts already given up on: proof they ran after all.
    pub late_replies: u64,
    /// Non-idempotent calls that may have been applied more than once.
    pub maybe_applied_twice: u64,
}

impl RpcClient {
    pub fn new(config: RpcConfig) -> Self {
        Self {
            config,
            providers: BTreeMap::new(),
            pending: BTreeMap::new(),
            next_call_id: 0,
            rr_cursor: 0,
            completed: VecDeque::new(),
            calls: 0,
            ok: 0,
            failed: 0,
            unknown: 0,
            retries: 0,
            late_replies: 0,
            maybe_applied_twice: 0,
        }
    }

    pub fn on_crash(&mut self) {
        *self = Self { providers: BTreeMap::new(), ..Self::new(self.config) };
    }

    /// Replace the provider list of `service` (from the registry cache).
    pub fn set_providers(&mut self, service: ServiceKind, providers: &[NodeId]) {
        self.providers.insert(service, providers.to_vec());
    }

    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    fn mode(&self, method: Method) -> ClusterMode {
        if method.is_idempotent() { self.config.cluster } else { self.config.non_idempotent_cluster }
    }

    /// Start a call. `Err` if it failed at once (no provider).
    pub fn call<M: From<RpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, method: Method, arg: u32) -> Result<u32, CallRecord> {
        let call_id = self.next_call_id;
        self.next_call_id = self.next_call_id.wrapping_add(1);
        self.calls += 1;
        let record = CallRecord {
            call_id,
            method,
            arg,
            started_us: ctx.now_us,
            finished_us: ctx.now_us,
            attempts: 0,
            providers: [NodeId(0); MAX_ATTEMPTS],
            unknown_attempts: 0,
            outcome: None,
        };
        match self.attempt(ctx, record) {
            Ok(()) => Ok(call_id),
            Err(done) => Err(done),
        }
    }

    /// Send the next attempt of `record` to a provider it has not tried.
    fn attempt<M: From<RpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, mut record: CallRecord) -> Result<(), CallRecord> {
        let Some(provider) = self.choose(ctx, record.method.service(), record.tried()) else {
            return Err(self.finish(ctx.now_us, record, CallOutcome::Failed(RpcFailure::NoProvider)));
        };
        let attempt = record.attempts;
        record.providers[usize::from(attempt)] = provider;
        record.attempts += 1;
        let (method, call_id) = (record.method, record.call_id);
        let msg = RpcMsg::Call { call_id, method, idempotent: method.is_idempotent(), attempt, arg: record.arg };
        ctx.send(provider, msg.into());
        ctx.set_timer(timer_key(call_id), self.config.timeout_us);
        self.pending.insert(call_id, record);
        Ok(())
    }

    /// Dubbo's `select` with the `invoked` list: prefer providers not yet tried.
    fn choose<M>(&mut self, ctx: &mut Ctx<'_, M>, service: ServiceKind, tried: &[NodeId]) -> Option<NodeId> {
        let all = self.providers.get(&service).map_or(&[][..], |v| v.as_slice());
        let fresh: Vec<NodeId> = all.iter().copied().filter(|p| !tried.contains(p)).collect();
        let pool = if fresh.is_empty() { all.to_vec() } else { fresh };
        if pool.is_empty() {
            return None;
        }
        let i = match self.config.load_balance {
            LoadBalance::Random => ctx.rng.below(pool.len() as u64) as usize,
            LoadBalance::RoundRobin => {
                let i = self.rr_cursor % pool.len();
                self.rr_cursor = self.rr_cursor.wrapping_add(1);
                i
            }
        };
        Some(pool[i])
    }

    /// A provider answered. Returns the call if this answer finished it.
    pub fn on_message<M: From<RpcMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        _from: NodeId,
        msg: RpcMsg,
    ) -> Option<CallRecord> {
        let RpcMsg::Reply { call_id, attempt, result } = msg else { return None };
        let current = self.pending.get(&call_id).is_some_and(|r| r.attempts == attempt + 1);
        if !current {
            self.late_replies += 1;
            return None;
        }
        let record = self.pending.remove(&call_id)?;
        ctx.cancel_timer(timer_key(call_id));
        match result {
            RpcResult::Ok(value) => Some(self.finish(ctx.now_us, record, CallOutcome::Ok(value))),
            RpcResult::Err(failure) => self.failed_attempt(ctx, record, failure),
        }
    }

    /// An attempt's timeout ran out.
    pub fn on_timer<M: From<RpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) -> Option<CallRecord> {
        if timer_tag::tag_of(key) != RPC {
            return None;
        }
        let mut record = self.pending.remove(&(timer_tag::local_of(key) as u32))?;
        record.unknown_attempts += 1;
        self.failed_attempt(ctx, record, RpcFailure::Timeout)
    }

    /// The provider's host refused the call: it did not run.
    pub fn on_refused<M: From<RpcMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        _to: NodeId,
        msg: RpcMsg,
    ) -> Option<CallRecord> {
        let RpcMsg::Call { call_id, attempt, .. } = msg else { return None };
        if self.pending.get(&call_id).is_none_or(|r| r.attempts != attempt + 1) {
            return None;
        }
        let record = self.pending.remove(&call_id)?;
        ctx.cancel_timer(timer_key(call_id));
        self.failed_attempt(ctx, record, RpcFailure::Refused)
    }

    fn failed_attempt<M: From<RpcMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        record: CallRecord,
        failure: RpcFailure,
    ) -> Option<CallRecord> {
        let max_attempts = (usize::from(self.config.retries) + 1).min(MAX_ATTEMPTS);
        let may_retry = self.mode(record.method) == ClusterMode::Failover && failure.is_retriable();
        if may_retry && usize::from(record.attempts) < max_attempts {
            self.retries += 1;
            return self.attempt(ctx, record).err();
        }
        let outcome = if failure == RpcFailure::Timeout { CallOutcome::Unknown } else { CallOutcome::Failed(failure) };
        Some(self.finish(ctx.now_us, record, outcome))
    }

    fn finish(&mut self, now_us: TimeUs, mut record: CallRecord, outcome: CallOutcome) -> CallRecord {
        record.outcome = Some(outcome);
        record.finished_us = now_us;
        if record.may_have_applied_twice() {
            self.maybe_applied_twice += 1;
        }
        match outcome {
            CallOutcome::Ok(_) => self.ok += 1,
            CallOutcome::Failed(_) => self.failed += 1,
            CallOutcome::Unknown => self.unknown += 1,
        }
        if self.completed.len() == COMPLETED_CAPACITY {
            self.completed.pop_front();
        }
        self.completed.push_back(record);
        record
    }
}

fn timer_key(call_id: u32) -> TimerKey {
    timer_tag::key(RPC, u64::from(call_id))
}

/// Every finished call has exactly one outcome, and under failfast a call
/// never made more than one attempt.
pub fn check_call_records(client: &RpcClient) -> Result<(), String> {
    for record in &client.completed {
        if record.outcome.is_none() {
            return Err(format!("call {} finished without an outcome", record.call_id));
        }
        if client.mode(record.method) == ClusterMode::Failfast && record.attempts > 1 {
            return Err(format!("failfast call {} made {} attempts", record.call_id, record.attempts));
        }
        if usize::from(record.attempts) > usize::from(client.config.retries) + 1 {
            return Err(format!(
                "call {} made {} attempts, retries={}",
                record.call_id, record.attempts, client.config.retries
            ));
        }
    }
    Ok(())
}
