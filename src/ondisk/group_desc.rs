//! Block group descriptors (`struct ext4_group_desc`): 32 bytes without `64bit`, `s_desc_size`
//! (64 or more) with it. Little-endian. The `_hi` halves exist only in descriptors of 64 bytes
//! or more.

use super::checksum::{crc16, crc32c_raw};
use super::le_fields;
use super::lohi;

/// `bg_flags` bits.
pub const INODE_UNINIT: u16 = 0x1;
pub const BLOCK_UNINIT: u16 = 0x2;
pub const ITABLE_ZEROED: u16 = 0x4;

/// Offset of `bg_checksum` inside a descriptor.
pub const CHECKSUM_OFFSET: usize = 0x1E;
/// Size of a descriptor without `64bit`.
pub const SIZE_32: usize = 32;
/// Size e4dax writes with `64bit`.
pub const SIZE_64: usize = 64;

le_fields! {
    /// Descriptor fields; the `_hi` ones are read only from 64-byte descriptors.
    pub struct Fields {
        bg_block_bitmap_lo: u32 = 0x0,
        bg_inode_bitmap_lo: u32 = 0x4,
        bg_inode_table_lo: u32 = 0x8,
        bg_free_blocks_count_lo: u16 = 0xC,
        bg_free_inodes_count_lo: u16 = 0xE,
        bg_used_dirs_count_lo: u16 = 0x10,
        bg_flags: u16 = 0x12,
        bg_exclude_bitmap_lo: u32 = 0x14,
        bg_block_bitmap_csum_lo: u16 = 0x18,
        bg_inode_bitmap_csum_lo: u16 = 0x1A,
        bg_itable_unused_lo: u16 = 0x1C,
        bg_checksum: u16 = 0x1E,
    }
}

le_fields! {
    /// The upper halves present in descriptors of 64 bytes or more.
    pub struct FieldsHi {
        bg_block_bitmap_hi: u32 = 0x20,
        bg_inode_bitmap_hi: u32 = 0x24,
        bg_inode_table_hi: u32 = 0x28,
        bg_free_blocks_count_hi: u16 = 0x2C,
        bg_free_inodes_count_hi: u16 = 0x2E,
        bg_used_dirs_count_hi: u16 = 0x30,
        bg_itable_unused_hi: u16 = 0x32,
        bg_exclude_bitmap_hi: u32 = 0x34,
        bg_block_bitmap_csum_hi: u16 = 0x38,
        bg_inode_bitmap_csum_hi: u16 = 0x3A,
    }
}

/// One decoded group descriptor with 64-bit quantities assembled.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct GroupDesc {
    pub block_bitmap: u64,
    pub inode_bitmap: u64,
    pub inode_table: u64,
    pub free_blocks: u32,
    pub free_inodes: u32,
    pub used_dirs: u32,
    pub flags: u16,
    pub itable_unused: u32,
    pub block_bitmap_csum: u32,
    pub inode_bitmap_csum: u32,
    pub exclude_bitmap: u64,
    /// The stored `bg_checksum`.
    pub checksum: u16,
}

impl GroupDesc {
    /// Decode a descriptor of `b.len()` bytes (32, or 64 and more).
    pub fn parse(b: &[u8]) -> Self {
        let lo = Fields::read(b);
        let hi = if b.len() >= SIZE_64 { FieldsHi::read(b) } else { FieldsHi::read(&[0u8; SIZE_64]) };
        let wide = |l: u16, h: u16| u32::from(l) | (u32::from(h) << 16);
        GroupDesc {
            block_bitmap: lohi(lo.bg_block_bitmap_lo, hi.bg_block_bitmap_hi),
            inode_bitmap: lohi(lo.bg_inode_bitmap_lo, hi.bg_inode_bitmap_hi),
            inode_table: lohi(lo.bg_inode_table_lo, hi.bg_inode_table_hi),
            free_blocks: wide(lo.bg_free_blocks_count_lo, hi.bg_free_blocks_count_hi),
            free_inodes: wide(lo.bg_free_inodes_count_lo, hi.bg_free_inodes_count_hi),
            used_dirs: wide(lo.bg_used_dirs_count_lo, hi.bg_used_dirs_count_hi),
            flags: lo.bg_flags,
            itable_unused: wide(lo.bg_itable_unused_lo, hi.bg_itable_unused_hi),
            block_bitmap_csum: wide(lo.bg_block_bitmap_csum_lo, hi.bg_block_bitmap_csum_hi),
            inode_bitmap_csum: wide(lo.bg_inode_bitmap_csum_lo, hi.bg_inode_bitmap_csum_hi),
            exclude_bitmap: lohi(lo.bg_exclude_bitmap_lo, hi.bg_exclude_bitmap_hi),
            checksum: lo.bg_checksum,
        }
    }

    /// Encode into `out` (its length is the descriptor size), leaving reserved bytes as they
    /// are. The checksum field is written as stored in `self.checksum`; see [`set_checksum`].
    pub fn encode_into(&self, out: &mut [u8]) {
        let lo = Fields {
            bg_block_bitmap_lo: self.block_bitmap as u32,
            bg_inode_bitmap_lo: self.inode_bitmap as u32,
            bg_inode_table_lo: self.inode_table as u32,
            bg_free_blocks_count_lo: self.free_blocks as u16,
            bg_free_inodes_count_lo: self.free_inodes as u16,
            bg_used_dirs_count_lo: self.used_dirs as u16,
            bg_flags: self.flags,
            bg_exclude_bitmap_lo: self.exclude_bitmap as u32,
            bg_block_bitmap_csum_lo: self.block_bitmap_csum as u16,
            bg_inode_bitmap_csum_lo: self.inode_bitmap_csum as u16,
            bg_itable_unused_lo: self.itable_unused as u16,
            bg_checksum: self.checksum,
        };
        lo.write(out);
        if out.len() >= SIZE_64 {
            let hi = FieldsHi {
                bg_block_bitmap_hi: (self.block_bitmap >> 32) as u32,
                bg_inode_bitmap_hi: (self.inode_bitmap >> 32) as u32,
                bg_inode_table_hi: (self.inode_table >> 32) as u32,
                bg_free_blocks_count_hi: (self.free_blocks >> 16) as u16,
                bg_free_inodes_count_hi: (self.free_inodes >> 16) as u16,
                bg_used_dirs_count_hi: (self.used_dirs >> 16) as u16,
                bg_itable_unused_hi: (self.itable_unused >> 16) as u16,
                bg_exclude_bitmap_hi: (self.exclude_bitmap >> 32) as u32,
                bg_block_bitmap_csum_hi: (self.block_bitmap_csum >> 16) as u16,
                bg_inode_bitmap_csum_hi: (self.inode_bitmap_csum >> 16) as u16,
            };
            hi.write(out);
        }
    }

    pub fn has_flag(&self, flag: u16) -> bool {
        self.flags & flag != 0
    }

    /// Flag names as dumpe2fs prints them.
    pub fn flag_names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.has_flag(INODE_UNINIT) {
            v.push("INODE_UNINIT");
        }
        if self.has_flag(BLOCK_UNINIT) {
            v.push("BLOCK_UNINIT");
        }
        if self.has_flag(ITABLE_ZEROED) {
            v.push("ITABLE_ZEROED");
        }
        v
    }
}

/// How group descriptors are checksummed on this file system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Csum {
    /// Neither `metadata_csum` nor `gdt_csum`.
    None,
    /// `gdt_csum`: crc16 seeded with the UUID.
    Crc16 { uuid: [u8; 16] },
    /// `metadata_csum`: low 16 bits of crc32c from the file system's seed.
    Crc32c { seed: u32 },
}

impl Csum {
    /// The checksum of the encoded descriptor `b` of group `group` (the stored checksum
    /// field inside `b` is skipped).
    pub fn compute(&self, group: u32, b: &[u8]) -> u16 {
        let g = group.to_le_bytes();
        match *self {
            Csum::None => 0,
            Csum::Crc32c { seed } => {
                let c = crc32c_raw(seed, &g);
                let c = crc32c_raw(c, &b[..CHECKSUM_OFFSET]);
                let c = crc32c_raw(c, &[0, 0]);
                let c = crc32c_raw(c, &b[CHECKSUM_OFFSET + 2..]);
                (c & 0xFFFF) as u16
            }
            Csum::Crc16 { uuid } => {
                let c = crc16(!0, &uuid);
                let c = crc16(c, &g);
                let c = crc16(c, &b[..CHECKSUM_OFFSET]);
                if b.len() > CHECKSUM_OFFSET + 2 {
                    crc16(c, &b[CHECKSUM_OFFSET + 2..])
                } else {
                    c
                }
            }
        }
    }
}

/// Encode `d` into `out` with a freshly computed checksum.
pub fn encode_checksummed(d: &GroupDesc, group: u32, csum: Csum, out: &mut [u8]) {
    let mut d = d.clone();
    d.checksum = 0;
    d.encode_into(out);
    let c = csum.compute(group, out);
    super::le::put16(out, CHECKSUM_OFFSET, c);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_64() {
        let d = GroupDesc {
            block_bitmap: 0x1_0000_0081,
            inode_bitmap: 0x89,
            inode_table: 0x2_0000_0091,
            free_blocks: 0x1_2345,
            free_inodes: 8181,
            used_dirs: 2,
            flags: ITABLE_ZEROED,
            itable_unused: 8181,
            block_bitmap_csum: 0xdead_beef,
            inode_bitmap_csum: 0x1234_5678,
            exclude_bitmap: 0,
            checksum: 0xabcd,
        };
        let mut b = [0u8; 64];
        d.encode_into(&mut b);
        assert_eq!(GroupDesc::parse(&b), d);
    }

    #[test]
    fn round_trip_32_drops_hi() {
        let d = GroupDesc { block_bitmap: 5, inode_table: 7, free_blocks: 100, ..Default::default() };
        let mut b = [0u8; 32];
        d.encode_into(&mut b);
        assert_eq!(GroupDesc::parse(&b), d);
    }

    #[test]
    fn checksum_ignores_stored_field() {
        let d = GroupDesc { block_bitmap: 5, inode_table: 7, ..Default::default() };
        let cs = Csum::Crc32c { seed: 0x1234 };
        let mut a = [0u8; 64];
        encode_checksummed(&d, 3, cs, &mut a);
        let stored = super::super::le::u16(&a, CHECKSUM_OFFSET);
        assert_eq!(cs.compute(3, &a), stored);
        assert_ne!(cs.compute(4, &a), stored);
    }
}
