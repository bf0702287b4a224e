//! Fidelity to Linux 6.1 for `--policy zeroed` (issue 8): a write fault into an unwritten extent
//! does what `ext4_ext_convert_to_initialized` does with `extent_max_zeroout_kb` = 32 (8 blocks):
//! hand the block to an abutting written neighbour in the same leaf; else zero out and convert
//! the tail after the faulting block when it is at most 8 blocks, then the head too when head +
//! converted part is under 8; else split 1->2 or 1->3; written pieces merge with written
//! neighbours in their own leaf only.
//!
//! [`GOLDEN`] is what the real kernel did: each shape below was faulted (`mmapw FILE OFF 1 0x5a`)
//! under Linux 6.1.0-57-amd64 (Debian 12) with `-o dax=always` on an image built exactly as
//! [`base_image`] builds it, through `../shared/kernel/run-kernel.sh IMAGE SCRIPT --dax`, and the
//! extent maps were read with `debugfs -R "ex FILE"`. The kernel also zeroed exactly the blocks
//! it converted (the image's other unwritten blocks kept their stale pattern), which
//! [`assert_data_follows_the_conversion`] checks of us. `zeroed_faults_match_the_kernels_golden_maps`
//! checks e4dax against that record without a VM; `zeroed_faults_match_linux_6_1_under_qemu`
//! boots the kernel once (when qemu and a kernel are installed; it says so and skips otherwise),
//! faults every shape there, and compares the kernel's image with ours and with the record.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

const FIXED_TIME: &str = "1700000000";

/// A file of the base image: its name, how it is built (CLI words after `IMAGE`), and the
/// block the fault writes.
struct Shape {
    name: &'static str,
    fault_block: u64,
    /// The kernel's leaf extents after the fault, over `window` (all of the file when None):
    /// "first-last" then `u` (unwritten) or `w` (written).
    golden: &'static str,
    window: Option<(u64, u64)>,
    /// e4dax gives another tree shape than the kernel here (the leaf-full case): only the
    /// written/unwritten state of every block and the data are compared.
    shape_differs: bool,
}

const fn shape(name: &'static str, fault_block: u64, golden: &'static str) -> Shape {
    Shape { name, fault_block, golden, window: None, shape_differs: false }
}

/// Recorded from Linux 6.1.0-57-amd64 (see the module documentation).
const GOLDEN: [Shape; 17] = [
    // 8-block unwritten extents: the tail (at most 8) is zeroed out; the head never joins
    // (head + converted part is always 8).
    shape("a8_0", 0, "0-7w"),
    shape("a8_1", 1, "0-0u 1-7w"),
    shape("a8_3", 3, "0-2u 3-7w"),
    shape("a8_7", 7, "0-6u 7-7w"),
    // 16 blocks: a tail of more than 8 is not zeroed; a head is when head + 1 < 8.
    shape("b16_0", 0, "0-0w 1-15u"),
    shape("b16_5", 5, "0-5w 6-15u"),
    shape("b16_10", 10, "0-9u 10-15w"),
    shape("b16_15", 15, "0-14u 15-15w"),
    // 64 blocks, fault in the middle: an exact 1->3 split.
    shape("c64_30", 30, "0-29u 30-30w 31-63u"),
    // A written block 0 physically before an 8-block unwritten extent (blocks 1-8).
    shape("nl_1", 1, "0-1w 2-8u"),
    shape("nl_4", 4, "0-0w 1-3u 4-8w"),
    // ... before a 16-block one (1-16): the zeroed-out head joins the written neighbour.
    shape("nl16_6", 6, "0-6w 7-16u"),
    // An 8-block unwritten extent (0-7) physically before a written block 8.
    shape("nr_7", 7, "0-6u 7-8w"),
    shape("nr_0", 0, "0-8w"),
    // fallocate --keep-size past i_size (8K): no zeroout at all, an exact 1->3 split.
    shape("k8_1", 1, "0-0u 1-1w 2-7u"),
    // 400 extents in two leaves; the unwritten 510-511 is the first of its leaf and the
    // written 509 (physically abutting) the last of the previous one: no hand-over across
    // leaves, the whole extent zeroed out, and no merge across the leaf boundary.
    Shape {
        name: "ml",
        fault_block: 510,
        golden: "507-508u 509-509w 510-511w 512-512w",
        window: Some((507, 512)),
        shape_differs: false,
    },
    // The unwritten 508-509 is the last extent of a full leaf (340 entries), the written 510 the
    // first of the next: the kernel puts the new written 509 at the front of the next leaf and
    // merges it there; e4dax splits the full leaf instead (same blocks written and zeroed).
    Shape {
        name: "mr",
        fault_block: 509,
        golden: "507-507w 508-508u 509-510w 511-512u",
        window: Some((507, 512)),
        shape_differs: true,
    },
];

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn e4dax_ok(args: &[&str]) {
    let out = run_e4dax(args);
    assert!(
        out.status.success(),
        "e4dax {args:?} failed\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The image every shape starts from (fixed time: identical on every run).
fn base_image(dir: &Path) -> PathBuf {
    let img = dir.join("base.img");
    let i = s(&img);
    let t = ["--time", FIXED_TIME];
    let cli = |words: &[&str]| {
        let mut v: Vec<&str> = words.to_vec();
        v.extend(t);
        e4dax_ok(&v);
    };
    cli(&["mkfs", i, "--size", "64M", "--poison"]);
    let create = |name: &str, size: &str| cli(&["create", i, name, "--size", size]);
    let falloc = |name: &str, off: &str, len: &str, extra: &[&str]| {
        let mut v = vec!["fallocate", i, name, "--offset", off, "--len", len];
        v.extend(extra);
        cli(&v);
    };
    let write = |name: &str, off: &str| cli(&["write", i, name, "--offset", off, "--pattern", "W", "--len", "4096"]);
    for k in [0, 1, 3, 7] {
        let n = format!("/a8_{k}");
        create(&n, "32K");
        falloc(&n, "0", "32K", &[]);
    }
    for k in [0, 5, 10, 15] {
        let n = format!("/b16_{k}");
        create(&n, "64K");
        falloc(&n, "0", "64K", &[]);
    }
    create("/c64_30", "256K");
    falloc("/c64_30", "0", "256K", &[]);
    for n in ["/nl_1", "/nl_4"] {
        create(n, "36K");
        write(n, "0");
        falloc(n, "4K", "32K", &[]);
    }
    create("/nl16_6", "68K");
    write("/nl16_6", "0");
    falloc("/nl16_6", "4K", "64K", &[]);
    for n in ["/nr_7", "/nr_0"] {
        create(n, "36K");
        falloc(n, "0", "32K", &[]);
        write(n, "32K");
    }
    create("/k8_1", "8K");
    falloc("/k8_1", "0", "32K", &["--keep-size"]);
    // Two files of 400 extents: written 1 block, unwritten 2, ... (/ml starts unwritten).
    let mut wl = String::new();
    for (name, start) in [("/ml", 8192u64), ("/mr", 0)] {
        wl.push_str(&format!("create {name} --size 4M\n"));
        if start > 0 {
            wl.push_str(&format!("fallocate {name} --offset 0 --len {start}\n"));
        }
        for i in 0..200u64 {
            let o = start + i * 3 * BLOCK_SIZE;
            wl.push_str(&format!("write {name} --offset {o} --pattern W --len 4096\n"));
            wl.push_str(&format!("fallocate {name} --offset {} --len 8192\n", o + BLOCK_SIZE));
        }
    }
    let wl_path = dir.join("many.wl");
    std::fs::write(&wl_path, wl).expect("workload");
    cli(&["run", i, s(&wl_path)]);
    assert_e2fsck_clean(&img);
    img
}

/// "first-last{u|w}" words of the leaf extents overlapping `window`.
fn map_text(extents: &[LeafExtent], window: Option<(u64, u64)>) -> String {
    extents
        .iter()
        .filter(|e| window.is_none_or(|(a, b)| e.logical_end >= a && e.logical_start <= b))
        .map(|e| format!("{}-{}{}", e.logical_start, e.logical_end, if e.unwritten { 'u' } else { 'w' }))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Per block of `window`: Some(unwritten) when mapped.
fn block_states(extents: &[LeafExtent], (a, b): (u64, u64)) -> Vec<Option<bool>> {
    (a..=b).map(|l| extents.iter().find(|e| e.logical_start <= l && l <= e.logical_end).map(|e| e.unwritten)).collect()
}

fn block(img: &[u8], phys: u64) -> &[u8] {
    &img[(phys * BLOCK_SIZE) as usize..((phys + 1) * BLOCK_SIZE) as usize]
}

/// Every block of `name` that was unwritten before and is written after holds zeros (the faulting
/// one: 0x5a, then zeros); every other block of the file is as it was (stale blocks still stale).
fn assert_data_follows_the_conversion(base: &Path, after: &Path, sh: &Shape, who: &str) {
    let path = format!("/{}", sh.name);
    let (before_map, after_map) = (debugfs_leaf_extents(base, &path), debugfs_leaf_extents(after, &path));
    let (b, a) = (read_bytes(base), read_bytes(after));
    for e in &before_map {
        for l in e.logical_start..=e.logical_end {
            let phys = e.physical_start + (l - e.logical_start);
            let now = after_map.iter().find(|x| x.logical_start <= l && l <= x.logical_end);
            let now = now.unwrap_or_else(|| panic!("{who} {path}: block {l} unmapped after the fault"));
            assert_eq!(now.physical_start + (l - now.logical_start), phys, "{who} {path}: block {l} moved");
            let got = block(&a, phys);
            if e.unwritten && !now.unwritten {
                let mut want = vec![0u8; BLOCK_SIZE as usize];
                if l == sh.fault_block {
                    want[0] = 0x5a;
                }
                assert!(got == want.as_slice(), "{who} {path}: converted block {l} (@{phys}) is not zeroed");
            } else {
                assert!(got == block(&b, phys), "{who} {path}: block {l} (@{phys}) changed but was not converted");
                if e.unwritten {
                    assert!(has_stale_cell(got), "{who} {path}: unwritten block {l} should still be stale");
                }
            }
        }
    }
}

fn e4dax_faults(img: &Path) {
    for sh in &GOLDEN {
        let off = (sh.fault_block * BLOCK_SIZE).to_string();
        let path = format!("/{}", sh.name);
        e4dax_ok(&["fault", s(img), &path, "--offset", &off, "--write", "--policy", "zeroed", "--data", "5a"]);
    }
}

#[test]
fn zeroed_faults_match_the_kernels_golden_maps() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let base = base_image(dir.path());
    let ours = dir.path().join("ours.img");
    std::fs::copy(&base, &ours).expect("copy");
    e4dax_faults(&ours);
    assert_e2fsck_clean(&ours);
    for sh in &GOLDEN {
        let path = format!("/{}", sh.name);
        let map = debugfs_leaf_extents(&ours, &path);
        if sh.shape_differs {
            let window = sh.window.expect("a window");
            let golden: Vec<LeafExtent> = sh
                .golden
                .split_whitespace()
                .map(|w| {
                    let (range, kind) = w.split_at(w.len() - 1);
                    let (a, b) = range.split_once('-').expect("first-last");
                    let (a, b): (u64, u64) = (a.parse().unwrap(), b.parse().unwrap());
                    LeafExtent {
                        logical_start: a,
                        logical_end: b,
                        physical_start: 0,
                        physical_end: 0,
                        length: b - a + 1,
                        unwritten: kind == "u",
                    }
                })
                .collect();
            assert_eq!(block_states(&map, window), block_states(&golden, window), "{path}: written/unwritten blocks");
        } else {
            assert_eq!(map_text(&map, sh.window), sh.golden, "{path}: fault at block {}", sh.fault_block);
        }
        assert_data_follows_the_conversion(&base, &ours, sh, "e4dax");
    }
}

/// The kernel harness, when this machine can boot it: qemu, a Debian kernel and busybox.
fn kernel_harness() -> Result<PathBuf, String> {
    let harness = std::env::var_os("E4DAX_RUN_KERNEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/kernel/run-kernel.sh"));
    if !harness.is_file() {
        return Err(format!("no kernel harness at {}", harness.display()));
    }
    let in_path = |name: &str| {
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
    };
    if !in_path("qemu-system-x86_64") {
        return Err("qemu-system-x86_64 is not installed".into());
    }
    let kernel = std::fs::read_dir("/boot")
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("vmlinuz-")))
        .unwrap_or(false);
    if !kernel || !Path::new("/bin/busybox").is_file() {
        return Err("no /boot/vmlinuz-* or no /bin/busybox".into());
    }
    Ok(harness)
}

#[test]
fn zeroed_faults_match_linux_6_1_under_qemu() {
    if !e2fsprogs() {
        return;
    }
    let harness = match kernel_harness() {
        Ok(h) => h,
        Err(why) => {
            println!("skipped: the kernel comparison needs qemu and a kernel ({why}); see ../shared/kernel/README.md");
            return;
        }
    };
    let dir = tempdir();
    let base = base_image(dir.path());
    let kern = dir.path().join("kernel.img");
    let ours = dir.path().join("ours.img");
    std::fs::copy(&base, &kern).expect("copy");
    std::fs::copy(&base, &ours).expect("copy");
    // One boot faults every shape.
    let mut script = String::from("set -e\n");
    for sh in &GOLDEN {
        script.push_str(&format!("mmapw \"$MNT/{}\" {} 1 0x5a >/dev/null\n", sh.name, sh.fault_block * BLOCK_SIZE));
    }
    script.push_str("isdax \"$MNT/a8_0\"\numount \"$MNT\"\nkernel-ok\necho faults-done\n");
    let script_path = dir.path().join("faults.sh");
    std::fs::write(&script_path, script).expect("script");
    let out = Command::new(&harness)
        .arg(&kern)
        .arg(&script_path)
        .arg("--dax")
        .env("RUN_KERNEL_NO_INSTALL", "1")
        .output()
        .expect("run-kernel.sh");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("faults-done") && said.contains("dax=yes"),
        "the kernel run failed ({:?})\nstdout: {said}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_e2fsck_clean(&kern);
    e4dax_faults(&ours);
    assert_e2fsck_clean(&ours);
    let mut report = Vec::new();
    for sh in &GOLDEN {
        let path = format!("/{}", sh.name);
        let (k, o) = (debugfs_leaf_extents(&kern, &path), debugfs_leaf_extents(&ours, &path));
        report.push(format!("{path}: kernel [{}], e4dax [{}]", map_text(&k, sh.window), map_text(&o, sh.window)));
        assert_eq!(map_text(&k, sh.window), sh.golden, "{path}: the kernel no longer does what GOLDEN records");
        if sh.shape_differs {
            let window = sh.window.expect("a window");
            assert_eq!(block_states(&o, window), block_states(&k, window), "{path}: written/unwritten blocks");
        } else {
            assert_eq!(o, k, "{path}: e4dax's leaf extents (left) differ from the kernel's (right)");
        }
        assert_data_follows_the_conversion(&base, &kern, sh, "kernel");
        assert_data_follows_the_conversion(&base, &ours, sh, "e4dax");
    }
    println!("{}", report.join("\n"));
}
