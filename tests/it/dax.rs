//! The DAX fault path from the shell, judged by e2fsprogs and by what a reader sees: every policy
//! × read/write × target (hole, unwritten, written) × shared/private completes with the right
//! contents, extents and a clean `e2fsck -fn`; the seed's scenario (`--stop-after` each step of
//! the unwritten policy leaves the extent unwritten, zeros readable, replay clean); the injected
//! bugs show stale data exactly where DESIGN §4 says, and nowhere else; the lock-rank checker
//! names the inversion; ENOSPC retries after a forced commit; private faults and faults past EOF
//! leave the image byte-identical. (That `ext2` never touches the journal and fences its zeroing
//! in the fault context before the link is written, and that recording and mapped devices give
//! the same image, is checked on the library's traces in `src/dax/tests.rs`; fidelity to Linux
//! for `zeroed` in `dax_kernel.rs`.)

use std::path::{Path, PathBuf};

use crate::common::*;

const POLICIES: [&str; 3] = ["ext2", "unwritten", "zeroed"];

fn ok(args: &[&str]) -> String {
    let out = run_e4dax(args);
    assert!(
        out.status.success(),
        "e4dax {args:?} failed ({:?})\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The first `len` bytes of `/f`.
fn read_file(img: &Path, path: &str, len: u64) -> Vec<u8> {
    let out = run_e4dax(&["read", s(img), path, "--len", &len.to_string()]);
    assert!(out.status.success(), "read failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn check_stale_code(img: &Path, path: &str) -> Option<i32> {
    run_e4dax(&["read", s(img), path, "--check-stale"]).status.code()
}

fn copy(from: &Path, dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(from, &to).expect("copy image");
    to
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// A poisoned image with `/f` of 16 KiB whose block 0 is a hole, unwritten, or written with
/// "OLD!" repeated.
fn target_image(dir: &Path, target: &str) -> PathBuf {
    let img = mkfs(dir, &format!("{target}.img"), "32M", &["--poison"]);
    ok(&["create", s(&img), "/f", "--size", "16K"]);
    match target {
        "hole" => {}
        "unwritten" => {
            ok(&["fallocate", s(&img), "/f", "--offset", "0", "--len", "16K"]);
        }
        "written" => {
            ok(&["write", s(&img), "/f", "--offset", "0", "--pattern", "OLD!", "--len", "4096"]);
        }
        _ => unreachable!(),
    }
    img
}

#[test]
fn matrix_policy_access_target_mapping() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let mut cases = 0;
    for target in ["hole", "unwritten", "written"] {
        let base = target_image(dir.path(), target);
        assert_e2fsck_clean(&base);
        let before_extents = e4dax_leaf_extents(&base, "/f");
        let old: Vec<u8> = if target == "written" { b"OLD!".repeat(1024) } else { vec![0; 4096] };
        assert_eq!(read_file(&base, "/f", 4096), old, "{target}: setup");
        for policy in POLICIES {
            for (access, private) in [("--read", false), ("--write", false), ("--write", true)] {
                let what = format!("{policy} {access} private={private} on {target}");
                let img = copy(&base, dir.path(), "case.img");
                let before = read_bytes(&img);
                let mut args = vec!["fault", s(&img), "/f", "--offset", "0", access, "--policy", policy, "--json"];
                if access == "--write" {
                    args.extend(["--pattern", "DATA"]);
                }
                if private {
                    args.push("--private");
                }
                let out = json(&ok(&args));
                let expect = if access == "--write" && !private {
                    let mut v = old.clone();
                    v[..4].copy_from_slice(b"DATA");
                    v
                } else {
                    old.clone()
                };
                assert_eq!(read_file(&img, "/f", 4096), expect, "{what}: contents");
                if access == "--read" || private {
                    // Nothing allocated or converted: a read fault or a private write leaves the
                    // image byte for byte as it was.
                    assert_eq!(e4dax_leaf_extents(&img, "/f"), before_extents, "{what}: extents");
                    assert_unchanged(&img, &before, &what);
                    assert_eq!(out["stats"]["blocks_allocated"], 0, "{what}");
                } else {
                    // What the policy implies: a hole gets one written block; an unwritten
                    // extent (4 blocks) is converted whole by `zeroed` (its tail of 3 is zeroed
                    // out, as Linux 6.1) and split exactly by `unwritten` and `ext2`.
                    let ext = e4dax_leaf_extents(&img, "/f");
                    let got: Vec<(u64, u64, bool)> =
                        ext.iter().map(|e| (e.logical_start, e.logical_end, e.unwritten)).collect();
                    let want: &[(u64, u64, bool)] = match (target, policy) {
                        ("unwritten", "zeroed") => &[(0, 3, false)],
                        ("unwritten", _) => &[(0, 0, false), (1, 3, true)],
                        _ => &[(0, 0, false)],
                    };
                    assert_eq!(got, want, "{what}: extents");
                    assert_eq!(
                        out["stats"]["blocks_allocated"],
                        u64::from(target == "hole"),
                        "{what}: only a hole allocates"
                    );
                    assert_same_leaf_extents(&img, "/f");
                    let major = out["stats"]["major_faults"].as_u64().unwrap();
                    assert_eq!(major, u64::from(target != "written"), "{what}: major faults");
                    assert_eq!(out["stats"]["get_block_calls"], 1, "{what}: one get-block per fault");
                }
                assert_eq!(check_stale_code(&img, "/f"), Some(0), "{what}: no reader may see poison");
                assert_e2fsck_clean(&img);
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 27);
}

#[test]
fn seed_scenario_unwritten_stop_after_each_step() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let base = mkfs(dir.path(), "seed.img", "64M", &["--poison"]);
    ok(&["create", s(&base), "/data", "--size", "1M"]);
    ok(&["fallocate", s(&base), "/data", "--offset", "0", "--len", "1M"]);
    for step in ["get-block", "zero-block", "insert-mapping", "convert-unwritten"] {
        let img = copy(&base, dir.path(), "step.img");
        let before = read_bytes(&img);
        let out = json(&ok(&[
            "fault",
            s(&img),
            "/data",
            "--offset",
            "0",
            "--write",
            "--policy",
            "unwritten",
            "--pattern",
            "DATA",
            "--stop-after",
            step,
            "--json",
        ]));
        assert_eq!(out["stopped_after"], step);
        assert_eq!(out["reader_sees"], "Zeros", "{step}: {out:#}");
        let ext = e4dax_leaf_extents(&img, "/data");
        assert!(ext.iter().all(|e| e.unwritten), "{step}: the conversion never committed: {ext:?}");
        assert_eq!(read_file(&img, "/data", 4096), vec![0; 4096], "{step}: reads zeros");
        // Nothing of the running transaction reached the image (it was lost with the cache).
        assert_unchanged(&img, &before, step);
        ok(&["journal-replay", s(&img)]);
        assert_e2fsck_clean(&img);
    }
    let img = copy(&base, dir.path(), "full.img");
    ok(&["fault", s(&img), "/data", "--offset", "0", "--write", "--policy", "unwritten", "--pattern", "DATA"]);
    let ext = e4dax_leaf_extents(&img, "/data");
    assert!(ext.iter().any(|e| e.logical_start == 0 && e.length == 1 && !e.unwritten), "exact 1->2 split: {ext:?}");
    assert_same_leaf_extents(&img, "/data");
    assert_eq!(&read_file(&img, "/data", 4)[..], b"DATA");
    assert_e2fsck_clean(&img);
}

#[test]
fn zeroed_stop_after_get_block_shows_a_written_zeroed_block() {
    let dir = tempdir();
    let img = mkfs(dir.path(), "z.img", "32M", &["--poison"]);
    ok(&["create", s(&img), "/f", "--size", "4K"]);
    let out = json(&ok(&[
        "fault",
        s(&img),
        "/f",
        "--offset",
        "0",
        "--write",
        "--pattern",
        "DATA",
        "--stop-after",
        "get-block",
        "--json",
    ]));
    let extents = out["stop"]["extents"].as_array().unwrap();
    assert_eq!(extents.len(), 1, "{out:#}");
    assert_eq!(extents[0]["unwritten"], false, "in flight the extent is written: {out:#}");
    assert_eq!(out["block_on_image"][1], "Zeros", "the zeroing was fenced: {out:#}");
    assert_eq!(out["stats"]["blocks_zeroed"], 1);
    // The same facts, printed.
    let img = mkfs(dir.path(), "z2.img", "32M", &["--poison"]);
    ok(&["create", s(&img), "/f", "--size", "4K"]);
    let text =
        ok(&["fault", s(&img), "/f", "--offset", "0", "--write", "--pattern", "DATA", "--stop-after", "get-block"]);
    assert!(text.contains("stopped after get-block"), "{text}");
    assert!(text.lines().any(|l| l.contains("0-0") && l.contains("written") && !l.contains("unwritten")), "{text}");
    assert!(text.contains("holds: zeros"), "{text}");
}

#[test]
fn skip_zero_exposes_poison_to_readers_and_fsck_data() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    for policy in ["unwritten", "zeroed"] {
        let img = mkfs(dir.path(), &format!("{policy}.img"), "32M", &["--poison"]);
        ok(&["create", s(&img), "/f", "--size", "8K"]);
        let out = json(&ok(&[
            "fault",
            s(&img),
            "/f",
            "--offset",
            "0",
            "--write",
            "--policy",
            policy,
            "--inject",
            "skip-zero",
            "--pattern",
            "DATA",
            "--race-read-after",
            "get-block",
            "--json",
        ]));
        if policy == "zeroed" {
            // get-block converted the block with its stale contents: a direct read sees them.
            assert_eq!(out["races"][0]["seen"], "Poison", "{out:#}");
        } else {
            // The unwritten policy converts only at convert-unwritten: at get-block the extent is
            // still unwritten and reads as zeros.
            assert_eq!(out["races"][0]["seen"], "Zeros", "{out:#}");
        }
        assert_eq!(out["reader_sees"], "Poison", "{policy}: {out:#}");
        assert_eq!(check_stale_code(&img, "/f"), Some(1), "{policy}: read --check-stale finds the poison");
        let fsck = run_e4dax(&["fsck", "-n", "--data", s(&img)]);
        assert_ne!(fsck.status.code(), Some(0), "{policy}: fsck -n --data reports the stale data");
        assert!(String::from_utf8_lossy(&fsck.stdout).to_lowercase().contains("stale"), "{policy}");
        assert_e2fsck_clean(&img);
    }
    // unwritten + skip-zero: the reader right after convert-unwritten sees the poison.
    let img = mkfs(dir.path(), "u2.img", "32M", &["--poison"]);
    ok(&["create", s(&img), "/f", "--size", "8K"]);
    let out = json(&ok(&[
        "fault",
        s(&img),
        "/f",
        "--offset",
        "0",
        "--write",
        "--policy",
        "unwritten",
        "--inject",
        "skip-zero",
        "--race-read-after",
        "convert-unwritten",
        "--json",
    ]));
    assert_eq!(out["races"][0]["seen"], "Poison", "{out:#}");
    // Without an injection no reader ever sees poison, after any step, in a hole or in an
    // unwritten extent.
    for (policy, target) in POLICIES.iter().flat_map(|p| [(*p, "hole"), (*p, "unwritten")]) {
        for step in ["get-block", "zero-block", "insert-mapping", "convert-unwritten", "user-store"] {
            let img = mkfs(dir.path(), "clean.img", "32M", &["--poison", "--force"]);
            ok(&["create", s(&img), "/f", "--size", "8K"]);
            if target == "unwritten" {
                ok(&["fallocate", s(&img), "/f", "--offset", "0", "--len", "8K"]);
            }
            let out = json(&ok(&[
                "fault",
                s(&img),
                "/f",
                "--offset",
                "0",
                "--write",
                "--policy",
                policy,
                "--pattern",
                "DATA",
                "--race-read-after",
                step,
                "--json",
            ]));
            let seen = &out["races"][0]["seen"];
            if step == "user-store" {
                assert_eq!(seen, "Data", "{policy} on {target}: the store is visible: {out:#}");
            } else {
                assert!(seen == "Zeros" || seen == "Blocked", "{policy} on {target} after {step}: {out:#}");
            }
            assert_eq!(out["reader_sees"], "Data", "{policy} on {target}: afterwards the stored data");
            assert_eq!(check_stale_code(&img, "/f"), Some(0), "{policy} on {target}");
        }
    }
}

/// `--stop-after commit` after a bare fault: what the durable state shows after replay.
fn stale_after_commit(dir: &Path, policy: &str, extra: &[&str]) -> bool {
    let img = mkfs(dir, "w.img", "32M", &["--poison", "--force"]);
    ok(&["create", s(&img), "/f", "--size", "4K"]);
    let mut args = vec!["fault", s(&img), "/f", "--offset", "0", "--write", "--policy", policy, "--pattern", "DATA"];
    args.extend(["--stop-after", "commit"]);
    args.extend(extra);
    ok(&args);
    ok(&["journal-replay", s(&img)]);
    assert_e2fsck_clean(&img);
    match check_stale_code(&img, "/f") {
        Some(0) => false,
        Some(1) => true,
        other => panic!("read --check-stale: {other:?}"),
    }
}

#[test]
fn the_window_between_fault_and_msync() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    assert!(stale_after_commit(d, "zeroed", &["--inject", "no-fence"]), "zeroed + no-fence exposes poison");
    assert!(!stale_after_commit(d, "zeroed", &[]), "zeroed is safe");
    assert!(!stale_after_commit(d, "zeroed", &["--inject", "no-fence", "--msync"]), "msync drains the zeroing");
    assert!(stale_after_commit(d, "unwritten", &["--inject", "no-ordered"]), "unwritten + no-ordered exposes poison");
    assert!(!stale_after_commit(d, "unwritten", &[]), "unwritten is safe: the ordered flush");
    assert!(!stale_after_commit(d, "zeroed", &["--inject", "no-ordered"]), "zeroed does not need ordered mode");
}

#[test]
fn lock_inversion_is_named_and_nothing_else_trips_the_checker() {
    let dir = tempdir();
    let img = mkfs(dir.path(), "l.img", "32M", &[]);
    ok(&["create", s(&img), "/f", "--size", "4K"]);
    let out = run_e4dax(&["fault", s(&img), "/f", "--offset", "0", "--write", "--inject", "lock-inversion"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("journal handle") && err.contains("mapping entry lock"), "{err}");
    for policy in POLICIES {
        for access in ["--read", "--write"] {
            let img = mkfs(dir.path(), "l2.img", "32M", &["--force"]);
            ok(&["create", s(&img), "/f", "--size", "8K"]);
            ok(&["fallocate", s(&img), "/f", "--offset", "4K", "--len", "4K"]);
            for off in ["0", "4096"] {
                let v = json(&ok(&["fault", s(&img), "/f", "--offset", off, access, "--policy", policy, "--json"]));
                assert_eq!(v["lock_violations"].as_array().map(Vec::len), Some(0), "{policy} {access}: {v:#}");
            }
        }
    }
}

#[test]
fn enospc_retries_after_a_forced_commit() {
    let dir = tempdir();
    let img = mkfs(dir.path(), "full.img", "16M", &[]);
    ok(&["create", s(&img), "/b", "--size", "4K"]);
    ok(&["create", s(&img), "/a"]);
    ok(&["create", s(&img), "/c"]);
    // Fill the file system: most of it in /a, the rest in /c.
    let free = |img: &Path| ju64(&inspect_json(img, "super"), "free_blocks");
    let f = free(&img);
    ok(&["fallocate", s(&img), "/a", "--offset", "0", "--len", &((f - 16) * 4096).to_string()]);
    let f = free(&img);
    ok(&["fallocate", s(&img), "/c", "--offset", "0", "--len", &(f * 4096).to_string()]);
    assert_eq!(free(&img), 0, "the image is full");
    let wl = dir.path().join("wl.txt");
    std::fs::write(&wl, "punch /a --offset 0 --len 64K\nfault /b --offset 0 --write --pattern X\n").unwrap();
    let full = copy(&img, dir.path(), "retry.img");
    let v = json(&ok(&["run", s(&full), s(&wl), "--trace", "--json"]));
    assert_eq!(v["stats"]["enospc_retries"], 1, "{v:#}");
    let rows = v["rows"].as_array().unwrap();
    let pos = |pred: &dyn Fn(&serde_json::Value) -> bool| rows.iter().position(pred);
    let enospc = pos(&|r| r["note"].as_str().unwrap_or("").contains("ENOSPC")).expect("an ENOSPC row");
    let commit = pos(&|r| r["step"] == "commit" && r["note"].as_str().unwrap_or("").contains("forced"))
        .expect("a forced commit");
    let retry = pos(&|r| r["note"].as_str().unwrap_or("").contains("retry 1 succeeded")).expect("the retry");
    assert!(enospc < commit && commit < retry, "{rows:#?}");
    assert_eq!(rows[commit]["context"], "jbd2", "the forced commit is jbd2's: {rows:#?}");
    assert_eq!(&read_file(&full, "/b", 1)[..], b"X");
    if e2fsprogs() {
        assert_e2fsck_clean(&full);
    }
    // Nothing to free: a clear ENOSPC error, the image unchanged.
    let before = read_bytes(&img);
    let out = run_e4dax(&["fault", s(&img), "/b", "--offset", "0", "--write"]);
    let line = assert_runtime_error(&out, "fault on a full image");
    assert!(line.contains("no space left"), "{line}");
    assert_unchanged(&img, &before, "ENOSPC");
}

#[test]
fn private_faults_and_faults_past_eof_leave_the_image_unchanged() {
    let dir = tempdir();
    let img = mkfs(dir.path(), "p.img", "32M", &["--poison"]);
    ok(&["create", s(&img), "/f", "--size", "6K"]);
    let sum = sha256(&img);
    ok(&["fault", s(&img), "/f", "--offset", "0", "--write", "--private", "--pattern", "DATA"]);
    assert_eq!(sha256(&img), sum, "private write fault");
    let before = read_bytes(&img);
    // i_size 6K rounds up to 8K: a fault at 8K is past the end.
    for (off, len) in [("8192", "1"), ("4096", "8192"), ("1G", "1")] {
        let out = run_e4dax(&["fault", s(&img), "/f", "--offset", off, "--len", len, "--write"]);
        let line = assert_runtime_error(&out, "fault past EOF");
        assert!(line.contains("SIGBUS"), "{line}");
        assert_unchanged(&img, &before, "fault past EOF");
    }
    // Inside the last partial page is fine.
    ok(&["fault", s(&img), "/f", "--offset", "7000", "--write", "--pattern", "Z"]);
}

#[test]
fn write_and_truncate() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    for policy in POLICIES {
        let img = mkfs(dir.path(), "wt.img", "32M", &["--poison", "--force"]);
        ok(&["create", s(&img), "/f"]);
        ok(&["write", s(&img), "/f", "--offset", "100", "--pattern", "abc", "--len", "10000", "--policy", policy]);
        let got = read_file(&img, "/f", 20000);
        assert_eq!(got.len(), 10100, "{policy}: i_size grew to the end of the write");
        assert_eq!(&got[..100], &[0; 100][..]);
        assert_eq!(&got[100..], &b"abc".repeat(4000)[..10000]);
        assert_eq!(check_stale_code(&img, "/f"), Some(0), "{policy}");
        assert_e2fsck_clean(&img);
        ok(&["truncate", s(&img), "/f", "--size", "5000"]);
        assert_eq!(read_file(&img, "/f", 20000), got[..5000].to_vec());
        ok(&["truncate", s(&img), "/f", "--size", "12000"]);
        let grown = read_file(&img, "/f", 20000);
        assert_eq!(&grown[..5000], &got[..5000]);
        assert_eq!(&grown[5000..], &vec![0; 7000][..], "{policy}: growing adds zeros, not the old bytes");
        assert_same_leaf_extents(&img, "/f");
        assert_e2fsck_clean(&img);
    }
}
