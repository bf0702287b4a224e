//! Inodes (`struct ext4_inode`): `s_inode_size` bytes each in the inode tables. Little-endian.
//! The first 128 bytes are the classic inode; `i_extra_isize` says how much of the rest is in
//! use. Decoding works on the table's own bytes and encoding writes the fields back in place,
//! so no inode is copied or allocated.

use super::checksum::crc32c_raw;
use super::{le, le_fields, lohi};

/// Size of the classic part of an inode.
pub const GOOD_OLD_SIZE: usize = 128;
/// `i_extra_isize` e4dax writes (covers up to `i_projid`).
pub const EXTRA_ISIZE: u16 = 32;
/// Bytes decoded by [`Fields`].
pub const FIELDS_SIZE: usize = 0xA0;

pub const ROOT_INO: u32 = 2;
pub const BAD_BLOCKS_INO: u32 = 1;
pub const RESIZE_INO: u32 = 7;
pub const JOURNAL_INO: u32 = 8;
pub const LOST_FOUND_INO: u32 = 11;

/// File-type bits of `i_mode`.
pub const S_IFMT: u16 = 0xF000;
pub const S_IFSOCK: u16 = 0xC000;
pub const S_IFLNK: u16 = 0xA000;
pub const S_IFREG: u16 = 0x8000;
pub const S_IFBLK: u16 = 0x6000;
pub const S_IFDIR: u16 = 0x4000;
pub const S_IFCHR: u16 = 0x2000;
pub const S_IFIFO: u16 = 0x1000;

/// `i_flags` bits.
pub const FL_INDEX: u32 = 0x1000;
/// AFS directory flag (`EXT2_IMAGIC_FL`): only with the `imagic_inodes` feature.
pub const FL_IMAGIC: u32 = 0x2000;
/// Offset of the obsolete fragment address `i_faddr`.
pub const I_FADDR: usize = 0x70;
pub const FL_HUGE_FILE: u32 = 0x40000;
pub const FL_EXTENTS: u32 = 0x80000;
pub const FL_EA_INODE: u32 = 0x200000;
pub const FL_INLINE_DATA: u32 = 0x10000000;
/// Names in this directory compare case-insensitively (`casefold`).
pub const FL_CASEFOLD: u32 = 0x40000000;

const CHECKSUM_LO: usize = 0x7C;
const CHECKSUM_HI: usize = 0x82;

le_fields! {
    /// Inode fields at their documented offsets (`osd1`/`osd2` as Linux uses them).
    pub struct Fields {
        i_mode: u16 = 0x0,
        i_uid: u16 = 0x2,
        i_size_lo: u32 = 0x4,
        i_atime: u32 = 0x8,
        i_ctime: u32 = 0xC,
        i_mtime: u32 = 0x10,
        i_dtime: u32 = 0x14,
        i_gid: u16 = 0x18,
        i_links_count: u16 = 0x1A,
        i_blocks_lo: u32 = 0x1C,
        i_flags: u32 = 0x20,
        i_version: u32 = 0x24,
        i_block: [u8; 60] = 0x28,
        i_generation: u32 = 0x64,
        i_file_acl_lo: u32 = 0x68,
        i_size_high: u32 = 0x6C,
        i_blocks_high: u16 = 0x74,
        i_file_acl_high: u16 = 0x76,
        i_uid_high: u16 = 0x78,
        i_gid_high: u16 = 0x7A,
        i_checksum_lo: u16 = 0x7C,
        i_extra_isize: u16 = 0x80,
        i_checksum_hi: u16 = 0x82,
        i_ctime_extra: u32 = 0x84,
        i_mtime_extra: u32 = 0x88,
        i_atime_extra: u32 = 0x8C,
        i_crtime: u32 = 0x90,
        i_crtime_extra: u32 = 0x94,
        i_version_hi: u32 = 0x98,
        i_projid: u32 = 0x9C,
    }
}

/// A decoded inode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inode {
    pub f: Fields,
}

impl Inode {
    /// Decode from the inode's bytes (`s_inode_size` long). Fields past the end of a short
    /// (128-byte) inode or past `i_extra_isize` read as zero.
    pub fn parse(b: &[u8]) -> Inode {
        let mut f = if b.len() >= FIELDS_SIZE {
            Fields::read(b)
        } else {
            let mut tmp = [0u8; FIELDS_SIZE];
            let n = b.len().min(FIELDS_SIZE);
            tmp[..n].copy_from_slice(&b[..n]);
            Fields::read(&tmp)
        };
        if b.len() <= GOOD_OLD_SIZE {
            f.i_extra_isize = 0;
        }
        let extra_end = GOOD_OLD_SIZE + usize::from(f.i_extra_isize);
        if extra_end < CHECKSUM_HI + 2 {
            f.i_checksum_hi = 0;
        }
        Inode { f }
    }

    /// An empty inode of the given mode, with `i_extra_isize` set.
    pub fn new(mode: u16) -> Inode {
        let mut f = Fields::read(&[0u8; FIELDS_SIZE]);
        f.i_mode = mode;
        f.i_extra_isize = EXTRA_ISIZE;
        Inode { f }
    }

    /// Write the fields into `b` (an inode slot of `s_inode_size` bytes), leaving the rest.
    pub fn encode_into(&self, b: &mut [u8]) {
        if b.len() >= FIELDS_SIZE {
            self.f.write(b);
        } else {
            let mut tmp = [0u8; FIELDS_SIZE];
            let n = b.len().min(FIELDS_SIZE);
            tmp[..n].copy_from_slice(&b[..n]);
            self.f.write(&mut tmp);
            b[..n].copy_from_slice(&tmp[..n]);
        }
    }

    pub fn file_type(&self) -> u16 {
        self.f.i_mode & S_IFMT
    }
    pub fn is_dir(&self) -> bool {
        self.file_type() == S_IFDIR
    }
    pub fn is_reg(&self) -> bool {
        self.file_type() == S_IFREG
    }
    pub fn size(&self) -> u64 {
        lohi(self.f.i_size_lo, self.f.i_size_high)
    }
    pub fn set_size(&mut self, v: u64) {
        self.f.i_size_lo = v as u32;
        self.f.i_size_high = (v >> 32) as u32;
    }
    pub fn has_flag(&self, fl: u32) -> bool {
        self.f.i_flags & fl != 0
    }
    /// `i_blocks` in 512-byte sectors, given whether the file system has `huge_file`.
    pub fn blocks_512(&self, huge_file: bool, block_size: u32) -> u64 {
        let raw = if huge_file {
            lohi(self.f.i_blocks_lo, u32::from(self.f.i_blocks_high))
        } else {
            u64::from(self.f.i_blocks_lo)
        };
        if huge_file && self.has_flag(FL_HUGE_FILE) {
            raw.saturating_mul(u64::from(block_size / 512))
        } else {
            raw
        }
    }
    /// Set `i_blocks` from a count of 512-byte sectors (no `HUGE_FILE` scaling needed below 2^48).
    pub fn set_blocks_512(&mut self, v: u64) {
        self.f.i_blocks_lo = v as u32;
        self.f.i_blocks_high = (v >> 32) as u16;
        self.f.i_flags &= !FL_HUGE_FILE;
    }
    pub fn file_acl(&self) -> u64 {
        lohi(self.f.i_file_acl_lo, u32::from(self.f.i_file_acl_high))
    }
    pub fn set_file_acl(&mut self, blk: u64) {
        self.f.i_file_acl_lo = blk as u32;
        self.f.i_file_acl_high = (blk >> 32) as u16;
    }
    pub fn uid(&self) -> u32 {
        u32::from(self.f.i_uid) | (u32::from(self.f.i_uid_high) << 16)
    }
    pub fn gid(&self) -> u32 {
        u32::from(self.f.i_gid) | (u32::from(self.f.i_gid_high) << 16)
    }
    /// Set all four timestamps to `t` seconds (nanoseconds zero, epoch bits from `t`'s high bits).
    pub fn set_times(&mut self, t: u64) {
        let extra = ((t >> 32) & 0x3) as u32;
        self.f.i_atime = t as u32;
        self.f.i_ctime = t as u32;
        self.f.i_mtime = t as u32;
        self.f.i_crtime = t as u32;
        self.f.i_atime_extra = extra;
        self.f.i_ctime_extra = extra;
        self.f.i_mtime_extra = extra;
        self.f.i_crtime_extra = extra;
    }
}

/// Compute the inode checksum of the slot `b` (`s_inode_size` bytes) of inode `ino`, with the
/// stored checksum fields treated as zero.
pub fn checksum(b: &[u8], fs_seed: u32, ino: u32) -> u32 {
    let gen = le::u32(b, 0x64);
    checksum_seeded(b, super::checksum::inode_seed(fs_seed, ino, gen))
}

/// [`checksum`] from the inode's own seed ([`super::checksum::inode_seed`]), in one pass over
/// a copy with the checksum fields zeroed (slots up to 1 KiB; larger ones piece by piece).
pub fn checksum_seeded(b: &[u8], seed: u32) -> u32 {
    let mut copy = [0u8; 1024];
    if b.len() <= copy.len() && b.len() >= CHECKSUM_HI + 2 {
        let c = &mut copy[..b.len()];
        c.copy_from_slice(b);
        c[CHECKSUM_LO..CHECKSUM_LO + 2].fill(0);
        if has_checksum_hi(b) {
            c[CHECKSUM_HI..CHECKSUM_HI + 2].fill(0);
        }
        return crc32c_raw(seed, c);
    }
    checksum_pieces(b, seed)
}

/// The checksum over the slot's pieces around the checksum fields (no copy).
fn checksum_pieces(b: &[u8], seed: u32) -> u32 {
    let mut c = crc32c_raw(seed, &b[..CHECKSUM_LO]);
    c = crc32c_raw(c, &[0, 0]);
    c = crc32c_raw(c, &b[CHECKSUM_LO + 2..GOOD_OLD_SIZE.min(b.len())]);
    if b.len() > GOOD_OLD_SIZE {
        let hi_fits = has_checksum_hi(b);
        c = crc32c_raw(c, &b[GOOD_OLD_SIZE..CHECKSUM_HI]);
        let rest = if hi_fits {
            c = crc32c_raw(c, &[0, 0]);
            CHECKSUM_HI + 2
        } else {
            CHECKSUM_HI
        };
        c = crc32c_raw(c, &b[rest..]);
    }
    c
}

fn has_checksum_hi(b: &[u8]) -> bool {
    b.len() > GOOD_OLD_SIZE && GOOD_OLD_SIZE + usize::from(le::u16(b, 0x80)) >= CHECKSUM_HI + 2
}

/// Whether the stored checksum of slot `b` matches.
pub fn checksum_ok(b: &[u8], fs_seed: u32, ino: u32) -> bool {
    let c = checksum(b, fs_seed, ino);
    let lo = u32::from(le::u16(b, CHECKSUM_LO));
    if has_checksum_hi(b) {
        let hi = u32::from(le::u16(b, CHECKSUM_HI));
        c == lo | (hi << 16)
    } else {
        c & 0xFFFF == lo
    }
}

/// [`checksum_ok`], or an inode whose first 128 bytes are all zero (never written since the
/// table was zeroed: e2fsprogs takes it as sound whatever its checksum).
pub fn checksum_ok_or_zero(b: &[u8], fs_seed: u32, ino: u32) -> bool {
    checksum_ok(b, fs_seed, ino) || b[..b.len().min(GOOD_OLD_SIZE)].iter().all(|&x| x == 0)
}

/// Store the checksum of slot `b` into it.
pub fn set_checksum(b: &mut [u8], fs_seed: u32, ino: u32) {
    let gen = le::u32(b, 0x64);
    set_checksum_seeded(b, super::checksum::inode_seed(fs_seed, ino, gen));
}

/// [`set_checksum`] from the inode's own seed.
pub fn set_checksum_seeded(b: &mut [u8], seed: u32) {
    let c = checksum_seeded(b, seed);
    le::put16(b, CHECKSUM_LO, c as u16);
    if has_checksum_hi(b) {
        le::put16(b, CHECKSUM_HI, (c >> 16) as u16);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_checksum() {
        let mut ino = Inode::new(S_IFDIR | 0o755);
        ino.f.i_links_count = 3;
        ino.set_size(4096);
        ino.set_blocks_512(8);
        ino.set_times(1_700_000_000);
        ino.f.i_flags = FL_EXTENTS;
        let mut slot = [0u8; 256];
        ino.encode_into(&mut slot);
        assert_eq!(Inode::parse(&slot), ino);
        set_checksum(&mut slot, 0xabcd, 2);
        assert!(checksum_ok(&slot, 0xabcd, 2));
        assert!(!checksum_ok(&slot, 0xabcd, 3));
        slot[0x90] ^= 1;
        assert!(!checksum_ok(&slot, 0xabcd, 2));
    }

    #[test]
    fn one_pass_checksum_equals_the_pieces() {
        for (len, extra) in [(256usize, 32u16), (256, 0), (256, 2), (160, 4), (1024, 32), (128, 0)] {
            let mut slot: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            if len > GOOD_OLD_SIZE {
                le::put16(&mut slot, 0x80, extra);
            }
            assert_eq!(checksum_seeded(&slot, 0x1234_5678), checksum_pieces(&slot, 0x1234_5678), "{len} {extra}");
        }
    }

    #[test]
    fn short_inode() {
        let mut slot = [0u8; 128];
        let ino = Inode::new(S_IFREG | 0o644);
        ino.encode_into(&mut slot);
        let back = Inode::parse(&slot);
        assert_eq!(back.f.i_mode, S_IFREG | 0o644);
        assert_eq!(back.f.i_extra_isize, 0);
        set_checksum(&mut slot, 1, 12);
        assert!(checksum_ok(&slot, 1, 12));
    }
}
