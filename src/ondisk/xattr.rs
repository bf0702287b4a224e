//! Extended attributes: the entries after an inode's extra fields (in-inode) and in an
//! attribute block (`i_file_acl`). Parsing is bounds-checked: a damaged table ends the list.

use super::le;

/// Magic of an in-inode attribute area and of an attribute block.
pub const MAGIC: u32 = 0xEA02_0000;
/// Size of an attribute block's header.
const BLOCK_HEADER: usize = 32;
/// Size of an entry before its name.
const ENTRY_HEADER: usize = 16;

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
}
