//! The log blocks of jbd2 (big-endian): the common header, descriptor blocks with their tags,
//! commit blocks and revoke blocks, each with its crc32c checksum (csum v2/v3), all seeded with
//! the journal's seed `crc32c(!0, s_uuid)`.

use super::super::be;
use super::super::checksum::crc32c_raw;
use super::{BLOCKTYPE_COMMIT, BLOCKTYPE_DESCRIPTOR, BLOCKTYPE_REVOKE, MAGIC};

/// Size of the block header (`journal_header_t`).
pub const HEADER_SIZE: usize = 12;
/// Size of the checksum tail of descriptor and revoke blocks.
pub const TAIL_SIZE: usize = 4;
/// Size of a csum-v3 tag (`journal_block_tag3_t`).
pub const TAG3_SIZE: usize = 16;
/// Bytes of UUID after a tag without `SAME_UUID`.
pub const UUID_SIZE: usize = 16;
/// Header of a revoke block: the block header and `r_count`.
pub const REVOKE_HEADER_SIZE: usize = 16;

/// Tag flags.
pub const FLAG_ESCAPE: u32 = 1;
pub const FLAG_SAME_UUID: u32 = 2;
pub const FLAG_DELETED: u32 = 4;
pub const FLAG_LAST_TAG: u32 = 8;

/// Offsets in a commit block (`struct commit_header`).
const COMMIT_CHKSUM_TYPE: usize = 12;
const COMMIT_CHKSUM_SIZE: usize = 13;
const COMMIT_CHKSUM0: usize = 16;
const COMMIT_SEC: usize = 48;
const COMMIT_NSEC: usize = 56;

/// The block header of any log block: magic, type and the transaction's sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub blocktype: u32,
    pub sequence: u32,
}

impl Header {
    /// The header, if the block starts with the jbd2 magic.
    pub fn parse(b: &[u8]) -> Option<Header> {
        if b.len() < HEADER_SIZE || be::u32(b, 0) != MAGIC {
            return None;
        }
        Some(Header { blocktype: be::u32(b, 4), sequence: be::u32(b, 8) })
    }
    pub fn encode_into(&self, b: &mut [u8]) {
        be::put32(b, 0, MAGIC);
        be::put32(b, 4, self.blocktype);
        be::put32(b, 8, self.sequence);
    }
}

/// One tag of a descriptor block: where a logged block goes home.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tag {
    pub blocknr: u64,
    pub flags: u32,
    pub checksum: u32,
}

/// Geometry of tags for a journal's features.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagFormat {
    pub csum_v3: bool,
    pub csum_v2: bool,
    pub bit64: bool,
}

impl TagFormat {
    /// Bytes of one tag (`journal_tag_bytes`).
    pub fn tag_bytes(&self) -> usize {
        if self.csum_v3 {
            return TAG3_SIZE;
        }
        let mut sz = 12;
        if self.csum_v2 {
            sz += 2;
        }
        if self.bit64 {
            sz
        } else {
            sz - 4
        }
    }

    pub fn has_csum(&self) -> bool {
        self.csum_v2 || self.csum_v3
    }

    /// Decode the tag at `off`.
    pub fn parse_tag(&self, b: &[u8], off: usize) -> Tag {
        if self.csum_v3 {
            let lo = be::u32(b, off);
            let flags = be::u32(b, off + 4);
            let hi = if self.bit64 { be::u32(b, off + 8) } else { 0 };
            Tag { blocknr: u64::from(lo) | (u64::from(hi) << 32), flags, checksum: be::u32(b, off + 12) }
        } else {
            let lo = be::u32(b, off);
            let checksum = u32::from(u16::from_be_bytes([b[off + 4], b[off + 5]]));
            let flags = u32::from(u16::from_be_bytes([b[off + 6], b[off + 7]]));
            let hi = if self.bit64 { be::u32(b, off + 8) } else { 0 };
            Tag { blocknr: u64::from(lo) | (u64::from(hi) << 32), flags, checksum }
        }
    }

    /// Encode a tag at `off` in this format, writing exactly [`tag_bytes`](Self::tag_bytes)
    /// bytes: `journal_block_tag3_t` with csum v3, else `journal_block_tag_t` (a 16-bit
    /// checksum, the low half of the crc32c, with csum v2; the high block number with 64bit).
    pub fn write_tag(&self, b: &mut [u8], off: usize, t: &Tag) {
        if self.csum_v3 {
            be::put32(b, off, t.blocknr as u32);
            be::put32(b, off + 4, t.flags);
            be::put32(b, off + 8, if self.bit64 { (t.blocknr >> 32) as u32 } else { 0 });
            be::put32(b, off + 12, t.checksum);
            return;
        }
        be::put32(b, off, t.blocknr as u32);
        let csum = if self.csum_v2 { t.checksum as u16 } else { 0 };
        b[off + 4..off + 6].copy_from_slice(&csum.to_be_bytes());
        b[off + 6..off + 8].copy_from_slice(&(t.flags as u16).to_be_bytes());
        if self.bit64 {
            be::put32(b, off + 8, (t.blocknr >> 32) as u32);
        }
    }
}

/// Checksum of a logged block as its tag stores it: from the journal seed over the sequence
/// (be32) and the block as it stands in the log. v2 keeps the low 16 bits.
pub fn tag_checksum(seed: u32, sequence: u32, data: &[u8]) -> u32 {
    let c = crc32c_raw(seed, &sequence.to_be_bytes());
    crc32c_raw(c, data)
}

/// Checksum of a descriptor or revoke block (its 4-byte tail treated as zero).
pub fn tail_checksum(seed: u32, block: &[u8]) -> u32 {
    let t = block.len() - TAIL_SIZE;
    let c = crc32c_raw(seed, &block[..t]);
    crc32c_raw(c, &[0u8; TAIL_SIZE])
}

pub fn tail_checksum_ok(seed: u32, block: &[u8]) -> bool {
    be::u32(block, block.len() - TAIL_SIZE) == tail_checksum(seed, block)
}

pub fn set_tail_checksum(seed: u32, block: &mut [u8]) {
    let c = tail_checksum(seed, block);
    let t = block.len() - TAIL_SIZE;
    be::put32(block, t, c);
}

/// Checksum of a commit block: the whole block with `h_chksum[0]` treated as zero.
pub fn commit_checksum(seed: u32, block: &[u8]) -> u32 {
    let c = crc32c_raw(seed, &block[..COMMIT_CHKSUM0]);
    let c = crc32c_raw(c, &[0u8; 4]);
    crc32c_raw(c, &block[COMMIT_CHKSUM0 + 4..])
}

pub fn commit_checksum_ok(seed: u32, block: &[u8]) -> bool {
    be::u32(block, COMMIT_CHKSUM0) == commit_checksum(seed, block)
}

/// The stored commit checksum.
pub fn commit_stored_checksum(block: &[u8]) -> u32 {
    be::u32(block, COMMIT_CHKSUM0)
}

/// The commit time stored in a commit block (seconds, nanoseconds).
pub fn commit_time(block: &[u8]) -> (u64, u32) {
    let hi = u64::from(be::u32(block, COMMIT_SEC));
    let lo = u64::from(be::u32(block, COMMIT_SEC + 4));
    ((hi << 32) | lo, be::u32(block, COMMIT_NSEC))
}

/// Fill `b` (a whole block) as the commit block of transaction `sequence` (csum v2/v3: the
/// checksum type and size fields are left zero, as jbd2 writes them).
pub fn write_commit(b: &mut [u8], seed: Option<u32>, sequence: u32, sec: u64) {
    b.fill(0);
    Header { blocktype: BLOCKTYPE_COMMIT, sequence }.encode_into(b);
    b[COMMIT_CHKSUM_TYPE] = 0;
    b[COMMIT_CHKSUM_SIZE] = 0;
    be::put32(b, COMMIT_SEC, (sec >> 32) as u32);
    be::put32(b, COMMIT_SEC + 4, sec as u32);
    be::put32(b, COMMIT_NSEC, 0);
    if let Some(seed) = seed {
        let c = commit_checksum(seed, b);
        be::put32(b, COMMIT_CHKSUM0, c);
    }
}

/// Start a descriptor block for transaction `sequence`.
pub fn init_descriptor(b: &mut [u8], sequence: u32) {
    b.fill(0);
    Header { blocktype: BLOCKTYPE_DESCRIPTOR, sequence }.encode_into(b);
}

/// Start a revoke block; records follow at [`REVOKE_HEADER_SIZE`].
pub fn init_revoke(b: &mut [u8], sequence: u32) {
    b.fill(0);
    Header { blocktype: BLOCKTYPE_REVOKE, sequence }.encode_into(b);
}

/// `r_count` of a revoke block: bytes used, header included.
pub fn revoke_count(b: &[u8]) -> u32 {
    be::u32(b, HEADER_SIZE)
}

pub fn set_revoke_count(b: &mut [u8], n: u32) {
    be::put32(b, HEADER_SIZE, n);
}

/// The revoked block numbers of a revoke block (records of 8 bytes with 64-bit, else 4),
/// bounded by the block.
pub fn revoke_records(b: &[u8], bit64: bool, csum: bool) -> impl Iterator<Item = u64> + '_ {
    let rec = if bit64 { 8 } else { 4 };
    let limit = b.len() - if csum { TAIL_SIZE } else { 0 };
    let count = (revoke_count(b) as usize).min(limit);
    (REVOKE_HEADER_SIZE..count).step_by(rec).filter(move |o| o + rec <= count).map(move |o| {
        if bit64 {
            (u64::from(be::u32(b, o)) << 32) | u64::from(be::u32(b, o + 4))
        } else {
            u64::from(be::u32(b, o))
        }
    })
}

/// Append a revoke record at byte `off`; returns the next offset.
pub fn put_revoke_record(b: &mut [u8], off: usize, blk: u64, bit64: bool) -> usize {
    if bit64 {
        be::put32(b, off, (blk >> 32) as u32);
        be::put32(b, off + 4, blk as u32);
        off + 8
    } else {
        be::put32(b, off, blk as u32);
        off + 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_round_trip() {
        let mut b = vec![0u8; 4096];
        write_commit(&mut b, Some(0x1234), 7, 1_700_000_000);
        assert_eq!(Header::parse(&b), Some(Header { blocktype: BLOCKTYPE_COMMIT, sequence: 7 }));
        assert!(commit_checksum_ok(0x1234, &b));
        assert_eq!(commit_time(&b).0, 1_700_000_000);
        b[100] ^= 1;
        assert!(!commit_checksum_ok(0x1234, &b));
    }

    #[test]
    fn tags_and_revokes() {
        let f = TagFormat { csum_v3: true, csum_v2: false, bit64: true };
        assert_eq!(f.tag_bytes(), 16);
        let mut b = vec![0u8; 4096];
        init_descriptor(&mut b, 3);
        let t = Tag { blocknr: 0x1_0000_0005, flags: FLAG_LAST_TAG, checksum: 99 };
        f.write_tag(&mut b, HEADER_SIZE, &t);
        assert_eq!(f.parse_tag(&b, HEADER_SIZE), t);
        set_tail_checksum(5, &mut b);
        assert!(tail_checksum_ok(5, &b));

        init_revoke(&mut b, 3);
        let mut off = REVOKE_HEADER_SIZE;
        for blk in [10u64, 0x2_0000_0000] {
            off = put_revoke_record(&mut b, off, blk, true);
        }
        set_revoke_count(&mut b, off as u32);
        assert_eq!(revoke_records(&b, true, true).collect::<Vec<_>>(), vec![10, 0x2_0000_0000]);
        // A lying r_count is bounded by the block.
        set_revoke_count(&mut b, u32::MAX);
        assert!(revoke_records(&b, true, true).count() <= (4096 - 20) / 8);
    }

    #[test]
    fn old_tag_formats() {
        let f = TagFormat { csum_v3: false, csum_v2: false, bit64: false };
        assert_eq!(f.tag_bytes(), 8);
        let f = TagFormat { csum_v3: false, csum_v2: true, bit64: true };
        assert_eq!(f.tag_bytes(), 14);
    }

    /// Every format round-trips, and a tag writes only its own bytes: the last slot of a
    /// descriptor ends at the block's end (a journal without csum v3 once got 16-byte tags in
    /// 8-byte slots, past the end of a full descriptor).
    #[test]
    fn tags_of_every_format_fill_only_their_slot() {
        for csum_v3 in [false, true] {
            for csum_v2 in [false, true] {
                for bit64 in [false, true] {
                    let f = TagFormat { csum_v3, csum_v2: csum_v2 && !csum_v3, bit64 };
                    let n = f.tag_bytes();
                    let mut b = vec![0xAAu8; 64];
                    let at = b.len() - n;
                    let blocknr = if bit64 { 0x2_0000_0007 } else { 7 };
                    let checksum = if f.csum_v3 {
                        0xDEAD_BEEF
                    } else if f.csum_v2 {
                        0xBEEF
                    } else {
                        0
                    };
                    let t = Tag { blocknr, flags: FLAG_LAST_TAG | FLAG_SAME_UUID, checksum };
                    f.write_tag(&mut b, at, &t);
                    assert_eq!(f.parse_tag(&b, at), t, "{f:?}");
                    assert!(b[..at].iter().all(|&x| x == 0xAA), "{f:?}: wrote before its slot");
                }
            }
        }
    }
}
