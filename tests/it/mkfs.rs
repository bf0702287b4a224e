//! Proves that `e4dax mkfs` writes real ext4, with e2fsprogs as the judge: `e2fsck -fn` finds
//! images of 16M to 2T clean (also poisoned and journal-less ones), `dumpe2fs -h` lists exactly
//! the promised features, `debugfs` sees `.`, `..` and `lost+found`; `--poison` fills exactly the
//! free blocks with the stale-data pattern; big images stay sparse; the options reach the
//! superblock; and equal arguments (with `--uuid --time`) give byte-identical images.

use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::common::*;

const FEATURES: [&str; 10] = [
    "has_journal",
    "extent",
    "filetype",
    "sparse_super",
    "large_file",
    "64bit",
    "metadata_csum",
    "extra_isize",
    "dir_nlink",
    "flex_bg",
];
const JOURNAL_FEATURES: [&str; 2] = ["journal_64bit", "journal_checksum_v3"];

/// Inodes 1..=10 are reserved, 11 is lost+found: a fresh file system uses 11 inodes.
const FIRST_FREE_INODE: u64 = 11;

fn expected_features(journal: bool) -> BTreeSet<String> {
    FEATURES.iter().filter(|f| journal || **f != "has_journal").map(|f| f.to_string()).collect()
}

/// Everything a fresh e4dax image of `size_bytes` must satisfy, checked with e2fsprogs.
fn check_fresh_image(image: &Path, size_bytes: u64, journal: bool) {
    assert_eq!(image.metadata().expect("stat").len(), size_bytes, "the image file has the requested size");
    assert_e2fsck_clean(image);

    let sb = dumpe2fs_h(image);
    assert_eq!(feature_set(&sb, "Filesystem features"), expected_features(journal), "Filesystem features");
    assert_eq!(field(&sb, "Filesystem UUID"), UUID_A);
    assert_eq!(field(&sb, "Filesystem state"), "clean");
    assert_eq!(num(&sb, "Block size"), BLOCK_SIZE);
    assert_eq!(num(&sb, "Block count"), size_bytes / BLOCK_SIZE, "Block count");
    assert_eq!(
        num(&sb, "Free inodes"),
        num(&sb, "Inode count") - FIRST_FREE_INODE,
        "a fresh file system uses inodes 1..=11"
    );
    assert_eq!(field(&sb, "Checksum type"), "crc32c");
    if journal {
        assert_eq!(num(&sb, "Journal inode"), 8, "journal in inode 8");
        assert_eq!(feature_set(&sb, "Journal features"), set_of(&JOURNAL_FEATURES), "Journal features");
        assert!(num(&sb, "Total journal blocks") > 0);
    } else {
        assert!(
            !sb.contains_key("Journal inode") && !sb.contains_key("Journal features"),
            "a --no-journal image has no journal: {sb:#?}"
        );
    }

    let listing = debugfs(image, "ls -l /");
    let names: HashSet<&str> = listing.lines().filter_map(|l| l.split_whitespace().last()).collect();
    for name in [".", "..", "lost+found"] {
        assert!(names.contains(name), "debugfs ls -l / lacks {name:?}:\n{listing}");
    }
}

/// A non-poisoned image is sparse: mkfs writes metadata only.
fn check_sparse(image: &Path, size_bytes: u64) {
    let limit = (size_bytes / 2).min(2 * GIB);
    let allocated = allocated_bytes(image);
    assert!(
        allocated <= limit,
        "a {size_bytes}-byte image should be sparse, but {allocated} bytes are allocated \
         (limit {limit})"
    );
}

fn plain_image(name: &str, size: &str, size_bytes: u64) {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let image = mkfs(dir.path(), name, size, &[]);
    check_fresh_image(&image, size_bytes, true);
    check_sparse(&image, size_bytes);
}

/// Every block dumpe2fs lists as free holds exactly the stale pattern for its number; no other
/// block (journal, inode tables, bitmaps, directories, ...) holds any stale cell.
fn check_poison(image: &Path) {
    let sb = dumpe2fs_h(image);
    let blocks_count = num(&sb, "Block count");
    let groups = dumpe2fs_groups(image);

    let mut free = vec![false; blocks_count as usize];
    let mut free_total = 0u64;
    for g in &groups {
        for &(a, b) in &g.free_ranges {
            assert!(a <= b && b < blocks_count, "free range {a}-{b} out of bounds");
            for blk in a..=b {
                free[blk as usize] = true;
            }
            free_total += b - a + 1;
        }
    }
    assert_eq!(free_total, num(&sb, "Free blocks"), "dumpe2fs free ranges agree with the free block count");
    assert!(free_total > 0, "a fresh image has free blocks");

    let mut role: Vec<&str> = vec!["metadata"; blocks_count as usize];
    let journal = journal_blocks(image);
    assert!(!journal.is_empty(), "the journal has blocks");
    for &blk in &journal {
        assert!(!free[blk as usize], "journal block {blk} is listed as free");
        role[blk as usize] = "journal";
    }
    for g in &groups {
        for blk in g.inode_table.0..=g.inode_table.1 {
            assert!(!free[blk as usize], "inode table block {blk} of group {} is listed as free", g.group);
            role[blk as usize] = "inode table";
        }
    }

    let mut file = File::open(image).expect("open image");
    let mut chunk = vec![0u8; MIB as usize];
    let mut bad: Vec<String> = Vec::new();
    let mut bad_count = 0u64;
    let mut blk = 0u64;
    while blk < blocks_count {
        let want = ((blocks_count - blk) * BLOCK_SIZE).min(MIB) as usize;
        file.read_exact(&mut chunk[..want]).expect("read image");
        for data in chunk[..want].chunks(BLOCK_SIZE as usize) {
            let problem = if free[blk as usize] {
                (data != stale_block(blk).as_slice())
                    .then(|| format!("free block {blk} does not hold the stale pattern"))
            } else {
                has_stale_cell(data)
                    .then(|| format!("{} block {blk} (in use) holds stale-pattern cells", role[blk as usize]))
            };
            if let Some(p) = problem {
                bad_count += 1;
                if bad.len() < 10 {
                    bad.push(p);
                }
            }
            blk += 1;
        }
    }
    assert!(bad_count == 0, "{bad_count} blocks are wrong after --poison, e.g.:\n{}", bad.join("\n"));
}

fn poisoned_image(name: &str, size: &str, size_bytes: u64) {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let image = mkfs(dir.path(), name, size, &["--poison"]);
    check_fresh_image(&image, size_bytes, true);
    check_poison(&image);
}

#[test]
fn mkfs_16m_is_clean_ext4() {
    plain_image("16m.img", "16M", 16 * MIB);
}

#[test]
fn mkfs_64m_is_clean_ext4() {
    plain_image("64m.img", "64M", 64 * MIB);
}

#[test]
fn mkfs_129m_with_a_partial_last_group_is_clean_ext4() {
    plain_image("129m.img", "129M", 129 * MIB);
}

#[test]
fn mkfs_1g_is_clean_ext4() {
    plain_image("1g.img", "1G", GIB);
}

#[test]
fn mkfs_17g_is_clean_sparse_ext4() {
    plain_image("17g.img", "17G", 17 * GIB);
}

#[test]
fn mkfs_2t_is_clean_sparse_ext4() {
    plain_image("2t.img", "2T", 2 * TIB);
}

#[test]
fn mkfs_poison_16m_fills_exactly_the_free_blocks() {
    poisoned_image("16m.img", "16M", 16 * MIB);
}

#[test]
fn mkfs_poison_64m_fills_exactly_the_free_blocks() {
    poisoned_image("64m.img", "64M", 64 * MIB);
}

#[test]
fn mkfs_poison_1g_fills_exactly_the_free_blocks() {
    poisoned_image("1g.img", "1G", GIB);
}

#[test]
fn mkfs_no_journal_64m_is_clean_ext4_without_journal() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let image = mkfs(dir.path(), "nj.img", "64M", &["--no-journal"]);
    check_fresh_image(&image, 64 * MIB, false);
    check_sparse(&image, 64 * MIB);
}

#[test]
fn mkfs_without_poison_leaves_no_stale_pattern() {
    let dir = tempdir();
    let image = mkfs(dir.path(), "plain.img", "64M", &[]);
    let bytes = read_bytes(&image);
    let first = bytes.chunks(BLOCK_SIZE as usize).position(has_stale_cell);
    assert_eq!(first, None, "block holding the stale pattern without --poison");
}

#[test]
fn mkfs_options_reach_the_superblock() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let image = mkfs(dir.path(), "opts.img", "256M", &["--label", "pmem0", "--inodes", "5000", "--journal-size", "8M"]);
    check_fresh_image(&image, 256 * MIB, true);
    let sb = dumpe2fs_h(&image);
    assert_eq!(field(&sb, "Filesystem volume name"), "pmem0");
    let inodes = num(&sb, "Inode count");
    assert!(
        (5000..=10000).contains(&inodes),
        "--inodes 5000 gave {inodes} inodes (rounding up to whole inode-table blocks is fine)"
    );
    assert_eq!(num(&sb, "Total journal blocks"), 8 * MIB / BLOCK_SIZE, "--journal-size 8M");
}

#[test]
fn mkfs_is_deterministic_given_uuid_and_time() {
    let dir = tempdir();
    let d = dir.path();
    let a = mkfs(d, "a.img", "64M", &["--label", "same"]);
    // The same size spelled three ways, in bytes, KiB and MiB.
    let b = mkfs(d, "b.img", "65536K", &["--label", "same"]);
    let c = mkfs(d, "c.img", "67108864", &["--label", "same"]);
    assert_same_file(&a, &b);
    assert_same_file(&a, &c);

    let other_uuid = d.join("u.img");
    let out = run_e4dax(&[
        "mkfs".as_ref(),
        other_uuid.as_os_str(),
        "--size".as_ref(),
        "64M".as_ref(),
        "--uuid".as_ref(),
        UUID_B.as_ref(),
        "--time".as_ref(),
        TIME.as_ref(),
        "--label".as_ref(),
        "same".as_ref(),
    ]);
    assert!(out.status.success(), "mkfs --uuid {UUID_B} failed: {out:?}");
    assert!(first_difference(&a, &other_uuid).is_some(), "a different --uuid must give a different image");

    let other_time = d.join("t.img");
    let out = run_e4dax(&[
        "mkfs".as_ref(),
        other_time.as_os_str(),
        "--size".as_ref(),
        "64M".as_ref(),
        "--uuid".as_ref(),
        UUID_A.as_ref(),
        "--time".as_ref(),
        "1700000001".as_ref(),
        "--label".as_ref(),
        "same".as_ref(),
    ]);
    assert!(out.status.success(), "mkfs --time failed: {out:?}");
    assert!(first_difference(&a, &other_time).is_some(), "a different --time must give a different image");
}

#[test]
fn mkfs_poison_is_deterministic_too() {
    let dir = tempdir();
    let a = mkfs(dir.path(), "a.img", "16M", &["--poison"]);
    let b = mkfs(dir.path(), "b.img", "16M", &["--poison"]);
    assert_same_file(&a, &b);
}

#[test]
fn mkfs_formats_an_existing_empty_file_without_force() {
    let dir = tempdir();
    let path = dir.path().join("empty.img");
    File::create(&path).expect("create");
    let image = mkfs(dir.path(), "empty.img", "16M", &[]);
    assert_eq!(image.metadata().expect("stat").len(), 16 * MIB);
    // The same bytes as on a new path.
    let fresh = mkfs(dir.path(), "fresh.img", "16M", &[]);
    assert_same_file(&image, &fresh);
}

#[test]
fn mkfs_force_overwrites_a_file_full_of_junk() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let path = dir.path().join("junk.img");
    // Junk everywhere, including where the superblock, descriptors, bitmaps, inode table and
    // journal go: mkfs must not rely on the old contents being zero.
    write_bytes(&path, &pseudo_random((16 * MIB) as usize, 0x6a75_6e6b));
    let image = mkfs(dir.path(), "junk.img", "16M", &["--force"]);
    check_fresh_image(&image, 16 * MIB, true);
}

/// The layout `mkfs.ext4 -b 4096` picks for an image of `size_bytes`, as `dumpe2fs` and
/// `debugfs stat` print it. Without `resize_inode` (e4dax does not reserve GDT blocks for online
/// resize, which would move every bitmap by 127 blocks), reproducible (fixed time, UUID and
/// hash seed).
#[derive(Debug, PartialEq, Eq)]
struct Geometry {
    blocks_count: u64,
    inodes_per_group: u64,
    groups_per_flex: u64,
    gdt_blocks: u64,
    /// Per group: (first block, superblock backup, block bitmap, inode bitmap, inode table,
    /// block bitmap initialised).
    groups: Vec<(u64, bool, u64, u64, u64, bool)>,
    journal_blocks: u64,
    /// The journal's extents: (logical, physical, length).
    journal: Vec<(u64, u64, u64)>,
    root_block: u64,
    lpf_start: u64,
}

/// "(0-8191):131072-139263, (8192):7" of `debugfs stat`'s EXTENTS as (logical, physical, length).
fn stat_extents(image: &Path, inode: u32) -> Vec<(u64, u64, u64)> {
    let text = debugfs(image, &format!("stat <{inode}>"));
    let list = text.split("EXTENTS:").nth(1).unwrap_or_else(|| panic!("stat <{inode}>: no EXTENTS\n{text}"));
    list.split(',')
        .map(str::trim)
        .filter(|e| e.starts_with('('))
        .map(|e| {
            let (l, p) = e.split_once("):").unwrap_or_else(|| panic!("stat <{inode}>: {e:?}"));
            let (l0, l1) = l.trim_start_matches('(').split_once('-').map_or((l, l), |(a, b)| (a, b));
            let l0: u64 = l0.trim_start_matches('(').parse().expect("logical");
            let l1: u64 = l1.trim_start_matches('(').parse().expect("logical");
            let p0: u64 = p.split(|c: char| !c.is_ascii_digit()).next().and_then(|w| w.parse().ok()).expect("physical");
            (l0, p0, l1 - l0 + 1)
        })
        .collect()
}

fn mke2fs_geometry(dir: &Path, size_bytes: u64) -> Geometry {
    let image = stock_image(dir, &format!("mke2fs-{size_bytes}.img"), size_bytes, UUID_A, &["-O", "^resize_inode"]);
    let sb = dumpe2fs_h(&image);
    let text = String::from_utf8_lossy(
        &std::process::Command::new(tool("dumpe2fs")).arg(&image).output().expect("dumpe2fs").stdout,
    )
    .into_owned();
    let gdt = text
        .split("Group descriptors at ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .map(|r| {
            let (a, b) = r.trim_end_matches(',').split_once('-').expect("a range");
            b.parse::<u64>().expect("gdt end") - a.parse::<u64>().expect("gdt start") + 1
        })
        .expect("group 0's descriptors");
    // Each group's section: its "Group N: (Blocks ..)" line and the indented lines under it.
    let mut sections: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with("Group ") && line.contains("(Blocks ") {
            sections.push(String::new());
        } else if let Some(s) = sections.last_mut() {
            s.push_str(line);
            s.push('\n');
        }
    }
    let mut groups = Vec::new();
    for (g, section) in dumpe2fs_groups(&image).into_iter().zip(&sections) {
        let has_super = section.contains("superblock at");
        groups.push((
            g.first_block,
            has_super,
            g.block_bitmap,
            g.inode_bitmap,
            g.inode_table.0,
            !g.flags.iter().any(|f| f == "BLOCK_UNINIT"),
        ));
    }
    Geometry {
        blocks_count: num(&sb, "Block count"),
        inodes_per_group: num(&sb, "Inodes per group"),
        groups_per_flex: num(&sb, "Flex block group size"),
        gdt_blocks: gdt,
        groups,
        journal_blocks: num(&sb, "Total journal blocks"),
        journal: stat_extents(&image, 8),
        root_block: stat_extents(&image, 2)[0].1,
        lpf_start: stat_extents(&image, 11)[0].1,
    }
}

fn e4dax_geometry(size_bytes: u64) -> Geometry {
    use e4dax::fs::layout::{Layout, Params};
    let l = Layout::compute(&Params { size_bytes, journal_bytes: None, inodes: None, journal: true }).expect("layout");
    assert_eq!(l.group_count as usize, l.groups.len());
    Geometry {
        blocks_count: l.blocks_count,
        inodes_per_group: u64::from(l.inodes_per_group),
        groups_per_flex: 1 << l.log_groups_per_flex,
        gdt_blocks: l.gdt_blocks,
        groups: l
            .groups
            .iter()
            .map(|g| (g.first_block, g.has_super, g.block_bitmap, g.inode_bitmap, g.inode_table, g.initialized))
            .collect(),
        journal_blocks: l.journal_blocks,
        journal: l.journal.iter().map(|(lblk, r)| (u64::from(*lblk), r.start, r.len)).collect(),
        root_block: l.root_block,
        lpf_start: l.lpf_start,
    }
}

/// Where `Layout::compute` knowingly differs from mkfs.ext4 1.47, per size: (size, the journal's
/// first block by mkfs.ext4, by us, why).
const KNOWN_LAYOUT_DIFFERENCES: &[(u64, u64, u64, &str)] = &[(
    5 * GIB,
    17 * 32768,
    20 * 32768,
    "the journal's goal: mke2fs's get_midpoint_journal_block rounds a middle group past the first \
     flex group down to its flex group (16) and takes the next group if it has more free blocks \
     (17, as 16 holds the flex group's bitmaps and inode tables); Layout::compute takes the \
     middle group itself (20). The same for 1 GiB (group 4) but not past 16 groups",
)];

/// The geometry with the journal's placement taken out: no journal extents, and the group the
/// journal starts in counted as uninitialised (it is initialised for the journal alone).
fn without_journal_placement(mut g: Geometry) -> Geometry {
    if let Some(&(_, start, _)) = g.journal.first() {
        let group = (start / (8 * BLOCK_SIZE)) as usize;
        g.groups[group].5 = false;
    }
    g.journal.clear();
    g
}

/// `Layout::compute` places everything where `mkfs.ext4 -b 4096 -O ^resize_inode` does for the
/// same size: the golden values are the reference tool's, read from dumpe2fs and debugfs here,
/// not numbers our code once printed. Sizes from mke2fs's "default" usage type (512 MiB to
/// 4 TiB, inode_ratio 16384): 1 GiB (eight groups), a partial last group, and forty groups
/// (three flex groups), where the journal goes elsewhere ([`KNOWN_LAYOUT_DIFFERENCES`]: that
/// difference is asserted exactly, so it cannot grow unnoticed).
#[test]
fn layout_matches_mkfs_ext4_for_the_same_size() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    for size in [GIB, GIB + 7 * MIB, 5 * GIB] {
        let theirs = mke2fs_geometry(dir.path(), size);
        let ours = e4dax_geometry(size);
        match KNOWN_LAYOUT_DIFFERENCES.iter().find(|k| k.0 == size) {
            None => assert_eq!(ours, theirs, "Layout::compute (left) vs mkfs.ext4 (right) for {size} bytes"),
            Some(&(_, at_theirs, at_ours, why)) => {
                let n = theirs.journal_blocks;
                assert_eq!(theirs.journal, vec![(0, at_theirs, n)], "mkfs.ext4's journal for {size} bytes ({why})");
                assert_eq!(ours.journal, vec![(0, at_ours, n)], "our journal for {size} bytes ({why})");
                assert_eq!(
                    without_journal_placement(ours),
                    without_journal_placement(theirs),
                    "Layout::compute (left) vs mkfs.ext4 (right) for {size} bytes, but for the journal"
                );
            }
        }
    }
}
