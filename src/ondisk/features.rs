//! Feature flags of the ext4 superblock and the jbd2 superblock, with the names e2fsprogs
//! prints, and the sets e4dax can read and write.

use crate::error::{Error, Result};

/// Which of the three feature words a flag lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Compat,
    Incompat,
    RoCompat,
}

pub mod compat {
    pub const DIR_PREALLOC: u32 = 0x1;
    pub const IMAGIC_INODES: u32 = 0x2;
    pub const HAS_JOURNAL: u32 = 0x4;
    pub const EXT_ATTR: u32 = 0x8;
    pub const RESIZE_INODE: u32 = 0x10;
    pub const DIR_INDEX: u32 = 0x20;
    pub const SPARSE_SUPER2: u32 = 0x200;
    pub const FAST_COMMIT: u32 = 0x400;
    pub const ORPHAN_FILE: u32 = 0x1000;
}

pub mod incompat {
    pub const COMPRESSION: u32 = 0x1;
    pub const FILETYPE: u32 = 0x2;
    pub const RECOVER: u32 = 0x4;
    pub const JOURNAL_DEV: u32 = 0x8;
    pub const META_BG: u32 = 0x10;
    pub const EXTENTS: u32 = 0x40;
    pub const BIT64: u32 = 0x80;
    pub const MMP: u32 = 0x100;
    pub const FLEX_BG: u32 = 0x200;
    pub const EA_INODE: u32 = 0x400;
    pub const DIRDATA: u32 = 0x1000;
    pub const CSUM_SEED: u32 = 0x2000;
    pub const LARGEDIR: u32 = 0x4000;
    pub const INLINE_DATA: u32 = 0x8000;
    pub const ENCRYPT: u32 = 0x10000;
    pub const CASEFOLD: u32 = 0x20000;
}

pub mod ro_compat {
    pub const SPARSE_SUPER: u32 = 0x1;
    pub const LARGE_FILE: u32 = 0x2;
    pub const HUGE_FILE: u32 = 0x8;
    pub const GDT_CSUM: u32 = 0x10;
    pub const DIR_NLINK: u32 = 0x20;
    pub const EXTRA_ISIZE: u32 = 0x40;
    pub const QUOTA: u32 = 0x100;
    pub const BIGALLOC: u32 = 0x200;
    pub const METADATA_CSUM: u32 = 0x400;
    pub const READONLY: u32 = 0x1000;
    pub const PROJECT: u32 = 0x2000;
    pub const SHARED_BLOCKS: u32 = 0x4000;
    pub const VERITY: u32 = 0x8000;
    pub const ORPHAN_PRESENT: u32 = 0x10000;
}

const COMPAT_NAMES: &[(u32, &str)] = &[
    (0x1, "dir_prealloc"),
    (0x2, "imagic_inodes"),
    (0x4, "has_journal"),
    (0x8, "ext_attr"),
    (0x10, "resize_inode"),
    (0x20, "dir_index"),
    (0x40, "lazy_bg"),
    (0x80, "snapshot_bitmap"),
    (0x200, "sparse_super2"),
    (0x400, "fast_commit"),
    (0x800, "stable_inodes"),
    (0x1000, "orphan_file"),
];

const INCOMPAT_NAMES: &[(u32, &str)] = &[
    (0x1, "compression"),
    (0x2, "filetype"),
    (0x4, "needs_recovery"),
    (0x8, "journal_dev"),
    (0x10, "meta_bg"),
    (0x40, "extent"),
    (0x80, "64bit"),
    (0x100, "mmp"),
    (0x200, "flex_bg"),
    (0x400, "ea_inode"),
    (0x1000, "dirdata"),
    (0x2000, "metadata_csum_seed"),
    (0x4000, "large_dir"),
    (0x8000, "inline_data"),
    (0x10000, "encrypt"),
    (0x20000, "casefold"),
];

const RO_COMPAT_NAMES: &[(u32, &str)] = &[
    (0x1, "sparse_super"),
    (0x2, "large_file"),
    (0x8, "huge_file"),
    (0x10, "uninit_bg"),
    (0x20, "dir_nlink"),
    (0x40, "extra_isize"),
    (0x80, "snapshot"),
    (0x100, "quota"),
    (0x200, "bigalloc"),
    (0x400, "metadata_csum"),
    (0x800, "replica"),
    (0x1000, "read-only"),
    (0x2000, "project"),
    (0x4000, "shared_blocks"),
    (0x8000, "verity"),
    (0x10000, "orphan_present"),
];

/// The name e2fsprogs prints for one feature bit (`FEATURE_I31` style for unknown bits).
pub fn name(kind: Kind, bit: u32) -> String {
    let (table, letter) = match kind {
        Kind::Compat => (COMPAT_NAMES, 'C'),
        Kind::Incompat => (INCOMPAT_NAMES, 'I'),
        Kind::RoCompat => (RO_COMPAT_NAMES, 'R'),
    };
    match table.iter().find(|(b, _)| *b == bit) {
        Some((_, n)) => (*n).to_string(),
        None => format!("FEATURE_{letter}{}", bit.trailing_zeros()),
    }
}

/// All set features in dumpe2fs order: compat, incompat, ro_compat, each by ascending bit.
pub fn names(compat: u32, incompat: u32, ro_compat: u32) -> Vec<String> {
    let mut out = Vec::new();
    for (kind, word) in [(Kind::Compat, compat), (Kind::Incompat, incompat), (Kind::RoCompat, ro_compat)] {
        for i in 0..32 {
            let bit = 1u32 << i;
            if word & bit != 0 {
                out.push(name(kind, bit));
            }
        }
    }
    out
}

/// Incompatible features e4dax understands well enough to read the file system. With
/// `inline_data` the file system stays writable: what would change an inline inode's data
/// (or an inline directory's entries) is refused per inode (the `fs::inline` module); files
/// e4dax creates are never inline.
pub const INCOMPAT_READ: u32 = incompat::FILETYPE
    | incompat::RECOVER
    | incompat::EXTENTS
    | incompat::BIT64
    | incompat::FLEX_BG
    | incompat::CSUM_SEED
    | incompat::LARGEDIR
    | incompat::META_BG
    | incompat::EA_INODE
    | incompat::MMP
    | incompat::INLINE_DATA;

/// Incompatible features e4dax reads and checks but does not write with, apart from fsck's
/// repairs: `mmp` (e4dax does not run the multi-mount protection protocol).
pub const INCOMPAT_NO_WRITE: u32 = incompat::MMP;

/// Read-only-compatible features e4dax must refuse even for reading, because they change
/// how block numbers are interpreted.
pub const RO_COMPAT_UNREADABLE: u32 = ro_compat::BIGALLOC;

/// Read-only-compatible features e4dax keeps correct when it writes.
pub const RO_COMPAT_WRITE: u32 = ro_compat::SPARSE_SUPER
    | ro_compat::LARGE_FILE
    | ro_compat::HUGE_FILE
    | ro_compat::GDT_CSUM
    | ro_compat::DIR_NLINK
    | ro_compat::EXTRA_ISIZE
    | ro_compat::METADATA_CSUM;

fn refuse(kind: Kind, word: u32, why: &str) -> Result<()> {
    let mut names = Vec::new();
    for i in 0..32 {
        if word & (1 << i) != 0 {
            names.push(name(kind, 1 << i));
        }
    }
    Err(Error::Unsupported(format!("{} ({why})", names.join(", "))))
}

/// Refuse a file system whose features e4dax cannot read correctly.
pub fn check_readable(incompat: u32, ro_compat: u32) -> Result<()> {
    let bad = incompat & !INCOMPAT_READ;
    if bad != 0 {
        return refuse(Kind::Incompat, bad, "incompatible feature e4dax cannot read");
    }
    let bad = ro_compat & RO_COMPAT_UNREADABLE;
    if bad != 0 {
        return refuse(Kind::RoCompat, bad, "e4dax cannot read it");
    }
    Ok(())
}

/// Refuse to modify a file system with features e4dax would not keep consistent.
pub fn check_writable(incompat: u32, ro_compat: u32) -> Result<()> {
    check_readable(incompat, ro_compat)?;
    let bad = incompat & INCOMPAT_NO_WRITE;
    if bad != 0 {
        return refuse(Kind::Incompat, bad, "e4dax does not run the multi-mount protection protocol");
    }
    let bad = ro_compat & !RO_COMPAT_WRITE;
    if bad != 0 {
        return refuse(Kind::RoCompat, bad, "e4dax cannot write with it");
    }
    Ok(())
}

/// jbd2 feature bits (in the big-endian journal superblock).
pub mod jbd2 {
    pub const COMPAT_CHECKSUM: u32 = 0x1;
    pub const INCOMPAT_REVOKE: u32 = 0x1;
    pub const INCOMPAT_64BIT: u32 = 0x2;
    pub const INCOMPAT_ASYNC_COMMIT: u32 = 0x4;
    pub const INCOMPAT_CSUM_V2: u32 = 0x8;
    pub const INCOMPAT_CSUM_V3: u32 = 0x10;
    pub const INCOMPAT_FAST_COMMIT: u32 = 0x20;

    /// Journal features as dumpe2fs names them (compat first, then incompat).
    pub fn names(compat: u32, incompat: u32, ro_compat: u32) -> Vec<String> {
        let mut out = Vec::new();
        if compat & COMPAT_CHECKSUM != 0 {
            out.push("journal_checksum".to_string());
        }
        for i in 0..32 {
            let b = 1u32 << i;
            if compat & b != 0 && b != COMPAT_CHECKSUM {
                out.push(format!("FEATURE_C{i}"));
            }
        }
        let known = [
            (INCOMPAT_REVOKE, "journal_incompat_revoke"),
            (INCOMPAT_64BIT, "journal_64bit"),
            (INCOMPAT_ASYNC_COMMIT, "journal_async_commit"),
            (INCOMPAT_CSUM_V2, "journal_checksum_v2"),
            (INCOMPAT_CSUM_V3, "journal_checksum_v3"),
            (INCOMPAT_FAST_COMMIT, "journal_fast_commit"),
        ];
        for i in 0..32 {
            let b = 1u32 << i;
            if incompat & b != 0 {
                match known.iter().find(|(k, _)| *k == b) {
                    Some((_, n)) => out.push((*n).to_string()),
                    None => out.push(format!("FEATURE_I{i}")),
                }
            }
        }
        for i in 0..32 {
            if ro_compat & (1 << i) != 0 {
                out.push(format!("FEATURE_R{i}"));
            }
        }
        out
    }

    /// Incompatible journal features e4dax can replay.
    pub const INCOMPAT_KNOWN: u32 =
        INCOMPAT_REVOKE | INCOMPAT_64BIT | INCOMPAT_ASYNC_COMMIT | INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_feature_line() {
        // dumpe2fs of a stock `mkfs.ext4 -b 4096` image on this machine.
        let n = names(0x3c, 0x2c2, 0x46b);
        assert_eq!(
            n.join(" "),
            "has_journal ext_attr resize_inode dir_index filetype extent 64bit flex_bg \
             sparse_super large_file huge_file dir_nlink extra_isize metadata_csum"
        );
    }

    #[test]
    fn unknown_bits_are_named_and_refused() {
        assert_eq!(name(Kind::Incompat, 1 << 31), "FEATURE_I31");
        let e = check_readable(incompat::FILETYPE | (1 << 31), 0).unwrap_err();
        assert!(e.to_string().contains("FEATURE_I31"), "{e}");
        assert!(check_readable(incompat::INLINE_DATA, 0).is_ok());
        assert!(check_readable(incompat::ENCRYPT, 0).is_err());
        assert!(check_readable(incompat::FILETYPE, ro_compat::QUOTA).is_ok());
        assert!(check_writable(incompat::FILETYPE, ro_compat::QUOTA).is_err());
        assert!(check_readable(0, ro_compat::BIGALLOC).is_err());
    }
}
