//! A participant's open transactions and, beside them, an index of who waits
//! for which row lock.
//!
//! Owns every change to `TpcParticipant::open`, so that `waiting` (lock key,
//! txn) always lists exactly the transactions in `WaitingForLock`: when a
//! lock is freed the next waiter is found in O(log n) instead of a walk over
//! every open transaction. The next waiter is the lowest txn waiting for that
//! key, as the walk in txn order found it. Never decides who gets a lock.

use super::participant::{ParticipantTxn, TpcParticipant};

impl TpcParticipant {
    /// `txn` is now in `state` (replacing what it was in, if anything).
    pub(super) fn set_open(&mut self, txn: u32, state: ParticipantTxn) {
        if let Some(ParticipantTxn::WaitingForLock { product, .. }) = self.open.insert(txn, state) {
            self.waiting.remove(&(self.lock_key(txn, product), txn));
        }
        if let ParticipantTxn::WaitingForLock { product, .. } = state {
            self.waiting.insert((self.lock_key(txn, product), txn));
        }
    }

    /// `txn` is no longer open.
    pub(super) fn forget_open(&mut self, txn: u32) {
        if let Some(ParticipantTxn::WaitingForLock { product, .. }) = self.open.remove(&txn) {
            self.waiting.remove(&(self.lock_key(txn, product), txn));
        }
    }

    /// No transaction is open (a crash forgets them all).
    pub(super) fn clear_open(&mut self) {
        self.open.clear();
        self.waiting.clear();
    }

    /// The lowest txn waiting for lock `key`, with its product and quantity.
    pub(super) fn next_waiter(&self, key: u32) -> Option<(u32, u32, u32)> {
        let &(_, txn) = self.waiting.range((key, 0)..=(key, u32::MAX)).next()?;
        match self.open.get(&txn) {
            Some(&ParticipantTxn::WaitingForLock { product, qty, .. }) => Some((txn, product, qty)),
            _ => unreachable!("the waiting index lists only waiting transactions"),
        }
    }
}
