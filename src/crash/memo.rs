//! Memoising a deterministic check by the bytes it read.
//!
//! Journal replay, fsck and the data oracle are deterministic functions of the bytes they read.
//! If two crash states agree on every block a check read in one of them, the check reads the
//! same bytes in the other, in the same order, and gives the same answer. So a check run once
//! records its *read set* (the 4 KiB blocks it looked at, [`Tracked`](super::overlay::Tracked));
//! a later state is looked up by the hash of its changed units that fall inside that set. Most
//! crash states differ only in lines the check never reads (file data for fsck, log lines a
//! torn descriptor hides from replay), so most checks become a hash lookup.

use std::collections::HashMap;

use super::overlay::{BlockSet, BLOCK};

/// A state as the memo sees it: its changed units with their hashes, and the unit size.
pub trait StateKey {
    /// Visit `(unit, hash)` for every unit of the state that differs from the base.
    fn for_each_unit(&self, f: &mut dyn FnMut(u64, u128));
    /// Bytes per unit.
    fn unit_size(&self) -> u64;
}

struct Entry<V> {
    blocks: BlockSet,
    values: HashMap<u128, V>,
    hits: u64,
    /// A number no other entry of this memo ever had.
    gen: u64,
}

/// Answers of one check, by read set.
pub struct Memo<V> {
    entries: Vec<Entry<V>>,
    max_sets: usize,
    next_gen: u64,
    pub hits: u64,
    pub misses: u64,
}

impl<V: Clone> Memo<V> {
    /// A memo keeping at most `max_sets` distinct read sets.
    pub fn new(max_sets: usize) -> Self {
        Memo { entries: Vec::new(), max_sets: max_sets.max(1), next_gen: 0, hits: 0, misses: 0 }
    }

    fn key(blocks: &BlockSet, state: &dyn StateKey, salt: u128) -> u128 {
        let per_block = BLOCK / state.unit_size();
        let mut k = salt;
        state.for_each_unit(&mut |u, h| {
            if blocks.contains(u / per_block) {
                k ^= h;
            }
        });
        k
    }

    /// The answer for `state`, from the memo or from `run` (which returns the answer and the
    /// blocks it read), and the generation of the read set it came from ([`Memo::blocks`]).
    /// `salt` separates answers that also depend on something besides the bytes (e.g. the
    /// crash point's place in the workload).
    pub fn get_or_run(&mut self, state: &dyn StateKey, salt: u128, run: impl FnOnce() -> (V, BlockSet)) -> (V, u64) {
        for e in &mut self.entries {
            let k = Self::key(&e.blocks, state, salt);
            if let Some(v) = e.values.get(&k) {
                e.hits += 1;
                self.hits += 1;
                return (v.clone(), e.gen);
            }
        }
        self.misses += 1;
        let (v, blocks) = run();
        let k = Self::key(&blocks, state, salt);
        if let Some(e) = self.entries.iter_mut().find(|e| e.blocks == blocks) {
            e.values.insert(k, v.clone());
            return (v, e.gen);
        }
        if self.entries.len() >= self.max_sets {
            // Forget the read set that helped least.
            if let Some(i) = (0..self.entries.len()).min_by_key(|&i| self.entries[i].hits) {
                self.entries.swap_remove(i);
            }
        }
        let mut values = HashMap::new();
        values.insert(k, v.clone());
        let gen = self.next_gen;
        self.next_gen += 1;
        self.entries.push(Entry { blocks, values, hits: 0, gen });
        (v, gen)
    }

    /// The read set of generation `gen`, while the memo still keeps it.
    pub fn blocks(&self, gen: u64) -> Option<&BlockSet> {
        self.entries.iter().find(|e| e.gen == gen).map(|e| &e.blocks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct S(Vec<(u64, u128)>);
    impl StateKey for S {
        fn for_each_unit(&self, f: &mut dyn FnMut(u64, u128)) {
            for &(u, h) in &self.0 {
                f(u, h)
            }
        }
        fn unit_size(&self) -> u64 {
            64
        }
    }

    #[test]
    fn states_equal_on_the_read_set_share_an_answer() {
        let mut m: Memo<u32> = Memo::new(4);
        let mut read = BlockSet::new(1 << 20);
        read.add_range(0, 4096); // units 0..64
        let a = S(vec![(3, 11), (100, 22)]);
        assert_eq!(m.get_or_run(&a, 0, || (1, read.clone())).0, 1);
        // Differs only in unit 100 (block 1, not read): a hit.
        let b = S(vec![(3, 11), (100, 99)]);
        assert_eq!(m.get_or_run(&b, 0, || panic!("must be memoised")).0, 1);
        // Differs in unit 3 (read): a miss.
        let c = S(vec![(3, 12)]);
        assert_eq!(m.get_or_run(&c, 0, || (2, read.clone())).0, 2);
        // Another salt: a miss.
        assert_eq!(m.get_or_run(&a, 5, || (3, read.clone())).0, 3);
        assert_eq!((m.hits, m.misses), (1, 3));
    }
}
