//! A 4-ary min-heap of small `Copy` keys: what the event queue orders.
//!
//! Owns the layout of the keys and nothing else: it pops the least key
//! first, so with unique keys the order is the keys' own, whatever the
//! shape of the tree. A node's four children sit together in one group
//! aligned to 64 bytes (a cache line for 16-byte keys), so each level of a
//! sift loads one line, and the tree is half as deep as a binary heap's.
//! Lanes past the last key hold a sentinel above every key, so a sift
//! compares whole groups without bounds checks. The `_tracked` operations
//! report where each key they place lands, so a caller can take a key out
//! from the middle (`remove_at`). Never interprets a key.

/// Children per node: one group.
const ARITY: usize = 4;
/// Logical index 0 (the root) sits in the last lane of group 0, so that the
/// children of logical `j` (`4j + 1 ..= 4j + 4`) are exactly group `j + 1`.
const SHIFT: usize = ARITY - 1;

/// Four keys on one cache line (for keys of 16 bytes).
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
struct Group<K>([K; ARITY]);

/// A min-heap of keys, least first.
#[derive(Clone, Debug)]
pub struct QuadHeap<K> {
    groups: Vec<Group<K>>,
    len: usize,
    /// Fills every lane past the last key; above every key ever pushed.
    sentinel: K,
}

impl<K: Ord + Copy> QuadHeap<K> {
    /// An empty heap; `sentinel` must compare above every key pushed.
    pub fn new(sentinel: K) -> Self {
        Self { groups: Vec::new(), len: 0, sentinel }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn get(&self, j: usize) -> K {
        let p = j + SHIFT;
        self.groups[p / ARITY].0[p % ARITY]
    }

    fn set(&mut self, j: usize, key: K) {
        let p = j + SHIFT;
        self.groups[p / ARITY].0[p % ARITY] = key;
    }

    /// The least key, without taking it.
    pub fn peek(&self) -> Option<&K> {
        if self.len == 0 { None } else { Some(&self.groups[0].0[SHIFT]) }
    }

    /// The least key, or the sentinel when the heap is empty.
    pub fn top_or_sentinel(&self) -> K {
        if self.len == 0 { self.sentinel } else { self.groups[0].0[SHIFT] }
    }

    /// Every key, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &K> + '_ {
        self.groups.iter().flat_map(|g| g.0.iter()).skip(SHIFT).take(self.len)
    }

    pub fn push(&mut self, key: K) {
        self.push_tracked(key, &mut |_, _| {});
    }

    /// `push`, telling `track` the position of every key it places.
    pub fn push_tracked(&mut self, key: K, track: &mut impl FnMut(K, usize)) {
        if (self.len + SHIFT) / ARITY >= self.groups.len() {
            self.groups.push(Group([self.sentinel; ARITY]));
        }
        self.len += 1;
        self.sift_up(self.len - 1, key, track);
    }

    /// Takes the least key.
    pub fn pop(&mut self) -> Option<K> {
        self.pop_tracked(&mut |_, _| {})
    }

    /// `pop`, telling `track` the position of every key it moves.
    pub fn pop_tracked(&mut self, track: &mut impl FnMut(K, usize)) -> Option<K> {
        if self.len == 0 {
            return None;
        }
        Some(self.remove_at(0, track))
    }

    /// Takes out (and returns) the key at position `j`, as `track` reported
    /// it, telling `track` the position of every key it moves.
    pub fn remove_at(&mut self, j: usize, track: &mut impl FnMut(K, usize)) -> K {
        assert!(j < self.len, "a position inside the heap");
        let taken = self.get(j);
        self.len -= 1;
        let last = self.get(self.len);
        self.set(self.len, self.sentinel);
        if j == self.len {
            return taken;
        }
        if j > 0 && last < self.get((j - 1) / ARITY) {
            self.sift_up(j, last, track);
        } else {
            self.sift_down(j, last, track);
        }
        taken
    }

    /// Keeps only the keys `keep` accepts (compacted in place, in the order
    /// they were stored), then restores the heap order.
    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        let mut kept = 0;
        for j in 0..self.len {
            let key = self.get(j);
            if keep(&key) {
                self.set(kept, key);
                kept += 1;
            }
        }
        for j in kept..self.len {
            self.set(j, self.sentinel);
        }
        self.len = kept;
        for j in (0..kept / ARITY + 1).rev() {
            if j < kept {
                self.sift_down(j, self.get(j), &mut |_, _| {});
            }
        }
    }

    /// Places `key` at the hole `j` or above it.
    fn sift_up(&mut self, mut j: usize, key: K, track: &mut impl FnMut(K, usize)) {
        while j > 0 {
            let parent = (j - 1) / ARITY;
            let above = self.get(parent);
            if above <= key {
                break;
            }
            self.set(j, above);
            track(above, j);
            j = parent;
        }
        self.set(j, key);
        track(key, j);
    }

    /// Places `key` at the hole `j` or below it.
    fn sift_down(&mut self, mut j: usize, key: K, track: &mut impl FnMut(K, usize)) {
        while let Some(group) = self.groups.get(j + 1) {
            let [a, b, c, d] = group.0;
            let (ab, lane_ab) = if b < a { (b, 1) } else { (a, 0) };
            let (cd, lane_cd) = if d < c { (d, 3) } else { (c, 2) };
            let (least, lane) = if cd < ab { (cd, lane_cd) } else { (ab, lane_ab) };
            if key <= least {
                break;
            }
            self.set(j, least);
            track(least, j);
            j = ARITY * j + 1 + lane;
        }
        self.set(j, key);
        track(key, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimRng;

    /// Pushes, pops and a retain in between give the keys in sorted order.
    #[test]
    fn pops_in_order_through_pushes_and_a_retain() {
        let mut rng = SimRng::new(7, 0);
        let mut heap = QuadHeap::new(u64::MAX);
        let mut model: Vec<u64> = Vec::new();
        for round in 0..3_000u64 {
            let key = rng.below(500) * 10_000 + round;
            heap.push(key);
            model.push(key);
            if round % 3 == 0 || round > 2_000 && round % 2 == 0 {
                model.sort_unstable();
                assert_eq!(heap.pop(), Some(model.remove(0)));
                assert_eq!(heap.peek(), model.iter().min());
            }
            if round == 1_000 || round == 2_500 {
                heap.retain(|k| k % 7 != 0);
                model.retain(|k| k % 7 != 0);
            }
        }
        model.sort_unstable();
        assert_eq!(heap.len(), model.len());
        let mut all: Vec<u64> = heap.iter().copied().collect();
        all.sort_unstable();
        assert_eq!(all, model);
        let popped: Vec<u64> = std::iter::from_fn(|| heap.pop()).collect();
        assert_eq!(popped, model);
        assert!(heap.is_empty() && heap.pop().is_none());
    }

    /// Keys taken out from the middle by their tracked positions leave the
    /// others popping in order.
    #[test]
    fn removes_tracked_keys_from_the_middle() {
        let mut rng = SimRng::new(9, 0);
        let mut heap = QuadHeap::new(u64::MAX);
        let mut pos = vec![usize::MAX; 4_000];
        let mut model: Vec<u64> = Vec::new();
        for key in 0..4_000u64 {
            let key = rng.below(300) * 10_000 + key;
            heap.push_tracked(key, &mut |k, j| pos[(k % 10_000) as usize] = j);
            model.push(key);
            if key.is_multiple_of(3) {
                let victim = model.swap_remove(rng.below(model.len() as u64) as usize);
                heap.remove_at(pos[(victim % 10_000) as usize], &mut |k, j| pos[(k % 10_000) as usize] = j);
            }
            if key.is_multiple_of(5) {
                model.sort_unstable();
                let least = model.remove(0);
                assert_eq!(heap.pop_tracked(&mut |k, j| pos[(k % 10_000) as usize] = j), Some(least));
            }
        }
        model.sort_unstable();
        let popped: Vec<u64> = std::iter::from_fn(|| heap.pop()).collect();
        assert_eq!(popped, model);
    }
}
