//! `e4dax fsck` takes e2fsck's options with e2fsck's meaning (issue 12): without `-f` a clean
//! file system is not checked (the same "clean" line, the same reasons to force a check), `-a`
//! is `-p`, `-v` prints e2fsck's statistics, `-b` checks with a backup superblock, `-C FD`
//! reports progress, and without `-n`/`-p`/`-y` on a terminal each repair is asked for.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::*;

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `e2fsck ARGS IMAGE`, run from the image's directory with its file name (so that both tools
/// print the same device name).
fn e2fsck(image: &Path, args: &[&str]) -> Output {
    Command::new(tool("e2fsck"))
        .args(args)
        .arg(image.file_name().expect("name"))
        .current_dir(image.parent().expect("dir"))
        .env("LC_ALL", "C")
        .output()
        .expect("run e2fsck")
}

/// `e4dax fsck IMAGE ARGS`, from the image's directory as [`e2fsck`].
fn ours(image: &Path, args: &[&str]) -> Output {
    e4dax()
        .arg("fsck")
        .arg(image.file_name().expect("name"))
        .args(args)
        .current_dir(image.parent().expect("dir"))
        .env("E4DAX_TIME", TIME)
        .output()
        .expect("run e4dax")
}

fn copy(image: &Path, name: &str) -> PathBuf {
    let to = image.with_file_name(name);
    std::fs::copy(image, &to).expect("copy");
    to
}

/// A stock image whose inodes 12 and 13 have wrong link counts (set by debugfs, which leaves
/// the superblock clean).
fn damaged(dir: &Path) -> PathBuf {
    let img = stock_image(dir, "damaged.img", 64 * MIB, UUID_B, &[]);
    debugfs_w(&img, &["write /dev/null f", "write /dev/null g", "sif f links_count 5", "sif g links_count 3"]);
    img
}

#[test]
fn without_f_a_clean_file_system_is_not_checked_as_e2fsck() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = damaged(dir.path());
    // Marked clean: both say so and exit 0 without looking.
    let (theirs, mine) = (e2fsck(&img, &["-n"]), ours(&img, &["-n"]));
    assert_eq!(text(&theirs), "damaged.img: clean, 13/16384 files, 2065/16384 blocks\n");
    assert_eq!((text(&mine), mine.status.code()), (text(&theirs), Some(0)));
    let mine = ours(&img, &["-n", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&mine.stdout).expect("JSON");
    assert_eq!((jbool(&v, "checked"), jbool(&v, "clean")), (false, true));
    // Forced: both find the damage.
    assert_eq!(e2fsck(&img, &["-fn"]).status.code(), Some(4));
    assert_eq!(ours(&img, &["-fn"]).status.code(), Some(4));
    // --data asks for a check e2fsck never makes: it checks a clean file system too.
    assert_eq!(ours(&img, &["-n", "--data"]).status.code(), Some(4));
    // What forces a check without -f, in e2fsck's words.
    for (name, ssv, first_line) in [
        ("state.img", vec!["ssv state 0"], "state.img was not cleanly unmounted, check forced."),
        ("errors.img", vec!["ssv state 3"], "errors.img contains a file system with errors, check forced."),
        (
            "mounts.img",
            vec!["ssv max_mnt_count 3", "ssv mnt_count 4"],
            "mounts.img has been mounted 4 times without being checked, check forced.",
        ),
    ] {
        let img = copy(&img, name);
        debugfs_w(&img, &ssv);
        let theirs = text(&e2fsck(&img, &["-n"]));
        assert_eq!(theirs.lines().next(), Some(first_line), "e2fsck -n {name}");
        let mine = ours(&img, &["-n"]);
        assert_eq!(text(&mine).lines().next(), Some(first_line), "fsck -n {name}");
        assert_eq!(mine.status.code(), Some(4), "{name}: the forced check finds the link counts");
    }
    // A check coming soon is announced as e2fsck does.
    let soon = stock_image(dir.path(), "soon.img", 64 * MIB, UUID_B, &[]);
    debugfs_w(&soon, &["ssv max_mnt_count 5", "ssv mnt_count 2"]);
    let theirs = text(&e2fsck(&soon, &["-n"]));
    assert_eq!(theirs, "soon.img: clean, 11/16384 files, 2065/16384 blocks (check in 3 mounts)\n");
    assert_eq!(text(&ours(&soon, &["-n"])), theirs);
}

#[test]
fn a_is_p_and_v_prints_e2fsck_statistics() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = damaged(dir.path());
    let (a, p) = (copy(&img, "a.img"), copy(&img, "p.img"));
    // (flags may be repeated, as e2fsck's)
    let (ra, rp) = (ours(&a, &["-fa", "-f"]), ours(&p, &["-fp", "-p"]));
    assert_eq!(ra.status.code(), rp.status.code());
    assert_eq!(text(&ra).replace("a.img", "X"), text(&rp).replace("p.img", "X"));
    assert_eq!(read_bytes(&a), read_bytes(&p), "-a and -p leave the same image");
    // The summary line and -v's statistics, on a populated stock image and on ours.
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("d/e")).expect("mkdir");
    write_bytes(&src.join("a"), &pseudo_random(10_000, 3));
    std::fs::hard_link(src.join("a"), src.join("d/hard")).expect("link");
    let sparse = std::fs::File::create(src.join("d/e/sparse")).expect("sparse");
    for i in (0..=40u64).step_by(2) {
        std::os::unix::fs::FileExt::write_all_at(&sparse, &pseudo_random(4096, i), i * 4096).expect("write");
    }
    std::os::unix::fs::symlink("a", src.join("sym")).expect("symlink");
    let populated = stock_image(dir.path(), "pop.img", 64 * MIB, UUID_A, &["-d", s(&src)]);
    let mine = mkfs(dir.path(), "ours.img", "64M", &[]);
    assert!(run_e4dax(&["create", s(&mine), "/x", "--size", "1M"]).status.success());
    assert!(run_e4dax(&["fallocate", s(&mine), "/x", "--offset", "0", "--len", "64K"]).status.success());
    for img in [&populated, &mine] {
        let theirs = text(&e2fsck(img, &["-fn"]));
        let m = ours(img, &["-fn"]);
        assert_eq!((text(&m), m.status.code()), (theirs.lines().last().unwrap_or("").to_string() + "\n", Some(0)));
        let stats = |t: &str| -> String {
            let at = t.find("inodes used").expect("statistics");
            let start = t[..at].rfind('\n').map_or(0, |i| i + 1);
            t[start..].to_string()
        };
        let theirs = text(&e2fsck(img, &["-fnv"]));
        let m = ours(img, &["-fnv"]);
        assert_eq!(stats(&text(&m)), stats(&theirs), "{}: fsck -fnv statistics", img.display());
    }
    let v = text(&ours(&populated, &["-fnv"]));
    assert!(v.contains("Extent depth histogram: ") && v.contains("/1\n"), "a tree of depth 1:\n{v}");
}

#[test]
fn b_checks_and_repairs_with_a_backup_superblock() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = stock_image(dir.path(), "b.img", GIB, UUID_B, &[]);
    let mut bytes = read_bytes(&img);
    bytes[SB_OFFSET..SB_OFFSET + 1024].fill(0xAB); // the primary is gone, magic and all
    write_bytes(&img, &bytes);
    // Without -b, e2fsck searches the backups by itself; e4dax falls back on group 1's only
    // when the primary still has its magic (a known shortfall, outside -b): here -b is needed.
    assert_eq!(e2fsck(&img, &["-fn"]).status.code(), Some(4));
    assert_eq!(ours(&img, &["-fn"]).status.code(), Some(8));
    let theirs = e2fsck(&copy(&img, "theirs.img"), &["-f", "-b", "32768", "-y"]);
    assert!(matches!(theirs.status.code(), Some(0 | 1)), "e2fsck -b 32768 -fy: {}", text(&theirs));
    // Read-only with the backup: the image is left as it is.
    let before = read_bytes(&img);
    let r = ours(&img, &["-f", "-b", "32768", "-n"]);
    assert_eq!(r.status.code(), Some(0), "{}{}", text(&r), String::from_utf8_lossy(&r.stderr));
    assert_unchanged(&img, &before, "fsck -b -n");
    // Writing: the backup becomes the primary; dumpe2fs and e2fsck accept the image again.
    let r = ours(&img, &["-f", "-b", "32768", "-y"]);
    assert!(matches!(r.status.code(), Some(0 | 1)), "{}{}", text(&r), String::from_utf8_lossy(&r.stderr));
    assert_e2fsck_clean(&img);
    assert_eq!(field(&dumpe2fs_h(&img), "Filesystem UUID"), UUID_B);
    // Where there is no superblock.
    let r = ours(&img, &["-f", "-b", "12345", "-n"]);
    assert_eq!(r.status.code(), Some(8));
    assert!(String::from_utf8_lossy(&r.stderr).contains("no valid superblock at block 12345"), "{r:?}");
}

#[test]
fn c_reports_progress_as_e2fsck() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = stock_image(dir.path(), "c.img", GIB, UUID_B, &[]);
    let log = dir.path().join("progress.txt");
    let cmd = format!("exec {} fsck {} -fn -C 5 5>{}", env!("CARGO_BIN_EXE_e4dax"), s(&img), s(&log));
    let out = Command::new("bash").args(["-c", &cmd]).output().expect("bash");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines = std::fs::read_to_string(&log).expect("progress written to fd 5");
    let mut last = (0u64, 0u64);
    let mut passes = std::collections::BTreeSet::new();
    for l in lines.lines() {
        // "PASS DONE TOTAL DEVICE", as e2fsck -C writes.
        let w: Vec<&str> = l.split(' ').collect();
        assert_eq!(w.len(), 4, "{l:?}");
        let n = |i: usize| -> u64 { w[i].parse().unwrap_or_else(|_| panic!("{l:?}")) };
        let (pass, done, total) = (n(0), n(1), n(2));
        assert_eq!(w[3], s(&img));
        assert!((1..=5).contains(&pass) && done <= total, "{l:?}");
        assert!((pass, done) >= last || pass > last.0, "progress goes back: {l:?} after {last:?}");
        last = (pass, done);
        passes.insert(pass);
    }
    assert_eq!(passes.into_iter().collect::<Vec<_>>(), vec![1, 2, 3, 4, 5], "{lines}");
    assert!(lines.contains(&format!("1 8 8 {}", s(&img))), "pass 1 counts the 8 groups:\n{lines}");
    assert!(lines.ends_with(&format!("5 1 1 {}\n", s(&img))), "{lines}");
    // A descriptor that is not open is a usage of -C that fails cleanly.
    let r = ours(&img, &["-fn", "-C", "9"]);
    assert_eq!(r.status.code(), Some(8));
}

#[test]
fn without_n_p_or_y_each_repair_is_asked_on_a_terminal() {
    if !e2fsprogs() {
        return;
    }
    let Some(script) = ["/usr/bin/script", "/bin/script"].into_iter().find(|p| Path::new(p).exists()) else {
        eprintln!("skipping: script(1) is not installed (needed for a pseudo-terminal)");
        return;
    };
    let dir = tempdir();
    let img = damaged(dir.path());
    // Without a terminal: -n's behaviour, the image unchanged.
    let before = read_bytes(&img);
    let r = e4dax().args(["fsck", s(&img), "-f"]).output().expect("fsck");
    assert_eq!(r.status.code(), Some(4));
    assert_unchanged(&img, &before, "fsck -f without a terminal");
    // On a terminal (script(1)'s), with answers typed: no to the first, yes to the second.
    let on_tty = |img: &Path, answers: &str| -> String {
        let cmd = format!("{} fsck {} -f", env!("CARGO_BIN_EXE_e4dax"), s(img));
        let mut child = Command::new(script)
            .args(["-qec", &cmd, "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("script");
        std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), answers.as_bytes()).expect("answers");
        let out = child.wait_with_output().expect("wait");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let one = copy(&img, "one.img");
    let shown = on_tty(&one, "n\ny\n");
    let asked: Vec<&str> = shown.lines().filter(|l| l.contains("Fix<y>? ")).collect();
    assert_eq!(asked.len(), 2, "two questions:\n{shown}");
    // The answer as the prompt echoes it ("no"), or as the terminal echoed the keystroke when
    // it arrived before the prompt on a loaded machine ("n": seen once in CI).
    let said = |l: &str, long: &str| {
        l.ends_with(&format!("Fix<y>? {long}")) || l.ends_with(&format!("Fix<y>? {}", &long[..1]))
    };
    assert!(said(asked[0], "no") && said(asked[1], "yes"), "{asked:?}");
    assert!(shown.contains("(errors left uncorrected)"), "{shown}");
    // The one answered yes is fixed: e2fsck finds only the other.
    let left = text(&e2fsck(&one, &["-fn"]));
    assert_eq!(left.matches("ref count is").count(), 1, "{left}");
    // "a": yes to this and every later question.
    let all = copy(&img, "all.img");
    let shown = on_tty(&all, "a\n");
    assert_eq!(shown.matches("Fix<y>? ").count(), 1, "asked once:\n{shown}");
    assert!(shown.contains("(errors fixed)"), "{shown}");
    assert_e2fsck_clean(&all);
}
