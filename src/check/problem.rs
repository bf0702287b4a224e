//! The problem table: every finding of `fsck` is one numbered problem here, grouped by pass
//! (code = pass << 16 | number), with its message, the question a repair answers, and flags.
//! One entry point ([`super::Checker::fix`]) decides from the flags and the mode whether a
//! problem is fixed.

/// Fixing it is safe without asking (`-p` fixes it).
pub const PREEN_OK: u8 = 1;
/// Answering "no" is fine: left alone, it does not count as an error (e2fsck's `PR_NO_OK`).
pub const NO_OK: u8 = 2;
/// Nothing can be checked past it.
pub const FATAL: u8 = 4;
/// Reported, never repaired (stale data: only the writer could know the right contents).
pub const NO_REPAIR: u8 = 8;

/// The question a repair answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Prompt {
    Fix,
    Clear,
    Connect,
    Create,
    Recompute,
    Replay,
    Clone,
    Delete,
    Report,
}

/// One kind of finding.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Problem {
    pub code: u32,
    pub name: &'static str,
    pub message: &'static str,
    pub prompt: Prompt,
    pub flags: u8,
}

impl Problem {
    pub fn pass(&self) -> u8 {
        (self.code >> 16) as u8
    }
}

macro_rules! problems {
    ($($name:ident = $code:expr, $prompt:ident, $flags:expr, $msg:expr;)*) => {
        $(pub const $name: u32 = $code;)*
        /// Every problem, sorted by code.
        pub static PROBLEMS: &[Problem] = &[
            $(Problem { code: $code, name: stringify!($name), message: $msg, prompt: Prompt::$prompt, flags: $flags },)*
        ];
    };
}

problems! {
    // Pass 0: superblock and group descriptors.
    SB_CHECKSUM = 0x00_0001, Fix, 0, "superblock is damaged (checksum or fields): using the backup in group 1";
    GD_CHECKSUM = 0x00_0002, Recompute, PREEN_OK | NO_OK, "group descriptor checksum is invalid";
    GD_BAD_LOCATION = 0x00_0003, Report, FATAL, "group descriptor points outside the file system";
    GD_BAD_UNUSED = 0x00_0004, Fix, 0, "group descriptor has an invalid unused inodes count";
    QUOTA_INODE_INVALID = 0x00_0005, Fix, 0, "invalid quota inode in the superblock";
    MMP_INVALID_BLOCK = 0x00_0006, Clear, PREEN_OK, "superblock has an invalid MMP block";
    MMP_BAD_MAGIC = 0x00_0007, Fix, PREEN_OK, "superblock has invalid MMP magic";
    MMP_CHECKSUM = 0x00_0008, Fix, PREEN_OK, "MMP block checksum does not match";
    GD_USE_BACKUP = 0x00_0009, Fix, 0, "group descriptors look bad: using the backup in group 1";
    FS_REV_LEVEL = 0x00_000A, Fix, PREEN_OK | NO_OK, "file system has feature flags set, but is a revision 0 file system";
    GD_UNINIT_NO_CSUM = 0x00_000B, Fix, PREEN_OK, "group descriptor marked uninitialised without group checksums";
    GD_BLOCK_UNINIT_LAST = 0x00_000C, Fix, PREEN_OK, "last group's block bitmap is marked uninitialised";
    GD_INODE_UNINIT_RESERVED = 0x00_000D, Fix, 0, "group holding the reserved inodes is marked as having no inodes in use";
    JOURNAL_RECOVER_NO_JOURNAL = 0x00_000E, Clear, PREEN_OK, "superblock needs_recovery flag is set, but no journal is present";
    // Pass 1: inodes and extent trees.
    INODE_CHECKSUM = 0x01_0001, Recompute, PREEN_OK, "inode passes checks, but its checksum does not match";
    INODE_DTIME_SET = 0x01_0002, Fix, PREEN_OK, "inode is in use, but has dtime set";
    INODE_BAD_MODE = 0x01_0003, Clear, 0, "inode has a bad mode";
    EXTENT_TREE_CORRUPT = 0x01_0004, Clear, 0, "inode has a corrupt extent tree";
    EXTENT_NODE_CHECKSUM = 0x01_0005, Recompute, PREEN_OK, "extent block checksum does not match";
    EXTENT_OUT_OF_RANGE = 0x01_0006, Clear, 0, "extent points outside the file system or into its metadata";
    BLOCK_CLAIMED_TWICE = 0x01_0007, Clone, 0, "file has multiply-claimed blocks";
    DIR_UNWRITTEN_EXTENT = 0x01_0008, Fix, 0, "directory has an unwritten extent";
    BAD_I_SIZE = 0x01_0009, Fix, PREEN_OK, "i_size is wrong";
    BAD_I_BLOCKS = 0x01_000A, Fix, PREEN_OK, "i_blocks is wrong";
    ROOT_NOT_DIR = 0x01_000B, Clear, 0, "root inode is not a directory";
    ZERO_DTIME = 0x01_000C, Fix, PREEN_OK, "deleted inode has zero dtime";
    INODE_LOW_DTIME = 0x01_000D, Fix, 0, "inode was part of the orphaned inode list";
    EA_BLOCK_BAD = 0x01_000E, Clear, 0, "inode has a bad extended attribute block";
    EA_ALLOC_COLLISION = 0x01_000F, Clear, 0, "extended attribute block is corrupt (allocation collision)";
    EA_VALUE_INODE = 0x01_0010, Clear, 0, "extended attribute has an illegal value inode";
    EA_BAD_HASH = 0x01_0011, Clear, 0, "extended attribute has an invalid hash";
    EA_BLOCK_CHECKSUM = 0x01_0012, Fix, 0, "extended attribute block passes checks, but its checksum does not match";
    EA_REFCOUNT = 0x01_0013, Fix, 0, "extended attribute block has a wrong reference count";
    FILE_ACL_INVALID = 0x01_0014, Clear, 0, "extended attribute block of the inode is invalid";
    INODE_EA_BAD = 0x01_0015, Clear, 0, "in-inode extended attributes are corrupt";
    FADDR_NONZERO = 0x01_0016, Clear, 0, "i_faddr is set, should be zero";
    EXTRA_ISIZE_INVALID = 0x01_0017, Fix, PREEN_OK, "inode has an invalid extra size";
    IMAGIC_SET = 0x01_0018, Clear, 0, "inode has the imagic flag set";
    ROOT_DTIME = 0x01_0019, Fix, PREEN_OK, "root inode has dtime set";
    BAD_BLOCKS_INODE_INVALID = 0x01_001A, Clear, 0, "the bad block inode looks invalid";
    BAD_BLOCKS_ILLEGAL = 0x01_001B, Clear, 0, "bad block inode has an illegal block";
    QUOTA_BAD_MODE = 0x01_001C, Fix, PREEN_OK, "quota inode is not a regular file";
    QUOTA_INODE_NOT_CLEAR = 0x01_001D, Clear, PREEN_OK, "quota inode is not in use, but contains data";
    EXTENT_FLAG_MISSING = 0x01_001E, Fix, PREEN_OK, "inode is in extent format but EXTENTS_FL is not set";
    CASEFOLD_NONDIR = 0x01_001F, Fix, 0, "inode has the casefold flag set but is not a directory";
    CASEFOLD_FEATURE = 0x01_0020, Fix, 0, "directory has the casefold flag, but the casefold feature is not enabled";
    HTREE_NODIR = 0x01_0021, Fix, PREEN_OK, "inode has INDEX_FL set but is not a directory";
    BLOCKS_HI_ZERO = 0x01_0022, Fix, 0, "i_blocks_hi is set, should be zero (no huge_file feature)";
    FILE_ACL_HI_ZERO = 0x01_0023, Fix, 0, "i_file_acl_hi is set, should be zero (no 64bit feature)";
    DIR_SIZE_HIGH_ZERO = 0x01_0024, Fix, 0, "i_size_high of a directory is set, should be zero (no large_dir feature)";
    ILLEGAL_BLOCK = 0x01_0025, Clear, 0, "illegal block in inode (a block map pointer outside the file system)";
    TOO_MANY_ILLEGAL_BLOCKS = 0x01_0026, Clear, 0, "too many illegal blocks in inode";
    JOURNAL_INODE_NOT_CLEAR = 0x01_0027, Clear, PREEN_OK, "journal inode is not in use, but contains data";
    RESIZE_INODE_INVALID = 0x01_0028, Create, NO_OK, "resize inode not valid (recreate it)";
    BAD_BLOCK_IN_USE = 0x01_0029, Report, NO_REPAIR, "a block of the bad block list is in use (e4dax does not clone it: run e2fsck)";
    JOURNAL_BLOCK_CLAIMED_TWICE = 0x01_002A, Report, NO_REPAIR, "the journal or the resize inode has multiply-claimed blocks (never cloned: not repaired)";
    INLINE_DATA_FEATURE = 0x01_002B, Fix, PREEN_OK, "inode has inline data, but the superblock is missing the inline_data feature";
    INLINE_DATA_SET = 0x01_002C, Clear, 0, "inode has INLINE_DATA_FL on a file system without inline data support";
    INLINE_DATA_NO_ATTR = 0x01_002D, Fix, 0, "inode has INLINE_DATA_FL but no system.data extended attribute (truncated)";
    INLINE_EXTENT_FLAGS = 0x01_002E, Fix, 0, "inode has both INLINE_DATA_FL and EXTENTS_FL";
    INLINE_EXTENT_INODE = 0x01_002F, Clear, 0, "inode has INLINE_DATA_FL and EXTENTS_FL but holds neither inline data, an extent tree nor a block map";
    SYMLINK_INVALID = 0x01_0030, Clear, 0, "symlink is invalid";
    EXTENT_ENTRY_BAD = 0x01_0031, Clear, 0, "extent tree entry is out of order, empty, past its parent's range, or names a node that cannot be read";
    EXTENT_INDEX_START = 0x01_0032, Fix, 0, "interior extent node's logical start does not match the logical start at the next level";
    DUP_DELETE = 0x01_0033, Delete, 0, "file with multiply-claimed blocks was not cloned";
    METADATA_COLLISION = 0x01_0034, Clear, 0, "indirect block conflicts with critical metadata (superblocks, descriptors, bitmaps, inode tables)";
    RESERVED_BAD_MODE = 0x01_0035, Clear, PREEN_OK, "reserved inode has an invalid mode";
    DIR_TOO_BIG = 0x01_0036, Clear, 0, "directory is too big: an extent ends past 2 GiB (no large_dir feature)";
    DIR_COLLAPSE_BLOCK = 0x01_0037, Fix, 0, "directory block is not where it should be (a gap in the directory's blocks)";
    // Pass 2: directories.
    DIR_BAD_ENTRY = 0x02_0001, Fix, 0, "directory block has a corrupt entry";
    DIR_ENTRY_BAD_INODE = 0x02_0002, Clear, 0, "directory entry has an invalid inode number or name";
    DIR_ENTRY_FILE_TYPE = 0x02_0003, Fix, 0, "directory entry has the wrong file type";
    DIR_LEAF_CHECKSUM = 0x02_0004, Recompute, PREEN_OK, "directory block checksum does not match";
    DIR_NO_TAIL = 0x02_0005, Fix, PREEN_OK, "directory block has no checksum tail";
    DIR_DOT = 0x02_0006, Fix, 0, "directory '.' entry is missing or wrong";
    DIR_DOTDOT = 0x02_0007, Fix, 0, "directory '..' entry is missing or wrong";
    DIR_BAD_SIZE = 0x02_0008, Fix, 0, "directory size is not a whole number of blocks";
    DIR_HARD_LINK = 0x02_0009, Clear, 0, "directory entry is a second link to a directory";
    DIR_DUPLICATE = 0x02_000A, Clear, 0, "duplicate entry in a directory";
    DIR_ENTRY_UNUSED_INODE = 0x02_000B, Clear, PREEN_OK, "directory entry refers to a deleted or unused inode";
    DIR_HOLE = 0x02_000C, Create, 0, "directory has an unallocated block (a hole)";
    DIR_NO_DOTDOT = 0x02_000D, Report, NO_REPAIR, "directory has no '..' entry";
    DIR_ZERO_LENGTH = 0x02_000E, Clear, 0, "directory has no data (zero length)";
    DIR_NO_ROOM_FOR_TAIL = 0x02_000F, Report, NO_REPAIR, "directory block has no room for a checksum tail (e4dax does not rebuild directories: run e2fsck)";
    DIR_BAD_NAME = 0x02_0010, Fix, 0, "directory entry has illegal characters in its name";
    DIR_DOT_NULL_TERM = 0x02_0011, Fix, 0, "'.' directory entry is not NUL terminated";
    DIR_DOTDOT_NULL_TERM = 0x02_0012, Fix, 0, "'..' directory entry is not NUL terminated";
    DIR_SPLIT_DOT = 0x02_0013, Fix, 0, "directory entry for '.' is too big (split it)";
    DIR_LINK_DOT = 0x02_0014, Clear, 0, "directory entry is a link to '.'";
    // Pass 3: connectivity.
    NO_LOST_FOUND = 0x03_0001, Create, PREEN_OK, "/lost+found not found";
    UNREACHABLE_DIR = 0x03_0002, Connect, 0, "unconnected directory inode";
    DOTDOT_WRONG = 0x03_0003, Fix, 0, "'..' does not name the parent directory";
    NO_ROOT = 0x03_0004, Create, 0, "root inode not allocated";
    // Pass 4: reference counts.
    UNATTACHED_INODE = 0x04_0001, Connect, 0, "unattached inode";
    UNATTACHED_EMPTY = 0x04_0002, Clear, PREEN_OK, "unattached zero-length inode";
    LINK_COUNT = 0x04_0003, Fix, PREEN_OK, "inode link count is wrong";
    EA_INODE_REFCOUNT = 0x04_0004, Fix, PREEN_OK, "extended attribute value inode has a wrong reference count";
    // Pass 5: bitmaps and counts.
    BLOCK_BITMAP = 0x05_0001, Fix, PREEN_OK, "block bitmap differences";
    INODE_BITMAP = 0x05_0002, Fix, PREEN_OK, "inode bitmap differences";
    GROUP_FREE_BLOCKS = 0x05_0003, Fix, PREEN_OK, "free blocks count wrong for group";
    GROUP_FREE_INODES = 0x05_0004, Fix, PREEN_OK, "free inodes count wrong for group";
    GROUP_DIRS = 0x05_0005, Fix, PREEN_OK, "directories count wrong for group";
    BITMAP_PADDING = 0x05_0006, Fix, PREEN_OK, "padding at the end of a bitmap is not set";
    BITMAP_CHECKSUM = 0x05_0007, Recompute, PREEN_OK, "bitmap checksum does not match";
    ITABLE_UNUSED = 0x05_0008, Fix, PREEN_OK, "unused inode count wrong for group";
    SB_FREE_BLOCKS = 0x05_0009, Fix, PREEN_OK | NO_OK, "free blocks count wrong in the superblock";
    SB_FREE_INODES = 0x05_000A, Fix, PREEN_OK | NO_OK, "free inodes count wrong in the superblock";
    // Journal.
    JOURNAL_NEEDS_RECOVERY = 0x06_0001, Replay, NO_OK, "the journal needs recovery";
    JOURNAL_SKIPPED = 0x06_0002, Report, NO_OK, "skipping journal recovery because doing a read-only check";
    JOURNAL_SUPERBLOCK_CORRUPT = 0x06_0003, Fix, 0, "the journal superblock is corrupt";
    JOURNAL_INODE_INVALID = 0x06_0004, Clear, PREEN_OK, "the superblock has an invalid journal";
    JOURNAL_RECREATE = 0x06_0005, Create, PREEN_OK | NO_OK, "recreate the journal";
    // Data (--data).
    STALE_DATA = 0x07_0001, Report, NO_REPAIR, "stale data (the poison pattern) inside a written extent";
}

/// The problem with `code` (every code used in the checker is in the table).
pub fn get(code: u32) -> &'static Problem {
    let i = PROBLEMS.partition_point(|p| p.code < code);
    match PROBLEMS.get(i) {
        Some(p) if p.code == code => p,
        _ => panic!("problem code {code:#08x} is not in the table"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_sorted() {
        for w in PROBLEMS.windows(2) {
            assert!(
                w[0].code < w[1].code,
                "{} ({:#x}) is not before {} ({:#x})",
                w[0].name,
                w[0].code,
                w[1].name,
                w[1].code
            );
        }
        for p in PROBLEMS {
            assert_eq!(get(p.code).name, p.name);
            assert!(p.pass() <= 7);
        }
    }
}
