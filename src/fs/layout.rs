//! Where `mkfs` puts everything: the geometry (block, group and inode counts), the per-group
//! metadata placement with `flex_bg` packing, and the blocks of the root directory,
//! lost+found and the journal. Pure computation; [`super::mkfs`] writes what this decides.

use crate::error::{Error, Result};
use crate::ondisk::extent::MAX_LEN_WRITTEN;

/// Block size e4dax formats with: DAX needs block size = page size.
pub const BLOCK_SIZE: u32 = 4096;
/// Blocks (and bitmap bits) per group.
pub const BLOCKS_PER_GROUP: u32 = 8 * BLOCK_SIZE;
/// Inode size written by mkfs.
pub const INODE_SIZE: u16 = 256;
/// Bytes of file system per inode (mke2fs's default `inode_ratio`).
pub const INODE_RATIO: u64 = 16384;
/// Group descriptor size (`64bit`).
pub const DESC_SIZE: u16 = 64;
/// Groups per flex group, as log2 (mke2fs's default of 16).
pub const LOG_GROUPS_PER_FLEX: u8 = 4;
/// Smallest image mkfs accepts.
pub const MIN_SIZE_BYTES: u64 = 16 << 20;
/// A last group smaller than its own metadata plus this many blocks is dropped (as mke2fs does).
pub const MIN_LAST_GROUP_SLACK: u64 = 50;
/// Blocks of lost+found (mke2fs makes it 16 KiB).
pub const LPF_BLOCKS: u64 = 4;
/// Journal size limits in blocks (mke2fs's).
pub const JOURNAL_MIN_BLOCKS: u64 = 1024;
pub const JOURNAL_MAX_BLOCKS: u64 = 10_240_000;
/// Inodes per inode-table block.
const INODES_PER_BLOCK: u64 = (BLOCK_SIZE / INODE_SIZE as u32) as u64;
/// The first inode not reserved.
pub const FIRST_INO: u32 = 11;

/// What the user asked for.
#[derive(Clone, Debug)]
pub struct Params {
    pub size_bytes: u64,
    /// Journal size; `None` picks mke2fs's default for the size; ignored without a journal.
    pub journal_bytes: Option<u64>,
    /// Total inodes wanted (rounded up to fill inode-table blocks).
    pub inodes: Option<u64>,
    pub journal: bool,
}

/// Placement of one group's metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupPlace {
    pub first_block: u64,
    pub blocks: u64,
    /// Superblock and GDT backup at the start of the group.
    pub has_super: bool,
    pub block_bitmap: u64,
    pub inode_bitmap: u64,
    pub inode_table: u64,
    /// Blocks in use inside this group (its own and other groups' metadata, files).
    pub used_blocks: u64,
    /// Whether the block bitmap must be written (group holds more than its backup).
    pub initialized: bool,
}

/// A run of blocks: `start .. start + len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub start: u64,
    pub len: u64,
}

impl Run {
    pub fn end(&self) -> u64 {
        self.start + self.len
    }
}

/// The complete layout of a new file system.
#[derive(Clone, Debug)]
pub struct Layout {
    pub blocks_count: u64,
    pub group_count: u64,
    pub inodes_per_group: u32,
    pub inode_table_blocks: u64,
    pub gdt_blocks: u64,
    pub log_groups_per_flex: u8,
    pub groups: Vec<GroupPlace>,
    pub root_block: u64,
    pub lpf_start: u64,
    /// Journal extents as (logical, physical run); empty without a journal.
    pub journal: Vec<(u32, Run)>,
    pub journal_blocks: u64,
    /// Extent leaf block of the journal inode, when more than 4 extents.
    pub journal_leaf: Option<u64>,
    /// Every block in use, sorted and non-overlapping.
    pub used: Vec<Run>,
}

/// mke2fs's default journal size (in blocks) for a file system of `blocks` 4 KiB blocks.
pub fn default_journal_blocks(blocks: u64) -> u64 {
    match blocks {
        b if b < 32768 => 1024,
        b if b < 256 * 1024 => 4096,
        b if b < 512 * 1024 => 8192,
        b if b < 4096 * 1024 => 16384,
        b if b < 8192 * 1024 => 32768,
        b if b < 16384 * 1024 => 65536,
        b if b < 32768 * 1024 => 131072,
        _ => 262144,
    }
}

/// Whether group `g` carries a superblock backup with `sparse_super`.
pub use crate::ondisk::superblock::sparse_group_has_super as has_super;

impl Layout {
    /// Decide the layout, or say why the parameters cannot make a file system.
    pub fn compute(p: &Params) -> Result<Layout> {
        if p.size_bytes < MIN_SIZE_BYTES {
            return Err(Error::Invalid(format!(
                "image size {} bytes is too small: e4dax mkfs needs at least 16M",
                p.size_bytes
            )));
        }
        let mut blocks = p.size_bytes / u64::from(BLOCK_SIZE);
        // Dropping a too-small last group changes the counts; two rounds always settle it.
        for _ in 0..3 {
            match Self::try_compute(p, blocks)? {
                Ok(layout) => return Ok(layout),
                Err(shorter) => blocks = shorter,
            }
        }
        Err(Error::Invalid("cannot lay out a file system of this size".into()))
    }

    /// `Ok(Ok(layout))`, or `Ok(Err(new_block_count))` when the last group must be dropped.
    fn try_compute(p: &Params, blocks: u64) -> Result<std::result::Result<Layout, u64>> {
        let bpg = u64::from(BLOCKS_PER_GROUP);
        let groups = blocks.div_ceil(bpg);
        let gdt_blocks = (groups * u64::from(DESC_SIZE)).div_ceil(u64::from(BLOCK_SIZE));
        let ipg = inodes_per_group(p, blocks, groups)?;
        let itb = u64::from(ipg) / INODES_PER_BLOCK;
        // Pack the metadata of a flex group into its first group; shrink the flex size if a
        // leader could not hold it (only with very many inodes).
        let mut log_flex = LOG_GROUPS_PER_FLEX;
        while log_flex > 0 && 1 + gdt_blocks + (1u64 << log_flex) * (2 + itb) + 64 > bpg {
            log_flex -= 1;
        }
        let flex = 1u64 << log_flex;
        let mut places = Vec::with_capacity(groups as usize);
        let mut used: Vec<Run> = Vec::new();
        for g in 0..groups {
            let first = g * bpg;
            let len = (blocks - first).min(bpg);
            let sup = has_super(g);
            let mut next = first;
            if sup {
                used.push(Run { start: first, len: 1 + gdt_blocks });
                next += 1 + gdt_blocks;
            }
            if g % flex == 0 {
                let members = flex.min(groups - g);
                let area = members * (2 + itb);
                used.push(Run { start: next, len: area });
                next += area;
            }
            let own = next - first;
            if g == groups - 1 && groups > 1 && len < own + MIN_LAST_GROUP_SLACK {
                return Ok(Err(first));
            }
            if own > len {
                return Err(Error::Invalid("image too small for its own metadata".into()));
            }
            places.push(GroupPlace {
                first_block: first,
                blocks: len,
                has_super: sup,
                block_bitmap: 0,
                inode_bitmap: 0,
                inode_table: 0,
                used_blocks: 0,
                initialized: false,
            });
        }
        // Fill in bitmap and table locations inside each leader's area.
        for leader in (0..groups).step_by(flex as usize) {
            let members = flex.min(groups - leader);
            let base = places[leader as usize].first_block + if has_super(leader) { 1 + gdt_blocks } else { 0 };
            for i in 0..members {
                let pl = &mut places[(leader + i) as usize];
                pl.block_bitmap = base + i;
                pl.inode_bitmap = base + members + i;
                pl.inode_table = base + 2 * members + i * itb;
            }
        }
        // Root directory and lost+found right after group 0's metadata.
        let area0_end = used.iter().take_while(|r| r.start < bpg).map(Run::end).max().unwrap_or(0);
        let root_block = area0_end;
        let lpf_start = root_block + 1;
        let mut next_small = lpf_start + LPF_BLOCKS;
        if next_small > places[0].blocks {
            return Err(Error::Invalid("image too small for the root directory".into()));
        }
        insert_run(&mut used, Run { start: root_block, len: 1 + LPF_BLOCKS });

        let mut journal = Vec::new();
        let mut journal_blocks = 0;
        let mut journal_leaf = None;
        if p.journal {
            journal_blocks = match p.journal_bytes {
                Some(b) => b.div_ceil(u64::from(BLOCK_SIZE)),
                None => default_journal_blocks(blocks),
            };
            let max = JOURNAL_MAX_BLOCKS.min(blocks / 2);
            if journal_blocks < JOURNAL_MIN_BLOCKS || journal_blocks > max {
                return Err(Error::Invalid(format!(
                    "journal size {} blocks is out of range: {} to {} blocks for this image",
                    journal_blocks, JOURNAL_MIN_BLOCKS, max
                )));
            }
            let runs = place_journal(&used, blocks, places[(groups / 2) as usize].first_block, journal_blocks);
            let mut logical = 0u64;
            for r in &runs {
                let mut s = r.start;
                let mut left = r.len;
                while left > 0 {
                    let n = left.min(u64::from(MAX_LEN_WRITTEN));
                    journal.push((logical as u32, Run { start: s, len: n }));
                    logical += n;
                    s += n;
                    left -= n;
                }
            }
            for r in runs {
                insert_run(&mut used, r);
            }
            if journal.len() > usize::from(crate::ondisk::extent::ROOT_CAPACITY) {
                if journal.len() > usize::from(crate::ondisk::extent::block_capacity(BLOCK_SIZE)) {
                    return Err(Error::Invalid("journal too fragmented for one extent leaf".into()));
                }
                // The leaf goes in the first free block after lost+found.
                while used.iter().any(|r| r.start <= next_small && next_small < r.end()) {
                    next_small += 1;
                }
                journal_leaf = Some(next_small);
                insert_run(&mut used, Run { start: next_small, len: 1 });
            }
        }
        // Count used blocks per group, and which groups need a real block bitmap.
        for r in &used {
            let mut s = r.start;
            while s < r.end() {
                let g = s / bpg;
                let gend = ((g + 1) * bpg).min(r.end());
                places[g as usize].used_blocks += gend - s;
                s = gend;
            }
        }
        let backup_only = 1 + gdt_blocks;
        for (g, pl) in places.iter_mut().enumerate() {
            let own = if pl.has_super { backup_only } else { 0 };
            pl.initialized = g as u64 == groups - 1 || pl.used_blocks != own;
        }
        Ok(Ok(Layout {
            blocks_count: blocks,
            group_count: groups,
            inodes_per_group: ipg,
            inode_table_blocks: itb,
            gdt_blocks,
            log_groups_per_flex: log_flex,
            groups: places,
            root_block,
            lpf_start,
            journal,
            journal_blocks,
            journal_leaf,
            used,
        }))
    }

    pub fn inodes_count(&self) -> u64 {
        self.group_count * u64::from(self.inodes_per_group)
    }

    pub fn free_blocks(&self) -> u64 {
        self.blocks_count - self.used.iter().map(|r| r.len).sum::<u64>()
    }

    /// Blocks that are neither file data nor directories: what `s_overhead_clusters` counts
    /// (superblocks, descriptors, bitmaps, inode tables and the journal, as mke2fs counts).
    pub fn overhead_blocks(&self) -> u64 {
        let dirs = 1 + LPF_BLOCKS;
        self.blocks_count - self.free_blocks() - dirs
    }

    /// The free runs, in block order.
    pub fn free_runs(&self) -> impl Iterator<Item = Run> + '_ {
        gaps(&self.used, self.blocks_count)
    }
}

fn inodes_per_group(p: &Params, blocks: u64, groups: u64) -> Result<u32> {
    let total = match p.inodes {
        Some(n) => n,
        None => blocks * u64::from(BLOCK_SIZE) / INODE_RATIO,
    };
    let mut ipg = total.div_ceil(groups).div_ceil(INODES_PER_BLOCK) * INODES_PER_BLOCK;
    ipg = ipg.max(INODES_PER_BLOCK);
    let max_by_bitmap = u64::from(BLOCKS_PER_GROUP);
    let max_by_count = (u64::from(u32::MAX) / groups) / INODES_PER_BLOCK * INODES_PER_BLOCK;
    if p.inodes.is_some() && ipg > max_by_bitmap.min(max_by_count) {
        return Err(Error::Invalid(format!(
            "--inodes {total} is too many: at most {} for this size",
            max_by_bitmap.min(max_by_count) * groups
        )));
    }
    ipg = ipg.min(max_by_bitmap).min(max_by_count);
    if ipg < INODES_PER_BLOCK {
        return Err(Error::Invalid("image too large: fewer than 16 inodes per group would fit".into()));
    }
    Ok(ipg as u32)
}

/// Insert `r` into the sorted, non-overlapping `used` list (it must not overlap).
fn insert_run(used: &mut Vec<Run>, r: Run) {
    let i = used.partition_point(|u| u.start < r.start);
    used.insert(i, r);
}

/// The free gaps between sorted runs, up to `blocks`.
fn gaps(used: &[Run], blocks: u64) -> impl Iterator<Item = Run> + '_ {
    let mut prev_end = 0u64;
    let mut i = 0usize;
    std::iter::from_fn(move || {
        while i <= used.len() {
            let next_start = if i < used.len() { used[i].start } else { blocks };
            let gap = Run { start: prev_end, len: next_start.saturating_sub(prev_end) };
            if i < used.len() {
                prev_end = prev_end.max(used[i].end());
            } else {
                prev_end = blocks;
            }
            i += 1;
            if gap.len > 0 {
                return Some(gap);
            }
        }
        None
    })
}

/// Choose runs for the journal: one contiguous run at or after `goal` if there is one, else
/// one anywhere, else the fewest pieces from the start.
fn place_journal(used: &[Run], blocks: u64, goal: u64, want: u64) -> Vec<Run> {
    let fits = |r: &Run| r.len >= want;
    let after_goal = gaps(used, blocks)
        .find(|r| r.end() > goal && Run { start: r.start.max(goal), len: r.end() - r.start.max(goal) }.len >= want);
    if let Some(r) = after_goal {
        let s = r.start.max(goal);
        return vec![Run { start: s, len: want }];
    }
    if let Some(r) = gaps(used, blocks).find(fits) {
        return vec![Run { start: r.start, len: want }];
    }
    let mut left = want;
    let mut out = Vec::new();
    for r in gaps(used, blocks) {
        if left == 0 {
            break;
        }
        let n = r.len.min(left);
        out.push(Run { start: r.start, len: n });
        left -= n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(size: u64) -> Params {
        Params { size_bytes: size, journal_bytes: None, inodes: None, journal: true }
    }

    fn check_disjoint(l: &Layout) {
        for w in l.used.windows(2) {
            assert!(w[0].end() <= w[1].start, "{:?} overlaps {:?}", w[0], w[1]);
        }
        assert!(l.used.last().unwrap().end() <= l.blocks_count);
    }

    /// The numbers are mkfs.ext4 1.47's for a 1 GiB image: `E2FSPROGS_FAKE_TIME=1700000000
    /// mkfs.ext4 -b 4096 -O ^resize_inode -U UUID -E hash_seed=UUID` then `dumpe2fs` and
    /// `debugfs -R "stat <8>"`. The integration test `mkfs::layout_matches_mkfs_ext4_for_the_same_size`
    /// reads them from the live tool, for this size and others.
    #[test]
    fn one_gig_like_mke2fs() {
        let l = Layout::compute(&params(1 << 30)).unwrap();
        assert_eq!(l.group_count, 8);
        assert_eq!(l.inodes_per_group, 8192);
        assert_eq!(l.journal_blocks, 8192);
        assert_eq!(l.gdt_blocks, 1);
        // Bitmaps packed in group 0 after the superblock and GDT, like mke2fs.
        assert_eq!(l.groups[0].block_bitmap, 2);
        assert_eq!(l.groups[1].block_bitmap, 3);
        assert_eq!(l.groups[0].inode_bitmap, 10);
        assert_eq!(l.groups[0].inode_table, 18);
        // Journal starts in the middle group (mke2fs's choice for up to 16 groups).
        assert_eq!(l.journal[0].1.start, 4 * 32768);
        assert_eq!((l.root_block, l.lpf_start), (4114, 4115));
        assert!(l.groups[4].initialized && l.groups[7].initialized && !l.groups[2].initialized);
        check_disjoint(&l);
    }

    #[test]
    fn odd_sizes_and_last_group() {
        let l = Layout::compute(&params(129 << 20)).unwrap();
        assert_eq!(l.group_count, 2);
        check_disjoint(&l);
        // 16M + 100K: a 25-block last group would be too small for its backup + slack.
        let l = Layout::compute(&params((32768 + 25) * 4096)).unwrap();
        assert_eq!(l.blocks_count, 32768);
        check_disjoint(&l);
        assert!(Layout::compute(&params(1 << 20)).is_err());
    }

    #[test]
    fn big_journal_is_contiguous_when_possible() {
        let mut p = params(8 << 30);
        p.journal_bytes = Some(1 << 30);
        let l = Layout::compute(&p).unwrap();
        assert_eq!(l.journal_blocks, 262144);
        let runs: Vec<_> = l.journal.iter().map(|(_, r)| *r).collect();
        for w in runs.windows(2) {
            assert_eq!(w[0].end(), w[1].start);
        }
        assert!(l.journal_leaf.is_some());
        check_disjoint(&l);
    }

    #[test]
    fn huge_sizes() {
        for size in [17u64 << 30, 2 << 40, 16 << 40] {
            let l = Layout::compute(&params(size)).unwrap();
            check_disjoint(&l);
            assert!(l.inodes_count() <= u64::from(u32::MAX));
        }
    }

    #[test]
    fn many_inodes_shrink_flex() {
        let mut p = params(1 << 30);
        p.inodes = Some(8 * 32768);
        let l = Layout::compute(&p).unwrap();
        assert_eq!(l.inodes_per_group, 32768);
        assert!(l.log_groups_per_flex < 4);
        check_disjoint(&l);
        p.inodes = Some(8 * 32768 + 1);
        assert!(Layout::compute(&p).is_err());
    }
}
