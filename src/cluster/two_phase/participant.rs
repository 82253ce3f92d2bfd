//! A two-phase-commit participant: a service with a local database.
//!
//! Owns the participant's durable log (PREPARED, COMMITTED, ABORTED), its
//! committed data (stock units per product, or the set of committed orders),
//! and its volatile row locks and open transactions. On CanCommit? it takes
//! the row lock (waiting up to `innodb_lock_wait_timeout` behind another
//! transaction), checks the stock, force-logs PREPARED and votes Yes — or
//! logs ABORTED and votes No. Having voted Yes it is in doubt: it keeps its
//! locks and may only ask the coordinator, never decide. After a restart,
//! every PREPARED record without an outcome is in doubt again, its lock
//! re-taken, and the coordinator asked (as XA RECOVER lets a TM do).
//! With `external_work`, the resource lives elsewhere (the stock table, the
//! order rows behind MyCat): a prepare takes the row lock, then asks the host
//! to do the work (`work`), and votes on the host's answer (`work_done`); an
//! abort after the work was done asks the host to undo it (`undo`).
//! Never commits or aborts a prepared transaction on its own.

use super::wire::{AbortReason, TpcEvent, TpcMsg, TpcPhase, Vote, note};
use crate::cluster::timer_tag::{self, TWO_PC_PARTICIPANT};
use crate::sim::{Ctx, MS, NodeId, SEC, TimeUs, TimerKey};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// What the participant's database holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// The order service: a committed transaction inserts an order row.
    Orders,
    /// The inventory service: a committed transaction decrements stock.
    Stock,
}

/// Participant settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TpcParticipantConfig {
    /// Time to force a log record to disk (an fsync).
    pub log_force_us: TimeUs,
    /// `innodb_lock_wait_timeout` 50 s: how long a prepare waits for a row lock.
    pub lock_wait_timeout_us: TimeUs,
    /// How often an in-doubt participant asks the coordinator for the outcome.
    pub in_doubt_query_us: TimeUs,
    /// The work is done by the host against another store (see `work`).
    pub external_work: bool,
}

impl Default for TpcParticipantConfig {
    fn default() -> Self {
        Self { log_force_us: 2 * MS, lock_wait_timeout_us: 50 * SEC, in_doubt_query_us: SEC, external_work: false }
    }
}

/// Work the host must do (or undo) for a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Work {
    pub txn: u32,
    pub product: u32,
    pub qty: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PLogKind {
    Prepared,
    Committed,
    Aborted,
}

/// A durable log record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PLogRecord {
    pub txn: u32,
    pub kind: PLogKind,
    pub product: u32,
    pub qty: u32,
    pub at_us: TimeUs,
}

/// An open transaction's state at the participant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParticipantTxn {
    /// Behind another transaction's row lock.
    WaitingForLock { since_us: TimeUs, product: u32, qty: u32 },
    /// Lock taken; the host is doing the work (external work only).
    Working { product: u32, qty: u32 },
    /// Lock taken, PREPARED being forced.
    Forcing { product: u32, qty: u32 },
    /// Voted Yes: may neither commit nor abort until told.
    InDoubt { since_us: TimeUs, product: u32, qty: u32 },
}

const FORCE: u64 = 1 << 40;
const WAIT: u64 = 2 << 40;
const QUERY: u64 = 3 << 40;
const TXN_MASK: u64 = (1 << 40) - 1;

fn timer(kind: u64, txn: u32) -> TimerKey {
    timer_tag::key(TWO_PC_PARTICIPANT, kind | u64::from(txn))
}

/// A participant. Durable: `log`, `stock`, `orders`, `timeline`. Volatile:
/// `open` and `locks` (rebuilt from PREPARED records on restart). Finished
/// transactions beyond the newest `PARTICIPANT_FINISHED_KEPT` are forgotten (`retention`).
#[derive(Clone, Debug)]
pub struct TpcParticipant {
    pub config: TpcParticipantConfig,
    pub resource: Resource,
    pub coordinator: NodeId,
    pub log: Vec<PLogRecord>,
    /// Kept as records are written, for checks after every event: COMMITTED
    /// records, each txn's last final outcome (true: committed), the latest.
    pub committed: usize,
    pub finals: BTreeMap<u32, bool>,
    /// Each txn's last record, so `last_record` never scans the whole log.
    pub last_kinds: BTreeMap<u32, PLogKind>,
    pub recent_finals: VecDeque<(u32, TimeUs)>,
    /// Finished transactions still remembered, oldest first (`retention`).
    pub finished: VecDeque<u32>,
    /// Transactions aborted while their external work was out: undone when it lands.
    pub aborted_working: BTreeMap<u32, Work>,
    pub stock: BTreeMap<u32, u32>,
    pub orders: BTreeSet<u32>,
    pub timeline: VecDeque<TpcEvent>,
    /// Changed only through `waiters`, which keeps `waiting` beside it.
    pub open: BTreeMap<u32, ParticipantTxn>,
    /// (lock key, txn) of each transaction in `WaitingForLock` (`waiters`).
    pub waiting: BTreeSet<(u32, u32)>,
    /// Row locks: lock key (product, or the order's txn) → holding txn.
    pub locks: BTreeMap<u32, u32>,
    /// External work the host has yet to start (drained by the host).
    pub work: VecDeque<Work>,
    /// Done work of aborted transactions the host has yet to undo.
    pub undo: VecDeque<Work>,
}

impl TpcParticipant {
    pub fn new(config: TpcParticipantConfig, resource: Resource, coordinator: NodeId) -> Self {
        Self {
            config,
            resource,
            coordinator,
            log: Vec::new(),
            committed: 0,
            finals: BTreeMap::new(),
            last_kinds: BTreeMap::new(),
            recent_finals: VecDeque::new(),
            finished: VecDeque::new(),
            aborted_working: BTreeMap::new(),
            stock: BTreeMap::new(),
            orders: BTreeSet::new(),
            timeline: VecDeque::new(),
            open: BTreeMap::new(),
            waiting: BTreeSet::new(),
            locks: BTreeMap::new(),
            work: VecDeque::new(),
            undo: VecDeque::new(),
        }
    }

    pub(super) fn lock_key(&self, txn: u32, product: u32) -> u32 {
        match self.resource {
            Resource::Stock => product,
            Resource::Orders => txn,
        }
    }

    pub fn last_record(&self, txn: u32) -> Option<PLogKind> {
        self.last_kinds.get(&txn).copied()
    }

    fn append<M>(&mut self, ctx: &Ctx<'_, M>, txn: u32, kind: PLogKind, product: u32, qty: u32) {
        self.log.push(PLogRecord { txn, kind, product, qty, at_us: ctx.now_us });
        super::atomicity::note_record(self, txn, kind, ctx.now_us);
    }

    pub fn on_crash(&mut self) {
        self.clear_open();
        self.locks.clear();
        self.work.clear();
        self.undo.clear();
    }

    /// Recovery: PREPARED without an outcome → in doubt, locked, and ask.
    pub fn on_start<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        let prepared: Vec<PLogRecord> = self
            .log
            .iter()
            .filter(|r| r.kind == PLogKind::Prepared && self.last_record(r.txn) == Some(PLogKind::Prepared))
            .copied()
            .collect();
        for r in prepared {
            let state = ParticipantTxn::InDoubt { since_us: r.at_us, product: r.product, qty: r.qty };
            self.set_open(r.txn, state);
            self.locks.insert(self.lock_key(r.txn, r.product), r.txn);
            note(&mut self.timeline, ctx, r.txn, TpcPhase::Recovered);
            self.query(ctx, r.txn);
        }
    }

    fn query<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, txn: u32) {
        ctx.send(self.coordinator, TpcMsg::QueryDecision { txn }.into());
        note(&mut self.timeline, ctx, txn, TpcPhase::QueriedDecision);
        ctx.set_timer(timer(QUERY, txn), self.config.in_doubt_query_us);
    }

    pub fn on_message<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: TpcMsg) {
        match msg {
            TpcMsg::Prepare { txn, product, qty } => self.prepare(ctx, txn, product, qty),
            TpcMsg::Decision { txn, commit } => self.decide(ctx, from, txn, commit),
            TpcMsg::Local { txn, product, qty } => self.local(ctx, from, txn, product, qty),
            _ => {}
        }
    }

    fn prepare<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, txn: u32, product: u32, qty: u32) {
        if self.open.contains_key(&txn) || self.last_record(txn).is_some() {
            if self.last_record(txn) == Some(PLogKind::Prepared) {
                ctx.send(self.coordinator, TpcMsg::Vote { txn, vote: Vote::Yes }.into());
            }
            return;
        }
        if self.locks.contains_key(&self.lock_key(txn, product)) {
            self.set_open(txn, ParticipantTxn::WaitingForLock { since_us: ctx.now_us, product, qty });
            ctx.set_timer(timer(WAIT, txn), self.config.lock_wait_timeout_us);
            return;
        }
        self.try_prepare(ctx, txn, product, qty);
    }

    fn try_prepare<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, txn: u32, product: u32, qty: u32) {
        if self.config.external_work {
            self.locks.insert(self.lock_key(txn, product), txn);
            self.set_open(txn, ParticipantTxn::Working { product, qty });
            self.work.push_back(Work { txn, product, qty });
            return;
        }
        let short = self.resource == Resource::Stock && self.stock.get(&product).copied().unwrap_or(0) < qty;
        if short {
            self.forget_open(txn);
            self.vote_no(ctx, txn, product, qty, AbortReason::InsufficientStock);
            return;
        }
        self.locks.insert(self.lock_key(txn, product), txn);
        self.set_open(txn, ParticipantTxn::Forcing { product, qty });
        ctx.set_timer(timer(FORCE, txn), self.config.log_force_us);
    }

    /// Before voting a participant may abort alone: log it, say No.
    fn vote_no<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, txn: u32, product: u32, qty: u32, why: AbortReason) {
        self.append(ctx, txn, PLogKind::Aborted, product, qty);
        note(&mut self.timeline, ctx, txn, TpcPhase::VotedNo(why));
        ctx.send(self.coordinator, TpcMsg::Vote { txn, vote: Vote::No(why) }.into());
    }

    fn decide<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, txn: u32, commit: bool) {
        let Some(state) = self.open.get(&txn).copied() else {
            // The coordinator lost our HaveCommitted: say it again. A DoCommit only
            // follows our Yes, so a transaction forgotten since (None) was committed.
            let last = self.last_record(txn);
            if commit && matches!(last, Some(PLogKind::Committed) | None) {
                ctx.send(from, TpcMsg::Ack { txn }.into());
            }
            return;
        };
        let (product, qty) = match state {
            ParticipantTxn::InDoubt { product, qty, .. } => (product, qty),
            // No Yes vote was sent, so no commit can come: only an abort.
            ParticipantTxn::Forcing { .. } | ParticipantTxn::WaitingForLock { .. } | ParticipantTxn::Working { .. }
                if commit =>
            {
                return;
            }
            ParticipantTxn::Forcing { product, qty }
            | ParticipantTxn::WaitingForLock { product, qty, .. }
            | ParticipantTxn::Working { product, qty } => (product, qty),
        };
        if !commit && self.config.external_work && !matches!(state, ParticipantTxn::WaitingForLock { .. }) {
            // Work done (or in progress: `work_done` undoes it when it lands).
            if !matches!(state, ParticipantTxn::Working { .. }) {
                self.undo.push_back(Work { txn, product, qty });
            } else {
                self.aborted_working.insert(txn, Work { txn, product, qty });
            }
        }
        if commit {
            self.apply(txn, product, qty);
        }
        let kind = if commit { PLogKind::Committed } else { PLogKind::Aborted };
        self.append(ctx, txn, kind, product, qty);
        note(&mut self.timeline, ctx, txn, if commit { TpcPhase::Committed } else { TpcPhase::Aborted });
        if commit {
            ctx.send(from, TpcMsg::Ack { txn }.into());
        }
        self.close(ctx, txn, product);
    }

    fn apply(&mut self, txn: u32, product: u32, qty: u32) {
        match self.resource {
            Resource::Stock => {
                let units = self.stock.entry(product).or_default();
                *units = units.saturating_sub(qty);
            }
            // With external work the order rows live behind MyCat, not here.
            Resource::Orders if !self.config.external_work => {
                self.orders.insert(txn);
            }
            Resource::Orders => {}
        }
    }

    /// Forget an open transaction, free its lock, let the next waiter in.
    fn close<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, txn: u32, product: u32) {
        self.forget_open(txn);
        for kind in [FORCE, WAIT, QUERY] {
            ctx.cancel_timer(timer(kind, txn));
        }
        let key = self.lock_key(txn, product);
        if self.locks.get(&key) != Some(&txn) {
            return;
        }
        self.locks.remove(&key);
        if let Some((t, p, qty)) = self.next_waiter(key) {
            ctx.cancel_timer(timer(WAIT, t));
            self.try_prepare(ctx, t, p, qty);
        }
    }

    /// The host finished the external work of `txn`: vote on it. Work that
    /// lands after its transaction was aborted is handed back to undo.
    pub fn work_done<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, txn: u32, result: Result<(), AbortReason>) {
        let Some(ParticipantTxn::Working { product, qty }) = self.open.get(&txn).copied() else {
            let aborted = self.aborted_working.remove(&txn);
            if let Some(work) = aborted.filter(|_| result.is_ok()) {
                self.undo.push_back(work);
            }
            return;
        };
        match result {
            Ok(()) => {
                self.set_open(txn, ParticipantTxn::Forcing { product, qty });
                ctx.set_timer(timer(FORCE, txn), self.config.log_force_us);
            }
            Err(why) => {
                self.vote_no(ctx, txn, product, qty, why);
                self.close(ctx, txn, product);
            }
        }
    }

    /// Without 2PC: do the work and commit it locally at once.
    fn local<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, txn: u32, product: u32, qty: u32) {
        if self.last_record(txn).is_some() {
            return;
        }
        let short = self.resource == Resource::Stock && self.stock.get(&product).copied().unwrap_or(0) < qty;
        let vote = if short {
            self.append(ctx, txn, PLogKind::Aborted, product, qty);
            note(&mut self.timeline, ctx, txn, TpcPhase::LocalAborted(AbortReason::InsufficientStock));
            Vote::No(AbortReason::InsufficientStock)
        } else {
            self.apply(txn, product, qty);
            self.append(ctx, txn, PLogKind::Committed, product, qty);
            note(&mut self.timeline, ctx, txn, TpcPhase::LocalCommitted);
            Vote::Yes
        };
        ctx.send(from, TpcMsg::LocalDone { txn, vote }.into());
    }

    pub fn on_timer<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        let local = timer_tag::local_of(key);
        let txn = (local & TXN_MASK) as u32;
        let Some(state) = self.open.get(&txn).copied() else { return };
        match (local & !TXN_MASK, state) {
            (FORCE, ParticipantTxn::Forcing { product, qty }) => {
                // PREPARED is on disk: from here on we are in doubt.
                self.append(ctx, txn, PLogKind::Prepared, product, qty);
                self.set_open(txn, ParticipantTxn::InDoubt { since_us: ctx.now_us, product, qty });
                note(&mut self.timeline, ctx, txn, TpcPhase::PreparedLogged);
                ctx.send(self.coordinator, TpcMsg::Vote { txn, vote: Vote::Yes }.into());
                note(&mut self.timeline, ctx, txn, TpcPhase::VotedYes);
                ctx.set_timer(timer(QUERY, txn), self.config.in_doubt_query_us);
            }
            (WAIT, ParticipantTxn::WaitingForLock { product, qty, .. }) => {
                self.forget_open(txn);
                self.vote_no(ctx, txn, product, qty, AbortReason::LockWaitTimeout);
            }
            (QUERY, ParticipantTxn::InDoubt { .. }) => self.query(ctx, txn),
            _ => {}
        }
    }
}
