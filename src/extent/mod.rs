//! The extent tree of an inode: lookup (this module), with insert, split, merge, punch and
//! unwritten conversion to come. Every walk is bounded: depth is capped at
//! [`crate::ondisk::extent::MAX_DEPTH`] and every child block is range-checked.

use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::ondisk::extent::{self as x, Extent, Header, Index};
use crate::ondisk::inode::{Inode, FL_EXTENTS};
use crate::pmem::Device;

/// The extent covering logical block `lblk` of `inode`, if any.
pub fn lookup<D: Device>(fs: &Fs<D>, inode: &Inode, lblk: u32) -> Result<Option<Extent>> {
    if !inode.has_flag(FL_EXTENTS) {
        return Err(Error::Unsupported("block-mapped (non-extent) file".into()));
    }
    let root = &inode.f.i_block[..];
    let mut h = Header::parse(root, x::ROOT_CAPACITY)?;
    let mut node: std::borrow::Cow<'_, [u8]> = std::borrow::Cow::Borrowed(root);
    let cap = x::block_capacity(fs.block_size());
    let mut expect_depth = h.depth;
    for _ in 0..=x::MAX_DEPTH {
        if h.depth != expect_depth {
            return Err(Error::corrupt(
                "extent tree",
                format!("node depth {} where {} was expected", h.depth, expect_depth),
            ));
        }
        let n = usize::from(h.entries);
        if h.depth == 0 {
            // Last extent whose start is <= lblk.
            let mut found = None;
            for i in 0..n {
                let e = Extent::parse(&node[x::entry_offset(i)..]);
                if e.logical > lblk {
                    break;
                }
                found = Some(e);
            }
            return Ok(found.filter(|e| u64::from(lblk) < e.logical_end()));
        }
        let mut child = None;
        for i in 0..n {
            let ix = Index::parse(&node[x::entry_offset(i)..]);
            if ix.logical > lblk && i > 0 {
                break;
            }
            child = Some(ix.child);
        }
        let Some(blk) = child else { return Ok(None) };
        let b = fs.block(blk)?.into_owned();
        h = Header::parse(&b, cap)?;
        expect_depth -= 1;
        node = std::borrow::Cow::Owned(b);
    }
    Err(Error::corrupt("extent tree", "deeper than the depth limit"))
}
