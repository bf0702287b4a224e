//! The ext4 superblock: 1024 bytes at byte 1024 of the device (and backups at the start of
//! some groups). Little-endian. Field names are the kernel's (`struct ext4_super_block`).

use super::checksum::crc32c_raw;
use super::features::{self, compat, incompat, ro_compat};
use super::{le_fields, lohi};
use crate::error::{Error, Result};

/// Byte offset of the primary superblock on the device.
pub const OFFSET: u64 = 1024;
/// Size of the superblock structure.
pub const SIZE: usize = 1024;
/// `s_magic`.
pub const MAGIC: u16 = 0xEF53;
/// Offset of `s_checksum` (the last field).
pub const CHECKSUM_OFFSET: usize = 0x3FC;
/// `s_checksum_type` value for crc32c.
pub const CHECKSUM_CRC32C: u8 = 1;
/// `s_state` bits.
pub const STATE_VALID: u16 = 0x1;
pub const STATE_ERROR: u16 = 0x2;
/// `s_flags` bits.
pub const FLAG_SIGNED_HASH: u32 = 0x1;
pub const FLAG_UNSIGNED_HASH: u32 = 0x2;
/// `s_jnl_backup_type`: `s_jnl_blocks` holds a copy of the journal inode's `i_block`.
pub const JNL_BACKUP_BLOCKS: u8 = 1;
/// Smallest and largest block size (log2) the format allows: 1 KiB to 64 KiB.
pub const LOG_BLOCK_SIZE_MIN: u32 = 10;
pub const LOG_BLOCK_SIZE_MAX: u32 = 16;
/// Rev-0 ("good old") inode size.
pub const GOOD_OLD_INODE_SIZE: u16 = 128;

le_fields! {
    /// The superblock's fields at their documented offsets.
    pub struct Fields {
        s_inodes_count: u32 = 0x0,
        s_blocks_count_lo: u32 = 0x4,
        s_r_blocks_count_lo: u32 = 0x8,
        s_free_blocks_count_lo: u32 = 0xC,
        s_free_inodes_count: u32 = 0x10,
        s_first_data_block: u32 = 0x14,
        s_log_block_size: u32 = 0x18,
        s_log_cluster_size: u32 = 0x1C,
        s_blocks_per_group: u32 = 0x20,
        s_clusters_per_group: u32 = 0x24,
        s_inodes_per_group: u32 = 0x28,
        s_mtime: u32 = 0x2C,
        s_wtime: u32 = 0x30,
        s_mnt_count: u16 = 0x34,
        s_max_mnt_count: u16 = 0x36,
        s_magic: u16 = 0x38,
        s_state: u16 = 0x3A,
        s_errors: u16 = 0x3C,
        s_minor_rev_level: u16 = 0x3E,
        s_lastcheck: u32 = 0x40,
        s_checkinterval: u32 = 0x44,
        s_creator_os: u32 = 0x48,
        s_rev_level: u32 = 0x4C,
        s_def_resuid: u16 = 0x50,
        s_def_resgid: u16 = 0x52,
        s_first_ino: u32 = 0x54,
        s_inode_size: u16 = 0x58,
        s_block_group_nr: u16 = 0x5A,
        s_feature_compat: u32 = 0x5C,
        s_feature_incompat: u32 = 0x60,
        s_feature_ro_compat: u32 = 0x64,
        s_uuid: [u8; 16] = 0x68,
        s_volume_name: [u8; 16] = 0x78,
        s_last_mounted: [u8; 64] = 0x88,
        s_algorithm_usage_bitmap: u32 = 0xC8,
        s_prealloc_blocks: u8 = 0xCC,
        s_prealloc_dir_blocks: u8 = 0xCD,
        s_reserved_gdt_blocks: u16 = 0xCE,
        s_journal_uuid: [u8; 16] = 0xD0,
        s_journal_inum: u32 = 0xE0,
        s_journal_dev: u32 = 0xE4,
        s_last_orphan: u32 = 0xE8,
        s_hash_seed: [u32; 4] = 0xEC,
        s_def_hash_version: u8 = 0xFC,
        s_jnl_backup_type: u8 = 0xFD,
        s_desc_size: u16 = 0xFE,
        s_default_mount_opts: u32 = 0x100,
        s_first_meta_bg: u32 = 0x104,
        s_mkfs_time: u32 = 0x108,
        s_jnl_blocks: [u32; 17] = 0x10C,
        s_blocks_count_hi: u32 = 0x150,
        s_r_blocks_count_hi: u32 = 0x154,
        s_free_blocks_count_hi: u32 = 0x158,
        s_min_extra_isize: u16 = 0x15C,
        s_want_extra_isize: u16 = 0x15E,
        s_flags: u32 = 0x160,
        s_raid_stride: u16 = 0x164,
        s_mmp_interval: u16 = 0x166,
        s_mmp_block: u64 = 0x168,
        s_raid_stripe_width: u32 = 0x170,
        s_log_groups_per_flex: u8 = 0x174,
        s_checksum_type: u8 = 0x175,
        s_kbytes_written: u64 = 0x178,
        s_snapshot_inum: u32 = 0x180,
        s_error_count: u32 = 0x194,
        s_first_error_time: u32 = 0x198,
        s_last_error_time: u32 = 0x1CC,
        s_mount_opts: [u8; 64] = 0x200,
        s_usr_quota_inum: u32 = 0x240,
        s_grp_quota_inum: u32 = 0x244,
        s_overhead_clusters: u32 = 0x248,
        s_backup_bgs: [u32; 2] = 0x24C,
        s_lpf_ino: u32 = 0x268,
        s_checksum_seed: u32 = 0x270,
        s_wtime_hi: u8 = 0x274,
        s_mtime_hi: u8 = 0x275,
        s_mkfs_time_hi: u8 = 0x276,
        s_lastcheck_hi: u8 = 0x277,
        s_prj_quota_inum: u32 = 0x26C,
        s_orphan_file_inum: u32 = 0x280,
        s_checksum: u32 = 0x3FC,
    }
}

/// A validated superblock. Fields not listed in [`Fields`] are kept in `raw` and written back
/// unchanged by [`Superblock::encode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Superblock {
    pub f: Fields,
    raw: Box<[u8; SIZE]>,
}

impl Superblock {
    /// Parse and validate a superblock. With `metadata_csum` the checksum must match.
    pub fn parse(b: &[u8]) -> Result<Self> {
        let sb = Self::parse_unchecked(b)?;
        sb.validate()?;
        if sb.has_metadata_csum() {
            let computed = Self::checksum_of(&sb.raw[..]);
            if computed != sb.f.s_checksum {
                return Err(Error::Checksum { what: "superblock".into(), stored: sb.f.s_checksum, computed });
            }
        }
        Ok(sb)
    }

    /// Decode without validation (for `inspect` of damaged images and for repair).
    pub fn parse_unchecked(b: &[u8]) -> Result<Self> {
        if b.len() < SIZE {
            return Err(Error::Truncated {
                what: "superblock",
                need: OFFSET + SIZE as u64,
                have: OFFSET + b.len() as u64,
            });
        }
        let mut raw = Box::new([0u8; SIZE]);
        raw.copy_from_slice(&b[..SIZE]);
        let f = Fields::read(&raw[..]);
        if f.s_magic != MAGIC {
            return Err(Error::NotExt4(format!("bad superblock magic {:#06x} (expected {MAGIC:#06x})", f.s_magic)));
        }
        Ok(Superblock { f, raw })
    }

    /// A superblock from fields alone (mkfs).
    pub fn from_fields(f: Fields) -> Self {
        Superblock { f, raw: Box::new([0u8; SIZE]) }
    }

    /// Encode into 1024 bytes, recomputing `s_checksum` when `metadata_csum` is on.
    pub fn encode(&self) -> [u8; SIZE] {
        let mut out = *self.raw;
        self.f.write(&mut out);
        if self.has_metadata_csum() {
            let c = Self::checksum_of(&out);
            super::le::put32(&mut out, CHECKSUM_OFFSET, c);
        }
        out
    }

    /// The stored-checksum algorithm: crc32c over the bytes before `s_checksum`.
    pub fn checksum_of(b: &[u8]) -> u32 {
        crc32c_raw(!0, &b[..CHECKSUM_OFFSET])
    }

    /// Whether the stored checksum matches (true when the feature is off).
    pub fn checksum_ok(&self) -> bool {
        !self.has_metadata_csum() || Self::checksum_of(&self.encode_raw()) == self.f.s_checksum
    }

    fn encode_raw(&self) -> [u8; SIZE] {
        let mut out = *self.raw;
        self.f.write(&mut out);
        out
    }

    fn validate(&self) -> Result<()> {
        let f = &self.f;
        let bad = |d: String| Err(Error::corrupt("superblock", d));
        if f.s_log_block_size > LOG_BLOCK_SIZE_MAX - LOG_BLOCK_SIZE_MIN {
            return bad(format!(
                "s_log_block_size {} is out of range (block size 1 KiB to 64 KiB)",
                f.s_log_block_size
            ));
        }
        features::check_readable(f.s_feature_incompat, f.s_feature_ro_compat)?;
        if f.s_log_cluster_size != f.s_log_block_size {
            return bad(format!(
                "cluster size log {} differs from block size log {}",
                f.s_log_cluster_size, f.s_log_block_size
            ));
        }
        let bs = self.block_size();
        let bits = 8 * bs;
        if f.s_blocks_per_group == 0 || f.s_blocks_per_group > bits || !f.s_blocks_per_group.is_multiple_of(8) {
            return bad(format!("s_blocks_per_group {} (expected a multiple of 8 up to {bits})", f.s_blocks_per_group));
        }
        if f.s_clusters_per_group != f.s_blocks_per_group {
            return bad(format!(
                "s_clusters_per_group {} differs from s_blocks_per_group {}",
                f.s_clusters_per_group, f.s_blocks_per_group
            ));
        }
        if f.s_inodes_per_group == 0 || f.s_inodes_per_group > bits || !f.s_inodes_per_group.is_multiple_of(8) {
            return bad(format!("s_inodes_per_group {} (expected a multiple of 8 up to {bits})", f.s_inodes_per_group));
        }
        let isz = self.inode_size();
        if isz < GOOD_OLD_INODE_SIZE || !isz.is_power_of_two() || u32::from(isz) > bs {
            return bad(format!("s_inode_size {isz} (expected a power of two from 128 to the block size)"));
        }
        if self.has_incompat(incompat::BIT64) {
            let d = f.s_desc_size;
            if !(64..=1024).contains(&d) || !d.is_power_of_two() {
                return bad(format!("s_desc_size {d} (expected a power of two from 64 to 1024)"));
            }
        }
        let blocks = self.blocks_count();
        if blocks <= u64::from(f.s_first_data_block) {
            return bad(format!("s_blocks_count {blocks} is not above s_first_data_block {}", f.s_first_data_block));
        }
        if f.s_first_data_block != u32::from(bs == 1024) {
            return bad(format!(
                "s_first_data_block {} (expected {} for {bs}-byte blocks)",
                f.s_first_data_block,
                u32::from(bs == 1024)
            ));
        }
        let groups = self.group_count();
        let want_inodes = groups.checked_mul(u64::from(f.s_inodes_per_group));
        if want_inodes != Some(u64::from(f.s_inodes_count)) {
            return bad(format!(
                "s_inodes_count {} (expected {} groups x {} inodes)",
                f.s_inodes_count, groups, f.s_inodes_per_group
            ));
        }
        if f.s_rev_level >= 1 && f.s_first_ino < 11 {
            return bad(format!("s_first_ino {} (expected at least 11)", f.s_first_ino));
        }
        if u64::from(f.s_first_ino) > u64::from(f.s_inodes_count) {
            return bad(format!("s_first_ino {} is past s_inodes_count {}", f.s_first_ino, f.s_inodes_count));
        }
        if self.has_metadata_csum() && f.s_checksum_type != CHECKSUM_CRC32C {
            return bad(format!("s_checksum_type {} (expected 1, crc32c)", f.s_checksum_type));
        }
        if self.free_blocks_count() > blocks {
            return bad(format!("free blocks {} exceed the block count {blocks}", self.free_blocks_count()));
        }
        if f.s_free_inodes_count > f.s_inodes_count {
            return bad(format!("free inodes {} exceed the inode count {}", f.s_free_inodes_count, f.s_inodes_count));
        }
        if self.has_compat(compat::HAS_JOURNAL)
            && f.s_journal_inum != 0
            && (f.s_journal_inum > f.s_inodes_count || f.s_journal_inum < 1)
        {
            return bad(format!("s_journal_inum {} is out of range", f.s_journal_inum));
        }
        Ok(())
    }

    #[inline]
    pub fn block_size(&self) -> u32 {
        1024u32 << self.f.s_log_block_size.min(LOG_BLOCK_SIZE_MAX - LOG_BLOCK_SIZE_MIN)
    }
    pub fn inode_size(&self) -> u16 {
        if self.f.s_rev_level == 0 {
            GOOD_OLD_INODE_SIZE
        } else {
            self.f.s_inode_size
        }
    }
    pub fn is_64bit(&self) -> bool {
        self.has_incompat(incompat::BIT64)
    }
    pub fn desc_size(&self) -> u16 {
        if self.is_64bit() {
            self.f.s_desc_size
        } else {
            32
        }
    }
    pub fn blocks_count(&self) -> u64 {
        lohi(self.f.s_blocks_count_lo, if self.is_64bit() { self.f.s_blocks_count_hi } else { 0 })
    }
    pub fn set_blocks_count(&mut self, v: u64) {
        self.f.s_blocks_count_lo = v as u32;
        self.f.s_blocks_count_hi = (v >> 32) as u32;
    }
    pub fn r_blocks_count(&self) -> u64 {
        lohi(self.f.s_r_blocks_count_lo, if self.is_64bit() { self.f.s_r_blocks_count_hi } else { 0 })
    }
    pub fn set_r_blocks_count(&mut self, v: u64) {
        self.f.s_r_blocks_count_lo = v as u32;
        self.f.s_r_blocks_count_hi = (v >> 32) as u32;
    }
    pub fn free_blocks_count(&self) -> u64 {
        lohi(self.f.s_free_blocks_count_lo, if self.is_64bit() { self.f.s_free_blocks_count_hi } else { 0 })
    }
    pub fn set_free_blocks_count(&mut self, v: u64) {
        self.f.s_free_blocks_count_lo = v as u32;
        self.f.s_free_blocks_count_hi = (v >> 32) as u32;
    }
    /// Number of block groups.
    pub fn group_count(&self) -> u64 {
        let data = self.blocks_count().saturating_sub(u64::from(self.f.s_first_data_block));
        data.div_ceil(u64::from(self.f.s_blocks_per_group.max(1)))
    }
    /// Group descriptors per block.
    pub fn descs_per_block(&self) -> u64 {
        u64::from(self.block_size()) / u64::from(self.desc_size().max(1))
    }
    /// Blocks taken by the group descriptor table.
    pub fn gdt_blocks(&self) -> u64 {
        self.group_count().div_ceil(self.descs_per_block())
    }
    /// Blocks of one group's inode table.
    pub fn inode_table_blocks(&self) -> u64 {
        (u64::from(self.f.s_inodes_per_group) * u64::from(self.inode_size())).div_ceil(u64::from(self.block_size()))
    }
    pub fn has_compat(&self, bit: u32) -> bool {
        self.f.s_feature_compat & bit != 0
    }
    pub fn has_incompat(&self, bit: u32) -> bool {
        self.f.s_feature_incompat & bit != 0
    }
    pub fn has_ro_compat(&self, bit: u32) -> bool {
        self.f.s_feature_ro_compat & bit != 0
    }
    pub fn has_metadata_csum(&self) -> bool {
        self.has_ro_compat(ro_compat::METADATA_CSUM)
    }
    pub fn has_journal(&self) -> bool {
        self.has_compat(compat::HAS_JOURNAL)
    }
    pub fn needs_recovery(&self) -> bool {
        self.has_incompat(incompat::RECOVER)
    }
    /// Whether group `g` holds a superblock backup (`sparse_super`: 0, 1 and powers of 3, 5, 7;
    /// `sparse_super2`: 0 and the two groups `s_backup_bgs` names).
    pub fn group_has_super(&self, g: u64) -> bool {
        if g == 0 {
            return true;
        }
        if self.has_compat(compat::SPARSE_SUPER2) {
            return self.f.s_backup_bgs.iter().any(|&b| b != 0 && u64::from(b) == g);
        }
        if !self.has_ro_compat(ro_compat::SPARSE_SUPER) || g <= 1 {
            return true;
        }
        sparse_group_has_super(g)
    }

    /// Descriptor blocks kept right after each superblock copy: the whole table and its
    /// reserved growth blocks, or with `meta_bg` only the first `s_first_meta_bg` blocks.
    pub fn old_desc_blocks(&self) -> u64 {
        if self.has_incompat(incompat::META_BG) {
            u64::from(self.f.s_first_meta_bg).min(self.gdt_blocks())
        } else {
            self.gdt_blocks() + u64::from(self.f.s_reserved_gdt_blocks)
        }
    }

    /// Where block `i` of the group descriptor table lives (the primary copy): after the
    /// primary superblock, or with `meta_bg` from `s_first_meta_bg` on, in the first group of
    /// its meta group (after that group's superblock backup, if any).
    pub fn desc_block(&self, i: u64) -> u64 {
        let first = u64::from(self.f.s_first_data_block);
        if !self.has_incompat(incompat::META_BG) || i < u64::from(self.f.s_first_meta_bg) {
            return first + 1 + i;
        }
        let g = i.saturating_mul(self.descs_per_block());
        self.group_first_block(g).saturating_add(u64::from(self.group_has_super(g)))
    }

    /// The runs of blocks at the start of group `g` taken by copies of the superblock and the
    /// descriptor table (a run of length 0 is none).
    pub fn group_sb_gdt_runs(&self, g: u64) -> [(u64, u64); 2] {
        let first = self.group_first_block(g);
        let sup = self.group_has_super(g);
        let classic = if sup { (first, 1 + self.old_desc_blocks()) } else { (first, 0) };
        let per = self.descs_per_block().max(1);
        let meta = self.has_incompat(incompat::META_BG)
            && g / per >= u64::from(self.f.s_first_meta_bg)
            && matches!(g % per, x if x == 0 || x == 1 || x == per - 1);
        let meta_run = if meta { (first + u64::from(sup), 1) } else { (first, 0) };
        [classic, meta_run]
    }
    /// Seed of every metadata checksum.
    pub fn csum_seed(&self) -> u32 {
        if self.has_incompat(incompat::CSUM_SEED) {
            self.f.s_checksum_seed
        } else {
            crc32c_raw(!0, &self.f.s_uuid)
        }
    }
    /// Feature names as dumpe2fs prints them.
    pub fn feature_names(&self) -> Vec<String> {
        features::names(self.f.s_feature_compat, self.f.s_feature_incompat, self.f.s_feature_ro_compat)
    }
    /// The directory hash seed as a UUID (as dumpe2fs shows it).
    pub fn hash_seed_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        for (i, w) in self.f.s_hash_seed.iter().enumerate() {
            out[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
        }
        out
    }
    /// Mount options stored in the superblock (`s_mount_opts`).
    pub fn mount_opts(&self) -> String {
        cstr(&self.f.s_mount_opts)
    }
    /// Volume label, up to the first NUL.
    pub fn volume_name(&self) -> String {
        cstr(&self.f.s_volume_name)
    }
    pub fn last_mounted(&self) -> String {
        cstr(&self.f.s_last_mounted)
    }
    /// 64-bit times (the `_hi` bytes extend them past 2038).
    pub fn mkfs_time(&self) -> u64 {
        u64::from(self.f.s_mkfs_time) | (u64::from(self.f.s_mkfs_time_hi) << 32)
    }
    pub fn write_time(&self) -> u64 {
        u64::from(self.f.s_wtime) | (u64::from(self.f.s_wtime_hi) << 32)
    }
    pub fn mount_time(&self) -> u64 {
        u64::from(self.f.s_mtime) | (u64::from(self.f.s_mtime_hi) << 32)
    }
    pub fn lastcheck_time(&self) -> u64 {
        u64::from(self.f.s_lastcheck) | (u64::from(self.f.s_lastcheck_hi) << 32)
    }
    /// First block of group `g`.
    pub fn group_first_block(&self, g: u64) -> u64 {
        u64::from(self.f.s_first_data_block) + g * u64::from(self.f.s_blocks_per_group)
    }
    /// Number of blocks in group `g` (the last one may be short).
    pub fn group_block_count(&self, g: u64) -> u64 {
        let first = self.group_first_block(g);
        (self.blocks_count() - first.min(self.blocks_count())).min(u64::from(self.f.s_blocks_per_group))
    }
}

/// `s_def_hash_version` as e2fsprogs names it (`e2p_hash2string`).
pub fn hash_name(v: u8) -> String {
    match v {
        0 => "legacy".into(),
        1 => "half_md4".into(),
        2 => "tea".into(),
        3 => "legacy_unsigned".into(),
        4 => "half_md4_unsigned".into(),
        5 => "tea_unsigned".into(),
        6 => "siphash".into(),
        n => format!("HASHALG_{n}"),
    }
}

/// `s_errors` as dumpe2fs prints it.
pub fn errors_name(v: u16) -> &'static str {
    match v {
        1 => "Continue",
        2 => "Remount read-only",
        3 => "Panic",
        _ => "Unknown (continue)",
    }
}

/// `s_creator_os` as dumpe2fs prints it (`e2p_os2string`).
pub fn os_name(v: u32) -> &'static str {
    match v {
        0 => "Linux",
        1 => "Hurd",
        2 => "Masix",
        3 => "FreeBSD",
        4 => "Lites",
        _ => "(unknown os)",
    }
}

/// `s_checksum_type` as dumpe2fs prints it.
pub fn checksum_type_name(v: u8) -> &'static str {
    if v == CHECKSUM_CRC32C {
        "crc32c"
    } else {
        "unknown"
    }
}

/// `s_state` as dumpe2fs prints it (`print_fs_state`).
pub fn state_name(state: u16) -> String {
    let mut s = String::from(if state & STATE_VALID != 0 { "clean" } else { "not clean" });
    if state & STATE_ERROR != 0 {
        s.push_str(" with errors");
    }
    s
}

/// `s_flags` as dumpe2fs prints them ("Filesystem flags"; None when zero).
pub fn flag_names(flags: u32) -> Option<Vec<&'static str>> {
    if flags == 0 {
        return None;
    }
    let names: Vec<&str> = [
        (FLAG_SIGNED_HASH, "signed_directory_hash"),
        (FLAG_UNSIGNED_HASH, "unsigned_directory_hash"),
        (0x4, "test_filesystem"),
    ]
    .iter()
    .filter(|(bit, _)| flags & bit != 0)
    .map(|(_, n)| *n)
    .collect();
    Some(names)
}

/// `s_default_mount_opts` as dumpe2fs prints them (`e2p_mntopt2string`), journal mode first.
pub fn mount_option_names(opts: u32) -> Vec<String> {
    const JMODE: u32 = 0x60;
    const NAMES: [(u32, &str); 11] = [
        (0x1, "debug"),
        (0x2, "bsdgroups"),
        (0x4, "user_xattr"),
        (0x8, "acl"),
        (0x10, "uid16"),
        (0x100, "journal_checksum"),
        (0x200, "nobarrier"),
        (0x400, "block_validity"),
        (0x800, "discard"),
        (0x1000, "nodelalloc"),
        (0x80, "nobarrier_"),
    ];
    let mut out = Vec::new();
    match opts & JMODE {
        0 => {}
        0x20 => out.push("journal_data".to_string()),
        0x40 => out.push("journal_data_ordered".to_string()),
        _ => out.push("journal_data_writeback".to_string()),
    }
    for i in 0..32 {
        let bit = 1u32 << i;
        if bit & JMODE != 0 || opts & bit == 0 {
            continue;
        }
        match NAMES.iter().find(|(b, _)| *b == bit && bit != 0x80) {
            Some((_, n)) => out.push((*n).to_string()),
            None => out.push(format!("MNTOPT_{i}")),
        }
    }
    out
}

/// dumpe2fs's "Check interval" words: `1 week, 2 days, 3:04:05`; `<none>` for 0.
pub fn interval_string(secs: u32) -> String {
    const MONTH: u32 = 86400 * 30;
    const WEEK: u32 = 86400 * 7;
    const DAY: u32 = 86400;
    if secs == 0 {
        return "<none>".into();
    }
    let mut parts = Vec::new();
    let mut rest = secs;
    for (unit, name) in [(MONTH, "month"), (WEEK, "week"), (DAY, "day")] {
        if rest >= unit {
            let n = rest / unit;
            rest -= n * unit;
            parts.push(format!("{n} {name}{}", if n > 1 { "s" } else { "" }));
        }
    }
    if rest > 0 {
        parts.push(format!("{}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60));
    }
    parts.join(", ")
}

/// dumpe2fs's "Lifetime writes" (`s_kbytes_written` in kB, MB, GB, TB or PB, rounded).
pub fn lifetime_writes(kb: u64) -> String {
    let p = |x: u32| 1u64 << x;
    if kb < p(13) {
        format!("{kb} kB")
    } else if kb < p(23) {
        format!("{} MB", (kb + p(9)) >> 10)
    } else if kb < p(33) {
        format!("{} GB", (kb + p(19)) >> 20)
    } else if kb < p(43) {
        format!("{} TB", (kb + p(29)) >> 30)
    } else {
        format!("{} PB", kb.saturating_add(p(39)) >> 40)
    }
}

/// Whether group `g` holds a superblock backup under `sparse_super`: 0, 1 and the powers of
/// 3, 5 and 7.
pub fn sparse_group_has_super(g: u64) -> bool {
    g <= 1 || [3u64, 5, 7].iter().any(|&b| is_power_of(g, b))
}

/// Whether `n` is a power of `base` (n >= 1).
fn is_power_of(mut n: u64, base: u64) -> bool {
    if n == 0 {
        return false;
    }
    while n.is_multiple_of(base) {
        n /= base;
    }
    n == 1
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// Format a UUID the way e2fsprogs prints it.
pub fn format_uuid(u: &[u8; 16]) -> String {
    let h: Vec<String> = u.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        h[0..4].concat(),
        h[4..6].concat(),
        h[6..8].concat(),
        h[8..10].concat(),
        h[10..16].concat()
    )
}

/// Parse `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub fn parse_uuid(s: &str) -> Result<[u8; 16]> {
    let hex: String = s.chars().filter(|&c| c != '-').collect();
    let groups: Vec<usize> = s.split('-').map(str::len).collect();
    if hex.len() != 32 || groups != [8, 4, 4, 4, 12] || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::Invalid(format!("invalid UUID '{s}' (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")));
    }
    let mut u = [0u8; 16];
    for (i, b) in u.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
            .map_err(|_| Error::Invalid(format!("invalid UUID '{s}'")))?;
    }
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_round_trip() {
        let s = "11111111-2222-3333-4444-555555555555";
        assert_eq!(format_uuid(&parse_uuid(s).unwrap()), s);
        assert!(parse_uuid("1111-2222").is_err());
        assert!(parse_uuid("g1111111-2222-3333-4444-555555555555").is_err());
    }

    #[test]
    fn backup_groups() {
        let mut f = Fields::read(&[0u8; SIZE]);
        f.s_magic = MAGIC;
        f.s_feature_ro_compat = ro_compat::SPARSE_SUPER;
        let sb = Superblock::from_fields(f);
        let with: Vec<u64> = (0..100).filter(|&g| sb.group_has_super(g)).collect();
        assert_eq!(with, vec![0, 1, 3, 5, 7, 9, 25, 27, 49, 81]);
    }

    #[test]
    fn not_ext4() {
        assert!(matches!(Superblock::parse(&[0u8; SIZE]), Err(Error::NotExt4(_))));
        assert!(matches!(Superblock::parse(&[0u8; 10]), Err(Error::Truncated { .. })));
    }
}
