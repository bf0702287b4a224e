//! `mkfs`: write a fresh ext4 file system as [`Layout`] places it.
//!
//! Only metadata is written: inode tables, free space and the journal body stay holes of a
//! sparse image and read as zeros (the image must read as zeros when this starts, which
//! [`crate::pmem::MappedImage::create`] guarantees). With `poison`, every free block is filled
//! with the stale-data pattern instead.

use super::layout::{Layout, Params, BLOCKS_PER_GROUP, BLOCK_SIZE, DESC_SIZE, FIRST_INO, INODE_SIZE, LPF_BLOCKS};
use crate::error::Result;
use crate::ondisk::checksum::{crc32c_raw, inode_seed};
use crate::ondisk::dirent::{self, FT_DIR};
use crate::ondisk::extent::{self, Extent, Header, Index};
use crate::ondisk::features::{compat, incompat, jbd2 as jfeat, ro_compat};
use crate::ondisk::group_desc::{self, GroupDesc, BLOCK_UNINIT, INODE_UNINIT, ITABLE_ZEROED};
use crate::ondisk::inode::{self, Inode, JOURNAL_INO, LOST_FOUND_INO, ROOT_INO, S_IFDIR, S_IFREG};
use crate::ondisk::jbd2::superblock::JournalSuperblock;
use crate::ondisk::poison;
use crate::ondisk::superblock::{self, Superblock};
use crate::pmem::Device;

/// Everything `mkfs` takes.
#[derive(Clone, Debug)]
pub struct MkfsOptions {
    pub params: Params,
    pub uuid: [u8; 16],
    pub label: String,
    /// Creation time (seconds since the epoch) written everywhere a time goes.
    pub time: u64,
    pub poison: bool,
}

/// What `mkfs` did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MkfsReport {
    pub blocks_count: u64,
    pub group_count: u64,
    pub inodes_count: u64,
    pub free_blocks: u64,
    pub journal_blocks: u64,
    pub poisoned_blocks: u64,
}

const BS: usize = BLOCK_SIZE as usize;
/// Blocks poisoned by one store (1 MiB; divides 4096, so `progress` sees the same counts).
const POISON_CHUNK_BLOCKS: u64 = 256;

/// Format `dev` (which must read as zeros and be at least the layout's size).
/// `progress(done, total)` is called while free blocks are poisoned.
pub fn mkfs(dev: &mut dyn Device, opts: &MkfsOptions, progress: &mut dyn FnMut(u64, u64)) -> Result<MkfsReport> {
    let layout = Layout::compute(&opts.params)?;
    let prev = dev.set_tag("mkfs");
    let r = write_all(dev, opts, &layout, progress);
    dev.set_tag(prev);
    r
}

fn write_all(
    dev: &mut dyn Device,
    opts: &MkfsOptions,
    l: &Layout,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<MkfsReport> {
    let sb = build_superblock(opts, l);
    let seed = sb.csum_seed();
    let ipg = l.inodes_per_group;
    let mut buf = vec![0u8; BS];

    // Inode table of group 0: the reserved inodes, root, journal and lost+found.
    let it0 = l.groups[0].inode_table;
    let mut table = vec![0u8; (FIRST_INO as usize) * usize::from(INODE_SIZE)];
    for ino in 1..=FIRST_INO {
        let slot = &mut table[(ino as usize - 1) * usize::from(INODE_SIZE)..ino as usize * usize::from(INODE_SIZE)];
        let node = match ino {
            ROOT_INO => Some(dir_inode(opts.time, 0o755, 3, 1, l.root_block)),
            LOST_FOUND_INO => Some(dir_inode(opts.time, 0o700, 2, LPF_BLOCKS, l.lpf_start)),
            JOURNAL_INO if opts.params.journal => Some(journal_inode(opts.time, l)),
            _ => None,
        };
        match node {
            Some(n) => n.encode_into(slot),
            None if ino == inode::BAD_BLOCKS_INO => {
                // mke2fs stamps the bad-blocks inode with the creation time.
                let mut n = Inode::new(0);
                n.f.i_extra_isize = 0;
                n.f.i_atime = opts.time as u32;
                n.f.i_ctime = opts.time as u32;
                n.f.i_mtime = opts.time as u32;
                n.encode_into(slot);
            }
            None => {}
        }
        inode::set_checksum(slot, seed, ino);
    }
    dev.store(it0 * BS as u64, &table)?;

    // Directory blocks.
    let root_seed = inode_seed(seed, ROOT_INO, 0);
    buf.fill(0);
    dirent::write_at(&mut buf, 0, ROOT_INO, 12, FT_DIR, b".", BLOCK_SIZE)?;
    dirent::write_at(&mut buf, 12, ROOT_INO, 12, FT_DIR, b"..", BLOCK_SIZE)?;
    let rest = (BS - 24 - dirent::TAIL_SIZE) as u32;
    dirent::write_at(&mut buf, 24, LOST_FOUND_INO, rest, FT_DIR, b"lost+found", BLOCK_SIZE)?;
    dirent::init_tail(&mut buf);
    dirent::set_tail_checksum(&mut buf, root_seed);
    dev.store(l.root_block * BS as u64, &buf)?;
    let lpf_seed = inode_seed(seed, LOST_FOUND_INO, 0);
    for i in 0..LPF_BLOCKS {
        buf.fill(0);
        if i == 0 {
            dirent::write_at(&mut buf, 0, LOST_FOUND_INO, 12, FT_DIR, b".", BLOCK_SIZE)?;
            dirent::write_at(&mut buf, 12, ROOT_INO, (BS - 12 - dirent::TAIL_SIZE) as u32, FT_DIR, b"..", BLOCK_SIZE)?;
        } else {
            dirent::write_at(&mut buf, 0, 0, (BS - dirent::TAIL_SIZE) as u32, 0, b"", BLOCK_SIZE)?;
        }
        dirent::init_tail(&mut buf);
        dirent::set_tail_checksum(&mut buf, lpf_seed);
        dev.store((l.lpf_start + i) * BS as u64, &buf)?;
    }

    // Journal: its superblock and, with more than four extents, its extent leaf.
    if opts.params.journal {
        let jsb = JournalSuperblock::new(
            BLOCK_SIZE,
            l.journal_blocks as u32,
            opts.uuid,
            jfeat::INCOMPAT_64BIT | jfeat::INCOMPAT_CSUM_V3,
        );
        dev.store(l.journal[0].1.start * BS as u64, &jsb.encode())?;
        if let Some(leaf) = l.journal_leaf {
            buf.fill(0);
            let max = extent::block_capacity(BLOCK_SIZE);
            Header { entries: l.journal.len() as u16, max, depth: 0, generation: 0 }.encode_into(&mut buf);
            for (i, (lg, r)) in l.journal.iter().enumerate() {
                let e = Extent { logical: *lg, len: r.len as u32, physical: r.start, unwritten: false };
                e.encode_into(&mut buf[extent::entry_offset(i)..]);
            }
            extent::set_block_checksum(&mut buf, inode_seed(seed, JOURNAL_INO, 0), max);
            dev.store(leaf * BS as u64, &buf)?;
        }
    }

    // Bitmaps of the groups that need them.
    let mut ranges = l.used.iter().peekable();
    for (g, pl) in l.groups.iter().enumerate() {
        if pl.initialized {
            buf.fill(0);
            let gend = pl.first_block + pl.blocks;
            while let Some(r) = ranges.peek() {
                if r.start >= gend {
                    break;
                }
                let s = r.start.max(pl.first_block);
                let e = r.end().min(gend);
                set_bits(&mut buf, (s - pl.first_block) as usize, (e - pl.first_block) as usize);
                if r.end() <= gend {
                    ranges.next();
                } else {
                    break;
                }
            }
            set_bits(&mut buf, pl.blocks as usize, 8 * BS);
            dev.store(pl.block_bitmap * BS as u64, &buf)?;
        } else {
            while ranges.peek().is_some_and(|r| r.end() <= pl.first_block + pl.blocks) {
                ranges.next();
            }
        }
        if g == 0 {
            buf.fill(0);
            set_bits(&mut buf, 0, FIRST_INO as usize);
            set_bits(&mut buf, ipg as usize, 8 * BS);
            dev.store(pl.inode_bitmap * BS as u64, &buf)?;
        }
    }

    // Group descriptors: computed once, written at the primary and every backup.
    let gdt = build_gdt(dev, l, seed)?;
    let mut poisoned = 0;
    for (g, pl) in l.groups.iter().enumerate() {
        if !pl.has_super {
            continue;
        }
        let mut s = sb.clone();
        s.f.s_block_group_nr = g as u16;
        let bytes = s.encode();
        let off = if g == 0 { superblock::OFFSET } else { pl.first_block * BS as u64 };
        dev.store(off, &bytes)?;
        dev.store((pl.first_block + 1) * BS as u64, &gdt)?;
    }

    if opts.poison {
        // Large sequential stores (a mapped image writes them through the file, without
        // faulting the image into the process), ending at every 4096th block for `progress`.
        let total = l.free_blocks();
        let mut done = 0u64;
        let mut chunk = vec![0u8; POISON_CHUNK_BLOCKS as usize * BS];
        for r in l.free_runs() {
            let mut b = r.start;
            while b < r.end() {
                let n = (r.end() - b).min(POISON_CHUNK_BLOCKS - done % POISON_CHUNK_BLOCKS);
                let bytes = &mut chunk[..n as usize * BS];
                for (i, block) in bytes.chunks_exact_mut(BS).enumerate() {
                    poison::fill(block, b + i as u64);
                }
                dev.store(b * BS as u64, bytes)?;
                b += n;
                done += n;
                if done.is_multiple_of(4096) {
                    progress(done, total);
                }
            }
        }
        progress(done, total);
        poisoned = done;
    }
    Ok(MkfsReport {
        blocks_count: l.blocks_count,
        group_count: l.group_count,
        inodes_count: l.inodes_count(),
        free_blocks: l.free_blocks(),
        journal_blocks: l.journal_blocks,
        poisoned_blocks: poisoned,
    })
}

/// Encode every group descriptor, reading back the bitmaps just written for their checksums.
fn build_gdt(dev: &dyn Device, l: &Layout, seed: u32) -> Result<Vec<u8>> {
    let ds = usize::from(DESC_SIZE);
    let mut gdt = vec![0u8; l.gdt_blocks as usize * BS];
    let csum = group_desc::Csum::Crc32c { seed };
    let ipg = l.inodes_per_group;
    for (g, pl) in l.groups.iter().enumerate() {
        let mut d = GroupDesc {
            block_bitmap: pl.block_bitmap,
            inode_bitmap: pl.inode_bitmap,
            inode_table: pl.inode_table,
            free_blocks: (pl.blocks - pl.used_blocks) as u32,
            free_inodes: ipg,
            used_dirs: 0,
            flags: ITABLE_ZEROED,
            itable_unused: ipg,
            ..Default::default()
        };
        if pl.initialized {
            let bb = dev.view(pl.block_bitmap * BS as u64, (BLOCKS_PER_GROUP / 8) as usize)?;
            d.block_bitmap_csum = crc32c_raw(seed, &bb);
        } else {
            d.flags |= BLOCK_UNINIT;
        }
        if g == 0 {
            d.free_inodes = ipg - FIRST_INO;
            d.itable_unused = ipg - FIRST_INO;
            d.used_dirs = 2;
            let ib = dev.view(pl.inode_bitmap * BS as u64, (ipg / 8) as usize)?;
            d.inode_bitmap_csum = crc32c_raw(seed, &ib);
        } else {
            d.flags |= INODE_UNINIT;
        }
        group_desc::encode_checksummed(&d, g as u32, csum, &mut gdt[g * ds..(g + 1) * ds]);
    }
    Ok(gdt)
}

fn build_superblock(opts: &MkfsOptions, l: &Layout) -> Superblock {
    let mut f = superblock::Fields::read(&[0u8; superblock::SIZE]);
    let t = opts.time;
    f.s_inodes_count = l.inodes_count() as u32;
    f.s_free_inodes_count = (l.inodes_count() - u64::from(FIRST_INO)) as u32;
    f.s_log_block_size = BLOCK_SIZE.trailing_zeros() - 10;
    f.s_log_cluster_size = f.s_log_block_size;
    f.s_blocks_per_group = BLOCKS_PER_GROUP;
    f.s_clusters_per_group = BLOCKS_PER_GROUP;
    f.s_inodes_per_group = l.inodes_per_group;
    f.s_wtime = t as u32;
    f.s_wtime_hi = (t >> 32) as u8;
    f.s_lastcheck = t as u32;
    f.s_lastcheck_hi = (t >> 32) as u8;
    f.s_mkfs_time = t as u32;
    f.s_mkfs_time_hi = (t >> 32) as u8;
    f.s_max_mnt_count = 0xFFFF;
    f.s_magic = superblock::MAGIC;
    f.s_state = superblock::STATE_VALID;
    f.s_errors = 1;
    f.s_rev_level = 1;
    f.s_first_ino = FIRST_INO;
    f.s_inode_size = INODE_SIZE;
    f.s_feature_compat = if opts.params.journal { compat::HAS_JOURNAL } else { 0 };
    f.s_feature_incompat = incompat::FILETYPE | incompat::EXTENTS | incompat::BIT64 | incompat::FLEX_BG;
    f.s_feature_ro_compat = ro_compat::SPARSE_SUPER
        | ro_compat::LARGE_FILE
        | ro_compat::DIR_NLINK
        | ro_compat::EXTRA_ISIZE
        | ro_compat::METADATA_CSUM;
    f.s_uuid = opts.uuid;
    let label = opts.label.as_bytes();
    f.s_volume_name[..label.len().min(16)].copy_from_slice(&label[..label.len().min(16)]);
    // A hash seed derived from the UUID keeps the image reproducible.
    for (i, w) in f.s_hash_seed.iter_mut().enumerate() {
        *w = crc32c_raw(i as u32, &opts.uuid);
    }
    f.s_def_hash_version = 1; // half_md4, as mke2fs
    f.s_desc_size = DESC_SIZE;
    f.s_min_extra_isize = inode::EXTRA_ISIZE;
    f.s_want_extra_isize = inode::EXTRA_ISIZE;
    f.s_flags = superblock::FLAG_SIGNED_HASH;
    f.s_log_groups_per_flex = l.log_groups_per_flex;
    f.s_checksum_type = superblock::CHECKSUM_CRC32C;
    f.s_overhead_clusters = l.overhead_blocks() as u32;
    if opts.params.journal {
        f.s_journal_inum = JOURNAL_INO;
        f.s_jnl_backup_type = superblock::JNL_BACKUP_BLOCKS;
        let ji = journal_inode(opts.time, l);
        for (i, w) in f.s_jnl_blocks.iter_mut().take(15).enumerate() {
            *w = u32::from_le_bytes([
                ji.f.i_block[4 * i],
                ji.f.i_block[4 * i + 1],
                ji.f.i_block[4 * i + 2],
                ji.f.i_block[4 * i + 3],
            ]);
        }
        f.s_jnl_blocks[15] = ji.f.i_size_high;
        f.s_jnl_blocks[16] = ji.f.i_size_lo;
    }
    let mut sb = Superblock::from_fields(f);
    sb.set_blocks_count(l.blocks_count);
    sb.set_r_blocks_count(l.blocks_count * 5 / 100);
    sb.set_free_blocks_count(l.free_blocks());
    sb
}

fn dir_inode(time: u64, perm: u16, links: u16, blocks: u64, start: u64) -> Inode {
    let mut n = Inode::new(S_IFDIR | perm);
    n.f.i_links_count = links;
    n.set_size(blocks * BS as u64);
    n.set_blocks_512(blocks * (BS as u64 / 512));
    n.set_times(time);
    n.f.i_flags = inode::FL_EXTENTS;
    write_root(&mut n.f.i_block, &[Extent { logical: 0, len: blocks as u32, physical: start, unwritten: false }]);
    n
}

fn journal_inode(time: u64, l: &Layout) -> Inode {
    let mut n = Inode::new(S_IFREG | 0o600);
    n.f.i_links_count = 1;
    n.set_size(l.journal_blocks * BS as u64);
    let meta = u64::from(l.journal_leaf.is_some());
    n.set_blocks_512((l.journal_blocks + meta) * (BS as u64 / 512));
    n.set_times(time);
    n.f.i_flags = inode::FL_EXTENTS;
    match l.journal_leaf {
        None => {
            let ext: Vec<Extent> = l
                .journal
                .iter()
                .map(|(lg, r)| Extent { logical: *lg, len: r.len as u32, physical: r.start, unwritten: false })
                .collect();
            write_root(&mut n.f.i_block, &ext);
        }
        Some(leaf) => {
            Header { entries: 1, max: extent::ROOT_CAPACITY, depth: 1, generation: 0 }.encode_into(&mut n.f.i_block);
            Index { logical: 0, child: leaf }.encode_into(&mut n.f.i_block[extent::entry_offset(0)..]);
        }
    }
    n
}

fn write_root(i_block: &mut [u8; 60], ext: &[Extent]) {
    Header { entries: ext.len() as u16, max: extent::ROOT_CAPACITY, depth: 0, generation: 0 }.encode_into(i_block);
    for (i, e) in ext.iter().enumerate() {
        e.encode_into(&mut i_block[extent::entry_offset(i)..]);
    }
}

/// Set bits `from..to` of a bitmap.
fn set_bits(b: &mut [u8], from: usize, to: usize) {
    let mut i = from;
    while i < to && !i.is_multiple_of(8) {
        b[i / 8] |= 1 << (i % 8);
        i += 1;
    }
    while i + 8 <= to {
        b[i / 8] = 0xFF;
        i += 8;
    }
    while i < to {
        b[i / 8] |= 1 << (i % 8);
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits() {
        let mut b = [0u8; 4];
        set_bits(&mut b, 3, 21);
        assert_eq!(b, [0xF8, 0xFF, 0x1F, 0]);
    }

    /// `--poison` writes 1 MiB stores (through the file on a mapped image); the image must be
    /// byte for byte the unpoisoned one with every free block then filled one block at a time
    /// (the way it was written before), and report the same progress.
    #[test]
    fn poison_in_large_stores_equals_poison_block_by_block() {
        use crate::pmem::{MappedImage, MemDevice};
        // Odd sizes: a last group cut short, runs not multiples of the 256-block chunk.
        for (size, journal) in [(16u64 << 20, true), ((200 << 20) + 12 * 4096, true), (40 << 20, false)] {
            let params = Params { size_bytes: size, journal_bytes: None, inodes: None, journal };
            let plain = MkfsOptions {
                params: params.clone(),
                uuid: [3; 16],
                label: "p".into(),
                time: 1_700_000_000,
                poison: false,
            };
            let poisoned = MkfsOptions { poison: true, ..plain.clone() };

            let mut want = MemDevice::new(vec![0; size as usize]);
            mkfs(&mut want, &plain, &mut |_, _| {}).unwrap();
            let layout = Layout::compute(&params).unwrap();
            let mut buf = vec![0u8; BS];
            let mut want_progress = Vec::new();
            let mut done = 0u64;
            for r in layout.free_runs() {
                for b in r.start..r.end() {
                    poison::fill(&mut buf, b);
                    want.store(b * BS as u64, &buf).unwrap();
                    done += 1;
                    if done.is_multiple_of(4096) {
                        want_progress.push(done);
                    }
                }
            }
            want_progress.push(done);
            let want = want.view(0, size as usize).unwrap().into_owned();

            let mut mem = MemDevice::new(vec![0; size as usize]);
            let mut progress = Vec::new();
            let report = mkfs(&mut mem, &poisoned, &mut |d, t| {
                assert_eq!(t, layout.free_blocks());
                progress.push(d);
            })
            .unwrap();
            assert_eq!(report.poisoned_blocks, done);
            assert_eq!(progress, want_progress, "{size}: progress");
            assert!(mem.view(0, size as usize).unwrap().as_ref() == &want[..], "{size}: in memory");

            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("p.img");
            let mut img = MappedImage::create(&path, size, false).unwrap();
            mkfs(&mut img, &poisoned, &mut |_, _| {}).unwrap();
            img.sync().unwrap();
            drop(img);
            assert!(std::fs::read(&path).unwrap() == want, "{size}: mapped image");
        }
    }
}
