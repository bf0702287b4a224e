//! Passes 3 and 4: every directory reachable from the root (unconnected ones go to
//! /lost+found, which is created when missing), `..` naming the parent, every inode in use
//! referenced (unattached ones go to /lost+found, empty ones are cleared), and link counts.

use super::{pass1, problem, Checker};
use crate::error::Result;
use crate::ondisk::dirent::{self, file_type_of_mode, FT_DIR};
use crate::ondisk::inode::{Inode, LOST_FOUND_INO, ROOT_INO};
use crate::pmem::Device;

/// Credits of a reconnection (lost+found entry, inode, parent).
const CONNECT_CREDITS: u32 = 32;

pub fn run<D: Device>(c: &mut Checker<'_, D>) -> Result<()> {
    if c.writable() {
        protect_found_blocks(c)?;
    }
    // As e2fsck's pass 3: no root (pass 1 cleared it, or it was never in use) is made anew;
    // every directory it held is then unconnected and goes to lost+found.
    let root_ok = c.inode_used.get(u64::from(ROOT_INO)) && c.dir_bits.get(u64::from(ROOT_INO));
    if !root_ok {
        if c.fix(problem::NO_ROOT, String::new(), Some(ROOT_INO), None) {
            c.fs.make_root_dir()?;
            mark_blocks(c, ROOT_INO)?;
            // Its '.' and '..' name it; directories whose '..' named the old root keep those
            // references (pass 2 counted them).
            c.inode_used.set(u64::from(ROOT_INO));
            c.dir_bits.set(u64::from(ROOT_INO));
            if !c.dirs.contains(&ROOT_INO) {
                c.dirs.push(ROOT_INO);
            }
            *c.refs.slot(ROOT_INO) += 2;
            c.dotdot.set(ROOT_INO, ROOT_INO);
            c.entry_parent.set(ROOT_INO, 0);
        } else {
            // Nothing below can be connected without a root.
            return Ok(());
        }
    }
    let mut lpf = c.fs.dir_lookup(ROOT_INO, b"lost+found").ok().flatten().map(|(i, _)| i);
    if lpf.is_some_and(|i| !c.dir_bits.get(u64::from(i))) {
        lpf = None;
    }
    // As e2fsck: a missing lost+found is not an error for a read-only check (nothing would
    // be reconnected into it); repairs create it.
    if lpf.is_none() && c.writable() && c.fix(problem::NO_LOST_FOUND, String::new(), None, None) {
        let ino = c.fs.create("/lost+found", true, false)?;
        note_new_dir(c, ino, ROOT_INO);
        lpf = Some(ino);
    }
    // Pass 3: connectivity, as e2fsck's check_directory: walk up from each directory through
    // the entries naming directories until a directory already known connected; a walk that
    // ends at a directory no entry names (or comes back on itself) reconnects that topmost
    // directory, so the ones below it stay where they are.
    let dirs = c.dirs.clone();
    let mut done = super::bits::Bits::new(c.inode_used.len());
    done.set(u64::from(ROOT_INO));
    // The directories of the current walk: a parent among them is a loop.
    let mut on_path = super::bits::Bits::new(c.inode_used.len());
    let mut path: Vec<u32> = Vec::new();
    for d in dirs {
        if d == ROOT_INO {
            continue;
        }
        let mut ino = d;
        for p in path.drain(..) {
            on_path.clear(u64::from(p));
        }
        loop {
            if done.set(u64::from(ino)) {
                break;
            }
            path.push(ino);
            on_path.set(u64::from(ino));
            let parent = c.entry_parent.get(ino);
            if parent == 0 || on_path.get(u64::from(parent)) {
                if c.fix(problem::UNREACHABLE_DIR, format!("directory {ino}"), Some(ino), None) {
                    if let Some(l) = lpf {
                        connect(c, l, ino)?;
                    }
                }
                break;
            }
            ino = parent;
        }
        let parent = Some(c.entry_parent.get(d)).filter(|&x| x != 0);
        let dd = Some(c.dotdot.get(d)).filter(|&x| x != 0);
        if let (Some(p), Some(x)) = (parent, dd) {
            if p != x
                && c.fix(problem::DOTDOT_WRONG, format!("directory {d}: '..' is {x}, should be {p}"), Some(d), None)
            {
                set_dotdot(c, d, x, p)?;
            }
        }
    }
    // Pass 4: reference counts.
    let first_ino = c.fs.sb.f.s_first_ino;
    let used: Vec<u32> = (1..c.inode_used.len() as u32).filter(|&i| c.inode_used.get(u64::from(i))).collect();
    for n in used {
        if (n < first_ino && n != ROOT_INO) || super::special::hidden(&c.fs.sb, n) {
            continue;
        }
        if c.writes == 0 && !c.ea_inode_refs.contains_key(&n) {
            // Nothing changed since pass 1: its link count settles the common case without
            // reading the inode again.
            let (facts, counted) = (c.facts.get(n), c.refs.get(n));
            let is_dir = c.dir_bits.get(u64::from(n));
            let have = u32::from(facts.links);
            if facts.mode != 0
                && (counted != 0 || is_dir)
                && (have == counted || is_dir && have == 1 && counted > 65_000)
            {
                continue;
            }
        }
        let node = c.fs.inode(n)?;
        if node.has_flag(crate::ondisk::inode::FL_EA_INODE) {
            if let Some(&refs) = c.ea_inode_refs.get(&n) {
                ea_inode_counts(c, n, node, refs)?;
                continue;
            }
        }
        let counted = c.refs.get(n);
        let is_dir = c.dir_bits.get(u64::from(n));
        if counted == 0 && !is_dir {
            if node.size() == 0 && node.blocks_512(false, 4096) == 0 {
                if c.fix(problem::UNATTACHED_EMPTY, format!("inode {n}"), Some(n), None) {
                    pass1::clear_inode(c, n)?;
                }
                continue;
            }
            if c.fix(problem::UNATTACHED_INODE, format!("inode {n}"), Some(n), None) {
                if let Some(l) = lpf {
                    connect(c, l, n)?;
                }
            }
        }
        let counted = c.refs.get(n);
        let node = c.fs.inode(n)?;
        let have = u32::from(node.f.i_links_count);
        // dir_nlink: a directory with more than 65,000 links counts 1.
        let ok = have == counted || (is_dir && have == 1 && counted > 65_000);
        if !ok
            && counted > 0
            && c.fix(problem::LINK_COUNT, format!("inode {n}: links {have}, counted {counted}"), Some(n), None)
        {
            let mut node = node;
            node.f.i_links_count = if counted > 65_000 && is_dir { 1 } else { counted as u16 };
            let mut h = c.fs.handle(2)?;
            h.write_inode(n, &node)?;
        }
    }
    // lost+found may have been created or grown after pass 1 counted blocks: count its own.
    if let Some(l) = lpf {
        if c.writable() {
            mark_blocks(c, l)?;
        }
    }
    Ok(())
}

/// An attribute value inode named by `refs` attributes: its reference count (`i_ctime` high,
/// `i_version` low) and its one link.
fn ea_inode_counts<D: Device>(c: &mut Checker<'_, D>, n: u32, node: Inode, refs: u64) -> Result<()> {
    let stored = (u64::from(node.f.i_ctime) << 32) | u64::from(node.f.i_version);
    let mut fixed = node;
    let mut dirty = false;
    if stored != refs
        && c.fix(problem::EA_INODE_REFCOUNT, format!("inode {n}: {stored}, should be {refs}"), Some(n), None)
    {
        fixed.f.i_ctime = (refs >> 32) as u32;
        fixed.f.i_version = refs as u32;
        dirty = true;
    }
    let links = fixed.f.i_links_count;
    if links != 1 && c.fix(problem::LINK_COUNT, format!("inode {n}: links {links}, counted 1"), Some(n), None) {
        fixed.f.i_links_count = 1;
        dirty = true;
    }
    if dirty {
        let mut h = c.fs.handle(2)?;
        h.write_inode(n, &fixed)?;
    }
    Ok(())
}

/// Mark the blocks of inode `n` (its extents and tree nodes, or its data and indirect
/// blocks) in use.
fn mark_blocks<D: Device>(c: &mut Checker<'_, D>, n: u32) -> Result<()> {
    let node = c.fs.inode(n)?;
    for r in c.fs.inode_runs(n, &node)? {
        if r.kind != crate::fs::lookup::RunKind::Xattr {
            c.block_found.set_range(r.start, r.len);
        }
    }
    Ok(())
}

fn note_new_dir<D: Device>(c: &mut Checker<'_, D>, ino: u32, parent: u32) {
    c.inode_used.set(u64::from(ino));
    c.dir_bits.set(u64::from(ino));
    c.dirs.push(ino);
    c.entry_parent.set(ino, parent);
    c.dotdot.set(ino, parent);
    *c.refs.slot(ino) += 2;
    *c.refs.slot(parent) += 1;
}

/// Link inode `n` into lost+found as `#n`; a directory also gets its `..` pointed there.
fn connect<D: Device>(c: &mut Checker<'_, D>, lpf: u32, n: u32) -> Result<()> {
    let node = c.fs.inode(n)?;
    let ft = if c.fs.sb.has_incompat(crate::ondisk::features::incompat::FILETYPE) {
        file_type_of_mode(node.f.i_mode)
    } else {
        0
    };
    let name = format!("#{n}");
    {
        let mut h = c.fs.handle(CONNECT_CREDITS)?;
        h.dir_add(lpf, name.as_bytes(), n, ft)?;
    }
    *c.refs.slot(n) += 1;
    if ft == FT_DIR || node.is_dir() {
        c.entry_parent.set(n, lpf);
        if let Some(old) = Some(c.dotdot.get(n)).filter(|&x| x != 0) {
            if old != lpf {
                set_dotdot(c, n, old, lpf)?;
            }
        }
    }
    let _ = LOST_FOUND_INO;
    Ok(())
}

/// Point directory `d`'s `..` at `to` (it named `from`); reference counts follow.
fn set_dotdot<D: Device>(c: &mut Checker<'_, D>, d: u32, from: u32, to: u32) -> Result<()> {
    let node = c.fs.inode(d)?;
    if crate::fs::inline::is_inline(&node) {
        return super::inline::set_parent(c, d, node, from, to);
    }
    let Some(e) = c.fs.file_extents(d, &node)?.into_iter().find(|e| e.logical == 0) else { return Ok(()) };
    let bs = c.fs.block_size();
    let seed = c.fs.inode_csum_seed(d, &node);
    let mut h = c.fs.handle(2)?;
    let buf = h.get_write(e.physical)?;
    let dot = dirent::parse_at(buf, 0, bs)?.rec_len as usize;
    let dd = dirent::parse_at(buf, dot, bs)?;
    let (len, ft) = (dd.rec_len, dd.file_type);
    dirent::write_at(buf, dot, to, len, ft, b"..", bs)?;
    if let Some(s) = seed {
        if dirent::has_tail(buf) {
            dirent::set_tail_checksum(buf, s);
        }
    }
    drop(h);
    let r = c.refs.slot(from);
    *r = r.saturating_sub(1);
    *c.refs.slot(to) += 1;
    c.dotdot.set(d, to);
    Ok(())
}

/// Before passes 3 and 4 allocate (a new root, lost+found, a block for it): the blocks the
/// check found in use but the bitmaps call free (pass 5 has not rewritten them yet) are kept
/// from the allocator.
fn protect_found_blocks<D: Device>(c: &mut Checker<'_, D>) -> Result<()> {
    use crate::ondisk::group_desc::BLOCK_UNINIT;
    let sb = c.fs.sb.clone();
    let mut skip = std::collections::BTreeMap::new();
    let mut disk = Vec::new();
    for g in 0..c.fs.groups().len() {
        let d = c.fs.groups()[g].clone();
        let (first, count) = (sb.group_first_block(g as u64), sb.group_block_count(g as u64));
        if c.block_found.count_range(first, count) == 0 {
            continue;
        }
        disk.clear();
        if !d.has_flag(BLOCK_UNINIT) {
            disk.extend_from_slice(&c.fs.block(d.block_bitmap)?);
        }
        let mut run: Option<(u64, u64)> = None;
        for i in 0..count {
            let on_disk = disk.get((i / 8) as usize).is_some_and(|b| b & (1 << (i % 8)) != 0);
            let hidden = c.block_found.get(first + i) && !on_disk;
            match (&mut run, hidden) {
                (Some((_, len)), true) => *len += 1,
                (None, true) => run = Some((first + i, 1)),
                (Some((s, len)), false) => {
                    skip.insert(*s, *len);
                    run = None;
                }
                (None, false) => {}
            }
        }
        if let Some((s, len)) = run {
            skip.insert(s, len);
        }
    }
    c.fs.alloc_skip = skip;
    Ok(())
}
