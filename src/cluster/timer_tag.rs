//! Timer-key namespaces: which mechanism a timer belongs to.
//!
//! Owns the top byte of every `TimerKey` the shop's mechanisms set, so that a
//! node hosting two mechanisms (a balancer that also runs VRRP, a database
//! node that also replicates) never confuses their timers. Each mechanism
//! builds its keys with `key(TAG, local)` and reads them back with `tag_of`
//! and `local_of`.

use crate::sim::TimerKey;

pub const SHOP: u8 = 0x00; // shoppers, balancer proxying, app servers
pub const HTTP_CACHE: u8 = 0x01;
pub const CDN: u8 = 0x02;
pub const DNS: u8 = 0x03;
pub const VRRP: u8 = 0x04;
pub const GATEWAY: u8 = 0x05;
pub const RATE_LIMIT: u8 = 0x06;
pub const REGISTRY: u8 = 0x07;
pub const RPC: u8 = 0x08;
pub const PRODUCT_CACHE: u8 = 0x09;
pub const ZK: u8 = 0x0A;
pub const INVENTORY: u8 = 0x0B;
pub const TWO_PC_COORDINATOR: u8 = 0x0C;
pub const TWO_PC_PARTICIPANT: u8 = 0x0D;
pub const MQ_BROKER: u8 = 0x0E;
pub const MQ_CONSUMER: u8 = 0x0F;
pub const MYCAT: u8 = 0x10;
pub const REPLICATION: u8 = 0x11;
pub const REDIS: u8 = 0x12;
pub const AUTOSCALER: u8 = 0x13;
pub const SESSION: u8 = 0x14;
pub const APP_BACKEND: u8 = 0x15;
pub const SERVICE_FLOW: u8 = 0x16;

const LOCAL_MASK: u64 = (1 << 56) - 1;

/// The timer key for `local` (its low 56 bits) in mechanism `tag`'s namespace.
pub const fn key(tag: u8, local: u64) -> TimerKey {
    ((tag as u64) << 56) | (local & LOCAL_MASK)
}

/// Which mechanism a key belongs to.
pub const fn tag_of(key: TimerKey) -> u8 {
    (key >> 56) as u8
}

/// The mechanism's own part of a key.
pub const fn local_of(key: TimerKey) -> u64 {
    key & LOCAL_MASK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_namespaces_do_not_collide() {
        let k = key(ZK, 12345);
        assert_eq!((tag_of(k), local_of(k)), (ZK, 12345));
        assert_ne!(key(ZK, 1), key(VRRP, 1));
        assert_eq!(local_of(key(MQ_BROKER, u64::MAX)), LOCAL_MASK);
    }
}
