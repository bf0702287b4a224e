//! Unit tests over an in-memory [`TreeIo`]: every split, merge, growth and shrink case, bad
//! trees, and a property test of random insert / punch / convert sequences against a model.

use std::collections::{BTreeMap, HashMap, HashSet};

use proptest::prelude::*;

use super::node::mergeable;
use super::*;
use crate::error::{Error, Result};
use crate::ondisk::extent::{self as x, MAX_DEPTH};

/// Node blocks live in the upper half of the "disk", data in the lower half.
const BLOCKS: u64 = 1 << 24;
const NODE_BASE: u64 = BLOCKS / 2;

struct MemIo {
    bs: u32,
    nodes: HashMap<u64, Vec<u8>>,
    next: u64,
    free: Vec<u64>,
    writes: usize,
    data_freed: u64,
    /// `Some(n)`: only `n` more node allocations succeed.
    alloc_budget: Option<usize>,
}

impl MemIo {
    fn new(bs: u32) -> MemIo {
        MemIo {
            bs,
            nodes: HashMap::new(),
            next: NODE_BASE,
            free: Vec::new(),
            writes: 0,
            data_freed: 0,
            alloc_budget: None,
        }
    }
}

impl TreeIo for MemIo {
    fn block_size(&self) -> u32 {
        self.bs
    }
    fn blocks_count(&self) -> u64 {
        BLOCKS
    }
    fn read_block(&self, blk: u64, buf: &mut [u8]) -> Result<()> {
        let b = self.nodes.get(&blk).ok_or_else(|| Error::Invalid(format!("read of unallocated block {blk}")))?;
        buf.copy_from_slice(b);
        Ok(())
    }
    fn write_block(&mut self, blk: u64, data: &[u8]) -> Result<()> {
        assert_eq!(data.len(), self.bs as usize);
        let b = self.nodes.get_mut(&blk).expect("write to a block not allocated");
        b.copy_from_slice(data);
        self.writes += 1;
        Ok(())
    }
    fn alloc_node(&mut self, _goal: u64) -> Result<u64> {
        if let Some(n) = self.alloc_budget.as_mut() {
            if *n == 0 {
                return Err(Error::Invalid("no space left".into()));
            }
            *n -= 1;
        }
        let b = self.free.pop().unwrap_or_else(|| {
            self.next += 1;
            self.next - 1
        });
        // Garbage, as a reused block would hold: the tree must write it fully.
        assert!(self.nodes.insert(b, vec![0xA5; self.bs as usize]).is_none());
        Ok(b)
    }
    fn free_node(&mut self, blk: u64) -> Result<()> {
        assert!(self.nodes.remove(&blk).is_some(), "double free of {blk}");
        self.free.push(blk);
        Ok(())
    }
    fn free_data(&mut self, start: u64, len: u64) -> Result<()> {
        assert!(start >= 1 && start + len <= NODE_BASE);
        self.data_freed += len;
        Ok(())
    }
}

const SEED: u32 = 0x1234_5678;

fn ext(logical: u32, len: u32, physical: u64, unwritten: bool) -> Extent {
    Extent { logical, len, physical, unwritten }
}

fn root(ib: &mut [u8; 60]) -> Root<'_> {
    Root { i_block: ib, csum_seed: Some(SEED) }
}

/// Check every invariant of the tree and return its extents.
fn check(io: &MemIo, r: &Root<'_>) -> Vec<Extent> {
    let nodes = nodes(io, r).expect("walk");
    let cap = x::block_capacity(io.bs);
    let by_block: HashMap<u64, &NodeInfo> = nodes.iter().filter_map(|n| n.block.map(|b| (b, n))).collect();
    let blocks: HashSet<u64> = by_block.keys().copied().collect();
    let live: HashSet<u64> = io.nodes.keys().copied().collect();
    assert_eq!(blocks, live, "node blocks leaked or lost");
    let top = &nodes[0];
    assert_eq!((top.level, top.block, top.max), (0, None, 4));
    assert!(top.depth <= MAX_DEPTH);
    for n in &nodes {
        if n.block.is_some() {
            assert_eq!(n.checksum_ok, Some(true));
            assert_eq!(n.max, cap);
            assert!(n.entries >= 1, "empty node {:?}", n.block);
        }
        assert_eq!(n.depth + n.level, top.depth);
        if let NodeEntries::Index(ix) = &n.content {
            for i in ix {
                let child = by_block[&i.child];
                assert_eq!(child.first, Some(i.logical), "index key != child's first");
            }
        }
    }
    if top.depth > 0 {
        let kids: usize = nodes.iter().filter(|n| n.level == 1).map(|n| usize::from(n.entries)).sum();
        assert!(kids > 4, "tree could be lower: {kids} entries under the root");
    }
    let all = extents(io, r).expect("extents");
    for w in all.windows(2) {
        assert!(w[0].logical_end() <= u64::from(w[1].logical));
        assert!(!mergeable(&w[0], &w[1]), "mergeable pair {w:?}");
    }
    all
}

fn depth(r: &Root<'_>) -> u16 {
    x::Header::parse(&r.i_block[..], 4).unwrap().depth
}

#[test]
fn empty_root_and_lookup() {
    let io = MemIo::new(4096);
    let mut ib = [0xFFu8; 60];
    init_empty(&mut ib);
    let r = root(&mut ib);
    assert_eq!(check(&io, &r), vec![]);
    assert_eq!(lookup(&io, &r, 0).unwrap(), None);
    assert_eq!(depth(&r), 0);
}

#[test]
fn insert_merges_left_right_and_bridges() {
    let mut io = MemIo::new(4096);
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    insert(&mut io, &mut r, ext(10, 5, 100, false)).unwrap();
    insert(&mut io, &mut r, ext(15, 5, 105, false)).unwrap(); // right of it: merge
    insert(&mut io, &mut r, ext(5, 5, 95, false)).unwrap(); // left of it: merge
    assert_eq!(check(&io, &r), vec![ext(5, 15, 95, false)]);
    insert(&mut io, &mut r, ext(30, 5, 120, false)).unwrap();
    insert(&mut io, &mut r, ext(20, 10, 110, false)).unwrap(); // bridges both
    assert_eq!(check(&io, &r), vec![ext(5, 30, 95, false)]);
    // Not physically contiguous, or of another kind: no merge.
    insert(&mut io, &mut r, ext(35, 1, 500, false)).unwrap();
    insert(&mut io, &mut r, ext(36, 1, 501, true)).unwrap();
    assert_eq!(check(&io, &r).len(), 3);
    assert_eq!(lookup(&io, &r, 36).unwrap(), Some(ext(36, 1, 501, true)));
    assert_eq!(io.writes, 0, "a depth-0 tree writes no block");
}

#[test]
fn insert_rejects_overlap_and_bad_extents_unchanged() {
    let mut io = MemIo::new(4096);
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    insert(&mut io, &mut r, ext(10, 5, 100, false)).unwrap();
    let before = *r.i_block;
    for bad in [
        ext(12, 1, 7, false),
        ext(5, 6, 7, false),
        ext(14, 3, 7, true),
        ext(0, 0, 7, false),
        ext(0, 32768, 7, true),
        ext(0, 1, 0, false),
        ext(0, 1, BLOCKS, false),
        ext(u32::MAX - 1, 2, 7, false),
    ] {
        assert!(insert(&mut io, &mut r, bad).is_err(), "{bad:?}");
        assert_eq!(*r.i_block, before);
    }
}

#[test]
fn length_limits_stop_merging() {
    let mut io = MemIo::new(4096);
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    insert(&mut io, &mut r, ext(0, 32767, 1000, true)).unwrap();
    insert(&mut io, &mut r, ext(32767, 1, 1000 + 32767, true)).unwrap();
    assert_eq!(check(&io, &r).len(), 2, "unwritten stops at 32767");
    convert_to_written(&mut io, &mut r, 0, 32768).unwrap();
    assert_eq!(check(&io, &r), vec![ext(0, 32768, 1000, false)]);
    insert(&mut io, &mut r, ext(32768, 1, 1000 + 32768, false)).unwrap();
    assert_eq!(check(&io, &r).len(), 2, "written stops at 32768");
    // Shortening the first makes the pair mergeable again: the punch merges it.
    remove_range(&mut io, &mut r, 0, 10).unwrap();
    assert_eq!(check(&io, &r), vec![ext(10, 32759, 1010, false)]);
}

/// `n` one-block extents at every other logical block, appended in order.
fn striped(io: &mut MemIo, r: &mut Root<'_>, n: u32, unwritten: bool) {
    for i in 0..n {
        insert(io, r, ext(2 * i, 1, 10 + 2 * u64::from(i), unwritten)).unwrap();
    }
}

#[test]
fn append_splits_leaves_full_and_grows_to_depth_2() {
    let mut io = MemIo::new(1024); // 84 entries per block
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    striped(&mut io, &mut r, 5, false);
    assert_eq!(depth(&r), 1, "a fifth extent grows the root");
    assert_eq!(io.nodes.len(), 1);
    for i in 5..(84 * 4 + 1) {
        insert(&mut io, &mut r, ext(2 * i, 1, 10 + 2 * u64::from(i), false)).unwrap();
    }
    assert_eq!(depth(&r), 2);
    let all = check(&io, &r);
    assert_eq!(all.len(), 84 * 4 + 1);
    let leaves: Vec<u16> = nodes(&io, &r).unwrap().iter().filter(|n| n.depth == 0).map(|n| n.entries).collect();
    assert_eq!(leaves, vec![84, 84, 84, 84, 1], "appends fill leaves");
    for i in 0..(84 * 4 + 1) {
        assert_eq!(lookup(&io, &r, 2 * i).unwrap().map(|e| e.logical), Some(2 * i));
        assert_eq!(lookup(&io, &r, 2 * i + 1).unwrap(), None);
    }
}

#[test]
fn index_splits_grow_to_depth_3_and_shrink_back() {
    let mut io = MemIo::new(1024);
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    let n = 4 * 84 * 84 + 1; // one more than a depth-2 tree of full nodes holds
    striped(&mut io, &mut r, n, false);
    assert_eq!(depth(&r), 3);
    assert_eq!(check(&io, &r).len() as u32, n);
    // Punch from the left across hundreds of leaves and many index blocks.
    assert_eq!(remove_range(&mut io, &mut r, 0, 2 * (n - 3)).unwrap(), u64::from(n - 3));
    assert_eq!(check(&io, &r).len(), 3);
    assert_eq!(depth(&r), 0);
    assert!(io.nodes.is_empty());
}

#[test]
fn inserts_before_everything_split_index_nodes_in_half() {
    let mut io = MemIo::new(1024);
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    let n = 84 * 84 + 100;
    for i in (0..n).rev() {
        insert(&mut io, &mut r, ext(2 * i, 1, 10 + 2 * u64::from(i), true)).unwrap();
    }
    assert_eq!(depth(&r), 2);
    assert_eq!(check(&io, &r).len() as u32, n);
    // Fill every hole: everything merges into written extents of at most 32768 blocks.
    for i in 0..n {
        insert(&mut io, &mut r, ext(2 * i + 1, 1, 11 + 2 * u64::from(i), true)).unwrap();
    }
    assert_eq!(check(&io, &r), vec![ext(0, 2 * n, 10, true)]);
    convert_to_written(&mut io, &mut r, 0, 2 * n).unwrap();
    assert_eq!(check(&io, &r), vec![ext(0, 2 * n, 10, false)]);
    assert!(io.nodes.is_empty());
}

#[test]
fn middle_insert_splits_a_full_leaf_in_half() {
    let mut io = MemIo::new(1024);
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    for i in 0..84 {
        insert(&mut io, &mut r, ext(4 * i, 1, 10 + 4 * u64::from(i), false)).unwrap();
    }
    assert_eq!(io.nodes.len(), 1);
    insert(&mut io, &mut r, ext(2, 1, 5000, false)).unwrap();
    let leaves: Vec<u16> = nodes(&io, &r).unwrap().iter().filter(|n| n.depth == 0).map(|n| n.entries).collect();
    assert_eq!(leaves, vec![43, 42]);
    check(&io, &r);
    // Before everything: the leftmost key changes all the way up.
    remove_range(&mut io, &mut r, 0, 1).unwrap();
    insert(&mut io, &mut r, ext(0, 1, 6000, false)).unwrap();
    check(&io, &r);
}

#[test]
fn depth_2_at_4k_blocks_and_punch_back_to_empty() {
    let mut io = MemIo::new(4096);
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    striped(&mut io, &mut r, 1400, true);
    assert_eq!(depth(&r), 2);
    assert_eq!(check(&io, &r).len(), 1400);
    // Punch everything but the first and last extents: leaves and index blocks are freed,
    // the tree comes back into the inode.
    let freed = remove_range(&mut io, &mut r, 1, 2 * 1399 - 1).unwrap();
    assert_eq!(freed, 1398);
    assert_eq!(io.data_freed, 1398);
    assert_eq!(depth(&r), 0);
    assert!(io.nodes.is_empty());
    assert_eq!(check(&io, &r).len(), 2);
    remove_range(&mut io, &mut r, 0, u32::MAX).unwrap();
    assert_eq!(check(&io, &r), vec![]);
}

#[test]
fn punch_inside_one_extent_splits_it_and_a_full_leaf() {
    let mut io = MemIo::new(1024);
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    for i in 0..84 {
        insert(&mut io, &mut r, ext(100 * i, 50, 10 + 100 * u64::from(i), false)).unwrap();
    }
    assert_eq!((depth(&r), io.nodes.len()), (1, 1));
    assert_eq!(remove_range(&mut io, &mut r, 1010, 5).unwrap(), 5);
    let all = check(&io, &r);
    assert_eq!(all.len(), 85);
    assert_eq!(io.nodes.len(), 2);
    assert_eq!(lookup(&io, &r, 1009).unwrap(), Some(ext(1000, 10, 1010, false)));
    assert_eq!(lookup(&io, &r, 1012).unwrap(), None);
    assert_eq!(lookup(&io, &r, 1015).unwrap(), Some(ext(1015, 35, 1025, false)));
    // A punch with no extent in it writes nothing.
    let w = io.writes;
    assert_eq!(remove_range(&mut io, &mut r, 60, 40).unwrap(), 0);
    assert_eq!(io.writes, w);
}

#[test]
fn convert_1_to_3_split_and_merge_back() {
    let mut io = MemIo::new(4096);
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    insert(&mut io, &mut r, ext(0, 10, 500, true)).unwrap();
    convert_to_written(&mut io, &mut r, 5, 1).unwrap();
    assert_eq!(check(&io, &r), vec![ext(0, 5, 500, true), ext(5, 1, 505, false), ext(6, 4, 506, true)]);
    convert_to_written(&mut io, &mut r, 6, 1).unwrap(); // 1 -> 2, merged with the written
    assert_eq!(check(&io, &r), vec![ext(0, 5, 500, true), ext(5, 2, 505, false), ext(7, 3, 507, true)]);
    convert_to_written(&mut io, &mut r, 0, 5).unwrap();
    convert_to_written(&mut io, &mut r, 7, 100).unwrap(); // past the end: a hole, left alone
    assert_eq!(check(&io, &r), vec![ext(0, 10, 500, false)]);
    assert_eq!(lookup(&io, &r, 11).unwrap(), None);
}

#[test]
fn single_block_convert_writes_only_its_leaf() {
    let mut io = MemIo::new(1024);
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    for i in 0..200 {
        insert(&mut io, &mut r, ext(100 * i, 20, 10 + 100 * u64::from(i), true)).unwrap();
    }
    assert_eq!(depth(&r), 1);
    let ib_before = *r.i_block;
    let w = io.writes;
    // Leaves of 84, 84 and 32 extents: a 1 -> 3 split in the last one.
    convert_to_written(&mut io, &mut r, 19010, 1).unwrap();
    assert_eq!(io.writes, w + 1);
    assert_eq!(*r.i_block, ib_before);
    // Converting it again, or a hole, writes nothing.
    convert_to_written(&mut io, &mut r, 19010, 1).unwrap();
    convert_to_written(&mut io, &mut r, 19050, 1).unwrap();
    assert_eq!(io.writes, w + 1);
    check(&io, &r);
}

#[test]
fn convert_splits_a_full_leaf() {
    let mut io = MemIo::new(1024);
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    for i in 0..84 {
        insert(&mut io, &mut r, ext(100 * i, 20, 10 + 100 * u64::from(i), true)).unwrap();
    }
    assert_eq!(io.nodes.len(), 1);
    convert_to_written(&mut io, &mut r, 4010, 1).unwrap();
    assert_eq!(check(&io, &r).len(), 86);
    assert_eq!(io.nodes.len(), 2);
}

#[test]
fn merging_across_a_leaf_boundary_frees_the_emptied_leaf() {
    let mut io = MemIo::new(1024);
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    striped(&mut io, &mut r, 85, false); // leaves of 84 and 1
    assert_eq!(io.nodes.len(), 2);
    // The hole before the last extent: it merges with both neighbours across the boundary.
    insert(&mut io, &mut r, ext(167, 1, 10 + 167, false)).unwrap();
    let all = check(&io, &r);
    assert_eq!(all.len(), 84);
    assert_eq!(all[83], ext(166, 3, 176, false));
    assert_eq!(depth(&r), 1);
    assert_eq!(io.nodes.len(), 1);
}

#[test]
fn enospc_on_split_leaves_the_tree_unchanged() {
    let mut io = MemIo::new(1024);
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    striped(&mut io, &mut r, 84, false);
    let before = (*r.i_block, io.nodes.clone(), io.writes);
    io.alloc_budget = Some(0);
    assert!(insert(&mut io, &mut r, ext(1000, 1, 5000, false)).is_err());
    assert_eq!((*r.i_block, io.nodes.clone(), io.writes), before);
    io.alloc_budget = None;
    insert(&mut io, &mut r, ext(1000, 1, 5000, false)).unwrap();
    check(&io, &r);
}

#[test]
fn bad_trees_are_errors_not_panics() {
    let mut io = MemIo::new(1024);
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    striped(&mut io, &mut r, 10, false);
    let leaf = *io.nodes.keys().next().unwrap();
    let good = io.nodes[&leaf].clone();
    // Checksum.
    io.nodes.get_mut(&leaf).unwrap()[20] ^= 1;
    assert!(matches!(lookup(&io, &r, 0), Err(Error::Checksum { .. })));
    assert_eq!(nodes(&io, &r).unwrap()[1].checksum_ok, Some(false));
    assert!(insert(&mut io, &mut r, ext(100, 1, 7, false)).is_err());
    // Unsorted extents (checksum made valid).
    let mut bad = good.clone();
    bad.copy_within(x::entry_offset(0)..x::entry_offset(1), x::entry_offset(2));
    x::set_block_checksum(&mut bad, SEED, 84);
    io.nodes.insert(leaf, bad);
    assert!(extents(&io, &r).is_err());
    assert!(remove_range(&mut io, &mut r, 0, 100).is_err());
    io.nodes.insert(leaf, good);
    // A loop: the leaf claims to be an index pointing at itself.
    let mut bad = io.nodes[&leaf].clone();
    x::Header { entries: 1, max: 84, depth: 1, generation: 0 }.encode_into(&mut bad);
    x::Index { logical: 0, child: leaf }.encode_into(&mut bad[12..]);
    x::set_block_checksum(&mut bad, SEED, 84);
    io.nodes.insert(leaf, bad);
    assert!(lookup(&io, &r, 0).is_err());
    assert!(extents(&io, &r).is_err());
    // Child pointers outside the file system, or 0.
    for child in [0, BLOCKS, u64::MAX >> 16] {
        let mut ib2 = *r.i_block;
        x::Index { logical: 0, child }.encode_into(&mut ib2[12..]);
        let r2 = root(&mut ib2);
        assert!(lookup(&io, &r2, 0).is_err());
        assert!(nodes(&io, &r2).is_err());
    }
    // Depth beyond the limit, garbage root.
    let mut ib3 = [0u8; 60];
    assert!(lookup(&io, &root(&mut ib3), 0).is_err());
}

// ---- property test against a model ------------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    Insert { lblk: u32, len: u32, unwritten: bool, contiguous: bool, phys: u64 },
    Stripe { start: u32, count: u32, stride: u32, unwritten: bool },
    Punch { lblk: u32, len: u32 },
    Convert { lblk: u32, len: u32 },
}

const SPACE: u32 = 3000;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..SPACE, 1..40u32, any::<bool>(), any::<bool>(), 1..100_000u64).prop_map(
            |(lblk, len, unwritten, contiguous, phys)| Op::Insert { lblk, len, unwritten, contiguous, phys }
        ),
        1 => (0..SPACE, 1..200u32, 2..5u32, any::<bool>())
            .prop_map(|(start, count, stride, unwritten)| Op::Stripe { start, count, stride, unwritten }),
        3 => (0..SPACE, prop_oneof![1..10u32, 1..600u32])
            .prop_map(|(lblk, len)| Op::Punch { lblk, len }),
        3 => (0..SPACE, prop_oneof![1..3u32, 1..600u32])
            .prop_map(|(lblk, len)| Op::Convert { lblk, len }),
    ]
}

type Model = BTreeMap<u32, (u64, bool)>;

fn apply_insert(io: &mut MemIo, r: &mut Root<'_>, m: &mut Model, e: Extent) {
    let free = (e.logical..e.logical + e.len).all(|l| !m.contains_key(&l));
    let w = io.writes;
    let before = *r.i_block;
    let res = insert(io, r, e);
    if free {
        res.unwrap();
        for i in 0..e.len {
            m.insert(e.logical + i, (e.physical + u64::from(i), e.unwritten));
        }
    } else {
        assert!(res.is_err(), "insert over mapped blocks accepted: {e:?}");
        assert_eq!((io.writes, *r.i_block), (w, before));
    }
}

fn run(ops: Vec<Op>) -> u16 {
    let mut io = MemIo::new(1024);
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    let mut m = Model::new();
    let mut max_depth = 0;
    for op in ops {
        match op {
            Op::Insert { lblk, len, unwritten, contiguous, phys } => {
                let physical = match lblk.checked_sub(1).and_then(|p| m.get(&p)) {
                    Some(&(p, _)) if contiguous => p + 1,
                    _ => phys,
                };
                apply_insert(&mut io, &mut r, &mut m, ext(lblk, len, physical, unwritten));
            }
            Op::Stripe { start, count, stride, unwritten } => {
                for i in 0..count {
                    let l = start + i * stride;
                    if !m.contains_key(&l) {
                        let p = 200_000 + 3 * u64::from(l);
                        apply_insert(&mut io, &mut r, &mut m, ext(l, 1, p, unwritten));
                    }
                }
            }
            Op::Punch { lblk, len } => {
                let gone: Vec<u32> = m.range(lblk..lblk + len).map(|(&k, _)| k).collect();
                for k in &gone {
                    m.remove(k);
                }
                let freed_before = io.data_freed;
                let n = remove_range(&mut io, &mut r, lblk, len).unwrap();
                assert_eq!(n, gone.len() as u64);
                assert_eq!(io.data_freed - freed_before, n);
            }
            Op::Convert { lblk, len } => {
                for (_, v) in m.range_mut(lblk..lblk + len) {
                    v.1 = false;
                }
                convert_to_written(&mut io, &mut r, lblk, len).unwrap();
            }
        }
        max_depth = max_depth.max(depth(&r));
        let all = check(&io, &r);
        let mut got = Model::new();
        for e in &all {
            for i in 0..e.len {
                got.insert(e.logical + i, (e.physical + u64::from(i), e.unwritten));
            }
        }
        assert_eq!(got, m);
        for l in (0..SPACE + 50).step_by(7) {
            let want = m.get(&l).copied();
            let e = lookup(&io, &r, l).unwrap();
            let have = e.map(|e| (e.physical + u64::from(l - e.logical), e.unwritten));
            assert_eq!(have, want, "lookup of {l}");
        }
    }
    max_depth
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random sequences after a striped start deep enough for a depth-2 tree (> 4 * 84
    /// extents at 1 KiB blocks).
    #[test]
    fn random_ops_match_the_model(
        start in 0..200u32,
        stride in 2..4u32,
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let mut all = vec![Op::Stripe { start, count: 400, stride, unwritten: stride == 3 }];
        all.extend(ops);
        prop_assert!(run(all) >= 2);
    }
}

#[test]
fn appends_after_a_punched_comb_keep_index_ranges() {
    // What `fallocate` does after a comb: a depth-2 tree made by punching every other block of
    // one extent, then single-block extents appended past its end.
    let mut io = MemIo::new(4096);
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    let mut at = 0;
    while at < 2800 {
        let n = (2800 - at).min(32767);
        insert(&mut io, &mut r, ext(at, n, 100_000 + u64::from(at), true)).unwrap();
        at += n;
    }
    for b in (1..2800).step_by(2) {
        remove_range(&mut io, &mut r, b, 1).unwrap();
    }
    assert_eq!(depth(&r), 2);
    check(&io, &r);
    for i in 0..137u32 {
        insert(&mut io, &mut r, ext(2800 + i, 1, 200_001 + 2 * u64::from(i), true)).unwrap();
        check(&io, &r);
    }
}

/// Two leaves: 84 written single blocks (the last at logical 166, physical 1166) fill the first;
/// an unwritten 167-168 physically right after it (1167) starts the second.
fn leaf_boundary_tree(io: &mut MemIo, r: &mut Root<'_>) {
    for i in 0..84 {
        insert(io, r, ext(2 * i, 1, 1000 + 2 * u64::from(i), false)).unwrap();
    }
    insert(io, r, ext(167, 2, 1167, true)).unwrap();
    let leaves: Vec<u16> = nodes(io, r).unwrap().iter().filter(|n| n.depth == 0).map(|n| n.entries).collect();
    assert_eq!(leaves, vec![84, 1]);
}

#[test]
fn lookup_in_leaf_sees_only_its_own_leaf() {
    let mut io = MemIo::new(1024);
    let mut ib = [0u8; 60];
    init_empty(&mut ib);
    let mut r = root(&mut ib);
    leaf_boundary_tree(&mut io, &mut r);
    let first = lookup_in_leaf(&io, &r, 168).unwrap();
    assert_eq!(first, InLeaf { prev: None, ext: Some(ext(167, 2, 1167, true)), next: None }, "first of its leaf");
    let last = lookup_in_leaf(&io, &r, 166).unwrap();
    assert_eq!(last.prev, Some(ext(164, 1, 1164, false)));
    assert_eq!((last.ext, last.next), (Some(ext(166, 1, 1166, false)), None), "last of its leaf");
    let hole = lookup_in_leaf(&io, &r, 165).unwrap();
    assert_eq!(hole, InLeaf { prev: Some(ext(164, 1, 1164, false)), ext: None, next: Some(ext(166, 1, 1166, false)) });
    let before_all = lookup_in_leaf(&io, &r, 0).unwrap();
    assert_eq!((before_all.prev, before_all.ext), (None, Some(ext(0, 1, 1000, false))));
}

#[test]
fn converting_in_leaf_never_merges_across_a_leaf_boundary() {
    for across in [false, true] {
        let mut io = MemIo::new(1024);
        let mut ib = [0u8; 60];
        init_empty(&mut ib);
        let mut r = root(&mut ib);
        leaf_boundary_tree(&mut io, &mut r);
        if across {
            convert_to_written(&mut io, &mut r, 167, 2).unwrap();
            let all = check(&io, &r);
            assert_eq!(all.last(), Some(&ext(166, 3, 1166, false)), "merged into the left leaf's last extent");
        } else {
            convert_to_written_in_leaf(&mut io, &mut r, 167, 2).unwrap();
            let all = extents(&io, &r).unwrap();
            assert_eq!(
                all[all.len() - 2..],
                [ext(166, 1, 1166, false), ext(167, 2, 1167, false)],
                "as ext4 leaves them"
            );
            let leaves: Vec<u16> = nodes(&io, &r).unwrap().iter().filter(|n| n.depth == 0).map(|n| n.entries).collect();
            assert_eq!(leaves, vec![84, 1]);
        }
    }
}
