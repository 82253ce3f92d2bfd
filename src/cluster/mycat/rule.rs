//! MyCat's sharding rules: which shard (dataNode) a shard-key value lives on.
//!
//! Owns the rule functions of MyCat's `rule.xml` that the shop uses: `autopartition-long`
//! (AutoPartitionByLong: inclusive id ranges, no default node, so an id outside every range is
//! an error), `mod-long` (PartitionByMod: id mod count), `murmur` (PartitionByMurmurHash: a
//! consistent-hash ring with 160 virtual buckets per node, seed 0) and PartitionByLong
//! (`partitionCount × partitionLength = 1024`: shard = (id mod 1024) / length). The hash is
//! MurmurHash3 x86_32 over the id's 32-bit words (MyCat hashes the value's text; the ring
//! behaves the same). Never routes a query and knows nothing of hosts: the proxy does.

use std::collections::BTreeMap;

/// One line of `autopartition-long.txt`: ids `lo..=hi` live on shard `shard` (0 = dn1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRange {
    pub lo: u32,
    pub hi: u32,
    pub shard: u16,
}

/// A consistent-hash ring: `virtual_bucket_times` points per shard, a key goes to the first
/// point at or after its hash (wrapping around).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MurmurRing {
    pub count: u16,
    pub virtual_bucket_times: u16,
    pub seed: u32,
    points: BTreeMap<u32, u16>,
}

impl MurmurRing {
    pub fn new(count: u16, virtual_bucket_times: u16, seed: u32) -> Self {
        let mut points = BTreeMap::new();
        for shard in 0..count {
            for bucket in 0..virtual_bucket_times {
                points.insert(murmur3_32(&[u32::from(shard), u32::from(bucket)], seed), shard);
            }
        }
        Self { count, virtual_bucket_times, seed, points }
    }

    pub fn shard_of(&self, key: u32) -> Option<u16> {
        let hash = murmur3_32(&[key], self.seed);
        self.points.range(hash..).next().or_else(|| self.points.iter().next()).map(|(_, &shard)| shard)
    }

    /// Points on the ring (count × virtual buckets, fewer only on a hash collision).
    pub fn points(&self) -> usize {
        self.points.len()
    }
}

/// A table's sharding rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShardRule {
    /// `autopartition-long`.
    Range(Vec<KeyRange>),
    /// `mod-long`: `id mod count`.
    ModLong { count: u16 },
    /// `murmur`.
    Murmur(MurmurRing),
    /// PartitionByLong: `partition_count × partition_length` must be 1024.
    PartitionByLong { partition_count: u16, partition_length: u16 },
}

/// PartitionByLong splits `id mod 1024` into segments.
pub const PARTITION_SPACE: u32 = 1024;

impl ShardRule {
    /// The shop's rule: ids 1–500 on dn1, 501–1000 on dn2.
    pub fn shop_range() -> Self {
        Self::Range(vec![KeyRange { lo: 1, hi: 500, shard: 0 }, KeyRange { lo: 501, hi: 1000, shard: 1 }])
    }

    /// `murmur` with MyCat's defaults: seed 0, 160 virtual buckets per node.
    pub fn murmur(count: u16) -> Self {
        Self::Murmur(MurmurRing::new(count, 160, 0))
    }

    /// PartitionByLong, refusing settings that do not cover exactly 1024 slots (as MyCat does).
    pub fn partition_by_long(partition_count: u16, partition_length: u16) -> Result<Self, String> {
        let covered = u32::from(partition_count) * u32::from(partition_length);
        if covered != PARTITION_SPACE || partition_count == 0 {
            return Err(format!("partitionCount × partitionLength = {covered}, must be {PARTITION_SPACE}"));
        }
        Ok(Self::PartitionByLong { partition_count, partition_length })
    }

    /// How many shards the rule spreads over.
    pub fn shard_count(&self) -> usize {
        match self {
            Self::Range(ranges) => ranges.iter().map(|r| usize::from(r.shard) + 1).max().unwrap_or(0),
            Self::ModLong { count } => usize::from(*count),
            Self::Murmur(ring) => usize::from(ring.count),
            Self::PartitionByLong { partition_count, .. } => usize::from(*partition_count),
        }
    }

    /// The shard of `key`, or `None` when no shard takes it (an id outside every range).
    pub fn shard_of(&self, key: u32) -> Option<u16> {
        match self {
            Self::Range(ranges) => ranges.iter().find(|r| r.lo <= key && key <= r.hi).map(|r| r.shard),
            Self::ModLong { count } => (*count > 0).then(|| (key % u32::from(*count)) as u16),
            Self::Murmur(ring) => ring.shard_of(key),
            Self::PartitionByLong { partition_length, .. } => {
                Some(((key & (PARTITION_SPACE - 1)) / u32::from(*partition_length)) as u16)
            }
        }
    }
}

/// MurmurHash3 x86_32 over little-endian 32-bit words (Guava's `murmur3_32`; `hashInt(0)` is
/// `0x2362f9de`). Integer operations only, so native and wasm agree.
pub fn murmur3_32(words: &[u32], seed: u32) -> u32 {
    let mut h = seed;
    for &word in words {
        let k = word.wrapping_mul(0xcc9e_2d51).rotate_left(15).wrapping_mul(0x1b87_3593);
        h = (h ^ k).rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    fmix32(h ^ (words.len() as u32 * 4))
}

/// MurmurHash3's 32-bit finaliser: every input bit affects every output bit.
pub const fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur3_matches_the_reference_values() {
        assert_eq!(murmur3_32(&[], 0), 0);
        assert_eq!(murmur3_32(&[0], 0), 0x2362_f9de);
        assert_eq!(murmur3_32(&[1], 0), 0xfbf1_402a);
    }

    #[test]
    fn ring_has_160_points_per_shard() {
        let ring = MurmurRing::new(2, 160, 0);
        assert_eq!(ring.points(), 320);
    }
}
