//! Devices a crash state is read through, never built by copying an image (DESIGN §6):
//!
//! - [`Overlay`]: a base image (borrowed bytes) with a sorted set of changed *units* (cache lines,
//!   or 8-byte words in the tearing mode) laid over it. Read-only: replay writes into a
//!   [`CowDevice`](crate::pmem::CowDevice) stacked on top.
//! - [`Tracked`]: a read-only wrapper that records which 4 KiB blocks were read, so that a
//!   deterministic check can be memoised by the bytes it actually looked at ([`super::memo`]).

use std::borrow::Cow;
use std::cell::RefCell;

use crate::pmem::{Device, Error};

/// The write side of a read-only device: stores are refused, the rest does nothing.
macro_rules! read_only_device_writes {
    () => {
        fn store(&mut self, _: u64, _: &[u8]) -> Result<(), Error> {
            Err(Error::ReadOnly)
        }
        fn store_nt(&mut self, _: u64, _: &[u8]) -> Result<(), Error> {
            Err(Error::ReadOnly)
        }
        fn flush(&mut self, _: u64, _: u64) -> Result<(), Error> {
            Ok(())
        }
        fn fence(&mut self) -> Result<(), Error> {
            Ok(())
        }
        fn set_tag(&mut self, _: &'static str) -> &'static str {
            crate::pmem::DEFAULT_TAG
        }
        fn sync(&mut self) -> Result<(), Error> {
            Ok(())
        }
    };
}

/// Granularity of the read sets.
pub const BLOCK: u64 = 4096;

/// A base image with units of `unit` bytes replaced. `units` is sorted by unit index and holds
/// `unit` bytes each.
#[derive(Debug, Clone)]
pub struct Overlay<'a> {
    base: &'a [u8],
    unit: u64,
    units: Vec<(u64, &'a [u8])>,
}

impl<'a> Overlay<'a> {
    /// `base` with `units` (sorted by index, each exactly `unit` bytes) laid over it.
    pub fn new(base: &'a [u8], unit: u64, units: Vec<(u64, &'a [u8])>) -> Self {
        debug_assert!(units.windows(2).all(|w| w[0].0 < w[1].0));
        debug_assert!(units.iter().all(|(_, c)| c.len() as u64 == unit));
        Overlay { base, unit, units }
    }

    /// The base image alone.
    pub fn plain(base: &'a [u8]) -> Self {
        Overlay { base, unit: 64, units: Vec::new() }
    }

    /// The changed units.
    pub fn units(&self) -> &[(u64, &'a [u8])] {
        &self.units
    }

    /// Write the whole state (base and units) to `out`.
    pub fn write_to(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut at = 0u64;
        for &(u, c) in &self.units {
            let s = u * self.unit;
            out.write_all(&self.base[at as usize..s as usize])?;
            out.write_all(c)?;
            at = s + self.unit;
        }
        out.write_all(&self.base[at as usize..])
    }
}

impl Device for Overlay<'_> {
    fn len(&self) -> u64 {
        self.base.len() as u64
    }

    fn view(&self, off: u64, len: usize) -> Result<Cow<'_, [u8]>, Error> {
        let end = off.checked_add(len as u64).filter(|&e| e <= self.len());
        let Some(end) = end else { return Err(Error::OutOfRange { off, len: len as u64, size: self.len() }) };
        let range = off as usize..end as usize;
        let first = self.units.partition_point(|&(u, _)| (u + 1) * self.unit <= off);
        if self.units.get(first).is_none_or(|&(u, _)| u * self.unit >= end) {
            return Ok(Cow::Borrowed(&self.base[range]));
        }
        let mut out = self.base[range].to_vec();
        for &(u, c) in &self.units[first..] {
            let s = u * self.unit;
            if s >= end {
                break;
            }
            let from = s.max(off);
            let to = (s + self.unit).min(end);
            out[(from - off) as usize..(to - off) as usize].copy_from_slice(&c[(from - s) as usize..(to - s) as usize]);
        }
        Ok(Cow::Owned(out))
    }

    read_only_device_writes!();
}

/// A set of 4 KiB blocks, as a bitmap.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct BlockSet {
    words: Vec<u64>,
}

impl BlockSet {
    /// An empty set for a device of `len` bytes.
    pub fn new(len: u64) -> Self {
        BlockSet { words: vec![0; len.div_ceil(BLOCK).div_ceil(64) as usize] }
    }

    /// Add the blocks covering `[off, off + len)`.
    pub fn add_range(&mut self, off: u64, len: u64) {
        if len == 0 {
            return;
        }
        for b in off / BLOCK..=(off + len - 1) / BLOCK {
            if let Some(w) = self.words.get_mut((b / 64) as usize) {
                *w |= 1 << (b % 64);
            }
        }
    }

    /// Whether block `b` is in the set.
    #[inline]
    pub fn contains(&self, b: u64) -> bool {
        self.words.get((b / 64) as usize).is_some_and(|w| w & (1 << (b % 64)) != 0)
    }

    /// Add every block of `other` (a set over a device of the same size).
    pub fn union_with(&mut self, other: &BlockSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= *b;
        }
    }

    /// Remove every block.
    pub fn clear(&mut self) {
        self.words.iter_mut().for_each(|w| *w = 0);
    }

    /// Number of blocks in the set.
    pub fn count(&self) -> u64 {
        self.words.iter().map(|w| u64::from(w.count_ones())).sum()
    }
}

/// A read-only device that records the blocks read through it (into a set the caller owns,
/// so that it survives a check that consumed the device).
#[derive(Debug, Clone)]
pub struct Tracked<'r, D: Device> {
    inner: D,
    read: &'r RefCell<BlockSet>,
}

impl<'r, D: Device> Tracked<'r, D> {
    pub fn new(inner: D, read: &'r RefCell<BlockSet>) -> Self {
        Tracked { inner, read }
    }
}

impl<D: Device> Device for Tracked<'_, D> {
    fn len(&self) -> u64 {
        self.inner.len()
    }

    fn view(&self, off: u64, len: usize) -> Result<Cow<'_, [u8]>, Error> {
        self.read.borrow_mut().add_range(off, len as u64);
        self.inner.view(off, len)
    }

    read_only_device_writes!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_reads_merge_units_over_the_base() {
        let base: Vec<u8> = (0..1024u32).map(|i| i as u8).collect();
        let a = [0xAAu8; 64];
        let b = [0xBBu8; 64];
        let o = Overlay::new(&base, 64, vec![(1, &a[..]), (3, &b[..])]);
        assert!(matches!(o.view(0, 64).unwrap(), Cow::Borrowed(_)));
        assert_eq!(o.view(60, 8).unwrap().as_ref(), &[60, 61, 62, 63, 0xAA, 0xAA, 0xAA, 0xAA]);
        let all = o.view(0, 1024).unwrap().into_owned();
        let mut want = base.clone();
        want[64..128].fill(0xAA);
        want[192..256].fill(0xBB);
        assert_eq!(all, want);
        let mut out = Vec::new();
        o.write_to(&mut out).unwrap();
        assert_eq!(out, want);
        assert!(o.view(1000, 100).is_err());
        assert!(matches!(o.view(128, 64).unwrap(), Cow::Borrowed(_)));
    }

    #[test]
    fn tracked_records_blocks_read() {
        let base = vec![0u8; 5 * 4096];
        let read = RefCell::new(BlockSet::new(base.len() as u64));
        let t = Tracked::new(Overlay::plain(&base), &read);
        t.view(4095, 2).unwrap();
        t.view(4 * 4096, 1).unwrap();
        drop(t);
        let s = read.into_inner();
        assert!(s.contains(0) && s.contains(1) && s.contains(4) && !s.contains(2));
        assert_eq!(s.count(), 3);
    }
}
