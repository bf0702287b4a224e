//! Directory entries (`struct ext4_dir_entry_2`) and the checksum tail that closes every leaf
//! block with `metadata_csum` (`struct ext4_dir_entry_tail`). Little-endian.

use super::checksum::crc32c_raw;
use super::le;
use crate::error::{Error, Result};

/// Fixed part of an entry before the name.
pub const HEADER_SIZE: usize = 8;
/// Size of the checksum tail.
pub const TAIL_SIZE: usize = 12;
/// `det_reserved_ft` of the tail.
pub const TAIL_FT: u8 = 0xDE;
pub const NAME_MAX: usize = 255;

/// `file_type` values (`filetype` feature).
pub const FT_UNKNOWN: u8 = 0;
pub const FT_REG_FILE: u8 = 1;
pub const FT_DIR: u8 = 2;
pub const FT_CHRDEV: u8 = 3;
pub const FT_BLKDEV: u8 = 4;
pub const FT_FIFO: u8 = 5;
pub const FT_SOCK: u8 = 6;
pub const FT_SYMLINK: u8 = 7;

/// Space an entry with a name of `name_len` bytes needs (rounded to 4).
pub const fn rec_len_for(name_len: usize) -> usize {
    (HEADER_SIZE + name_len + 3) & !3
}

/// Decode an on-disk `rec_len` (64 KiB blocks store 65536 as 0 or 65535).
pub fn rec_len_from_disk(v: u16, block_size: u32) -> u32 {
    if block_size >= 65536 && (v == 0 || v == 65535) {
        65536
    } else {
        u32::from(v)
    }
}

/// Encode a `rec_len` for the disk.
pub fn rec_len_to_disk(len: u32, block_size: u32) -> u16 {
    if block_size >= 65536 && len == 65536 {
        65535
    } else {
        len as u16
    }
}

/// One entry, borrowed from its block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirEntry<'a> {
    pub inode: u32,
    pub rec_len: u32,
    pub file_type: u8,
    pub name: &'a [u8],
}

/// Parse the entry at `off` of a directory block, validating it against the block.
pub fn parse_at(block: &[u8], off: usize, block_size: u32) -> Result<DirEntry<'_>> {
    let bad = |d: String| Err(Error::corrupt("directory entry", d));
    if off + HEADER_SIZE > block.len() {
        return bad(format!("entry at {off} runs past the block"));
    }
    let inode = le::u32(block, off);
    let rec_len = rec_len_from_disk(le::u16(block, off + 4), block_size);
    let name_len = usize::from(block[off + 6]);
    let file_type = block[off + 7];
    if rec_len < HEADER_SIZE as u32 || !rec_len.is_multiple_of(4) || off + rec_len as usize > block.len() {
        return bad(format!("rec_len {rec_len} at offset {off}"));
    }
    if HEADER_SIZE + name_len > rec_len as usize {
        return bad(format!("name_len {name_len} does not fit rec_len {rec_len} at offset {off}"));
    }
    Ok(DirEntry { inode, rec_len, file_type, name: &block[off + HEADER_SIZE..off + HEADER_SIZE + name_len] })
}

/// Write an entry at `off`. An entry that does not fit in `rec_len` or the block (a length
/// taken from a damaged image) is refused, never written.
pub fn write_at(
    block: &mut [u8],
    off: usize,
    inode: u32,
    rec_len: u32,
    file_type: u8,
    name: &[u8],
    block_size: u32,
) -> Result<()> {
    let fits = name.len() <= NAME_MAX
        && HEADER_SIZE + name.len() <= rec_len as usize
        && off.checked_add(rec_len as usize).is_some_and(|e| e <= block.len());
    if !fits {
        return Err(Error::corrupt(
            "directory entry",
            format!("an entry of {} name bytes does not fit rec_len {rec_len} at offset {off}", name.len()),
        ));
    }
    le::put32(block, off, inode);
    le::put16(block, off + 4, rec_len_to_disk(rec_len, block_size));
    block[off + 6] = name.len() as u8;
    block[off + 7] = file_type;
    block[off + HEADER_SIZE..off + HEADER_SIZE + name.len()].copy_from_slice(name);
    Ok(())
}

/// Set the `rec_len` of the entry at `off` (its other fields stay).
pub fn set_rec_len(block: &mut [u8], off: usize, rec_len: u32, block_size: u32) {
    le::put16(block, off + 4, rec_len_to_disk(rec_len, block_size));
}

/// Remove the entry at `off`: the entry at `prev` (the one before it in the block) absorbs
/// its space, or, when it is the first, its inode becomes 0.
pub fn remove_at(block: &mut [u8], off: usize, prev: Option<usize>, block_size: u32) -> Result<()> {
    let this = parse_at(block, off, block_size)?.rec_len;
    match prev {
        Some(p) => {
            let pl = parse_at(block, p, block_size)?.rec_len;
            set_rec_len(block, p, pl + this, block_size);
        }
        None => le::put32(block, off, 0),
    }
    Ok(())
}

/// Whether the last 12 bytes of `block` are a checksum tail.
pub fn has_tail(block: &[u8]) -> bool {
    let t = block.len() - TAIL_SIZE;
    le::u32(block, t) == 0 && le::u16(block, t + 4) == TAIL_SIZE as u16 && block[t + 6] == 0 && block[t + 7] == TAIL_FT
}

/// Lay out a new directory block in `buf` (one block): the first block of a directory,
/// `Some((itself, parent))` ('.' and '..' with file type `ft`), or an empty one; with a
/// checksum tail when `seed` (the directory inode's checksum seed) is given.
pub fn init_block(buf: &mut [u8], first: Option<(u32, u32)>, ft: u8, seed: Option<u32>) -> Result<()> {
    let bs = buf.len() as u32;
    let tail = if seed.is_some() { TAIL_SIZE as u32 } else { 0 };
    buf.fill(0);
    match first {
        Some((dir, parent)) => {
            write_at(buf, 0, dir, 12, ft, b".", bs)?;
            write_at(buf, 12, parent, bs - 12 - tail, ft, b"..", bs)?;
        }
        None => write_at(buf, 0, 0, bs - tail, 0, b"", bs)?,
    }
    if let Some(s) = seed {
        init_tail(buf);
        set_tail_checksum(buf, s);
    }
    Ok(())
}

/// Initialize the checksum tail (checksum left for [`set_tail_checksum`]).
pub fn init_tail(block: &mut [u8]) {
    let t = block.len() - TAIL_SIZE;
    block[t..].fill(0);
    le::put16(block, t + 4, TAIL_SIZE as u16);
    block[t + 7] = TAIL_FT;
}

/// The checksum of a leaf block: crc32c from the inode's seed over the bytes before the tail.
pub fn leaf_checksum(block: &[u8], inode_seed: u32) -> u32 {
    crc32c_raw(inode_seed, &block[..block.len() - TAIL_SIZE])
}

pub fn set_tail_checksum(block: &mut [u8], inode_seed: u32) {
    let c = leaf_checksum(block, inode_seed);
    let t = block.len() - TAIL_SIZE + 8;
    le::put32(block, t, c);
}

pub fn tail_checksum_ok(block: &[u8], inode_seed: u32) -> bool {
    has_tail(block) && le::u32(block, block.len() - 4) == leaf_checksum(block, inode_seed)
}

/// The `file_type` for an inode mode.
pub fn file_type_of_mode(mode: u16) -> u8 {
    use super::inode::*;
    match mode & S_IFMT {
        S_IFREG => FT_REG_FILE,
        S_IFDIR => FT_DIR,
        S_IFCHR => FT_CHRDEV,
        S_IFBLK => FT_BLKDEV,
        S_IFIFO => FT_FIFO,
        S_IFSOCK => FT_SOCK,
        S_IFLNK => FT_SYMLINK,
        _ => FT_UNKNOWN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_and_tail() {
        let mut b = vec![0u8; 4096];
        write_at(&mut b, 0, 2, 12, FT_DIR, b".", 4096).unwrap();
        write_at(&mut b, 12, 2, 4096 - 12 - TAIL_SIZE as u32, FT_DIR, b"..", 4096).unwrap();
        init_tail(&mut b);
        set_tail_checksum(&mut b, 77);
        assert!(tail_checksum_ok(&b, 77));
        let e = parse_at(&b, 12, 4096).unwrap();
        assert_eq!((e.inode, e.name, e.file_type), (2, &b".."[..], FT_DIR));
        assert_eq!(e.rec_len, 4096 - 24);
        assert!(parse_at(&b, 4090, 4096).is_err());
        b[4] = 3; // rec_len 3: not a multiple of 4
        assert!(parse_at(&b, 0, 4096).is_err());
        assert_eq!(rec_len_for(10), 20);
        assert_eq!(rec_len_from_disk(rec_len_to_disk(65536, 65536), 65536), 65536);
    }
}
