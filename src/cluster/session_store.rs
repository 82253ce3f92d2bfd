//! Where a logged-in shopper's session lives, and how each choice fails.
//!
//! Owns the session table a Tomcat keeps (StandardManager: in memory, lost
//! with the process), the design switch between the four ways the source
//! texts discuss — in memory, sticky, replicated between servers, or in a
//! central Redis — the session's attributes (the cart, the last order) and
//! the changes pages make to them, and the lookup rules (30-minute idle
//! timeout; a session id carries its creating server as `<id>.<jvmRoute>`
//! and the boot that made it). Never sends anything: servers and stores call it and decide what to
//! send.

use super::message::SessionCookie;
use crate::sim::{MINUTE_US, NodeId, TimeUs};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `session-store` design switch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionStoreKind {
    /// Each Tomcat keeps its own sessions in memory and the balancer is not
    /// sticky (its plain algorithm): a shopper who logged in on one server
    /// and whose next request goes to the other is sent back to login, even
    /// with no crash at all. A crash loses every session of the server too.
    #[default]
    Memory,
    /// In memory, with the balancer routing by the session cookie's route
    /// (jvmRoute). Still lost when that server dies: sticky is not HA.
    Sticky,
    /// Tomcat's DeltaManager, with sticky routing as Tomcat's cluster docs
    /// advise: every create and change is copied to every other server,
    /// asynchronously; survives a crash, at the cost of traffic, and a change
    /// still in the send queue when its server dies is lost (lag).
    Replicated,
    /// Spring Session in Redis: servers keep nothing; a central store holds
    /// every session (and becomes the thing that must not fail). Not sticky:
    /// any server can serve any shopper.
    Redis,
}

impl SessionStoreKind {
    pub const ALL: [Self; 4] = [Self::Memory, Self::Sticky, Self::Replicated, Self::Redis];

    /// The value of the `data-switch="session-store"` control.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Sticky => "sticky",
            Self::Replicated => "replicated",
            Self::Redis => "redis",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether the balancer keeps a shopper on the server named by the
    /// cookie's route (jvmRoute).
    pub const fn sticky(self) -> bool {
        matches!(self, Self::Sticky | Self::Replicated)
    }
}

/// Tomcat's default `session-timeout`: 30 minutes idle.
pub const SESSION_TIMEOUT_US: TimeUs = 30 * MINUTE_US;
/// Session ids carry the boot of the server that made them in their high bits.
pub const BOOT_SHIFT: u32 = 20;

/// One session, with the attributes the shop keeps in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Session {
    pub shopper: u16,
    pub last_access_us: TimeUs,
    /// Changes made since login (cart, order, payment): what a replica or
    /// the store must not lose.
    pub changes: u32,
    /// The `cart` attribute: the product in the cart (0: empty).
    pub cart: u32,
    /// The `lastOrder` attribute: the order waiting to be paid (0: none).
    pub last_order: u32,
}

/// What a page did to the session's attributes (saved at the end of the
/// request, as Spring Session and DeltaManager's valve do).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionChange {
    /// Add to cart: the product is now in the cart.
    PutInCart(u32),
    /// The order was placed: the cart is emptied, the order awaits payment.
    Ordered(u32),
    /// The order was paid.
    Paid,
}

impl Session {
    /// A session just made by a login at `now_us`: empty cart, no order.
    pub const fn new(shopper: u16, now_us: TimeUs) -> Self {
        Self { shopper, last_access_us: now_us, changes: 0, cart: 0, last_order: 0 }
    }

    /// Whether this copy is at least as recent as `other`.
    pub fn newer_or_same(&self, other: &Session) -> bool {
        (self.changes, self.last_access_us) >= (other.changes, other.last_access_us)
    }

    /// This session after `change`.
    pub const fn with(self, change: SessionChange) -> Self {
        let changes = self.changes + 1;
        match change {
            SessionChange::PutInCart(product) => Self { cart: product, changes, ..self },
            SessionChange::Ordered(order) => Self { cart: 0, last_order: order, changes, ..self },
            SessionChange::Paid => Self { last_order: 0, changes, ..self },
        }
    }
}

/// Tomcat DeltaManager's cluster messages between app servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionMsg {
    /// `EVT_SESSION_CREATED` / `EVT_SESSION_DELTA`: the session as it is now.
    Delta { cookie: SessionCookie, session: Session },
    /// `EVT_GET_ALL_SESSIONS`: a starting server asks for the full state.
    GetAll,
    /// One session of the full state (`EVT_ALL_SESSION_DATA`).
    State { cookie: SessionCookie, session: Session },
    /// `EVT_ALL_SESSION_TRANSFERCOMPLETE`: the state had `sessions` sessions.
    StateEnd { sessions: u32 },
    /// McastService's membership heartbeat: "I am a member" (every 500 ms).
    Member,
}

impl crate::sim::Message for SessionMsg {
    fn label(&self) -> &'static str {
        match self {
            Self::Delta { .. } => "session-delta",
            Self::GetAll => "session-get-all",
            Self::State { .. } => "session-state",
            Self::StateEnd { .. } => "session-state-end",
            Self::Member => "cluster-membership",
        }
    }
}

/// The result of looking a cookie up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Found and fresh; its last access is now.
    Fresh,
    /// Found but idle past the timeout; it has been removed.
    Expired,
    /// Not here.
    Missing,
}

/// A table of sessions keyed by their full id (`<id>.<route>`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionTable {
    sessions: BTreeMap<SessionCookie, Session>,
    pub timeout_us: TimeUs,
}

impl SessionTable {
    pub fn new(timeout_us: TimeUs) -> Self {
        Self { sessions: BTreeMap::new(), timeout_us }
    }

    /// The id of the `seq`-th session made by a server in its boot `boot`.
    pub fn session_id(boot: u32, seq: u32) -> u32 {
        (boot << BOOT_SHIFT) | (seq & ((1 << BOOT_SHIFT) - 1))
    }

    /// Which boot of its server made a session.
    pub fn boot_of(cookie: SessionCookie) -> u32 {
        cookie.id >> BOOT_SHIFT
    }

    /// Stores a new session (or a copy of another server's, or a change).
    pub fn insert(&mut self, cookie: SessionCookie, session: Session) {
        self.sessions.insert(cookie, session);
    }

    pub fn remove(&mut self, cookie: SessionCookie) -> Option<Session> {
        self.sessions.remove(&cookie)
    }

    /// Looks a cookie up at `now_us`, touching or expiring what it finds.
    pub fn lookup(&mut self, now_us: TimeUs, cookie: SessionCookie) -> Lookup {
        match self.sessions.get_mut(&cookie) {
            Some(s) if now_us.saturating_sub(s.last_access_us) <= self.timeout_us => {
                s.last_access_us = now_us;
                Lookup::Fresh
            }
            Some(_) => {
                self.sessions.remove(&cookie);
                Lookup::Expired
            }
            None => Lookup::Missing,
        }
    }

    pub fn get(&self, cookie: SessionCookie) -> Option<&Session> {
        self.sessions.get(&cookie)
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Every session, in id order (for inspectors: who is logged in).
    pub fn iter(&self) -> impl Iterator<Item = (&SessionCookie, &Session)> {
        self.sessions.iter()
    }

    /// How many sessions were made by `route`.
    pub fn count_from(&self, route: NodeId) -> usize {
        self.sessions.keys().filter(|c| c.route == route).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie(id: u32, route: u16) -> SessionCookie {
        SessionCookie { id, route: NodeId(route) }
    }

    #[test]
    fn lookups_touch_expire_and_miss() {
        let mut t = SessionTable::new(SESSION_TIMEOUT_US);
        let c = cookie(SessionTable::session_id(1, 0), 3);
        t.insert(c, Session::new(7, 0));
        // Touched at 29 minutes, so still fresh at 58.
        assert_eq!(t.lookup(29 * MINUTE_US, c), Lookup::Fresh);
        assert_eq!(t.lookup(58 * MINUTE_US, c), Lookup::Fresh);
        // Idle 30 minutes and one microsecond: expired and gone.
        assert_eq!(t.lookup(88 * MINUTE_US + 1, c), Lookup::Expired);
        assert_eq!(t.lookup(88 * MINUTE_US + 2, c), Lookup::Missing);
        // The same id from another server is another session.
        t.insert(c, Session::new(7, 0));
        assert_eq!(t.lookup(1, cookie(c.id, 4)), Lookup::Missing);
    }

    #[test]
    fn ids_carry_their_boot_and_switch_names_round_trip() {
        let id = SessionTable::session_id(3, 17);
        assert_eq!(SessionTable::boot_of(cookie(id, 1)), 3);
        for kind in SessionStoreKind::ALL {
            assert_eq!(SessionStoreKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(SessionStoreKind::parse("cookies"), None);
    }
}
