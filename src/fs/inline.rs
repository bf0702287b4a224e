//! Inline data (`inline_data`): an inode with `INLINE_DATA_FL` keeps its data in itself — the
//! first 60 bytes in `i_block`, the rest in the value of its in-inode extended attribute
//! `system.data` (name index 7, name `data`), which is there, possibly empty, on every inline
//! inode. `i_size` says how much of it a regular file or a symlink holds.
//!
//! An inline directory has no `.` entry: the first 4 bytes of `i_block` are the inode number of
//! its parent (`..`); entries (ext4's directory entry format, no checksum tail) fill the other
//! 56 bytes, then the value of `system.data` as a second run of entries. Its size is the whole
//! space, 60 bytes plus the attribute's value.
//!
//! Reading only: e4dax does not write inline data. Every length and offset comes from the
//! image and is bounds-checked; a damaged attribute table reads as a missing attribute.

use std::ops::Range;

use super::dir::Entry;
use super::image::Fs;
use crate::error::{Error, Result};
use crate::ondisk::dirent::{self, DirEntry};
use crate::ondisk::inode::{Inode, FL_INLINE_DATA};
use crate::ondisk::{le, xattr};
use crate::pmem::Device;

/// Bytes of inline data `i_block` holds.
pub const I_BLOCK_BYTES: usize = 60;
/// Bytes at the start of an inline directory's `i_block` naming its parent.
pub const PARENT_BYTES: usize = 4;

/// The inline data of one inode, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineData {
    pub i_block: [u8; 60],
    /// The value of `system.data` and where it lies in the inode slot; `None` when the inode
    /// has no such attribute (or its attribute table is damaged).
    pub attr: Option<(Range<usize>, Vec<u8>)>,
}

impl InlineData {
    /// The inline data of `node`, read from its slot.
    pub fn of(slot: &[u8], node: &Inode) -> Self {
        let attr = xattr::find_in_inode(slot, node.f.i_extra_isize, xattr::INLINE_DATA_INDEX, xattr::INLINE_DATA_NAME)
            .and_then(|r| slot.get(r.clone()).map(|v| (r, v.to_vec())));
        InlineData { i_block: node.f.i_block, attr }
    }

    /// The value of `system.data` (empty when it is missing).
    pub fn attr_value(&self) -> &[u8] {
        self.attr.as_ref().map_or(&[][..], |(_, v)| v)
    }

    /// Bytes of inline data the inode can hold: 60 and the attribute's value.
    pub fn capacity(&self) -> u64 {
        (I_BLOCK_BYTES + self.attr_value().len()) as u64
    }

    /// The parent of an inline directory (its first 4 bytes).
    pub fn parent(&self) -> u32 {
        le::u32(&self.i_block, 0)
    }

    /// The two runs of entries of an inline directory: `i_block` past the parent, then the
    /// attribute's value (empty when there is none).
    pub fn dir_regions(&self) -> [&[u8]; 2] {
        [&self.i_block[PARENT_BYTES..], self.attr_value()]
    }
}

/// The entries of one run of an inline directory, with their offsets in it, up to the first
/// damaged one: `Err((offset, error))` gives what was read before it.
pub fn region_entries(region: &[u8], bs: u32) -> std::result::Result<Vec<(usize, DirEntry<'_>)>, RegionError<'_>> {
    let mut out = Vec::new();
    let mut off = 0;
    // Every entry is at least 8 bytes long: the walk is bounded by the region.
    while off < region.len() {
        match dirent::parse_at(region, off, bs) {
            Ok(e) => {
                off += e.rec_len as usize;
                out.push((off - e.rec_len as usize, e));
            }
            Err(error) => return Err(RegionError { good: out, at: off, error }),
        }
    }
    Ok(out)
}

/// A run of inline entries that cannot be walked to its end.
#[derive(Debug)]
pub struct RegionError<'a> {
    /// The entries before the damage.
    pub good: Vec<(usize, DirEntry<'a>)>,
    /// Offset of the damaged entry.
    pub at: usize,
    pub error: Error,
}

/// The error of a write that would change inline data, which e4dax does not write.
pub fn unsupported(what: &str, action: &str) -> Error {
    Error::Unsupported(format!("{what}: {action} (its data is inline, inline_data: e4dax does not write inline data)"))
}

impl<D: Device> Fs<D> {
    /// The inline data of inode `ino` (`node`, which has `INLINE_DATA_FL`).
    pub fn inline_data(&self, ino: u32, node: &Inode) -> Result<InlineData> {
        Ok(InlineData::of(&self.inode_slot(ino)?, node))
    }

    /// Bytes `[off, off + len)` of inline inode `ino`, up to `i_size` and never past the
    /// inline data there is. (debugfs `cat` and `dump` give all the inline data there is,
    /// whatever `i_size` says; the kernel reads `i_size` bytes, zeros past the inline data.)
    pub fn inline_file_bytes(&self, ino: u32, node: &Inode, off: u64, len: u64) -> Result<Vec<u8>> {
        let d = self.inline_data(ino, node)?;
        let end = off.saturating_add(len).min(node.size()).min(d.capacity());
        if off >= end {
            return Ok(Vec::new());
        }
        let mut all = d.i_block.to_vec();
        all.extend_from_slice(d.attr_value());
        // Both bounds are at most the capacity, the length of `all`.
        Ok(all[off as usize..end as usize].to_vec())
    }

    /// The entries of inline directory `ino` as debugfs lists them: `.` and `..` (made up: an
    /// inline directory stores only its parent's number), then the live entries of `i_block`
    /// and of `system.data`. A damaged run ends at the damage.
    pub fn inline_dir_entries(&self, ino: u32, node: &Inode) -> Result<Vec<Entry>> {
        let d = self.inline_data(ino, node)?;
        let made =
            |name: &str, inode| Entry { name: name.into(), raw_name: name.as_bytes().to_vec(), inode, file_type: 0 };
        let mut out = vec![made(".", ino), made("..", d.parent())];
        let bs = self.block_size();
        for region in d.dir_regions() {
            let entries = match region_entries(region, bs) {
                Ok(v) => v,
                Err(RegionError { good, .. }) => good,
            };
            out.extend(entries.into_iter().filter(|(_, e)| e.inode != 0).map(|(_, e)| Entry {
                name: String::from_utf8_lossy(e.name).into_owned(),
                raw_name: e.name.to_vec(),
                inode: e.inode,
                file_type: e.file_type,
            }));
        }
        Ok(out)
    }
}

/// Whether `node` keeps its data inline.
pub fn is_inline(node: &Inode) -> bool {
    node.has_flag(FL_INLINE_DATA)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_stop_at_damage_and_never_panic() {
        let mut r = vec![0u8; 56];
        dirent::write_at(&mut r, 0, 14, 12, 1, b"a", 4096).unwrap();
        dirent::write_at(&mut r, 12, 15, 44, 1, b"b", 4096).unwrap();
        let v = region_entries(&r, 4096).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!((v[1].0, v[1].1.name), (12, &b"b"[..]));
        // A rec_len past the region: the first entry is kept, the damage located.
        le::put16(&mut r, 16, 200);
        let e = region_entries(&r, 4096).unwrap_err();
        assert_eq!((e.good.len(), e.at), (1, 12));
        for len in [0usize, 1, 7, 8] {
            let _ = region_entries(&vec![0xffu8; len], 4096);
        }
    }
}
