//! The buffer cache and journal handles.
//!
//! Metadata (bitmaps, group descriptors, inodes, extent blocks, directories) is changed in
//! copies held here while a transaction runs; nothing reaches the image until the transaction
//! is written out ([`super::Fs::commit`]). A [`Handle`] is the only way to change a cached
//! block: it is started with a number of credits (distinct blocks it may dirty); going past
//! them is a reservation computed too small, counted in `Fs::credit_overruns`. Today the commit writes dirty blocks home in place; the jbd2
//! journal plugs in at that one point.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A fast hasher for maps keyed by block (or page) numbers. No key can make it slow: such a
/// map holds only blocks this process dirtied or pages it mapped, never a list read from an
/// image.
#[derive(Default, Clone, Copy)]
pub struct BlockHasher(u64);

impl Hasher for BlockHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(26) ^ i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 32)
    }
}

/// A hash map keyed by block numbers (or anything made of them), with [`BlockHasher`].
pub type BlockMap<K, V> = HashMap<K, V, BuildHasherDefault<BlockHasher>>;

/// Dirty metadata blocks of the running transaction, in the order they were first dirtied.
#[derive(Default)]
pub struct BufferCache {
    blocks: BlockMap<u64, Box<[u8]>>,
    order: Vec<u64>,
}

impl BufferCache {
    /// The cached copy of `blk`, if the running transaction changed it.
    pub fn get(&self, blk: u64) -> Option<&[u8]> {
        self.blocks.get(&blk).map(|b| &b[..])
    }

    /// The cached copy of `blk`, filled by `load` on first use and marked dirty.
    pub(crate) fn get_mut_or_load(
        &mut self,
        blk: u64,
        load: impl FnOnce() -> crate::Result<Box<[u8]>>,
    ) -> crate::Result<&mut [u8]> {
        use std::collections::hash_map::Entry;
        match self.blocks.entry(blk) {
            Entry::Occupied(e) => Ok(&mut e.into_mut()[..]),
            Entry::Vacant(v) => {
                let b = load()?;
                self.order.push(blk);
                Ok(&mut v.insert(b)[..])
            }
        }
    }

    /// Drop the running transaction's copy of `blk` (a freed metadata block, as jbd2's forget).
    pub fn forget(&mut self, blk: u64) {
        if self.blocks.remove(&blk).is_some() {
            self.order.retain(|&b| b != blk);
        }
    }

    /// Dirty blocks in the order they were first dirtied.
    pub fn dirty(&self) -> impl Iterator<Item = (u64, &[u8])> {
        self.order.iter().filter_map(|b| self.blocks.get(b).map(|d| (*b, &d[..])))
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Forget everything (after a commit, or a power cut).
    pub fn clear(&mut self) {
        self.blocks.clear();
        self.order.clear();
    }
}

/// Credit accounting of one handle: the distinct blocks it dirtied, against what it reserved.
/// The first few blocks are kept inline (a fault's handles touch a handful: no allocation).
#[derive(Debug)]
pub struct Credits {
    pub reserved: u32,
    inline: [u64; INLINE],
    n_inline: usize,
    more: Vec<u64>,
}

const INLINE: usize = 8;

impl Credits {
    pub fn new(reserved: u32) -> Self {
        Credits { reserved, inline: [0; INLINE], n_inline: 0, more: Vec::new() }
    }

    /// Account for dirtying `blk`; true when it is a new block past the reservation. Going past
    /// it means a reservation was computed too small (a bug of ours, never the image's): the
    /// caller counts it ([`super::Fs::credit_overruns`]) instead of stopping mid-transaction.
    pub fn charge(&mut self, blk: u64) -> bool {
        if self.inline[..self.n_inline].contains(&blk) || self.more.contains(&blk) {
            return false;
        }
        if self.n_inline < INLINE {
            self.inline[self.n_inline] = blk;
            self.n_inline += 1;
        } else {
            self.more.push(blk);
        }
        self.used() > self.reserved
    }

    pub fn used(&self) -> u32 {
        (self.n_inline + self.more.len()) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_blocks_are_counted_once_each() {
        let mut c = Credits::new(20);
        for round in 0..2 {
            for b in 0..20u64 {
                assert!(!c.charge(100 + b), "round {round}, block {b}");
            }
        }
        assert_eq!(c.used(), 20);
        assert!(c.charge(7));
    }

    #[test]
    fn going_past_the_reservation_is_reported_not_fatal() {
        let mut c = Credits::new(2);
        assert!(!c.charge(10));
        assert!(!c.charge(11));
        assert!(!c.charge(10), "a block already charged costs nothing");
        assert!(c.charge(12));
        assert_eq!(c.used(), 3);
    }
}
