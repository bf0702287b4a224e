//! Extent-tree benchmark (issue 3, "Performance (benchmark)").
//!
//! Builds a file with 200,000 extents in a sparse image (fallocate one 400,000-block range,
//! then punch every other block), then reports:
//! - random-offset lookups per second (`e4dax::extent::lookup(&fs, &inode, lblk)`);
//! - fallocate+punch pairs per second on random single blocks (a punched hole is re-filled,
//!   which merges it with both neighbours, then punched again, so the count stays constant);
//! - the same pairs done at the tree level (`Handle::with_tree` + `extent::insert` /
//!   `extent::remove_range`), to show what `Fs::fallocate`/`Fs::punch` add on top;
//! - for context, `e2fsck -fn` and `debugfs -R "ex /f"` on the same image (one run each).
//!
//! Run: `cargo bench --bench extents` (env: `E4DAX_BENCH_DIR` for the image's directory,
//! `E4DAX_BENCH_LOOKUPS`, `E4DAX_BENCH_PAIRS`, `E4DAX_BENCH_TREE_PAIRS` to change
//! the counts; `E4DAX_BENCH_FS_BUILD=1` builds with `Fs::punch`, slow: quadratic).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use e4dax::extent;
use e4dax::fs::layout::Params;
use e4dax::fs::mkfs::{mkfs, MkfsOptions};
use e4dax::fs::Fs;
use e4dax::ondisk::extent::Extent;
use e4dax::pmem::MappedImage;

const BS: u64 = 4096;
/// Credits to unmap one block: its group's bitmap and descriptor, and the tree's part.
const ONE_BLOCK_UNMAP_CREDITS: u32 = e4dax::fs::file::UNMAP_TREE_CREDITS + 2;
/// Blocks fallocated; punching every other one leaves `RANGE / 2` extents.
const RANGE: u32 = 400_000;
const EXTENTS: usize = RANGE as usize / 2;
const IMAGE_BYTES: u64 = 4 << 30;
/// Operations per transaction while building (keeps the buffer cache bounded).
const COMMIT_EVERY: u32 = 4096;

/// Deterministic xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n)) as u32
    }
}

fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn per_sec(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn us_per(n: u64, d: Duration) -> f64 {
    d.as_secs_f64() * 1e6 / n as f64
}

/// Time `cmd` (output discarded); on failure, rerun it to show what it said.
fn run_tool(name: &str, cmd: &mut Command) -> Duration {
    let t = Instant::now();
    let status = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status();
    let d = t.elapsed();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => {
            println!("  note: {name} exited with {s}:");
            if let Ok(o) = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).output() {
                let text = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
                for line in text.lines().take(20) {
                    println!("    {line}");
                }
            }
        }
        Err(e) => println!("  note: {name} could not run: {e}"),
    }
    d
}

fn tool(name: &str) -> String {
    let sbin = format!("/usr/sbin/{name}");
    if Path::new(&sbin).exists() {
        sbin
    } else {
        name.to_string()
    }
}

fn check_extents(extents: &[Extent]) {
    assert_eq!(extents.len(), EXTENTS, "extent count");
    for (i, e) in extents.iter().enumerate() {
        assert_eq!((e.logical, e.len, e.unwritten), (2 * i as u32, 1, true), "extent {i}");
    }
}

fn main() {
    // `cargo bench` passes `--bench`; accept and ignore arguments.
    let lookups = env_count("E4DAX_BENCH_LOOKUPS", 1_000_000);
    // Fs-level pairs cost tens of ms each at 200,000 extents (each call lists every extent).
    let pairs = env_count("E4DAX_BENCH_PAIRS", 1_000);
    let tree_pairs = env_count("E4DAX_BENCH_TREE_PAIRS", 20_000);
    let dir = match std::env::var_os("E4DAX_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let img = dir.path().join("extents.img");

    // --- Build -----------------------------------------------------------------------------
    let t = Instant::now();
    let mut dev = MappedImage::create(&img, IMAGE_BYTES, false).expect("create image");
    let opts = MkfsOptions {
        params: Params { size_bytes: IMAGE_BYTES, journal_bytes: None, inodes: None, journal: true },
        uuid: *b"e4dax-bench-ext\0",
        label: "bench".into(),
        time: 1_700_000_000,
        poison: false,
    };
    mkfs(&mut dev, &opts, &mut |_, _| {}).expect("mkfs");
    let mut fs = Fs::open(dev).expect("open");
    let ino = fs.create("/f", false, false).expect("create /f");
    fs.fallocate(ino, 0, u64::from(RANGE) * BS, false).expect("fallocate range");
    fs.commit().expect("commit");
    println!(
        "setup: 4 GiB sparse image, mkfs + fallocate of {RANGE} blocks: {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );

    // Punch every other block, with Fs::punch (E4DAX_BENCH_FS_BUILD=1) or at the tree level
    // (Handle::with_tree + extent::remove_range, the default: Fs::punch lists every extent of
    // the file per call, which makes the build quadratic). Per-op cost is reported in windows.
    let fs_build = std::env::var_os("E4DAX_BENCH_FS_BUILD").is_some_and(|v| v != "0");
    let how = if fs_build { "Fs::punch" } else { "tree level: with_tree + extent::remove_range" };
    println!("building {EXTENTS} extents by punching every other block ({how}):");
    let t = Instant::now();
    let mut window = Instant::now();
    let mut node = fs.inode(ino).expect("inode");
    for i in 0..RANGE / 2 {
        let blk = 2 * i + 1;
        if fs_build {
            fs.punch(ino, u64::from(blk) * BS, BS).expect("punch");
        } else {
            let mut h = fs.handle(ONE_BLOCK_UNMAP_CREDITS).expect("handle");
            h.with_tree(ino, &mut node, |io, root| extent::remove_range(io, root, blk, 1)).expect("remove_range");
        }
        if (i + 1) % COMMIT_EVERY == 0 || i + 1 == RANGE / 2 {
            fs.commit().expect("commit");
        }
        if (i + 1) % 40_000 == 0 {
            let n = 40_000;
            println!("  {:>7} extents: {:8.1} us/punch over the last {n}", i + 1, us_per(n, window.elapsed()));
            window = Instant::now();
        }
    }
    let build = t.elapsed();
    println!(
        "  built in {:.1} s ({:.1} us/punch average, {:.0} punches/s)",
        build.as_secs_f64(),
        us_per(u64::from(RANGE / 2), build),
        per_sec(u64::from(RANGE / 2), build)
    );
    let node = fs.inode(ino).expect("inode");
    let t = Instant::now();
    let exts = fs.file_extents(ino, &node).expect("extents");
    let list = t.elapsed();
    check_extents(&exts);
    let nodes = fs.extent_nodes(ino, &node).expect("nodes");
    let depth = nodes.first().map_or(0, |n| n.depth);
    println!(
        "verified: {} extents, tree depth {depth}, {} nodes; file_extents() takes {:.2} ms",
        exts.len(),
        nodes.len(),
        list.as_secs_f64() * 1e3
    );

    // --- Lookups ---------------------------------------------------------------------------
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut hits = 0u64;
    let t = Instant::now();
    for _ in 0..lookups {
        let lblk = rng.below(RANGE);
        let e = extent::lookup(&fs, &node, lblk).expect("lookup");
        hits += u64::from(e.is_some());
    }
    let d = t.elapsed();
    std::hint::black_box(hits);
    println!(
        "lookups: {lookups} at random offsets in {:.3} s: {:.0} lookups/s ({:.3} us each, {hits} hits)",
        d.as_secs_f64(),
        per_sec(lookups, d),
        us_per(lookups, d)
    );
    assert!(hits > lookups / 3 && hits < lookups * 2 / 3);

    // --- fallocate + punch pairs (Fs API) --------------------------------------------------
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let (mut t_falloc, mut t_punch) = (Duration::ZERO, Duration::ZERO);
    for i in 0..pairs {
        let blk = u64::from(2 * rng.below(RANGE / 2) + 1);
        let t = Instant::now();
        fs.fallocate(ino, blk * BS, BS, true).expect("fallocate");
        t_falloc += t.elapsed();
        let t = Instant::now();
        fs.punch(ino, blk * BS, BS).expect("punch");
        t_punch += t.elapsed();
        if (i + 1) % u64::from(COMMIT_EVERY) == 0 {
            fs.commit().expect("commit");
        }
    }
    fs.commit().expect("commit");
    let total = t_falloc + t_punch;
    println!(
        "fallocate+punch (Fs API), {pairs} pairs on random holes: {:.0} pairs/s \
         ({:.1} us/pair: fallocate {:.1} us, punch {:.1} us)",
        per_sec(pairs, total),
        us_per(pairs, total),
        us_per(pairs, t_falloc),
        us_per(pairs, t_punch)
    );
    let node = fs.inode(ino).expect("inode");
    check_extents(&fs.file_extents(ino, &node).expect("extents"));

    // --- the same pairs at the tree level --------------------------------------------------
    // No whole-file extent list per call: what the tree itself costs.
    let mut rng = Rng(0x94D0_49BB_1331_11EB);
    let mut node = fs.inode(ino).expect("inode");
    let t = Instant::now();
    for i in 0..tree_pairs {
        let lblk = 2 * rng.below(RANGE / 2) + 1;
        let mut h = fs.handle(e4dax::fs::file::EDIT_CREDITS).expect("handle");
        let prev = extent::lookup(&*h.fs, &node, lblk - 1).expect("lookup");
        let goal = prev.map_or(0, |p| p.physical + u64::from(lblk - p.logical));
        let (phys, n) = h.alloc_run(goal, 1).expect("alloc");
        // with_tree accounts for tree nodes and freed data; new data blocks are the caller's.
        node.set_blocks_512(node.blocks_512(false, BS as u32) + u64::from(n) * (BS / 512));
        h.with_tree(ino, &mut node, |io, root| {
            extent::insert(io, root, Extent { logical: lblk, len: n, physical: phys, unwritten: true })
        })
        .expect("insert");
        let mut h = fs.handle(ONE_BLOCK_UNMAP_CREDITS).expect("handle");
        h.with_tree(ino, &mut node, |io, root| extent::remove_range(io, root, lblk, 1)).expect("remove");
        if (i + 1) % u64::from(COMMIT_EVERY) == 0 {
            fs.commit().expect("commit");
        }
    }
    fs.commit().expect("commit");
    let d = t.elapsed();
    println!(
        "fallocate+punch (tree level: alloc_run + extent::insert, extent::remove_range), \
         {tree_pairs} pairs: {:.0} pairs/s ({:.1} us/pair)",
        per_sec(tree_pairs, d),
        us_per(tree_pairs, d)
    );
    let node = fs.inode(ino).expect("inode");
    check_extents(&fs.file_extents(ino, &node).expect("extents"));
    drop(fs);

    // --- e2fsprogs on the same image, for context ------------------------------------------
    let e2fsck = run_tool("e2fsck", Command::new(tool("e2fsck")).arg("-fn").arg(&img));
    let ex = run_tool("debugfs", Command::new(tool("debugfs")).arg("-R").arg("ex /f").arg(&img));
    println!(
        "e2fsprogs on the same image (one run each): e2fsck -fn {:.1} ms, debugfs -R \"ex /f\" {:.1} ms",
        e2fsck.as_secs_f64() * 1e3,
        ex.as_secs_f64() * 1e3
    );
    let t = Instant::now();
    let dev = MappedImage::open(&img, false).expect("reopen");
    let fs = Fs::open(dev).expect("open");
    let node = fs.inode(ino).expect("inode");
    let n = fs.extent_nodes(ino, &node).expect("nodes").len();
    println!(
        "e4dax extent_nodes (what `inspect extents` walks), open included: {:.1} ms ({n} nodes)",
        t.elapsed().as_secs_f64() * 1e3
    );
}
