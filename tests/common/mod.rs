//! Shared helpers for the integration tests: finding e2fsprogs (the oracle) and parsing what it
//! prints, making images (stock `mkfs.ext4` ones and ours), comparing files, and checking that
//! e4dax fails the way the CLI promises (one `e4dax: ` line, exit 1, no panic).

// Each topic module uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;
use std::time::Duration;

pub const KIB: u64 = 1 << 10;
pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;
pub const TIB: u64 = 1 << 40;
pub const BLOCK_SIZE: u64 = 4096;

/// The UUID and creation time every test image gets unless a test says otherwise.
pub const UUID_A: &str = "5c0ffee0-1234-4abc-8def-0123456789ab";
pub const UUID_B: &str = "d15ea5e0-4321-4cba-9fed-ba9876543210";
pub const TIME: &str = "1700000000";

/// The stale-data marker `mkfs --poison` writes at the start of every 16-byte cell.
pub const STALE_MARKER: &[u8; 8] = b"E4DXSTAL";

/// Superblock offsets (the primary superblock starts at byte 1024).
pub const SB_OFFSET: usize = 1024;
pub const SB_FEATURE_INCOMPAT: usize = 0x60;
pub const SB_VOLUME_NAME: usize = 0x78;
pub const SB_CHECKSUM: usize = 0x3FC;

const E2FSPROGS_TOOLS: [&str; 4] = ["mkfs.ext4", "e2fsck", "debugfs", "dumpe2fs"];

/// No single e4dax invocation in these tests should take anywhere near this long.
const E4DAX_TIMEOUT: Duration = Duration::from_secs(300);

// ---------------------------------------------------------------------------------------------
// e2fsprogs
// ---------------------------------------------------------------------------------------------

fn search_dirs() -> &'static Vec<PathBuf> {
    static DIRS: OnceLock<Vec<PathBuf>> = OnceLock::new();
    DIRS.get_or_init(|| {
        let mut dirs: Vec<PathBuf> =
            std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
        for extra in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
            dirs.push(PathBuf::from(extra));
        }
        dirs
    })
}

fn find_tool(name: &str) -> Option<PathBuf> {
    search_dirs()
        .iter()
        .map(|d| d.join(name))
        .find(|p| p.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false))
}

/// The absolute path of an e2fsprogs tool (panics when missing: call [`e2fsprogs`] first).
pub fn tool(name: &str) -> PathBuf {
    find_tool(name).unwrap_or_else(|| panic!("{name} not found in PATH, /usr/sbin or /sbin"))
}

/// Whether the e2fsprogs tools are installed. When they are not, says "skipping" and returns
/// false, so the test can return early; but when `CI` is set, a missing oracle is a failure.
pub fn e2fsprogs() -> bool {
    let missing: Vec<&str> = E2FSPROGS_TOOLS.iter().copied().filter(|t| find_tool(t).is_none()).collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("e2fsprogs missing ({}) and CI is set: tests that need the oracle must run in CI", missing.join(", "));
    }
    eprintln!("skipping: e2fsprogs missing ({})", missing.join(", "));
    false
}

fn show(out: &Output) -> String {
    format!(
        "exit status: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn run_tool(name: &str, args: &[&std::ffi::OsStr]) -> Output {
    std::process::Command::new(tool(name))
        .args(args)
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {name}: {e}"))
}

/// `e2fsck -fn IMAGE` must exit 0 (clean); on failure its whole output is shown.
pub fn assert_e2fsck_clean(image: &Path) {
    let out = run_tool("e2fsck", &["-fn".as_ref(), image.as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "e2fsck -fn {} is not clean\n{}", image.display(), show(&out));
}

/// `dumpe2fs -h IMAGE` as a map of its "Key: value" lines (keys and values trimmed).
pub fn dumpe2fs_h(image: &Path) -> BTreeMap<String, String> {
    let out = run_tool("dumpe2fs", &["-h".as_ref(), image.as_os_str()]);
    assert!(out.status.success(), "dumpe2fs -h {} failed\n{}", image.display(), show(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// A value of a `dumpe2fs -h` map (panics, naming the key, when absent).
pub fn field<'a>(map: &'a BTreeMap<String, String>, key: &str) -> &'a str {
    map.get(key).unwrap_or_else(|| panic!("dumpe2fs -h has no {key:?} line; it has {map:#?}"))
}

/// A numeric `dumpe2fs -h` value: its first word, decimal or `0x` hex ("256", "0x00000001").
pub fn num(map: &BTreeMap<String, String>, key: &str) -> u64 {
    let word = field(map, key).split_whitespace().next().unwrap_or("");
    parse_u64(word).unwrap_or_else(|| panic!("dumpe2fs -h {key}: {word:?} is not a number"))
}

pub fn parse_u64(word: &str) -> Option<u64> {
    match word.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => word.parse().ok(),
    }
}

/// A feature line ("Filesystem features", "Journal features") as a set; "(none)" is empty.
pub fn feature_set(map: &BTreeMap<String, String>, key: &str) -> BTreeSet<String> {
    field(map, key).split_whitespace().filter(|w| *w != "(none)").map(str::to_string).collect()
}

pub fn set_of(words: &[&str]) -> BTreeSet<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// One "Group N:" section of `dumpe2fs` (without -h).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DumpGroup {
    pub group: u64,
    pub first_block: u64,
    pub last_block: u64,
    pub flags: Vec<String>,
    pub block_bitmap: u64,
    pub inode_bitmap: u64,
    pub inode_table: (u64, u64),
    pub free_blocks: u64,
    pub free_inodes: u64,
    pub directories: u64,
    pub unused_inodes: Option<u64>,
    /// The "Free blocks:" ranges, inclusive.
    pub free_ranges: Vec<(u64, u64)>,
}

fn number_after(line: &str, prefix: &str) -> u64 {
    let rest = &line[line.find(prefix).expect("prefix present") + prefix.len()..];
    let word: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    word.parse().unwrap_or_else(|_| panic!("dumpe2fs: no number after {prefix:?} in {line:?}"))
}

fn parse_range(text: &str) -> (u64, u64) {
    let text = text.trim();
    let (a, b) = text.split_once('-').unwrap_or((text, text));
    let a = a.trim().parse().unwrap_or_else(|_| panic!("bad range {text:?}"));
    let b = b.trim().parse().unwrap_or_else(|_| panic!("bad range {text:?}"));
    (a, b)
}

fn parse_group_header(line: &str) -> DumpGroup {
    // "Group 1: (Blocks 32768-65535) csum 0x1e92 [INODE_UNINIT, BLOCK_UNINIT, ITABLE_ZEROED]"
    let group = number_after(line, "Group ");
    let blocks = line
        .split_once("(Blocks ")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(range, _)| range)
        .unwrap_or_else(|| panic!("dumpe2fs: no block range in {line:?}"));
    let (first_block, last_block) = parse_range(blocks);
    let flags = match (line.find('['), line.rfind(']')) {
        (Some(a), Some(b)) if a < b => {
            line[a + 1..b].split(',').map(|f| f.trim().to_string()).filter(|f| !f.is_empty()).collect()
        }
        _ => Vec::new(),
    };
    DumpGroup { group, first_block, last_block, flags, ..DumpGroup::default() }
}

/// The group list of `dumpe2fs IMAGE`.
pub fn dumpe2fs_groups(image: &Path) -> Vec<DumpGroup> {
    let out = run_tool("dumpe2fs", &[image.as_os_str()]);
    assert!(out.status.success(), "dumpe2fs {} failed\n{}", image.display(), show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut groups: Vec<DumpGroup> = Vec::new();
    for line in text.lines() {
        if line.starts_with("Group ") && line.contains("(Blocks ") {
            groups.push(parse_group_header(line));
            continue;
        }
        let Some(g) = groups.last_mut() else {
            continue; // the header part, before the first group
        };
        let t = line.trim();
        if t.starts_with("Block bitmap at ") {
            g.block_bitmap = number_after(t, "Block bitmap at ");
        } else if t.starts_with("Inode bitmap at ") {
            g.inode_bitmap = number_after(t, "Inode bitmap at ");
        } else if let Some(rest) = t.strip_prefix("Inode table at ") {
            let range = rest.split_whitespace().next().unwrap_or("");
            g.inode_table = parse_range(range);
        } else if t.contains(" free blocks, ") {
            // "28521 free blocks, 8181 free inodes, 2 directories, 8181 unused inodes"
            for part in t.split(',') {
                let mut words = part.split_whitespace();
                let n: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
                match words.collect::<Vec<_>>().join(" ").as_str() {
                    "free blocks" => g.free_blocks = n,
                    "free inodes" => g.free_inodes = n,
                    "directories" => g.directories = n,
                    "unused inodes" => g.unused_inodes = Some(n),
                    _ => {}
                }
            }
        } else if let Some(rest) = t.strip_prefix("Free blocks:") {
            g.free_ranges = rest.split(',').filter(|r| !r.trim().is_empty()).map(parse_range).collect();
        }
    }
    assert!(!groups.is_empty(), "dumpe2fs {} printed no groups:\n{text}", image.display());
    groups
}

/// What debugfs said on stderr besides its version banner ("debugfs 1.47.0 (5-Feb-2023)").
/// debugfs exits 0 when a command fails ("ex: File not found by ext2_lookup"), so this, not the
/// exit status, is how a failed command shows.
fn debugfs_complaints(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with("debugfs ") && !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// `debugfs -R CMD IMAGE` must have succeeded: exit 0 and nothing on stderr but the banner.
fn assert_debugfs_ok(out: &Output, image: &Path, cmd: &str) {
    assert!(
        out.status.success() && debugfs_complaints(out).is_empty(),
        "debugfs -R {cmd:?} {} failed\n{}",
        image.display(),
        show(out)
    );
}

/// `debugfs -R CMD IMAGE`: its stdout (it must succeed: exit 0 and no complaint on stderr).
pub fn debugfs(image: &Path, cmd: &str) -> String {
    let out = run_tool("debugfs", &["-R".as_ref(), cmd.as_ref(), image.as_os_str()]);
    assert_debugfs_ok(&out, image, cmd);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The blocks of the journal inode (8), from `debugfs -R "blocks <8>"`.
pub fn journal_blocks(image: &Path) -> Vec<u64> {
    debugfs(image, "blocks <8>")
        .split_whitespace()
        .map(|w| w.parse().unwrap_or_else(|_| panic!("debugfs blocks: {w:?}")))
        .collect()
}

/// A stock image: `mkfs.ext4 -q -F -b 4096 -U UUID -E hash_seed=UUID [EXTRA..] DIR/NAME` on a
/// sparse file of `size_bytes`, with a fixed creation time.
pub fn stock_image(dir: &Path, name: &str, size_bytes: u64, uuid: &str, extra: &[&str]) -> PathBuf {
    let path = dir.join(name);
    File::create(&path)
        .and_then(|f| f.set_len(size_bytes))
        .unwrap_or_else(|e| panic!("cannot make {}: {e}", path.display()));
    let hash_seed = format!("hash_seed={uuid}");
    let out = std::process::Command::new(tool("mkfs.ext4"))
        .args(["-q", "-F", "-b", "4096", "-U", uuid, "-E", &hash_seed])
        .args(extra)
        .arg(&path)
        .env("E2FSPROGS_FAKE_TIME", TIME)
        .output()
        .expect("cannot run mkfs.ext4");
    assert!(out.status.success(), "mkfs.ext4 failed\n{}", show(&out));
    path
}

// ---------------------------------------------------------------------------------------------
// e4dax
// ---------------------------------------------------------------------------------------------

pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("e4dax-test-").tempdir().expect("cannot make a temporary directory")
}

/// The e4dax binary under test.
pub fn e4dax() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_e4dax"));
    cmd.timeout(E4DAX_TIMEOUT);
    cmd
}

/// Runs `e4dax ARGS..` and returns its output, whatever the exit status.
pub fn run_e4dax<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    e4dax().args(args).output().expect("cannot run e4dax")
}

/// `e4dax mkfs DIR/NAME --size SIZE --uuid UUID_A --time TIME [EXTRA..]`, which must succeed.
pub fn mkfs(dir: &Path, name: &str, size: &str, extra: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "mkfs".as_ref(),
        path.as_os_str(),
        "--size".as_ref(),
        size.as_ref(),
        "--uuid".as_ref(),
        UUID_A.as_ref(),
        "--time".as_ref(),
        TIME.as_ref(),
    ];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    let out = run_e4dax(&args);
    assert!(out.status.success(), "e4dax mkfs {} --size {size} {extra:?} failed\n{}", path.display(), show(&out));
    path
}

/// `e4dax inspect IMAGE WHAT --json`, which must succeed and print one JSON value.
pub fn inspect_json(image: &Path, what: &str) -> serde_json::Value {
    let out = run_e4dax(&["inspect".as_ref(), image.as_os_str(), what.as_ref(), "--json".as_ref()]);
    assert!(out.status.success(), "e4dax inspect {} {what} --json failed\n{}", image.display(), show(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("inspect {what} --json is not JSON ({e}):\n{}", String::from_utf8_lossy(&out.stdout))
    })
}

/// A field of a JSON object (panics, naming it, when absent).
pub fn jget<'a>(v: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    v.get(key).unwrap_or_else(|| panic!("JSON has no {key:?}: {v:#}"))
}

pub fn ju64(v: &serde_json::Value, key: &str) -> u64 {
    jget(v, key).as_u64().unwrap_or_else(|| panic!("JSON {key:?} is not an unsigned number: {v:#}"))
}

pub fn jstr<'a>(v: &'a serde_json::Value, key: &str) -> &'a str {
    jget(v, key).as_str().unwrap_or_else(|| panic!("JSON {key:?} is not a string: {v:#}"))
}

pub fn jbool(v: &serde_json::Value, key: &str) -> bool {
    jget(v, key).as_bool().unwrap_or_else(|| panic!("JSON {key:?} is not a bool: {v:#}"))
}

pub fn jset(v: &serde_json::Value, key: &str) -> BTreeSet<String> {
    jget(v, key)
        .as_array()
        .unwrap_or_else(|| panic!("JSON {key:?} is not an array: {v:#}"))
        .iter()
        .map(|f| f.as_str().unwrap_or_else(|| panic!("JSON {key:?} holds a non-string: {v:#}")).to_string())
        .collect()
}

/// A runtime error as the CLI promises it: exit status 1, exactly one line on stderr that starts
/// with "e4dax: " (with `--json`, one JSON object `{"error": ..., "exit_code": 1}`), and no
/// panic. Returns the line (for JSON, "e4dax: " and the error).
pub fn assert_runtime_error(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{what}: e4dax panicked\n{}", show(out));
    assert_eq!(out.status.code(), Some(1), "{what}: expected exit status 1 (runtime error)\n{}", show(out));
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    assert_eq!(lines.len(), 1, "{what}: expected one line on stderr\n{}", show(out));
    let json_line;
    let line = match serde_json::from_str::<serde_json::Value>(lines[0]) {
        Ok(v) => {
            assert_eq!(
                v.get("exit_code").and_then(|c| c.as_u64()),
                Some(1),
                "{what}: JSON error's exit_code\n{}",
                show(out)
            );
            let e = v
                .get("error")
                .and_then(|e| e.as_str())
                .unwrap_or_else(|| panic!("{what}: JSON error without \"error\"\n{}", show(out)));
            json_line = format!("e4dax: {e}");
            json_line.as_str()
        }
        Err(_) => lines[0],
    };
    assert!(
        line.starts_with("e4dax: ") && line.len() > "e4dax: ".len() + 3,
        "{what}: the error line must start with \"e4dax: \" and say something\n{}",
        show(out)
    );
    line.to_string()
}

/// A refusal that may come from clap (usage error: exit 2, "error: ...") or from e4dax's own
/// checks (runtime error: exit 1, one "e4dax: " line). Either way: non-zero and no panic.
pub fn assert_refused(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{what}: e4dax panicked\n{}", show(out));
    match out.status.code() {
        Some(2) => assert!(
            stderr.trim_start().starts_with("error:"),
            "{what}: a usage error (exit 2) should come from clap\n{}",
            show(out)
        ),
        _ => {
            assert_runtime_error(out, what);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

pub fn read_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

pub fn write_bytes(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()))
}

/// Copy an image keeping its holes (`cp --sparse=always`, which finds them with SEEK_HOLE):
/// copies of a mostly empty 256 MiB image cost what its data costs, not 256 MiB of writes.
pub fn copy_image(from: &Path, to: &Path) {
    let out = std::process::Command::new("cp")
        .arg("--sparse=always")
        .arg(from)
        .arg(to)
        .output()
        .unwrap_or_else(|e| panic!("cannot run cp: {e}"));
    assert!(out.status.success(), "cp {} {} failed\n{}", from.display(), to.display(), show(&out));
}

/// Bytes actually allocated to a (sparse) file.
pub fn allocated_bytes(path: &Path) -> u64 {
    path.metadata().expect("stat").blocks() * 512
}

/// The offset of the first byte where two files differ (a length difference counts), or None.
pub fn first_difference(a: &Path, b: &Path) -> Option<u64> {
    let mut fa = File::open(a).unwrap_or_else(|e| panic!("open {}: {e}", a.display()));
    let mut fb = File::open(b).unwrap_or_else(|e| panic!("open {}: {e}", b.display()));
    let (mut ba, mut bb) = (vec![0u8; MIB as usize], vec![0u8; MIB as usize]);
    let mut offset = 0u64;
    loop {
        let na = read_full(&mut fa, &mut ba);
        let nb = read_full(&mut fb, &mut bb);
        if let Some(i) = (0..na.min(nb)).find(|&i| ba[i] != bb[i]) {
            return Some(offset + i as u64);
        }
        if na != nb {
            return Some(offset + na.min(nb) as u64);
        }
        if na == 0 {
            return None;
        }
        offset += na as u64;
    }
}

fn read_full(f: &mut File, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]).expect("read") {
            0 => break,
            k => n += k,
        }
    }
    n
}

/// `sha256sum FILE` (None when the tool is missing).
pub fn sha256(path: &Path) -> Option<String> {
    let sum = find_tool("sha256sum")?;
    let out = std::process::Command::new(sum).arg(path).output().ok()?;
    assert!(out.status.success(), "sha256sum failed\n{}", show(&out));
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().map(str::to_string)
}

/// Two files hold the same bytes (sha256 when available, and byte by byte for the offset).
pub fn assert_same_file(a: &Path, b: &Path) {
    if let Some(at) = first_difference(a, b) {
        panic!("{} and {} differ, first at byte {at} (block {})", a.display(), b.display(), at / BLOCK_SIZE);
    }
    assert_eq!(sha256(a), sha256(b), "sha256 differs");
}

/// The file at `path` still holds exactly `before`.
pub fn assert_unchanged(path: &Path, before: &[u8], what: &str) {
    let after = read_bytes(path);
    if after != before {
        let at = before.iter().zip(&after).position(|(x, y)| x != y).unwrap_or(before.len().min(after.len()));
        panic!(
            "{what}: {} changed (length {} -> {}, first difference at byte {at})",
            path.display(),
            before.len(),
            after.len()
        );
    }
}

/// Deterministic pseudo-random bytes (xorshift64*), so failures reproduce.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

// ---------------------------------------------------------------------------------------------
// Stale-data pattern and checksums
// ---------------------------------------------------------------------------------------------

/// What `mkfs --poison` writes into free block `block`: 256 cells of "E4DXSTAL" + block (LE).
pub fn stale_block(block: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(BLOCK_SIZE as usize);
    for _ in 0..BLOCK_SIZE / 16 {
        out.extend_from_slice(STALE_MARKER);
        out.extend_from_slice(&block.to_le_bytes());
    }
    out
}

/// Whether any 16-byte cell of `data` starts with the stale marker.
pub fn has_stale_cell(data: &[u8]) -> bool {
    data.chunks(16).any(|cell| cell.starts_with(STALE_MARKER))
}

/// Bitwise CRC32C register update (Castagnoli, reflected polynomial 0x82F63B78), no inversion.
pub fn crc32c_raw(mut crc: u32, data: &[u8]) -> u32 {
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0x82F6_3B78 } else { crc >> 1 };
        }
    }
    crc
}

/// The standard CRC32C (init !0, final xor !0): crc32c(b"123456789") == 0xE3069283.
pub fn crc32c(data: &[u8]) -> u32 {
    !crc32c_raw(!0, data)
}

/// ext4's superblock checksum over the 1024-byte superblock: the raw register, i.e. the
/// standard CRC32C of bytes 0..0x3FC xored with 0xFFFFFFFF.
pub fn superblock_checksum(sb: &[u8]) -> u32 {
    !crc32c(&sb[..SB_CHECKSUM])
}

/// The superblock checksum stored in an image's bytes.
pub fn stored_superblock_checksum(image: &[u8]) -> u32 {
    let at = SB_OFFSET + SB_CHECKSUM;
    u32::from_le_bytes(image[at..at + 4].try_into().expect("4 bytes"))
}

/// Recomputes and stores the superblock checksum in an image's bytes.
pub fn fix_superblock_checksum(image: &mut [u8]) {
    let crc = superblock_checksum(&image[SB_OFFSET..SB_OFFSET + 1024]);
    image[SB_OFFSET + SB_CHECKSUM..SB_OFFSET + SB_CHECKSUM + 4].copy_from_slice(&crc.to_le_bytes());
}

// ---------------------------------------------------------------------------------------------
// debugfs as a file oracle: writing with it, and parsing `ls -l` and `ex`
// ---------------------------------------------------------------------------------------------

/// `debugfs -R CMD IMAGE`: its raw stdout (for `cat`, whose output is binary).
pub fn debugfs_bytes(image: &Path, cmd: &str) -> Vec<u8> {
    let out = run_tool("debugfs", &["-R".as_ref(), cmd.as_ref(), image.as_os_str()]);
    assert_debugfs_ok(&out, image, cmd);
    out.stdout
}

/// `debugfs -w -f CMDS IMAGE` with one command per line. debugfs exits 0 even when a command
/// fails, so anything on stderr besides its version banner is a failure.
pub fn debugfs_w(image: &Path, cmds: &[&str]) {
    let file = tempfile::NamedTempFile::new().expect("temporary command file");
    write_bytes(file.path(), format!("{}\n", cmds.join("\n")).as_bytes());
    // Inodes and directories it writes get the tests' fixed time, so the images reproduce.
    let out = std::process::Command::new(tool("debugfs"))
        .args(["-w".as_ref(), "-f".as_ref(), file.path().as_os_str(), image.as_os_str()])
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .env("E2FSPROGS_FAKE_TIME", TIME)
        .output()
        .unwrap_or_else(|e| panic!("cannot run debugfs: {e}"));
    assert!(
        out.status.success() && debugfs_complaints(&out).is_empty(),
        "debugfs -w {} with {cmds:#?} failed\n{}",
        image.display(),
        show(&out)
    );
}

/// The (name, inode) pairs of `debugfs -R "ls -l DIR"`, sorted (names must not hold spaces).
pub fn debugfs_ls(image: &Path, dir: &str) -> Vec<(String, u64)> {
    let text = debugfs(image, &format!("ls -l {dir}"));
    let mut entries: Vec<(String, u64)> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            // " 12  100644 (1)  0  0  10000 26-Nov-2026 02:49 name"
            let w: Vec<&str> = l.split_whitespace().collect();
            if w[0] == "0" {
                return None; // an empty slot (lost+found's spare blocks), not an entry
            }
            assert!(w.len() == 9, "debugfs ls -l {dir}: unexpected line {l:?}");
            let ino = w[0].parse().unwrap_or_else(|_| panic!("debugfs ls -l {dir}: bad inode in {l:?}"));
            Some((w[8].to_string(), ino))
        })
        .collect();
    entries.sort();
    entries
}

/// The (name, inode) pairs of `e4dax ls IMAGE DIR --json`, sorted.
pub fn e4dax_ls(image: &Path, dir: &str) -> Vec<(String, u64)> {
    let out = run_e4dax(&["ls".as_ref(), image.as_os_str(), dir.as_ref(), "--json".as_ref()]);
    assert!(out.status.success(), "e4dax ls {} {dir} --json failed\n{}", image.display(), show(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("ls --json is JSON");
    let mut entries: Vec<(String, u64)> = v
        .as_array()
        .unwrap_or_else(|| panic!("ls --json is not an array: {v:#}"))
        .iter()
        .map(|e| (jstr(e, "name").to_string(), ju64(e, "inode")))
        .collect();
    entries.sort();
    entries
}

/// `e4dax inspect IMAGE WHAT PATH --json` (WHAT is `extents` or `inode`; PATH a path or `#N`),
/// which must succeed and print one JSON value.
pub fn inspect_path_json(image: &Path, what: &str, path: &str) -> serde_json::Value {
    let out = run_e4dax(&["inspect".as_ref(), image.as_os_str(), what.as_ref(), path.as_ref(), "--json".as_ref()]);
    assert!(out.status.success(), "e4dax inspect {} {what} {path} --json failed\n{}", image.display(), show(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("inspect {what} {path} --json is not JSON ({e}):\n{}", String::from_utf8_lossy(&out.stdout))
    })
}

/// One leaf extent as both `debugfs ex` and `e4dax inspect extents` show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LeafExtent {
    pub logical_start: u64,
    pub logical_end: u64,
    pub physical_start: u64,
    pub physical_end: u64,
    pub length: u64,
    pub unwritten: bool,
}

/// The leaf rows of `debugfs -R "ex PATH"` (rows whose level equals the tree depth), sorted.
pub fn debugfs_leaf_extents(image: &Path, path: &str) -> Vec<LeafExtent> {
    let text = debugfs(image, &format!("ex {path}"));
    let mut leaves = Vec::new();
    for line in text.lines().skip_while(|l| !l.starts_with("Level")).skip(1) {
        // " 1/ 1   2/ 10     2 -     2  7455 -  7455      1 Uninit"
        let mut norm = line.to_string();
        while norm.contains("/ ") {
            norm = norm.replace("/ ", "/");
        }
        let w: Vec<&str> = norm.split_whitespace().collect();
        if w.is_empty() {
            continue;
        }
        let bad = || -> String { format!("debugfs ex {path}: unexpected line {line:?}") };
        let (level, depth) = w[0].split_once('/').unwrap_or_else(|| panic!("{}", bad()));
        if level != depth {
            continue; // an index row
        }
        assert!(w.len() >= 9 && w[3] == "-" && w[6] == "-", "{}", bad());
        let n = |i: usize| -> u64 { w[i].parse().unwrap_or_else(|_| panic!("{}", bad())) };
        leaves.push(LeafExtent {
            logical_start: n(2),
            logical_end: n(4),
            physical_start: n(5),
            physical_end: n(7),
            length: n(8),
            unwritten: w.get(9) == Some(&"Uninit"),
        });
    }
    leaves.sort();
    leaves
}

/// The leaf extents of `e4dax inspect IMAGE extents PATH --json` (nodes of depth 0), sorted.
pub fn e4dax_leaf_extents(image: &Path, path: &str) -> Vec<LeafExtent> {
    let v = inspect_path_json(image, "extents", path);
    let mut leaves = Vec::new();
    for node in
        jget(&v, "nodes").as_array().unwrap_or_else(|| panic!("inspect extents {path}: nodes is not an array: {v:#}"))
    {
        if ju64(node, "depth") != 0 {
            continue;
        }
        for item in jget(node, "items").as_array().expect("items is an array") {
            assert!(!jbool(item, "index"), "a depth-0 node holds an index: {v:#}");
            leaves.push(LeafExtent {
                logical_start: ju64(item, "logical_start"),
                logical_end: ju64(item, "logical_end"),
                physical_start: ju64(item, "physical_start"),
                physical_end: ju64(item, "physical_end"),
                length: ju64(item, "length"),
                unwritten: jbool(item, "unwritten"),
            });
        }
    }
    leaves.sort();
    leaves
}

/// `debugfs ex PATH` and `e4dax inspect extents PATH` list the same leaf extents.
pub fn assert_same_leaf_extents(image: &Path, path: &str) {
    let theirs = debugfs_leaf_extents(image, path);
    let ours = e4dax_leaf_extents(image, path);
    assert_eq!(ours, theirs, "{}: inspect extents {path} (left) differs from debugfs ex (right)", image.display());
}

/// Runs `e4dax ARGS..`, which must finish within `limit` (a hang is a failure, not a wait).
pub fn run_e4dax_within<S: AsRef<std::ffi::OsStr>>(args: &[S], limit: Duration) -> Output {
    let start = std::time::Instant::now();
    let out = e4dax().args(args).timeout(limit).output().expect("cannot run e4dax");
    let shown: Vec<String> = args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect();
    assert!(
        start.elapsed() < limit && out.status.code().is_some(),
        "e4dax {shown:?} did not finish within {limit:?} (a hang?)\n{}",
        show(&out)
    );
    out
}

// ---------------------------------------------------------------------------------------------
// The real kernel, in qemu
// ---------------------------------------------------------------------------------------------

/// One boot of the kernel harness: the guest script's exit status and output (stdout), and what
/// the harness and the kernel console printed (stderr: warnings and worse while the script ran,
/// the logs when the harness failed).
#[derive(Debug)]
pub struct KernelRun {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for KernelRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit status: {:?}\n--- guest ---\n{}\n--- harness and kernel console ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The kernel harness `run-kernel.sh` (boots Linux in qemu with an image as its disk or pmem):
/// `$E4DAX_KERNEL_HARNESS`, else `../shared/kernel/run-kernel.sh` beside the project, which is
/// not part of its clone. When it is absent, or qemu is not installed, says "skipping" and
/// returns None, also under `CI`: the kernel check is for machines that have it.
pub fn kernel_harness() -> Option<PathBuf> {
    let harness = match std::env::var_os("E4DAX_KERNEL_HARNESS").filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/kernel/run-kernel.sh"),
    };
    if !harness.is_file() {
        eprintln!("skipping: no kernel harness at {} (set E4DAX_KERNEL_HARNESS)", harness.display());
        return None;
    }
    if find_tool("qemu-system-x86_64").is_none() {
        eprintln!("skipping: qemu-system-x86_64 is not installed (needed by {})", harness.display());
        return None;
    }
    Some(harness)
}

/// `HARNESS [ARGS..] IMAGE SCRIPT`: boots the kernel and runs SCRIPT in the guest; what the
/// kernel writes lands in IMAGE. The harness never installs packages from here, and gets a
/// timeout (300 s) and a cache for the uncompressed kernel unless the environment sets them.
/// Exit 125 is the harness's own failure (qemu cannot run, no boot, a module missing): then
/// says "skipping", shows its logs and returns None. A VM that ran past the timeout (124) fails.
pub fn run_kernel(harness: &Path, image: &Path, script: &Path, args: &[&str]) -> Option<KernelRun> {
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(harness).args(args).arg(image).arg(script).stdin(std::process::Stdio::null());
    let defaults = [
        ("RUN_KERNEL_NO_INSTALL", "1".into()),
        ("RUN_KERNEL_TIMEOUT", "300".into()),
        ("RUN_KERNEL_CACHE", Path::new(env!("CARGO_TARGET_TMPDIR")).join("run-kernel").into_os_string()),
    ];
    for (key, value) in defaults {
        if std::env::var_os(key).is_none() {
            cmd.env(key, value);
        }
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run bash {}: {e}", harness.display()));
    let run = KernelRun {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    match run.code {
        Some(125) => {
            eprintln!("skipping: the kernel harness failed by itself (exit 125):\n{}", run.stderr);
            None
        }
        Some(124) => panic!("the VM ran past RUN_KERNEL_TIMEOUT with {}\n{run}", image.display()),
        _ => Some(run),
    }
}

/// `e4dax ARGS` with one more environment variable.
pub fn e4dax_with_env<S: AsRef<std::ffi::OsStr>>(var: &str, value: &str, args: &[S]) -> Output {
    e4dax().args(args).env(var, value).output().expect("cannot run e4dax")
}

/// `e4dax fsck -f ARGS` with one thread and with three on copies of `image`: what differs
/// (exit code, output with the image's name taken out, or the image after the run), if
/// anything — the check's result must not depend on `--jobs`. `image` is left as it was.
pub fn fsck_jobs_difference(image: &Path, args: &[&str]) -> Option<String> {
    let mode = args.join(" ");
    let runs: Vec<(i32, String, Option<String>)> = ["1", "3"]
        .iter()
        .map(|jobs| {
            let copy = image.with_extension(format!("jobs{jobs}.img"));
            copy_image(image, &copy);
            // A fixed clock: the times a repair writes are the same in both runs.
            let mut all: Vec<&std::ffi::OsStr> = vec!["fsck".as_ref(), "-f".as_ref(), "--jobs".as_ref(), jobs.as_ref()];
            all.extend(args.iter().map(std::ffi::OsStr::new));
            all.push(copy.as_os_str());
            let out = e4dax_with_env("E4DAX_TIME", "1700000000", &all);
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
                .replace(&copy.display().to_string(), "IMAGE");
            let digest = sha256(&copy);
            let _ = std::fs::remove_file(&copy);
            (out.status.code().unwrap_or(-1), text, digest)
        })
        .collect();
    (runs[0] != runs[1]).then(|| {
        format!(
            "fsck {mode} --jobs 1: exit {}, image {:?}\n{}\nfsck {mode} --jobs 3: exit {}, image {:?}\n{}",
            runs[0].0, runs[0].2, runs[0].1, runs[1].0, runs[1].2, runs[1].1
        )
    })
}
