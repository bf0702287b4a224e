//! Extent tree nodes: a 12-byte header followed by 12-byte entries (index entries in interior
//! nodes, extents in leaves); a node in its own block ends with a 4-byte checksum tail right
//! after `eh_max` entries. The root lives in the inode's 60-byte `i_block`. Little-endian.

use super::checksum::crc32c_raw;
use super::{le, lohi};
use crate::error::{Error, Result};

pub const MAGIC: u16 = 0xF30A;
pub const HEADER_SIZE: usize = 12;
pub const ENTRY_SIZE: usize = 12;
pub const TAIL_SIZE: usize = 4;
/// The kernel refuses trees deeper than this.
pub const MAX_DEPTH: u16 = 5;
/// Longest initialized (written) extent.
pub const MAX_LEN_WRITTEN: u32 = 32768;
/// Longest unwritten extent (lengths above 32768 encode "unwritten").
pub const MAX_LEN_UNWRITTEN: u32 = 32767;
/// Size of `i_block`, where the root node lives.
pub const ROOT_SIZE: usize = 60;
/// Entries that fit in the root node.
pub const ROOT_CAPACITY: u16 = ((ROOT_SIZE - HEADER_SIZE) / ENTRY_SIZE) as u16;

/// Entries that fit in a node block of `block_size` bytes (leaving room for the tail).
pub const fn block_capacity(block_size: u32) -> u16 {
    ((block_size as usize - HEADER_SIZE - TAIL_SIZE) / ENTRY_SIZE) as u16
}

/// `struct ext4_extent_header`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub entries: u16,
    pub max: u16,
    pub depth: u16,
    pub generation: u32,
}

impl Header {
    /// Parse and validate a node header; `capacity` is how many entries fit where the node is.
    pub fn parse(b: &[u8], capacity: u16) -> Result<Header> {
        if b.len() < HEADER_SIZE {
            return Err(Error::corrupt("extent header", format!("node of {} bytes", b.len())));
        }
        let magic = le::u16(b, 0);
        if magic != MAGIC {
            return Err(Error::corrupt("extent header", format!("magic {magic:#06x}, expected {MAGIC:#06x}")));
        }
        let h = Header { entries: le::u16(b, 2), max: le::u16(b, 4), depth: le::u16(b, 6), generation: le::u32(b, 8) };
        if h.max == 0 || h.max > capacity {
            return Err(Error::corrupt("extent header", format!("eh_max {} (expected 1 to {capacity})", h.max)));
        }
        if h.entries > h.max {
            return Err(Error::corrupt("extent header", format!("eh_entries {} exceeds eh_max {}", h.entries, h.max)));
        }
        if h.depth > MAX_DEPTH {
            return Err(Error::corrupt("extent header", format!("eh_depth {} exceeds {MAX_DEPTH}", h.depth)));
        }
        Ok(h)
    }

    pub fn encode_into(&self, b: &mut [u8]) {
        le::put16(b, 0, MAGIC);
        le::put16(b, 2, self.entries);
        le::put16(b, 4, self.max);
        le::put16(b, 6, self.depth);
        le::put32(b, 8, self.generation);
    }
}

/// A leaf entry (`struct ext4_extent`), decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Extent {
    /// First logical block.
    pub logical: u32,
    /// Number of blocks (1 to 32768; at most 32767 when unwritten).
    pub len: u32,
    /// First physical block.
    pub physical: u64,
    pub unwritten: bool,
}

impl Extent {
    pub fn parse(b: &[u8]) -> Extent {
        let raw_len = u32::from(le::u16(b, 4));
        let (len, unwritten) =
            if raw_len > MAX_LEN_WRITTEN { (raw_len - MAX_LEN_WRITTEN, true) } else { (raw_len, false) };
        Extent { logical: le::u32(b, 0), len, physical: lohi(le::u32(b, 8), u32::from(le::u16(b, 6))), unwritten }
    }

    /// Encode; the length must be valid for the kind (a programming error otherwise).
    pub fn encode_into(&self, b: &mut [u8]) {
        assert!(self.len >= 1 && self.len <= if self.unwritten { MAX_LEN_UNWRITTEN } else { MAX_LEN_WRITTEN });
        let raw_len = if self.unwritten { self.len + MAX_LEN_WRITTEN } else { self.len };
        le::put32(b, 0, self.logical);
        le::put16(b, 4, raw_len as u16);
        le::put16(b, 6, (self.physical >> 32) as u16);
        le::put32(b, 8, self.physical as u32);
    }

    /// One past the last logical block (u64: cannot overflow).
    pub fn logical_end(&self) -> u64 {
        u64::from(self.logical) + u64::from(self.len)
    }
}

/// An index entry (`struct ext4_extent_idx`), decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Index {
    /// First logical block covered by the child.
    pub logical: u32,
    /// Block holding the child node.
    pub child: u64,
}

impl Index {
    pub fn parse(b: &[u8]) -> Index {
        Index { logical: le::u32(b, 0), child: lohi(le::u32(b, 4), u32::from(le::u16(b, 8))) }
    }
    pub fn encode_into(&self, b: &mut [u8]) {
        le::put32(b, 0, self.logical);
        le::put32(b, 4, self.child as u32);
        le::put16(b, 8, (self.child >> 32) as u16);
        le::put16(b, 10, 0);
    }
}

/// Byte offset of entry `i` in a node.
pub const fn entry_offset(i: usize) -> usize {
    HEADER_SIZE + i * ENTRY_SIZE
}

/// Offset of the checksum tail in a node block whose header says `max` entries.
pub fn tail_offset(max: u16) -> usize {
    entry_offset(usize::from(max))
}

/// Checksum of a node block: crc32c from the inode's seed over the bytes before the tail.
pub fn block_checksum(block: &[u8], inode_seed: u32, max: u16) -> u32 {
    crc32c_raw(inode_seed, &block[..tail_offset(max).min(block.len())])
}

/// Whether a node block's tail matches its contents.
pub fn block_checksum_ok(block: &[u8], inode_seed: u32, max: u16) -> bool {
    let t = tail_offset(max);
    t + TAIL_SIZE <= block.len() && le::u32(block, t) == block_checksum(block, inode_seed, max)
}

/// Write the tail of a node block.
pub fn set_block_checksum(block: &mut [u8], inode_seed: u32, max: u16) {
    let t = tail_offset(max);
    let c = block_checksum(block, inode_seed, max);
    le::put32(block, t, c);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extent_round_trip_and_unwritten_encoding() {
        for e in [
            Extent { logical: 0, len: 1, physical: 4241, unwritten: false },
            Extent { logical: 7, len: 32768, physical: 0xFFFF_0000_1234, unwritten: false },
            Extent { logical: 9, len: 32767, physical: 5, unwritten: true },
            Extent { logical: 9, len: 1, physical: 5, unwritten: true },
        ] {
            let mut b = [0u8; 12];
            e.encode_into(&mut b);
            assert_eq!(Extent::parse(&b), e);
        }
        let mut b = [0u8; 12];
        Extent { logical: 0, len: 1, physical: 0, unwritten: true }.encode_into(&mut b);
        assert_eq!(le::u16(&b, 4), 32769);
    }

    #[test]
    fn header_validation() {
        let mut b = [0u8; 12];
        Header { entries: 1, max: 4, depth: 0, generation: 0 }.encode_into(&mut b);
        assert!(Header::parse(&b, ROOT_CAPACITY).is_ok());
        Header { entries: 5, max: 4, depth: 0, generation: 0 }.encode_into(&mut b);
        assert!(Header::parse(&b, ROOT_CAPACITY).is_err());
        Header { entries: 1, max: 5, depth: 0, generation: 0 }.encode_into(&mut b);
        assert!(Header::parse(&b, ROOT_CAPACITY).is_err());
        Header { entries: 1, max: 4, depth: 6, generation: 0 }.encode_into(&mut b);
        assert!(Header::parse(&b, ROOT_CAPACITY).is_err());
        b[0] = 0;
        assert!(Header::parse(&b, ROOT_CAPACITY).is_err());
        assert_eq!(block_capacity(4096), 340);
    }

    #[test]
    fn index_round_trip() {
        let i = Index { logical: 100, child: 0x1_0000_0002 };
        let mut b = [0u8; 12];
        i.encode_into(&mut b);
        assert_eq!(Index::parse(&b), i);
    }
}
