//! Pass 5: the bitmaps, free counts, directory counts and unused-inode counts of every group
//! and the superblock, against what passes 1–4 found; bitmap checksums and padding.

use super::{problem, Checker};
use crate::error::Result;
use crate::ondisk::checksum::crc32c_raw;
use crate::ondisk::features::ro_compat;
use crate::ondisk::group_desc::{BLOCK_UNINIT, INODE_UNINIT, SIZE_64};
use crate::pmem::Device;

fn set_bit(b: &mut [u8], i: usize) {
    b[i / 8] |= 1 << (i % 8);
}

/// Set every bit of `b` from bit `from` on (a bitmap's padding past the group's end).
fn set_bits_from(b: &mut [u8], from: usize) {
    let whole = from.div_ceil(8);
    for i in from..(whole * 8).min(b.len() * 8) {
        set_bit(b, i);
    }
    if let Some(rest) = b.get_mut(whole..) {
        rest.fill(0xFF);
    }
}

/// The last bit set among the first `n` bits of `b`.
fn last_set(b: &[u8], n: usize) -> Option<usize> {
    let full = n / 8;
    let partial = (full * 8..n).rev().find(|&i| b[i / 8] & (1 << (i % 8)) != 0);
    partial.or_else(|| {
        let i = b[..full].iter().rposition(|&x| x != 0)?;
        Some(i * 8 + 7 - b[i].leading_zeros() as usize)
    })
}

pub fn run<D: Device>(c: &mut Checker<'_, D>) -> Result<()> {
    // The bitmaps are rewritten from what the check found: nothing is hidden from the
    // allocator any more.
    c.fs.alloc_skip.clear();
    let sb = c.fs.sb.clone();
    let bs = c.fs.block_size() as usize;
    let ipg = sb.f.s_inodes_per_group;
    let csum = sb.has_metadata_csum() || sb.has_ro_compat(ro_compat::GDT_CSUM);
    let seed = sb.csum_seed();
    let itb = sb.inode_table_blocks();
    let mut total_free_blocks = 0u64;
    let mut total_free_inodes = 0u64;
    let mut expect = vec![0u8; bs];
    let mut actual = vec![0u8; bs];
    for g in 0..c.fs.groups().len() {
        let d = c.fs.groups()[g].clone();
        let first = sb.group_first_block(g as u64);
        let count = sb.group_block_count(g as u64);
        // A bitmap rewritten here gets a fresh checksum when the repair commits: not a finding.
        let (mut rewrote_block, mut rewrote_inode) = (false, false);
        // Blocks.
        expect.fill(0);
        c.block_found.copy_into(first, count, &mut expect);
        set_bits_from(&mut expect, count as usize);
        // As e2fsck: the UNINIT flags of a descriptor that fails its checksum are not trusted;
        // its bitmaps are read as they are.
        let trusted = c.fs.group_checksum_ok(g);
        let uninit = csum && trusted && d.has_flag(BLOCK_UNINIT);
        if uninit {
            actual.fill(0);
            let mut mark = |b: u64, n: u64| {
                for x in b..b + n {
                    if x >= first && x < first + count {
                        set_bit(&mut actual, (x - first) as usize);
                    }
                }
            };
            for (b, n) in sb.group_sb_gdt_runs(g as u64) {
                mark(b, n);
            }
            mark(d.block_bitmap, 1);
            mark(d.inode_bitmap, 1);
            mark(d.inode_table, itb);
            set_bits_from(&mut actual, count as usize);
        } else {
            actual.copy_from_slice(&c.fs.block(d.block_bitmap)?);
        }
        let used = c.block_found.count_range(first, count);
        let free = (count - used) as u32;
        total_free_blocks += u64::from(free);
        let bpg_bytes = (sb.f.s_blocks_per_group / 8) as usize;
        if expect[..bpg_bytes.min(bs)] != actual[..bpg_bytes.min(bs)] {
            let list = diff_list(&expect, &actual, count as usize, first);
            if c.fix(problem::BLOCK_BITMAP, format!("group {g}: {list}"), None, Some(first)) {
                rewrote_block = true;
                let mut h = c.fs.handle(3)?;
                h.get_write(d.block_bitmap)?.copy_from_slice(&expect);
                h.group_mut(g).flags &= !BLOCK_UNINIT;
            }
        } else if !uninit
            && expect != actual
            && c.fix(problem::BITMAP_PADDING, format!("group {g} block bitmap"), None, None)
        {
            rewrote_block = true;
            let mut h = c.fs.handle(3)?;
            h.get_write(d.block_bitmap)?.copy_from_slice(&expect);
        }
        if d.free_blocks != free
            && c.fix(problem::GROUP_FREE_BLOCKS, format!("group {g}: {}, counted {free}", d.free_blocks), None, None)
        {
            let mut h = c.fs.handle(3)?;
            h.group_mut(g).free_blocks = free;
        }
        // Inodes.
        let base = g as u64 * u64::from(ipg) + 1;
        expect.fill(0);
        c.inode_used.copy_into(base, u64::from(ipg), &mut expect);
        let ipg_bytes = (ipg / 8) as usize;
        let used_inodes: u32 = expect[..ipg_bytes].iter().map(|b| b.count_ones()).sum();
        let last_used = last_set(&expect, ipg as usize).map(|i| i as u32);
        let dirs = c.dir_bits.count_range(base, u64::from(ipg)) as u32;
        set_bits_from(&mut expect, ipg as usize);
        let iuninit = csum && trusted && d.has_flag(INODE_UNINIT);
        if iuninit {
            actual.fill(0);
            set_bits_from(&mut actual, ipg as usize);
        } else {
            actual.copy_from_slice(&c.fs.block(d.inode_bitmap)?);
        }
        if expect[..ipg_bytes] != actual[..ipg_bytes] {
            let list = diff_list(&expect, &actual, ipg as usize, base);
            if c.fix(problem::INODE_BITMAP, format!("group {g}: {list}"), None, None) {
                rewrote_inode = true;
                let mut h = c.fs.handle(3)?;
                h.get_write(d.inode_bitmap)?.copy_from_slice(&expect);
                h.group_mut(g).flags &= !INODE_UNINIT;
            }
        } else if !iuninit
            && expect != actual
            && c.fix(problem::BITMAP_PADDING, format!("group {g} inode bitmap"), None, None)
        {
            rewrote_inode = true;
            let mut h = c.fs.handle(3)?;
            h.get_write(d.inode_bitmap)?.copy_from_slice(&expect);
        }
        let free_inodes = ipg - used_inodes;
        total_free_inodes += u64::from(free_inodes);
        if d.free_inodes != free_inodes
            && c.fix(
                problem::GROUP_FREE_INODES,
                format!("group {g}: {}, counted {free_inodes}", d.free_inodes),
                None,
                None,
            )
        {
            let mut h = c.fs.handle(3)?;
            h.group_mut(g).free_inodes = free_inodes;
        }
        if d.used_dirs != dirs
            && c.fix(problem::GROUP_DIRS, format!("group {g}: {}, counted {dirs}", d.used_dirs), None, None)
        {
            let mut h = c.fs.handle(3)?;
            h.group_mut(g).used_dirs = dirs;
        }
        if csum {
            let max_unused = ipg - last_used.map_or(0, |l| l + 1);
            if d.itable_unused > max_unused
                && c.fix(
                    problem::ITABLE_UNUSED,
                    format!("group {g}: {}, at most {max_unused}", d.itable_unused),
                    None,
                    None,
                )
            {
                let mut h = c.fs.handle(3)?;
                h.group_mut(g).itable_unused = max_unused;
            }
        }
        // Bitmap checksums of initialised groups (a fixed bitmap gets a fresh one anyway).
        if sb.has_metadata_csum() {
            let d = c.fs.groups()[g].clone();
            let narrow = sb.desc_size() < SIZE_64 as u16;
            let mask = if narrow { 0xFFFF } else { u32::MAX };
            let mut bad = false;
            if !d.has_flag(BLOCK_UNINIT) && !rewrote_block {
                let bb = c.fs.block(d.block_bitmap)?;
                bad |= crc32c_raw(seed, &bb[..bpg_bytes]) & mask != d.block_bitmap_csum & mask;
            }
            if !d.has_flag(INODE_UNINIT) && !rewrote_inode {
                let ib = c.fs.block(d.inode_bitmap)?;
                bad |= crc32c_raw(seed, &ib[..ipg_bytes]) & mask != d.inode_bitmap_csum & mask;
            }
            if bad && c.fix(problem::BITMAP_CHECKSUM, format!("group {g}"), None, None) {
                let mut h = c.fs.handle(3)?;
                h.group_mut(g);
            }
        }
    }
    if sb.free_blocks_count() != total_free_blocks
        && c.fix(
            problem::SB_FREE_BLOCKS,
            format!("{}, counted {total_free_blocks}", sb.free_blocks_count()),
            None,
            None,
        )
    {
        let mut h = c.fs.handle(2)?;
        h.sb_mut().set_free_blocks_count(total_free_blocks);
    }
    if u64::from(sb.f.s_free_inodes_count) != total_free_inodes
        && c.fix(
            problem::SB_FREE_INODES,
            format!("{}, counted {total_free_inodes}", sb.f.s_free_inodes_count),
            None,
            None,
        )
    {
        let mut h = c.fs.handle(2)?;
        h.sb_mut().f.s_free_inodes_count = total_free_inodes as u32;
    }
    Ok(())
}

/// Bits set in `want` but not `have`, and the other way round, among the first `n`.
/// The differences between the bitmap found (`want`) and the one on disk (`have`) over `n`
/// bits, as e2fsck prints them: `+1040 -(40000--40010)`, numbers from `first`. At most
/// `LIST_MAX` items are listed, then the count of the rest.
fn diff_list(want: &[u8], have: &[u8], n: usize, first: u64) -> String {
    const LIST_MAX: usize = 64;
    let bit = |v: &[u8], i: usize| v[i / 8] & (1 << (i % 8)) != 0;
    let mut items: Vec<String> = Vec::new();
    let mut more = 0usize;
    let mut i = 0;
    while i < n {
        let (a, b) = (bit(want, i), bit(have, i));
        if a == b {
            i += 1;
            continue;
        }
        let start = i;
        while i < n && bit(want, i) == a && bit(have, i) == b {
            i += 1;
        }
        let sign = if a { '+' } else { '-' };
        let (lo, hi) = (first + start as u64, first + i as u64 - 1);
        if items.len() < LIST_MAX {
            items.push(if lo == hi { format!("{sign}{lo}") } else { format!("{sign}({lo}--{hi})") });
        } else {
            more += 1;
        }
    }
    let mut out = items.join(" ");
    if more > 0 {
        out.push_str(&format!(" and {more} more range(s)"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_and_last_bit_as_bit_by_bit() {
        for from in [0usize, 1, 7, 8, 9, 100, 8191, 8192, 32767, 32768] {
            let mut fast = vec![0u8; 4096];
            let mut slow = vec![0u8; 4096];
            set_bits_from(&mut fast, from);
            for i in from..8 * 4096 {
                set_bit(&mut slow, i);
            }
            assert_eq!(fast, slow, "from {from}");
        }
        let mut b = vec![0u8; 1024];
        assert_eq!(last_set(&b, 8192), None);
        for bit in [0usize, 5, 8, 63, 1000, 8185, 8191] {
            set_bit(&mut b, bit);
            assert_eq!(last_set(&b, 8192), Some(bit));
            assert_eq!(last_set(&b, bit), (0..bit).rev().find(|&i| b[i / 8] & (1 << (i % 8)) != 0));
        }
    }
}
