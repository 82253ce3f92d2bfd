//! A 4-ary min-heap of small `Copy` keys: what the event queue orders.
//!
//! Owns the layout of the keys and nothing else: it pops the least key
//! first, so with unique keys the order is the keys' own, whatever the
//! shape of the tree. Four children per node halve the depth of a binary
//! heap and a node's children share one or two cache lines, so a pop
//! touches fewer lines. Never interprets a key.

/// Children per node.
const ARITY: usize = 4;

/// A min-heap of keys, least first.
#[derive(Clone, Debug)]
pub struct QuadHeap<K> {
    keys: Vec<K>,
}

impl<K> Default for QuadHeap<K> {
    fn default() -> Self {
        Self { keys: Vec::new() }
    }
}

impl<K: Ord + Copy> QuadHeap<K> {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The least key, without taking it.
    pub fn peek(&self) -> Option<&K> {
        self.keys.first()
    }

    /// Every key, in no particular order.
    pub fn iter(&self) -> std::slice::Iter<'_, K> {
        self.keys.iter()
    }

    pub fn push(&mut self, key: K) {
        self.keys.push(key);
        self.sift_up(self.keys.len() - 1, key);
    }

    /// Takes the least key.
    pub fn pop(&mut self) -> Option<K> {
        let last = self.keys.pop()?;
        if self.keys.is_empty() {
            return Some(last);
        }
        let least = self.keys[0];
        self.sift_down(0, last);
        Some(least)
    }

    /// Keeps only the keys `keep` accepts, then restores the heap order.
    pub fn retain(&mut self, keep: impl FnMut(&K) -> bool) {
        self.keys.retain(keep);
        let len = self.keys.len();
        if len < 2 {
            return;
        }
        for i in (0..=(len - 2) / ARITY).rev() {
            self.sift_down(i, self.keys[i]);
        }
    }

    /// Places `key` at the hole `i` or above it.
    fn sift_up(&mut self, mut i: usize, key: K) {
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.keys[parent] <= key {
                break;
            }
            self.keys[i] = self.keys[parent];
            i = parent;
        }
        self.keys[i] = key;
    }

    /// Places `key` at the hole `i` or below it.
    fn sift_down(&mut self, mut i: usize, key: K) {
        let len = self.keys.len();
        loop {
            let first = ARITY * i + 1;
            if first >= len {
                break;
            }
            let last = (first + ARITY).min(len);
            let mut least = first;
            for child in first + 1..last {
                if self.keys[child] < self.keys[least] {
                    least = child;
                }
            }
            if key <= self.keys[least] {
                break;
            }
            self.keys[i] = self.keys[least];
            i = least;
        }
        self.keys[i] = key;
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
        let mut heap = QuadHeap::default();
        let mut model: Vec<u64> = Vec::new();
        for round in 0..2_000u64 {
            let key = rng.below(500) * 10_000 + round;
            heap.push(key);
            model.push(key);
            if round % 3 == 0 {
                model.sort_unstable();
                assert_eq!(heap.pop(), Some(model.remove(0)));
            }
            if round == 1_000 {
                heap.retain(|k| k % 7 != 0);
                model.retain(|k| k % 7 != 0);
            }
        }
        model.sort_unstable();
        assert_eq!(heap.len(), model.len());
        let popped: Vec<u64> = std::iter::from_fn(|| heap.pop()).collect();
        assert_eq!(popped, model);
    }
}
