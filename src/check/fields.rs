//! Fields of an inode in use that e2fsck checks apart from its blocks: the imagic flag, the
//! extra inode size, the obsolete fragment address, and the attributes stored in the inode.

use super::{problem, xattr, Checker};
use crate::ondisk::features::{compat, incompat, ro_compat};
use crate::ondisk::inode::{self as ino, Inode};
use crate::ondisk::le;
use crate::pmem::Device;

/// Repairs of the slot's bytes outside [`Inode`]'s fields, made after the inode is written.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SlotFix {
    /// Zero `i_faddr`.
    pub faddr: bool,
    /// Zero the in-inode attribute area.
    pub in_inode_ea: bool,
    /// Blocks the in-inode attributes' value inodes charge to the inode (not a repair).
    pub charged: u64,
}

impl SlotFix {
    pub fn any(&self) -> bool {
        self.faddr || self.in_inode_ea
    }

    /// Apply to slot `slot` of an inode whose extra fields are `extra_isize` bytes.
    pub fn apply(&self, slot: &mut [u8], extra_isize: u16) {
        if self.faddr {
            le::put32(slot, ino::I_FADDR, 0);
        }
        if self.in_inode_ea {
            let start = ino::GOOD_OLD_SIZE + usize::from(extra_isize);
            if start < slot.len() {
                slot[start..].fill(0);
            }
        }
    }
}

/// What the checks need of a slot beyond [`Inode`]'s fields (taken before the slot's borrow
/// of the file system ends; the slot is copied only when it holds attributes).
pub(crate) struct SlotView {
    faddr: u32,
    ea_slot: Option<Vec<u8>>,
}

impl SlotView {
    pub fn of(slot: &[u8], node: &Inode) -> SlotView {
        let start = ino::GOOD_OLD_SIZE + usize::from(node.f.i_extra_isize);
        let has_ea = slot.len() >= start + 4 && le::u32(slot, start) == crate::ondisk::xattr::MAGIC;
        SlotView { faddr: le::u32(slot, ino::I_FADDR), ea_slot: has_ea.then(|| slot.to_vec()) }
    }
}

/// Check inode `n` (`view` of its slot, decoded `node`); changes to `node`'s fields set `dirty`.
pub(crate) fn check<D: Device>(
    c: &mut Checker<'_, D>,
    n: u32,
    view: &SlotView,
    node: &mut Inode,
    dirty: &mut bool,
) -> SlotFix {
    let mut out = SlotFix::default();
    if node.has_flag(ino::FL_IMAGIC)
        && !c.fs.sb.has_compat(compat::IMAGIC_INODES)
        && c.fix(problem::IMAGIC_SET, format!("inode {n}"), Some(n), None)
    {
        node.f.i_flags &= !ino::FL_IMAGIC;
        *dirty = true;
    }
    let sb = &c.fs.sb;
    let (casefold, dir_index) = (sb.has_incompat(incompat::CASEFOLD), sb.has_compat(compat::DIR_INDEX));
    let (huge, bit64, large_dir) =
        (sb.has_ro_compat(ro_compat::HUGE_FILE), sb.has_incompat(incompat::BIT64), sb.has_incompat(incompat::LARGEDIR));
    if node.has_flag(ino::FL_CASEFOLD) {
        let code = if !node.is_dir() {
            Some(problem::CASEFOLD_NONDIR)
        } else if !casefold {
            Some(problem::CASEFOLD_FEATURE)
        } else {
            None
        };
        if code.is_some_and(|code| c.fix(code, format!("inode {n}"), Some(n), None)) {
            node.f.i_flags &= !ino::FL_CASEFOLD;
            *dirty = true;
        }
    }
    // (A directory with INDEX_FL on a file system without dir_index is left to pass 2, which
    // reads its index blocks as such: e2fsck clears the flag and rebuilds the directory.)
    let _ = dir_index;
    if node.has_flag(ino::FL_INDEX)
        && !node.is_dir()
        && c.fix(problem::HTREE_NODIR, format!("inode {n}"), Some(n), None)
    {
        node.f.i_flags &= !ino::FL_INDEX;
        *dirty = true;
    }
    // Fields e2fsck wants zero without the feature that gives them a meaning.
    let hi = node.f.i_blocks_high;
    if hi != 0 && !huge && c.fix(problem::BLOCKS_HI_ZERO, format!("inode {n}: {hi}"), Some(n), None) {
        node.f.i_blocks_high = 0;
        *dirty = true;
    }
    let hi = node.f.i_file_acl_high;
    if hi != 0 && !bit64 && c.fix(problem::FILE_ACL_HI_ZERO, format!("inode {n}: {hi}"), Some(n), None) {
        node.f.i_file_acl_high = 0;
        *dirty = true;
    }
    let hi = node.f.i_size_high;
    if hi != 0
        && node.is_dir()
        && !large_dir
        && c.fix(problem::DIR_SIZE_HIGH_ZERO, format!("inode {n}: {hi}"), Some(n), None)
    {
        node.f.i_size_high = 0;
        *dirty = true;
    }
    let isz = usize::from(c.fs.sb.inode_size());
    if isz > ino::GOOD_OLD_SIZE {
        // As the kernel: the extra size must cover i_extra_isize and i_checksum_hi, fit the
        // slot, and be a multiple of 4 (0 is tolerated on old file systems).
        let extra = usize::from(node.f.i_extra_isize);
        let max = isz - ino::GOOD_OLD_SIZE;
        if extra != 0
            && (extra < 4 || extra > max || extra % 4 != 0)
            && c.fix(problem::EXTRA_ISIZE_INVALID, format!("inode {n}: extra size {extra}"), Some(n), None)
        {
            let want = usize::from(c.fs.sb.f.s_want_extra_isize);
            let want = if (4..=max).contains(&want) { want } else { usize::from(ino::EXTRA_ISIZE).min(max) };
            node.f.i_extra_isize = if extra < 4 || extra > max { want } else { extra.next_multiple_of(4) } as u16;
            *dirty = true;
        }
    }
    let faddr = view.faddr;
    if faddr != 0 && c.fix(problem::FADDR_NONZERO, format!("inode {n}: i_faddr {faddr}"), Some(n), None) {
        out.faddr = true;
    }
    let extra_ok = isz > ino::GOOD_OLD_SIZE && usize::from(node.f.i_extra_isize) + ino::GOOD_OLD_SIZE <= isz;
    let slot = view.ea_slot.as_deref();
    if let (true, Some(s)) = (extra_ok, slot) {
        let (clear, charged) = xattr::check_in_inode(c, n, s, node);
        out.in_inode_ea = clear;
        out.charged = charged;
    }
    out
}
