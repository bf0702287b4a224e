//! The real kernel agrees with `crash` (issue 9): Linux, booted in qemu by the harness of
//! `../shared/kernel/`, mounts a saved stale-data reproducer with DAX, replays its journal, and a
//! process that maps the file reads the stale-data pattern, byte for byte what `e4dax read` shows;
//! the same crash point under the safe policy shows none. Two boots; skips with a message when
//! the harness or qemu is missing or the harness fails by itself (see `common::run_kernel`).

use std::path::{Path, PathBuf};

use crate::common::{
    e2fsprogs, e4dax_leaf_extents, inspect_json, jset, kernel_harness, mkfs, read_bytes, run_e4dax, run_kernel,
    stale_block, tool, KernelRun, BLOCK_SIZE,
};

/// The guest side. The test prepends `NEED_RECOVERY`, `EXPECT` (stale or clean) and `STALE_OFF`.
/// It mounts the image itself (the harness runs with `--no-mount`), so that a mount the kernel
/// refuses fails the test instead of looking like a harness failure.
const GUEST: &str = r#"
if ! mountimg; then
	echo "guest: mount -o $MOUNT_OPTS $DEV refused"; dmesg | grep -E 'EXT4-fs|JBD2|pmem|VFS'; exit 3
fi
grep " $MNT " /proc/mounts
grep -q "^$DEV $MNT ext4 .*dax=always" /proc/mounts || { echo "guest: not mounted dax=always"; exit 3; }
dmesg | grep -E 'EXT4-fs|JBD2' | sed 's/^\[ *[0-9.]*\] //'
if [ "$NEED_RECOVERY" = 1 ]; then
	dmesg | grep -q 'EXT4-fs (pmem0): recovery complete' || { echo "guest: no journal recovery in dmesg"; exit 4; }
elif dmesg | grep -q 'recovery complete'; then
	echo "guest: a journal recovery nobody needed"; exit 4
fi
isdax "$MNT/f" || exit 5
stat -c "guest: $MNT/f is %s bytes" "$MNT/f"
# the block through mmap (DAX: a page fault maps the pmem itself), one 64-byte cache line at a time
off=0
while [ $off -lt 4096 ]; do mmapr "$MNT/f" $off 64 || exit 6; off=$((off + 64)); done > /tmp/mmap
cat /tmp/mmap
echo "read(2):"
hexdump -C "$MNT/f" > /tmp/read || exit 6
cat /tmp/read
marker='45 34 44 58 53 54 41 4c'	# "E4DXSTAL"
echo "guest: $(grep -c "first16=\[$marker " /tmp/mmap) of 64 cache lines start with the stale-data marker through mmap"
if [ "$EXPECT" = stale ]; then
	mmapr "$MNT/f" "$STALE_OFF" 16 | grep "first16=\[$marker " ||
		{ echo "guest: no stale-data pattern at byte $STALE_OFF through mmap"; exit 7; }
elif grep -q "$marker" /tmp/mmap /tmp/read; then
	echo "guest: the stale-data pattern in a state without a reproducer"; exit 7
fi
umount "$MNT"
kernel-ok || exit 8
echo "guest: ok"
"#;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn ok(args: &[&str]) {
    let out = run_e4dax(args);
    assert!(out.status.success(), "e4dax {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn needs_recovery(img: &Path) -> bool {
    jset(&inspect_json(img, "super"), "features").contains("needs_recovery")
}

/// `e4dax read IMG /f`: the file as e4dax sees it (the journal replayed in memory).
fn e4dax_view(img: &Path) -> Vec<u8> {
    let out = run_e4dax(&["read", s(img), "/f"]);
    assert!(out.status.success(), "read {}: {}", img.display(), String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// `e4dax read IMG /f --check-stale --json`: exit status and the stale cells it names.
fn check_stale(img: &Path) -> (Option<i32>, Vec<serde_json::Value>) {
    let out = run_e4dax(&["read", s(img), "/f", "--check-stale", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("read --check-stale {}: no JSON ({e})", img.display()));
    (out.status.code(), v["stale"].as_array().expect("stale is an array").clone())
}

/// One cache line as `mmapr FILE OFF 64` printed it.
struct MmapLine {
    off: usize,
    first16: Vec<u8>,
    /// All 64 bytes are equal.
    uniform: bool,
}

fn parse_mmapr(line: &str) -> MmapLine {
    let field = |key: &str| -> &str {
        let rest = &line[line.find(key).unwrap_or_else(|| panic!("no {key} in {line:?}")) + key.len()..];
        rest.split([' ', ']']).next().unwrap()
    };
    let off = field("off=").parse().unwrap();
    let start = line.find("first16=[").unwrap() + "first16=[".len();
    let first16 = line[start..line[start..].find(']').unwrap() + start]
        .split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect();
    MmapLine { off, first16, uniform: field("all_equal=") == "yes" }
}

/// The bytes of a `hexdump -C` listing ("*" repeats the line before up to the next offset; the
/// last line is the length).
fn parse_hexdump<'a>(lines: impl Iterator<Item = &'a &'a str>, run: &KernelRun) -> Vec<u8> {
    let (mut bytes, mut row, mut repeat) = (Vec::new(), Vec::new(), false);
    for line in lines {
        if *line == "*" {
            repeat = true;
            continue;
        }
        let (off, rest) = line.split_once(' ').unwrap_or((line, ""));
        let off = usize::from_str_radix(off, 16).unwrap_or_else(|_| panic!("hexdump printed {line:?}\n{run}"));
        while repeat && bytes.len() < off {
            bytes.extend_from_slice(&row);
        }
        repeat = false;
        assert_eq!(bytes.len(), off, "hexdump line {line:?}\n{run}");
        let hex = rest.split('|').next().unwrap();
        row = hex.split_whitespace().map(|h| u8::from_str_radix(h, 16).unwrap()).collect();
        bytes.extend_from_slice(&row);
    }
    bytes
}

/// The block as the guest saw it: through mmap (the first 16 bytes of each 64-byte line, and
/// whether the line is uniform) and through read(2) (every byte).
fn guest_view(run: &KernelRun) -> (Vec<MmapLine>, Vec<u8>) {
    let lines: Vec<&str> = run.stdout.lines().collect();
    let mmap: Vec<_> =
        lines.iter().filter(|l| l.starts_with("mmapr: ") && l.contains(" len=64 ")).map(|l| parse_mmapr(l)).collect();
    let at = lines.iter().position(|l| *l == "read(2):").unwrap_or_else(|| panic!("no read(2) dump\n{run}"));
    (mmap, parse_hexdump(lines[at + 1..].iter().take_while(|l| !l.starts_with("guest:")), run))
}

/// Boots the kernel with `--dax` on a copy of `img` and checks, in the guest and here, that the
/// mount replays the journal, the file is DAX, and what a process maps and reads is what e4dax
/// reads. `stale_off` is a byte the guest must see the pattern at through mmap; None: a state
/// without a reproducer, where no byte may show it. Returns the image after the kernel's
/// unmount, or None when the harness could not boot.
fn boot(harness: &Path, dir: &Path, name: &str, img: &Path, stale_off: Option<u64>) -> Option<PathBuf> {
    let copy = dir.join(format!("{name}-after-linux.img"));
    std::fs::copy(img, &copy).unwrap();
    let expected = e4dax_view(img);
    assert_eq!(expected.len() as u64, BLOCK_SIZE, "{name}: /f is one block");
    let recovery = needs_recovery(img);
    let script = dir.join(format!("{name}.sh"));
    let header = format!(
        "NEED_RECOVERY={}\nEXPECT={}\nSTALE_OFF={}\n",
        u8::from(recovery),
        if stale_off.is_some() { "stale" } else { "clean" },
        stale_off.unwrap_or(0)
    );
    std::fs::write(&script, header + GUEST).unwrap();
    let run = run_kernel(harness, &copy, &script, &["--dax", "--no-mount"])?;
    println!("=== {name}: {} (needs recovery: {recovery})\n{run}", img.display());
    assert_eq!(run.code, Some(0), "{name}: the guest script failed\n{run}");
    assert!(run.stdout.contains("guest: ok"), "{name}\n{run}");

    // What the process saw is what e4dax reads, cache line by cache line and byte for byte.
    let (mmap, bytes) = guest_view(&run);
    assert_eq!(mmap.len(), 64, "{name}: one mmapr line per cache line\n{run}");
    for MmapLine { off, first16, uniform } in &mmap {
        let line = &expected[*off..*off + 64];
        assert_eq!(first16.as_slice(), &line[..16], "{name}: mmap at byte {off} differs from e4dax read\n{run}");
        assert_eq!(*uniform, line.iter().all(|b| *b == line[0]), "{name}: mmap line at {off}\n{run}");
    }
    assert!(bytes == expected, "{name}: read(2) in the guest differs from e4dax read\n{run}");

    // The kernel replayed the journal into the image and left it clean; e4dax agrees with what
    // it wrote, now without replaying anything.
    assert!(!needs_recovery(&copy), "{name}: the kernel left the journal unreplayed");
    if e2fsprogs() {
        let e = std::process::Command::new(tool("e2fsck")).args(["-fn", s(&copy)]).output().unwrap();
        assert_eq!(
            e.status.code(),
            Some(0),
            "{name}: e2fsck -fn after the kernel: {}",
            String::from_utf8_lossy(&e.stdout)
        );
    }
    assert!(e4dax_view(&copy) == expected, "{name}: e4dax read after the kernel's replay");
    Some(copy)
}

#[test]
fn linux_maps_the_stale_data_of_a_saved_reproducer() {
    let Some(harness) = kernel_harness() else { return };
    let dir = crate::common::tempdir();
    let base = mkfs(dir.path(), "pm.img", "16M", &["--poison"]);
    let wl = data("fault-into-hole.wl");
    let save = dir.path().join("repro");
    let args = [
        "crash",
        s(&base),
        s(&wl),
        "--policy",
        "zeroed",
        "--inject",
        "no-fence",
        "--time",
        "1700000000",
        "--save",
        s(&save),
        "--json",
    ];
    let out = run_e4dax(&args);
    assert_eq!(out.status.code(), Some(4), "crash finds stale data: {}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    // A stale-data reproducer whose journal the kernel has to replay.
    let saved: Vec<PathBuf> = report["found"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["class"] == "stale-data")
        .map(|f| PathBuf::from(f["saved"].as_str().expect("saved")))
        .collect();
    let repro = saved
        .iter()
        .find(|d| needs_recovery(&d.join("crash.img")))
        .unwrap_or_else(|| panic!("no saved stale-data reproducer needs journal recovery: {saved:?}"));
    let img = repro.join("crash.img");
    let state: serde_json::Value = serde_json::from_slice(&read_bytes(&repro.join("state.json"))).unwrap();
    let step = state["step"].as_str().expect("step");
    let (code, stale) = check_stale(&img);
    assert_eq!(code, Some(1), "{}: read --check-stale", img.display());
    let (physical, offset, pattern) = (
        stale[0]["physical"].as_u64().unwrap(),
        stale[0]["offset"].as_u64().unwrap(),
        stale[0]["pattern_block"].as_u64().unwrap(),
    );
    let cell = &stale_block(pattern)[..16];
    let expected = e4dax_view(&img);
    assert_eq!(&expected[offset as usize..offset as usize + 16], cell, "e4dax read shows the cell it names");

    let Some(after) = boot(&harness, dir.path(), "reproducer", &img, Some(offset)) else { return };
    let (code, again) = check_stale(&after);
    assert_eq!((code, &again), (Some(1), &stale), "the same stale cell after the kernel's replay");
    let extents = e4dax_leaf_extents(&after, "/f");
    assert!(
        extents.len() == 1 && extents[0].physical_start == physical && !extents[0].unwritten,
        "/f is one written extent at block {physical}: {extents:?}"
    );

    // Control: the same crash point under the safe policy (the zeroing is fenced) is no
    // reproducer; the kernel replays the same kind of journal and maps zeros over the same
    // poisoned block.
    let control = dir.path().join("control.img");
    std::fs::copy(&base, &control).unwrap();
    ok(&["run", s(&control), s(&wl), "--policy", "zeroed", "--stop-after", step, "--time", "1700000000"]);
    assert!(needs_recovery(&control), "the control stops after {step} with a journal to replay");
    assert_eq!(check_stale(&control), (Some(0), vec![]), "the control has no stale data");
    let Some(after) = boot(&harness, dir.path(), "control", &control, None) else { return };
    let extents = e4dax_leaf_extents(&after, "/f");
    assert!(extents.len() == 1 && !extents[0].unwritten, "/f is one written extent: {extents:?}");
    let block = extents[0].physical_start;
    assert_eq!(block, physical, "the control's /f has the reproducer's block");
    let base_bytes = read_bytes(&base);
    assert_eq!(
        &base_bytes[(block * BLOCK_SIZE) as usize..((block + 1) * BLOCK_SIZE) as usize],
        stale_block(block).as_slice(),
        "the control's block {block} was poisoned in the base image"
    );
}
