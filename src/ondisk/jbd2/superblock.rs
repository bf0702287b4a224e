//! The jbd2 superblock (`journal_superblock_t`): the first block of the journal; the structure
//! is 1024 bytes, all fields big-endian.

use super::super::be;
use super::super::checksum::crc32c_raw;
use super::super::features::jbd2 as feat;
use super::{BLOCKTYPE_SUPERBLOCK_V1, BLOCKTYPE_SUPERBLOCK_V2, CHECKSUM_CRC32C, MAGIC};
use crate::error::{Error, Result};

pub const SIZE: usize = 1024;
const CHECKSUM_OFFSET: usize = 0xFC;

/// A decoded journal superblock. Fields not decoded are kept in `raw`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalSuperblock {
    pub blocktype: u32,
    pub block_size: u32,
    /// Total blocks in the journal (`s_maxlen`).
    pub maxlen: u32,
    /// First usable log block (`s_first`).
    pub first: u32,
    /// First commit ID expected in the log (`s_sequence`).
    pub sequence: u32,
    /// Block number of the start of the log; 0 means the log is empty (`s_start`).
    pub start: u32,
    pub errno: i32,
    pub feature_compat: u32,
    pub feature_incompat: u32,
    pub feature_ro_compat: u32,
    pub uuid: [u8; 16],
    pub nr_users: u32,
    pub max_transaction: u32,
    pub max_trans_data: u32,
    pub checksum_type: u8,
    pub num_fc_blocks: u32,
    pub checksum: u32,
    raw: Box<[u8; SIZE]>,
}

impl JournalSuperblock {
    /// A fresh v2 superblock for an empty journal of `maxlen` blocks.
    pub fn new(block_size: u32, maxlen: u32, uuid: [u8; 16], incompat: u32) -> Self {
        JournalSuperblock {
            blocktype: BLOCKTYPE_SUPERBLOCK_V2,
            block_size,
            maxlen,
            first: 1,
            sequence: 1,
            start: 0,
            errno: 0,
            feature_compat: 0,
            feature_incompat: incompat,
            feature_ro_compat: 0,
            uuid,
            nr_users: 1,
            max_transaction: 0,
            max_trans_data: 0,
            checksum_type: if incompat & (feat::INCOMPAT_CSUM_V2 | feat::INCOMPAT_CSUM_V3) != 0 {
                CHECKSUM_CRC32C
            } else {
                0
            },
            num_fc_blocks: 0,
            checksum: 0,
            raw: Box::new([0u8; SIZE]),
        }
    }

    /// Decode and validate (magic, block type, geometry, checksum with csum v2/v3).
    pub fn parse(b: &[u8]) -> Result<Self> {
        if b.len() < SIZE {
            return Err(Error::corrupt("journal superblock", format!("{} bytes", b.len())));
        }
        let magic = be::u32(b, 0);
        if magic != MAGIC {
            return Err(Error::corrupt("journal superblock", format!("magic {magic:#010x}, expected {MAGIC:#010x}")));
        }
        let mut raw = Box::new([0u8; SIZE]);
        raw.copy_from_slice(&b[..SIZE]);
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(&b[0x30..0x40]);
        let sb = JournalSuperblock {
            blocktype: be::u32(b, 4),
            block_size: be::u32(b, 0xC),
            maxlen: be::u32(b, 0x10),
            first: be::u32(b, 0x14),
            sequence: be::u32(b, 0x18),
            start: be::u32(b, 0x1C),
            errno: be::u32(b, 0x20) as i32,
            feature_compat: be::u32(b, 0x24),
            feature_incompat: be::u32(b, 0x28),
            feature_ro_compat: be::u32(b, 0x2C),
            uuid,
            nr_users: be::u32(b, 0x40),
            max_transaction: be::u32(b, 0x48),
            max_trans_data: be::u32(b, 0x4C),
            checksum_type: b[0x50],
            num_fc_blocks: be::u32(b, 0x54),
            checksum: be::u32(b, CHECKSUM_OFFSET),
            raw,
        };
        sb.validate()?;
        Ok(sb)
    }

    fn validate(&self) -> Result<()> {
        let bad = |d: String| Err(Error::corrupt("journal superblock", d));
        if self.blocktype != BLOCKTYPE_SUPERBLOCK_V1 && self.blocktype != BLOCKTYPE_SUPERBLOCK_V2 {
            return bad(format!("block type {} (expected 3 or 4)", self.blocktype));
        }
        if self.blocktype == BLOCKTYPE_SUPERBLOCK_V2 {
            let unknown = self.feature_incompat & !feat::INCOMPAT_KNOWN;
            if unknown != 0 {
                return Err(Error::Unsupported(format!(
                    "journal feature {} (e4dax cannot replay it)",
                    feat::names(0, unknown, 0).join(", ")
                )));
            }
        }
        if self.first == 0 || self.first >= self.maxlen {
            return bad(format!("s_first {} with s_maxlen {}", self.first, self.maxlen));
        }
        if self.start != 0 && (self.start < self.first || self.start >= self.maxlen) {
            return bad(format!("s_start {} outside the log {}..{}", self.start, self.first, self.maxlen));
        }
        if self.has_csum() {
            if self.checksum_type != CHECKSUM_CRC32C {
                return bad(format!("s_checksum_type {} (expected 4, crc32c)", self.checksum_type));
            }
            let computed = Self::checksum_of(&self.raw[..]);
            if computed != self.checksum {
                return Err(Error::Checksum { what: "journal superblock".into(), stored: self.checksum, computed });
            }
        }
        Ok(())
    }

    /// Whether v2 or v3 checksums are on.
    pub fn has_csum(&self) -> bool {
        self.blocktype == BLOCKTYPE_SUPERBLOCK_V2
            && self.feature_incompat & (feat::INCOMPAT_CSUM_V2 | feat::INCOMPAT_CSUM_V3) != 0
    }
    pub fn is_64bit(&self) -> bool {
        self.blocktype == BLOCKTYPE_SUPERBLOCK_V2 && self.feature_incompat & feat::INCOMPAT_64BIT != 0
    }
    /// Seed of the checksums of log blocks: crc32c of the journal UUID.
    pub fn csum_seed(&self) -> u32 {
        crc32c_raw(!0, &self.uuid)
    }
    /// The first of the journal's users (`s_users[0]`, a file-system UUID; zero for an
    /// internal journal).
    pub fn first_user(&self) -> [u8; 16] {
        let mut u = [0u8; 16];
        u.copy_from_slice(&self.raw[0x100..0x110]);
        u
    }

    pub fn feature_names(&self) -> Vec<String> {
        feat::names(self.feature_compat, self.feature_incompat, self.feature_ro_compat)
    }

    fn checksum_of(b: &[u8]) -> u32 {
        let c = crc32c_raw(!0, &b[..CHECKSUM_OFFSET]);
        let c = crc32c_raw(c, &[0u8; 4]);
        crc32c_raw(c, &b[CHECKSUM_OFFSET + 4..SIZE])
    }

    /// Encode into 1024 bytes with a fresh checksum (when checksums are on).
    pub fn encode(&self) -> [u8; SIZE] {
        let mut b = *self.raw;
        be::put32(&mut b, 0, MAGIC);
        be::put32(&mut b, 4, self.blocktype);
        be::put32(&mut b, 8, 0);
        be::put32(&mut b, 0xC, self.block_size);
        be::put32(&mut b, 0x10, self.maxlen);
        be::put32(&mut b, 0x14, self.first);
        be::put32(&mut b, 0x18, self.sequence);
        be::put32(&mut b, 0x1C, self.start);
        be::put32(&mut b, 0x20, self.errno as u32);
        be::put32(&mut b, 0x24, self.feature_compat);
        be::put32(&mut b, 0x28, self.feature_incompat);
        be::put32(&mut b, 0x2C, self.feature_ro_compat);
        b[0x30..0x40].copy_from_slice(&self.uuid);
        be::put32(&mut b, 0x40, self.nr_users);
        be::put32(&mut b, 0x48, self.max_transaction);
        be::put32(&mut b, 0x4C, self.max_trans_data);
        b[0x50] = self.checksum_type;
        be::put32(&mut b, 0x54, self.num_fc_blocks);
        let c = if self.has_csum() { Self::checksum_of(&b) } else { self.checksum };
        be::put32(&mut b, CHECKSUM_OFFSET, c);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_checksum() {
        let sb = JournalSuperblock::new(
            4096,
            8192,
            [7; 16],
            feat::INCOMPAT_64BIT | feat::INCOMPAT_CSUM_V3 | feat::INCOMPAT_REVOKE,
        );
        let b = sb.encode();
        let back = JournalSuperblock::parse(&b).unwrap();
        assert_eq!(back.maxlen, 8192);
        assert_eq!(back.encode(), b);
        assert!(back.has_csum() && back.is_64bit());
        let mut bad = b;
        bad[0x40] ^= 1;
        assert!(matches!(JournalSuperblock::parse(&bad), Err(Error::Checksum { .. })));
    }
}
