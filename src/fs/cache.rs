//! The buffer cache and journal handles.
//!
//! Metadata (bitmaps, group descriptors, inodes, extent blocks, directories) is changed in
//! copies held here while a transaction runs; nothing reaches the image until the transaction
//! is written out ([`super::Fs::commit`]). A [`Handle`] is the only way to change a cached
//! block: it is started with a number of credits (distinct blocks it may dirty); going past
//! them is a reservation computed too small, counted in `Fs::credit_overruns`. Today the commit writes dirty blocks home in place; the jbd2
//! journal plugs in at that one point.

use std::collections::HashMap;

/// Dirty metadata blocks of the running transaction, in the order they were first dirtied.
#[derive(Default)]
pub struct BufferCache {
    blocks: HashMap<u64, Box<[u8]>>,
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
#[derive(Debug)]
pub struct Credits {
    pub reserved: u32,
    touched: Vec<u64>,
}

impl Credits {
    pub fn new(reserved: u32) -> Self {
        Credits { reserved, touched: Vec::new() }
    }

    /// Account for dirtying `blk`; true when it is a new block past the reservation. Going past
    /// it means a reservation was computed too small (a bug of ours, never the image's): the
    /// caller counts it ([`super::Fs::credit_overruns`]) instead of stopping mid-transaction.
    pub fn charge(&mut self, blk: u64) -> bool {
        if self.touched.contains(&blk) {
            return false;
        }
        self.touched.push(blk);
        self.touched.len() as u32 > self.reserved
    }

    pub fn used(&self) -> u32 {
        self.touched.len() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
