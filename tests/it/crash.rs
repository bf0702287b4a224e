//! `e4dax crash` from the shell: the canonical workloads of DESIGN §4 under every policy and
//! known bug, the reproducers it saves (real for `read --check-stale`, clean for `e2fsck -fn`,
//! rebuilt bit for bit by `crash replay`), the ENOSPC and multi-file workloads, shards and their
//! merge, the timeline, and `demo`.

use std::path::{Path, PathBuf};

use crate::common::{e2fsprogs, inspect_json, ju64, mkfs, run_e4dax, sha256, tempdir, tool};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `e4dax crash ARGS --json`: exit code and report.
fn crash(args: &[&str]) -> (i32, serde_json::Value) {
    let mut a = vec!["crash"];
    a.extend(args);
    a.push("--json");
    let out = run_e4dax(&a);
    let code = out.status.code().unwrap_or(-1);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("crash {args:?}: exit {code}, no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr))
    });
    (code, v)
}

fn ok(args: &[&str]) {
    let out = run_e4dax(args);
    assert!(out.status.success(), "e4dax {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// DESIGN §4's expected outcomes: policy, injection, stale data expected.
const CONFIGS: [(&str, Option<&str>, bool); 9] = [
    ("ext2", None, false),
    ("unwritten", None, false),
    ("zeroed", None, false),
    ("zeroed", Some("no-ordered"), false),
    ("unwritten", Some("skip-zero"), true),
    ("zeroed", Some("skip-zero"), true),
    ("ext2", Some("no-fence"), true),
    ("zeroed", Some("no-fence"), true),
    ("unwritten", Some("no-ordered"), true),
];

fn classes(v: &serde_json::Value) -> Vec<String> {
    v["found"].as_array().unwrap().iter().map(|f| f["class"].as_str().unwrap().to_string()).collect()
}

/// Every saved stale-data reproducer is real: `read --check-stale` finds the poison where
/// `e2fsck -fn` calls the image clean, and `crash replay` rebuilds it bit for bit.
fn check_reproducers(v: &serde_json::Value, dir: &Path, what: &str) -> usize {
    let mut n = 0;
    for f in v["found"].as_array().unwrap() {
        if f["class"] != "stale-data" {
            continue;
        }
        let d = PathBuf::from(f["saved"].as_str().unwrap_or_else(|| panic!("{what}: not saved: {f}")));
        let img = d.join("crash.img");
        let out = run_e4dax(&["read", s(&img), "/f", "--check-stale"]);
        assert_eq!(out.status.code(), Some(1), "{what}: read --check-stale on {}", img.display());
        if e2fsprogs() {
            let e = std::process::Command::new(tool("e2fsck")).args(["-fn", s(&img)]).output().unwrap();
            assert_eq!(
                e.status.code(),
                Some(0),
                "{what}: e2fsck -fn {}: {}",
                img.display(),
                String::from_utf8_lossy(&e.stdout)
            );
        }
        let state: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("state.json")).unwrap()).unwrap();
        let again = dir.join("again.img");
        ok(&["crash", "replay", s(&d.join("state.json")), s(&again)]);
        let sha = sha256(&img).expect("sha256sum");
        assert_eq!(sha256(&again).as_deref(), Some(sha.as_str()), "{what}: crash replay");
        assert_eq!(state["image_sha256"].as_str(), Some(sha.as_str()), "{what}: state.json names the image");
        n += 1;
    }
    n
}

#[test]
fn canonical_workloads_under_every_policy_and_bug() {
    let dir = tempdir();
    let img = mkfs(dir.path(), "pm.img", "16M", &["--poison"]);
    for wl in ["fault-into-hole.wl", "fault-into-unwritten.wl"] {
        for (policy, inject, stale) in CONFIGS {
            let what = format!("{wl} {policy}{}", inject.map(|i| format!("+{i}")).unwrap_or_default());
            let save = dir.path().join(what.replace([' ', '+', '.'], "_"));
            let wlp = data(wl);
            let mut a = vec![
                s(&img),
                s(&wlp),
                "--policy",
                policy,
                "--max-states",
                "512",
                "--save",
                s(&save),
                "--time",
                "1700000000",
            ];
            if let Some(i) = inject {
                a.extend(["--inject", i]);
            }
            let (code, v) = crash(&a);
            let found = classes(&v);
            if stale {
                assert_eq!(code, 4, "{what}: {v:#}");
                assert!(found.iter().any(|c| c == "stale-data"), "{what}: {found:?}");
                assert!(check_reproducers(&v, dir.path(), &what) > 0, "{what}");
            } else {
                assert_eq!(code, 0, "{what}: {found:?} {:#}", v["found"]);
                assert_eq!(ju64(&v, "violations"), 0, "{what}");
                assert_eq!(ju64(&v, "points_sampled"), 0, "{what}: every state decided");
                assert_eq!(v["states_covered"], v["states_total"], "{what}: every state decided");
            }
            assert!(ju64(&v, "states_checked") > 0 && ju64(&v, "points_checked") > 10, "{what}");
        }
    }
}

#[test]
fn enospc_retry_and_multi_file_workloads_are_safe() {
    let dir = tempdir();
    let img = mkfs(dir.path(), "full.img", "16M", &["--poison"]);
    ok(&["create", s(&img), "/b", "--size", "4K"]);
    ok(&["create", s(&img), "/a"]);
    ok(&["create", s(&img), "/c"]);
    let free = |img: &Path| ju64(&inspect_json(img, "super"), "free_blocks");
    let f = free(&img);
    ok(&["fallocate", s(&img), "/a", "--offset", "0", "--len", &((f - 16) * 4096).to_string()]);
    let f = free(&img);
    ok(&["fallocate", s(&img), "/c", "--offset", "0", "--len", &(f * 4096).to_string()]);
    assert_eq!(free(&img), 0);
    let wl = data("enospc-retry.wl");
    for policy in ["zeroed", "unwritten"] {
        let (code, v) = crash(&[s(&img), s(&wl), "--policy", policy, "--max-states", "256"]);
        assert_eq!(code, 0, "enospc {policy}: {:#}", v["found"]);
        assert!(ju64(&v, "points_checked") > 20);
    }
    let img2 = mkfs(dir.path(), "multi.img", "16M", &["--poison"]);
    for policy in ["zeroed", "unwritten"] {
        let (code, v) = crash(&[s(&img2), s(&data("multi-file.wl")), "--policy", policy, "--max-states", "256"]);
        assert_eq!(code, 0, "multi-file {policy}: {:#}", v["found"]);
        assert!(ju64(&v, "points_checked") > 100, "multi-file {policy}");
    }
}

#[test]
fn shards_merge_into_the_unsharded_totals() {
    let dir = tempdir();
    let img = mkfs(dir.path(), "pm.img", "16M", &["--poison"]);
    let wl = data("fault-into-hole.wl");
    let common =
        [s(&img), s(&wl), "--policy", "zeroed", "--inject", "no-fence", "--max-states", "64", "--time", "1700000000"];
    let (code, whole) = crash(&common);
    assert_eq!(code, 4);
    let mut files = Vec::new();
    for k in 1..=4 {
        let shard = format!("{k}/4");
        let mut a = common.to_vec();
        a.extend(["--shard", &shard]);
        let (_, v) = crash(&a);
        let p = dir.path().join(format!("shard{k}.json"));
        std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
        files.push(p);
    }
    let mut a = vec!["crash", "merge"];
    a.extend(files.iter().map(|p| s(p)));
    a.push("--json");
    let out = run_e4dax(&a);
    assert_eq!(out.status.code(), Some(4));
    let merged: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "points_checked",
        "states_total",
        "states_covered",
        "states_checked",
        "states_distinct",
        "violations",
        "by_class",
        "by_step",
    ] {
        assert_eq!(merged[key], whole[key], "{key}");
    }
    assert_eq!(merged["shard"], serde_json::Value::Null);
    // Three of four: still a shard; a shard twice: refused.
    let out = run_e4dax(&["crash", "merge", s(&files[0]), s(&files[0])]);
    assert!(!out.status.success());
}

#[test]
fn svg_timeline_and_text_report() {
    let dir = tempdir();
    let img = mkfs(dir.path(), "pm.img", "16M", &["--poison"]);
    let svg = dir.path().join("t.svg");
    let out = run_e4dax(&[
        "crash",
        s(&img),
        s(&data("fault-into-hole.wl")),
        "--policy",
        "unwritten",
        "--inject",
        "skip-zero",
        "--svg",
        s(&svg),
    ]);
    assert_eq!(out.status.code(), Some(4));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in ["persistence model", "stale-data at crash point", "states/s", "convert-unwritten"] {
        assert!(text.contains(want), "{want}: {text}");
    }
    let pic = std::fs::read_to_string(&svg).unwrap();
    assert!(pic.starts_with("<svg") && pic.contains("#e53935") && pic.contains("jbd2") && pic.contains(">commit<"));
    // The image is never written.
    let before = sha256(&img);
    let _ = run_e4dax(&["crash", s(&img), s(&data("fault-into-hole.wl"))]);
    assert_eq!(sha256(&img), before);
    // --at-step limits the points; bad input is one line.
    let (_, v) = crash(&[s(&img), s(&data("fault-into-hole.wl")), "--at-step", "commit"]);
    assert!(v["points"].as_array().unwrap().iter().all(|p| p["step"] == "commit"));
    let out = run_e4dax(&["crash", s(&img), s(&data("fault-into-hole.wl")), "--shard", "5/4"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}

#[test]
fn demo_prints_its_table() {
    let dir = tempdir();
    let out = run_e4dax(&["demo", "--dir", s(&dir.path().join("d")), "--max-states", "64"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("┆ yes ").count(), 9, "{text}");
    assert!(dir.path().join("d/zeroed+no-fence.svg").exists());
}

#[test]
fn minimize_word8_and_jobs() {
    let dir = tempdir();
    let img = mkfs(dir.path(), "pm.img", "16M", &["--poison"]);
    let wl = data("fault-into-hole.wl");
    let base =
        [s(&img), s(&wl), "--policy", "zeroed", "--inject", "no-fence", "--max-states", "128", "--time", "1700000000"];
    // --minimize: fewer persisted lines, still stale data, still rebuilt bit for bit.
    let save = dir.path().join("min");
    let mut a = base.to_vec();
    a.extend(["--save", s(&save), "--minimize"]);
    let (code, v) = crash(&a);
    assert_eq!(code, 4);
    for f in v["found"].as_array().unwrap() {
        let before = f["persisted_before_minimize"].as_u64().expect("minimized");
        let after = f["persisted"].as_array().unwrap().len() as u64;
        assert!(after <= before, "{f}");
        assert_eq!(f["class"], "stale-data");
    }
    assert!(check_reproducers(&v, dir.path(), "minimized") > 0);
    // One thread or two: the same report.
    let (_, one) = crash(&[&base[..], &["--jobs", "1"]].concat());
    let (_, two) = crash(&[&base[..], &["--jobs", "2"]].concat());
    for key in [
        "states_total",
        "states_covered",
        "states_checked",
        "states_distinct",
        "violations",
        "by_class",
        "by_step",
        "found",
    ] {
        assert_eq!(one[key], two[key], "{key}");
    }
    // Torn 8-byte words: more states than whole lines, the same verdict.
    let (code, w8) = crash(&[&base[..], &["--granularity", "word8"]].concat());
    assert_eq!(code, 4);
    assert_eq!(w8["granularity"], "word8");
    assert!(w8["model"].as_str().unwrap().contains("8-byte"));
    let count = |v: &serde_json::Value| v["states_total"].as_str().unwrap().len();
    assert!(count(&w8) >= count(&one), "word8 {} vs line {}", w8["states_total"], one["states_total"]);
}
