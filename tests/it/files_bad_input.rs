//! Proves that the file commands refuse bad input cleanly, on e4dax's own images and on stock
//! `mkfs.ext4` + `debugfs` ones: a missing path, a path through a regular file, a 256-byte name,
//! an offset past the maximum file size ((2^32 - 1) blocks of 4 KiB), a zero length, and crafted
//! images whose extent tree loops (a node whose child is itself or an ancestor, with valid node
//! checksums, so only the loop is wrong) or points outside the file system (an index or a leaf
//! extent beyond the last block). Each of `read`, `inspect extents`, `rm`, `punch`, `fallocate`
//! (and `create`, `ls` where they apply) exits 1 with one clear "e4dax: " line, never panics,
//! finishes within 20 s (no hang), and leaves the image byte for byte as it was.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use e4dax::ondisk::checksum::{crc32c_raw, inode_seed};
use e4dax::ondisk::extent::set_block_checksum;

use crate::common::*;

/// Any one e4dax run on a bad image must end within this.
const LIMIT: Duration = Duration::from_secs(20);

/// The largest file size with 4 KiB blocks: (2^32 - 1) blocks.
const MAX_FILE_SIZE: u64 = ((1 << 32) - 1) * BLOCK_SIZE;

/// Runs `e4dax CMD IMAGE ARGS..`; it must be a runtime error within [`LIMIT`] and leave the
/// image as it was. Returns the error line.
fn refused(image: &Path, cmd: &str, args: &[&str]) -> String {
    let before = read_bytes(image);
    let mut full: Vec<&std::ffi::OsStr> = vec![cmd.as_ref(), image.as_os_str()];
    full.extend(args.iter().map(std::ffi::OsStr::new));
    let what = format!("e4dax {cmd} {} {args:?}", image.display());
    let out = run_e4dax_within(&full, LIMIT);
    let line = assert_runtime_error(&out, &what);
    assert_unchanged(image, &before, &what);
    line
}

/// Like [`refused`], and the error line must contain one of `words` (case-insensitive).
fn refused_saying(image: &Path, cmd: &str, args: &[&str], words: &[&str]) -> String {
    let line = refused(image, cmd, args);
    let lower = line.to_lowercase();
    assert!(
        words.iter().any(|w| lower.contains(w)),
        "e4dax {cmd} {args:?}: the error {line:?} should say one of {words:?}"
    );
    line
}

/// Runs `e4dax CMD IMAGE ARGS..`, which must succeed.
fn ok(image: &Path, cmd: &str, args: &[&str]) -> String {
    let mut full: Vec<&std::ffi::OsStr> = vec![cmd.as_ref(), image.as_os_str()];
    full.extend(args.iter().map(std::ffi::OsStr::new));
    let out = run_e4dax_within(&full, LIMIT);
    assert!(out.status.success(), "e4dax {cmd} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Our image and (with e2fsprogs) a stock one, each holding `/file` (a regular file with data or
/// unwritten blocks in one extent), `/dir` and `/dir/inner`.
fn images(dir: &Path) -> Vec<PathBuf> {
    let ours = mkfs(dir, "ours.img", "32M", &[]);
    ok(&ours, "create", &["/file"]);
    ok(&ours, "fallocate", &["/file", "--offset", "0", "--len", "64K"]);
    ok(&ours, "create", &["/dir", "--dir"]);
    ok(&ours, "create", &["/dir/inner"]);
    let mut all = vec![ours];
    if e2fsprogs() {
        let stock = stock_image(dir, "stock.img", 32 * MIB, UUID_B, &[]);
        let host = dir.join("host-file");
        write_bytes(&host, &pseudo_random(64 * KIB as usize, 3));
        let host = host.display();
        debugfs_w(&stock, &[&format!("write {host} /file"), "mkdir /dir", &format!("write {host} /dir/inner")]);
        all.push(stock);
    }
    all
}

#[test]
fn missing_path_is_refused() {
    let dir = tempdir();
    for image in images(dir.path()) {
        let nope: &[&str] = &["no such file", "not found", "does not exist"];
        for path in ["/nope", "/dir/nope", "/nope/deeper"] {
            refused_saying(&image, "rm", &[path], nope);
            refused_saying(&image, "read", &[path], nope);
            refused_saying(&image, "read", &[path, "--check-stale"], nope);
            refused_saying(&image, "fallocate", &[path, "--offset", "0", "--len", "4K"], nope);
            refused_saying(&image, "punch", &[path, "--offset", "0", "--len", "4K"], nope);
            refused_saying(&image, "inspect", &["extents", path], nope);
            refused_saying(&image, "inspect", &["inode", path], nope);
            refused_saying(&image, "ls", &[path], nope);
        }
        // A missing parent without -p.
        refused_saying(&image, "create", &["/nope/x"], nope);
        refused_saying(&image, "create", &["/nope/x", "--dir"], nope);
    }
}

#[test]
fn path_through_a_regular_file_is_refused() {
    let dir = tempdir();
    for image in images(dir.path()) {
        let not_dir: &[&str] = &["not a directory"];
        for path in ["/file/x", "/dir/inner/x", "/file/x/y"] {
            refused_saying(&image, "create", &[path], not_dir);
            refused_saying(&image, "create", &[path, "--dir"], not_dir);
            refused_saying(&image, "create", &["-p", path], not_dir);
            refused_saying(&image, "read", &[path], not_dir);
            refused_saying(&image, "rm", &[path], not_dir);
            refused_saying(&image, "fallocate", &[path, "--offset", "0", "--len", "4K"], not_dir);
            refused_saying(&image, "punch", &[path, "--offset", "0", "--len", "4K"], not_dir);
            refused_saying(&image, "inspect", &["extents", path], not_dir);
            refused_saying(&image, "ls", &[path], not_dir);
        }
        // Listing a regular file, or file commands on a directory.
        refused_saying(&image, "ls", &["/file"], &["not a directory"]);
        refused_saying(&image, "read", &["/dir"], &["not a regular file", "directory"]);
        refused_saying(
            &image,
            "fallocate",
            &["/dir", "--offset", "0", "--len", "4K"],
            &["not a regular file", "directory"],
        );
    }
}

#[test]
fn name_of_256_bytes_is_refused_and_255_accepted() {
    let dir = tempdir();
    for image in images(dir.path()) {
        let long = "n".repeat(256);
        let words: &[&str] = &["255", "too long"];
        refused_saying(&image, "create", &[&format!("/{long}")], words);
        refused_saying(&image, "create", &[&format!("/dir/{long}"), "--dir"], words);
        refused_saying(&image, "create", &["-p", &format!("/a/{long}/b")], words);
        // No half-made parent was left behind by -p (the image is unchanged, checked above).
        let max = "m".repeat(255);
        ok(&image, "create", &[&format!("/dir/{max}")]);
        ok(&image, "fallocate", &[&format!("/dir/{max}"), "--offset", "0", "--len", "4K"]);
        assert!(e4dax_ls(&image, "/dir").iter().any(|(n, _)| *n == max), "a 255-byte name is listed");
        if e2fsprogs() {
            assert_e2fsck_clean(&image);
            assert_eq!(e4dax_ls(&image, "/dir"), debugfs_ls(&image, "/dir"));
        }
    }
}

#[test]
fn offset_past_the_maximum_file_size_is_refused() {
    let dir = tempdir();
    for image in images(dir.path()) {
        let past: &[&str] = &["maximum file size", "too large", "past", "overflow"];
        let at_max = MAX_FILE_SIZE.to_string();
        let last_block = (MAX_FILE_SIZE - BLOCK_SIZE).to_string();
        for (offset, len) in [
            ("16T", "4K"),
            ("16T", "1"),
            (at_max.as_str(), "4K"),
            (last_block.as_str(), "8K"),
            ("0", "16T"),
            ("1T", "16T"),
            ("18446744073709551615", "4K"),
        ] {
            for keep in [false, true] {
                let mut args = vec!["/file", "--offset", offset, "--len", len];
                if keep {
                    args.push("--keep-size");
                }
                refused_saying(&image, "fallocate", &args, past);
            }
            refused_saying(&image, "punch", &["/file", "--offset", offset, "--len", len], past);
        }
        // Offsets too big for 64 bits are refused, whatever the wording.
        refused(&image, "fallocate", &["/file", "--offset", "99999999T", "--len", "4K"]);
        // The last block below the maximum is fine (logical block 2^32 - 2).
        ok(&image, "fallocate", &["/file", "--offset", &last_block, "--len", "4K"]);
        let leaves = e4dax_leaf_extents_no_e2fsprogs(&image, "/file");
        assert!(
            leaves.iter().any(|&(start, _)| start == (1 << 32) - 2),
            "no extent at logical block 2^32 - 2: {leaves:?}"
        );
        let v = inspect_path_json(&image, "inode", "/file");
        assert_eq!(ju64(&v, "size"), MAX_FILE_SIZE, "the size reaches the maximum");
        if e2fsprogs() {
            assert_e2fsck_clean(&image);
            assert_same_leaf_extents(&image, "/file");
        }
    }
}

/// (logical_start, length) of the leaf extents `inspect extents --json` lists.
fn e4dax_leaf_extents_no_e2fsprogs(image: &Path, path: &str) -> Vec<(u64, u64)> {
    let v = inspect_path_json(image, "extents", path);
    jget(&v, "nodes")
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| ju64(n, "depth") == 0)
        .flat_map(|n| jget(n, "items").as_array().expect("items").clone())
        .map(|i| (ju64(&i, "logical_start"), ju64(&i, "length")))
        .collect()
}

#[test]
fn zero_length_is_refused() {
    let dir = tempdir();
    for image in images(dir.path()) {
        let zero: &[&str] = &["zero", "greater than 0", "empty", "length"];
        for offset in ["0", "4K", "1M"] {
            refused_saying(&image, "fallocate", &["/file", "--offset", offset, "--len", "0"], zero);
            refused_saying(&image, "fallocate", &["/file", "--offset", offset, "--len", "0", "--keep-size"], zero);
            refused_saying(&image, "punch", &["/file", "--offset", offset, "--len", "0"], zero);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Crafted extent trees
// ---------------------------------------------------------------------------------------------

const EXTENT_MAGIC: u16 = 0xF30A;
/// Entries in a 4 KiB node: (4096 - 12 header) / 12, less the 4-byte tail.
const NODE_MAX: u16 = 340;

/// An image with `/frag`, whose extent tree has depth 1 (the inode's root indexes one leaf
/// block), and `/file`, whose tree is in the inode. Stock: debugfs writes 10 one-block extents;
/// ours: fallocate 10 blocks and punch every other one.
fn image_with_leaf_block(dir: &Path, stock: bool) -> PathBuf {
    let image = if stock {
        let image = stock_image(dir, "stock-frag.img", 32 * MIB, UUID_B, &[]);
        let host = dir.join("host-frag");
        let f = std::fs::File::create(&host).expect("create");
        f.set_len(20 * BLOCK_SIZE).expect("set_len");
        for i in 0..10 {
            f.write_all_at(&pseudo_random(BLOCK_SIZE as usize, i), 2 * i * BLOCK_SIZE).expect("write");
        }
        let small = dir.join("host-small");
        write_bytes(&small, &pseudo_random(40_000, 9));
        debugfs_w(&image, &[&format!("write {} /frag", host.display()), &format!("write {} /file", small.display())]);
        image
    } else {
        let image = mkfs(dir, "ours-frag.img", "32M", &[]);
        // /file first, so that its 10 blocks are one extent (not reusing /frag's holes).
        ok(&image, "create", &["/file"]);
        ok(&image, "fallocate", &["/file", "--offset", "0", "--len", "40K"]);
        ok(&image, "create", &["/frag"]);
        ok(&image, "fallocate", &["/frag", "--offset", "0", "--len", "40K"]);
        for i in 0..5 {
            let at = format!("{}K", 4 + 8 * i);
            ok(&image, "punch", &["/frag", "--offset", &at, "--len", "4K"]);
        }
        image
    };
    let v = inspect_path_json(&image, "extents", "/frag");
    let nodes = jget(&v, "nodes").as_array().expect("nodes");
    assert_eq!(nodes.len(), 2, "/frag should have a root and one leaf block: {v:#}");
    assert_eq!(ju64(&nodes[0], "depth"), 1, "{v:#}");
    image
}

/// The file system's checksum seed (s_checksum_seed with csum_seed, else crc32c of the UUID).
fn fs_checksum_seed(image: &Path) -> u32 {
    let sb = &read_bytes(image)[SB_OFFSET..SB_OFFSET + 1024];
    let u32_at = |at: usize| u32::from_le_bytes(sb[at..at + 4].try_into().expect("4 bytes"));
    if u32_at(SB_FEATURE_INCOMPAT) & 0x2000 != 0 {
        u32_at(0x270)
    } else {
        crc32c_raw(!0, &sb[0x68..0x78])
    }
}

/// The block count of the file system (from the superblock: s_blocks_count_lo/hi).
fn blocks_count(image: &Path) -> u64 {
    let sb = &read_bytes(image)[SB_OFFSET..SB_OFFSET + 1024];
    let lo = u32::from_le_bytes(sb[0x4..0x8].try_into().expect("4 bytes"));
    let hi = u32::from_le_bytes(sb[0x150..0x154].try_into().expect("4 bytes"));
    u64::from(lo) | u64::from(hi) << 32
}

/// Overwrites block `block` of the image with an index node of `depth` whose one entry
/// (logical 0) points at `child`, with a correct checksum tail for inode `path`.
fn write_index_node(image: &Path, path: &str, block: u64, depth: u16, child: u64) {
    let v = inspect_path_json(image, "inode", path);
    let ino = u32::try_from(ju64(&v, "inode")).expect("inode number");
    let generation = u32::try_from(ju64(&v, "generation")).expect("generation");
    let seed = inode_seed(fs_checksum_seed(image), ino, generation);
    let mut node = vec![0u8; BLOCK_SIZE as usize];
    node[0..2].copy_from_slice(&EXTENT_MAGIC.to_le_bytes());
    node[2..4].copy_from_slice(&1u16.to_le_bytes());
    node[4..6].copy_from_slice(&NODE_MAX.to_le_bytes());
    node[6..8].copy_from_slice(&depth.to_le_bytes());
    // ei_block = 0, ei_leaf_lo, ei_leaf_hi
    node[16..20].copy_from_slice(&(child as u32).to_le_bytes());
    node[20..22].copy_from_slice(&((child >> 32) as u16).to_le_bytes());
    set_block_checksum(&mut node, seed, NODE_MAX);
    let f = std::fs::OpenOptions::new().write(true).open(image).expect("open image");
    f.write_all_at(&node, block * BLOCK_SIZE).expect("write node");
}

/// Sets the depth of the root node in the inode (i_block[1] = eh_max | eh_depth << 16).
fn set_root_depth(image: &Path, path: &str, depth: u32) {
    debugfs_w(image, &[&format!("sif {path} block[1] {}", 4 | depth << 16)]);
}

/// Every command that walks `path`'s tree must refuse the image, quickly, without changing it,
/// and the refusal must not be about a checksum (the crafted nodes have valid ones).
fn assert_tree_refused(image: &Path, path: &str, what: &str) {
    let forms: [(&str, Vec<&str>); 7] = [
        ("read", vec![path]),
        ("read", vec![path, "--check-stale"]),
        ("inspect", vec!["extents", path]),
        ("rm", vec![path]),
        ("punch", vec![path, "--offset", "0", "--len", "80K"]),
        ("fallocate", vec![path, "--offset", "0", "--len", "80K"]),
        ("fallocate", vec![path, "--offset", "80K", "--len", "8K", "--keep-size"]),
    ];
    for (cmd, args) in forms {
        let line = refused(image, cmd, &args);
        eprintln!("{what}: e4dax {cmd} {args:?}: {line}");
        let lower = line.to_lowercase();
        assert!(
            !lower.contains("checksum"),
            "{what}: e4dax {cmd} blamed a checksum, but the crafted nodes' checksums are valid: \
             {line}"
        );
        // The library's words for it (`Error::Corrupt` of the tree or of a node's header), not
        // any error that happens to say "bad" or "invalid".
        assert!(
            lower.contains(": corrupt extent tree: ") || lower.contains(": corrupt extent header: "),
            "{what}: e4dax {cmd}: the error {line:?} should say the extent tree is corrupt"
        );
    }
}

/// (the leaf block of /frag, the first data block of /frag).
fn frag_blocks(image: &Path) -> (u64, u64) {
    let v = inspect_path_json(image, "extents", "/frag");
    let leaf = &jget(&v, "nodes").as_array().expect("nodes")[1];
    let block = ju64(leaf, "block");
    let first = &jget(leaf, "items").as_array().expect("items")[0];
    (block, ju64(first, "physical_start"))
}

fn stock_choices() -> Vec<bool> {
    if e2fsprogs() {
        vec![false, true]
    } else {
        vec![]
    }
}

#[test]
fn looping_extent_tree_is_refused() {
    // debugfs sif is how the root (in the inode) is edited, so this needs e2fsprogs.
    for stock in stock_choices() {
        let dir = tempdir();
        let base = image_with_leaf_block(dir.path(), stock);
        let kind = if stock { "stock" } else { "ours" };
        let (leaf, data) = frag_blocks(&base);
        let variant = |name: &str| {
            let copy = dir.path().join(format!("{name}.img"));
            std::fs::copy(&base, &copy).expect("copy image");
            copy
        };

        // The leaf claims depth 1 and indexes itself; the root still says depth 1.
        let img = variant("self-lying");
        write_index_node(&img, "/frag", leaf, 1, leaf);
        assert_tree_refused(&img, "/frag", &format!("{kind}: leaf indexes itself"));

        // Depths consistent down to the loop: root (2) -> leaf block (1) -> itself.
        let img = variant("self");
        set_root_depth(&img, "/frag", 2);
        write_index_node(&img, "/frag", leaf, 1, leaf);
        assert_tree_refused(&img, "/frag", &format!("{kind}: node indexes itself"));

        // A child that is an ancestor: root (3) -> A (2) -> B (1) -> A.
        let img = variant("ancestor");
        set_root_depth(&img, "/frag", 3);
        write_index_node(&img, "/frag", leaf, 2, data);
        write_index_node(&img, "/frag", data, 1, leaf);
        assert_tree_refused(&img, "/frag", &format!("{kind}: node indexes its parent"));

        // A two-node cycle whose depths both claim 1, under a root that claims 1.
        let img = variant("pair");
        write_index_node(&img, "/frag", leaf, 1, data);
        write_index_node(&img, "/frag", data, 1, leaf);
        assert_tree_refused(&img, "/frag", &format!("{kind}: two nodes index each other"));

        // A root claiming the largest depth the format allows, over the self-loop.
        let img = variant("deep");
        set_root_depth(&img, "/frag", 0xFFFF);
        write_index_node(&img, "/frag", leaf, 0xFFFE, leaf);
        assert_tree_refused(&img, "/frag", &format!("{kind}: depth 65535 loop"));

        // The untouched base image is still fine, so the refusals above are the crafting's.
        ok(&base, "read", &["/frag"]);
        assert_e2fsck_clean(&base);
    }
}

#[test]
fn extent_tree_pointing_outside_the_file_system_is_refused() {
    for stock in stock_choices() {
        let dir = tempdir();
        let base = image_with_leaf_block(dir.path(), stock);
        let kind = if stock { "stock" } else { "ours" };
        let count = blocks_count(&base);
        let variant = |name: &str, cmds: &[&str]| {
            let copy = dir.path().join(format!("{name}.img"));
            std::fs::copy(&base, &copy).expect("copy image");
            debugfs_w(&copy, cmds);
            copy
        };

        // The root's index (i_block[4] = ei_leaf_lo) far outside, and one past the last block.
        let img = variant("index-far", &["sif /frag block[4] 4000000000"]);
        assert_tree_refused(&img, "/frag", &format!("{kind}: index at block 4000000000"));
        let img = variant("index-end", &[&format!("sif /frag block[4] {count}")]);
        assert_tree_refused(&img, "/frag", &format!("{kind}: index at block {count}"));
        // ei_leaf_hi (low half of i_block[5]) set: a block number above 2^32.
        let img = variant("index-hi", &["sif /frag block[5] 1"]);
        assert_tree_refused(&img, "/frag", &format!("{kind}: index above 2^32"));

        // A leaf extent in the inode (i_block[5] = ee_start_lo) outside, or running off the end.
        let img = variant("leaf-far", &["sif /file block[5] 4000000000"]);
        assert_tree_refused(&img, "/file", &format!("{kind}: extent at block 4000000000"));
        // The extent starts inside the file system but its last block is the first past the end.
        let v = inspect_path_json(&base, "extents", "/file");
        let root = &jget(&v, "nodes").as_array().expect("nodes")[0];
        let first = &jget(root, "items").as_array().expect("items")[0];
        let len = ju64(first, "length");
        assert!(len >= 2, "/file's first extent should span blocks: {v:#}");
        let img = variant("leaf-end", &[&format!("sif /file block[5] {}", count - len + 1)]);
        assert_tree_refused(&img, "/file", &format!("{kind}: extent running past the end"));
        // ee_start_hi (high half of i_block[4]) set, keeping ee_len.
        let mut len_word = len;
        if jbool(first, "unwritten") {
            len_word += 32768;
        }
        let img = variant("leaf-hi", &[&format!("sif /file block[4] {}", len_word | 1 << 16)]);
        assert_tree_refused(&img, "/file", &format!("{kind}: extent above 2^32"));

        ok(&base, "read", &["/file"]);
        assert_e2fsck_clean(&base);
    }
}
