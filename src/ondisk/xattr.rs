//! Extended attributes: the entries after an inode's extra fields (in-inode) and in an
//! attribute block (`i_file_acl`). Parsing is bounds-checked: a damaged table ends the list.

use super::le;

/// Magic of an in-inode attribute area and of an attribute block.
pub const MAGIC: u32 = 0xEA02_0000;
/// Size of an attribute block's header.
pub const BLOCK_HEADER: usize = 32;
/// Size of an entry before its name.
pub const ENTRY_HEADER: usize = 16;
/// Offsets in an attribute block's header: references, blocks, hash, checksum.
pub const H_REFCOUNT: usize = 4;
pub const H_BLOCKS: usize = 8;
pub const H_HASH: usize = 12;
pub const H_CHECKSUM: usize = 16;

/// One extended attribute.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Xattr {
    /// The full name, prefix included (`user.comment`).
    pub name: String,
    /// The value (empty when it lives in another inode, `ea_inode`).
    #[serde(skip)]
    pub value: Vec<u8>,
    /// The inode holding the value (`ea_inode`), else 0.
    pub value_inode: u32,
    /// Where it is stored: "inode" or "block".
    pub place: &'static str,
}

/// The prefix of a name index (`e_name_index`).
pub fn prefix(index: u8) -> &'static str {
    match index {
        1 => "user.",
        2 => "system.posix_acl_access",
        3 => "system.posix_acl_default",
        4 => "trusted.",
        6 => "security.",
        7 => "system.",
        8 => "system.richacl",
        _ => "",
    }
}

/// Entries starting at `entries` in `area`; values at `value_base + e_value_offs`.
fn entries(area: &[u8], entries: usize, value_base: usize, place: &'static str) -> Vec<Xattr> {
    let mut out = Vec::new();
    let mut off = entries;
    // Each entry is at least 16 bytes: the walk is bounded by the area.
    while off + ENTRY_HEADER <= area.len() {
        if le::u32(area, off) == 0 {
            break; // the terminating zero word
        }
        let name_len = usize::from(area[off]);
        let index = area[off + 1];
        let value_offs = usize::from(le::u16(area, off + 2));
        let value_inode = le::u32(area, off + 4);
        let value_size = le::u32(area, off + 8) as usize;
        let Some(name) = area.get(off + ENTRY_HEADER..off + ENTRY_HEADER + name_len) else { break };
        let value = if value_inode != 0 {
            Vec::new()
        } else {
            match area.get(value_base + value_offs..(value_base + value_offs).saturating_add(value_size)) {
                Some(v) => v.to_vec(),
                None => break,
            }
        };
        out.push(Xattr {
            name: format!("{}{}", prefix(index), String::from_utf8_lossy(name)),
            value,
            value_inode,
            place,
        });
        off += (ENTRY_HEADER + name_len).next_multiple_of(4);
    }
    out
}

/// The attributes stored in an inode slot (`s_inode_size` bytes) after its extra fields.
pub fn in_inode(slot: &[u8], extra_isize: u16) -> Vec<Xattr> {
    let start = super::inode::GOOD_OLD_SIZE + usize::from(extra_isize);
    if slot.len() < start + 4 || le::u32(slot, start) != MAGIC {
        return Vec::new();
    }
    let area = &slot[start + 4..];
    entries(area, 0, 0, "inode")
}

/// The attributes of an attribute block (empty when its magic is wrong).
pub fn in_block(block: &[u8]) -> Vec<Xattr> {
    if block.len() < BLOCK_HEADER || le::u32(block, 0) != MAGIC {
        return Vec::new();
    }
    entries(block, BLOCK_HEADER, 0, "block")
}

/// Name index (`system.`) and name of the attribute holding the part of an inode's inline data
/// past its `i_block` (`system.data`).
pub const INLINE_DATA_INDEX: u8 = 7;
pub const INLINE_DATA_NAME: &[u8] = b"data";

/// Where the value of the in-inode attribute `index`/`name` lies in the inode slot (a range of
/// `slot`), when the attribute area has its magic, the table can be walked to the entry and the
/// value lies inside the slot; `None` otherwise (missing, or a table that cannot be walked). A value kept in another
/// inode (`ea_inode`) is not in the slot: `None`.
pub fn find_in_inode(slot: &[u8], extra_isize: u16, index: u8, name: &[u8]) -> Option<std::ops::Range<usize>> {
    let start = (super::inode::GOOD_OLD_SIZE + usize::from(extra_isize)).checked_add(4)?;
    if slot.len() < start || le::u32(slot, start - 4) != MAGIC {
        return None;
    }
    let area = &slot[start..];
    // A damaged table holds no attribute (as e2fsck's look-up of `system.data` fails).
    let entries = raw_entries(area, 0).ok()?;
    let e = entries.iter().find(|e| {
        e.name_index == index
            && usize::from(e.name_len) == name.len()
            && area.get(e.at + ENTRY_HEADER..e.at + ENTRY_HEADER + name.len()) == Some(name)
    })?;
    if e.value_inum != 0 {
        return None;
    }
    let from = usize::from(e.value_offs);
    let to = from.checked_add(e.value_size as usize)?;
    (to <= area.len()).then(|| start + from..start + to)
}

/// One entry of an attribute table as stored (what a checker looks at).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawEntry {
    /// Offset of the entry in its area.
    pub at: usize,
    pub name_len: u8,
    pub name_index: u8,
    pub value_offs: u16,
    pub value_inum: u32,
    pub value_size: u32,
    pub hash: u32,
}

impl RawEntry {
    /// Bytes the entry takes in the table (header and name, padded to 4).
    pub fn table_len(&self) -> usize {
        (ENTRY_HEADER + usize::from(self.name_len)).next_multiple_of(4)
    }
}

/// Why an attribute table could not be walked to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableError {
    /// An entry (or its name) runs past the area, or the table has no terminating zero word.
    EntryPastEnd { at: usize },
}

/// The entries of a table starting at `start` in `area`, up to the terminating zero word.
/// Bounded by the area: every entry takes at least 16 bytes.
pub fn raw_entries(area: &[u8], start: usize) -> std::result::Result<Vec<RawEntry>, TableError> {
    let mut out = Vec::new();
    let mut off = start;
    loop {
        if off + 4 > area.len() {
            return Err(TableError::EntryPastEnd { at: off });
        }
        if le::u32(area, off) == 0 {
            return Ok(out);
        }
        if off + ENTRY_HEADER > area.len() {
            return Err(TableError::EntryPastEnd { at: off });
        }
        let e = RawEntry {
            at: off,
            name_len: area[off],
            name_index: area[off + 1],
            value_offs: le::u16(area, off + 2),
            value_inum: le::u32(area, off + 4),
            value_size: le::u32(area, off + 8),
            hash: le::u32(area, off + 12),
        };
        if off + ENTRY_HEADER + usize::from(e.name_len) > area.len() {
            return Err(TableError::EntryPastEnd { at: off });
        }
        off += e.table_len();
        out.push(e);
    }
}

/// The hash of an entry (`ext4_xattr_hash_entry`): its name, then its value in 32-bit
/// little-endian words (padded with zeros to 4 bytes) unless the value lives in an inode.
/// `signed` hashes the name's bytes as signed chars, as some older kernels and e2fsprogs did
/// (both hashes are accepted by e2fsck).
pub fn entry_hash(name: &[u8], value: Option<&[u8]>, signed: bool) -> u32 {
    let mut h: u32 = 0;
    for &c in name {
        let c = if signed { c as i8 as i32 as u32 } else { u32::from(c) };
        h = (h << 5) ^ (h >> 27) ^ c;
    }
    if let Some(v) = value {
        for chunk in v.chunks(4) {
            let mut w = [0u8; 4];
            w[..chunk.len()].copy_from_slice(chunk);
            h = (h << 16) ^ (h >> 16) ^ u32::from_le_bytes(w);
        }
    }
    h
}

/// The checksum of attribute block `blk` (`metadata_csum`): crc32c from the file system's seed
/// over the block number (64-bit little-endian), then the block with `h_checksum` taken as 0.
pub fn block_checksum(block: &[u8], fs_seed: u32, blk: u64) -> u32 {
    use super::checksum::crc32c_raw;
    let s = crc32c_raw(fs_seed, &blk.to_le_bytes());
    let s = crc32c_raw(s, &block[..H_CHECKSUM]);
    let s = crc32c_raw(s, &[0u8; 4]);
    crc32c_raw(s, &block[H_CHECKSUM + 4..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_tables_end_the_list() {
        let mut slot = vec![0u8; 256];
        le::put32(&mut slot, 160, MAGIC);
        // name_len 3, index 1 (user.), value at 64, size 5
        slot[164] = 3;
        slot[165] = 1;
        le::put16(&mut slot, 166, 64);
        le::put32(&mut slot, 172, 5);
        slot[180..183].copy_from_slice(b"abc");
        slot[164 + 64..164 + 69].copy_from_slice(b"hello");
        let x = in_inode(&slot, 32);
        assert_eq!(x.len(), 1);
        assert_eq!(x[0].name, "user.abc");
        assert_eq!(x[0].value, b"hello");
        // A value past the end: the list ends there, nothing panics.
        le::put32(&mut slot, 172, 5000);
        assert!(in_inode(&slot, 32).is_empty());
        assert!(in_block(&[0u8; 8]).is_empty());
    }

    #[test]
    fn system_data_is_found_in_the_slot_or_not_at_all() {
        let mut slot = vec![0u8; 256];
        le::put32(&mut slot, 160, MAGIC);
        // system.data (index 7, "data"), 8 bytes at value offset 40.
        slot[164] = 4;
        slot[165] = INLINE_DATA_INDEX;
        le::put16(&mut slot, 166, 40);
        le::put32(&mut slot, 172, 8);
        slot[180..184].copy_from_slice(b"data");
        let r = find_in_inode(&slot, 32, INLINE_DATA_INDEX, INLINE_DATA_NAME).unwrap();
        assert_eq!(r, 204..212);
        assert_eq!(find_in_inode(&slot, 32, 1, INLINE_DATA_NAME), None);
        // A value past the slot, a table without its end, an extra size past the slot.
        le::put32(&mut slot, 172, 500);
        assert_eq!(find_in_inode(&slot, 32, INLINE_DATA_INDEX, INLINE_DATA_NAME), None);
        le::put32(&mut slot, 172, 8);
        slot[184..].fill(0xff);
        assert_eq!(find_in_inode(&slot, 32, INLINE_DATA_INDEX, INLINE_DATA_NAME), None);
        assert_eq!(find_in_inode(&slot, u16::MAX, INLINE_DATA_INDEX, INLINE_DATA_NAME), None);
        assert_eq!(find_in_inode(&slot[..100], 32, INLINE_DATA_INDEX, INLINE_DATA_NAME), None);
    }
}
