//! jbd2 journal structures. **Big-endian**, unlike the rest of ext4.

pub mod block;
pub mod superblock;

/// `h_magic` of every jbd2 metadata block.
pub const MAGIC: u32 = 0xC03B_3998;

/// `h_blocktype` values.
pub const BLOCKTYPE_DESCRIPTOR: u32 = 1;
pub const BLOCKTYPE_COMMIT: u32 = 2;
pub const BLOCKTYPE_SUPERBLOCK_V1: u32 = 3;
pub const BLOCKTYPE_SUPERBLOCK_V2: u32 = 4;
pub const BLOCKTYPE_REVOKE: u32 = 5;

/// `s_checksum_type` for crc32c.
pub const CHECKSUM_CRC32C: u8 = 4;
