//! The command line's conventions (issue 12): flags only where they apply, a directory given as
//! the image named as such by every command, errors as JSON with `--json`, `read --json`,
//! `<INO>` wherever a path is taken, no progress bar where nothing is to be done, tables that
//! fit the terminal without breaking a number.

use std::path::Path;
use std::process::Output;

use crate::common::*;

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The long options `e4dax SUBCOMMAND.. --help` lists.
fn help_options(sub: &[&str]) -> Vec<String> {
    let mut args = sub.to_vec();
    args.push("--help");
    let out = run_e4dax(&args);
    assert_eq!(out.status.code(), Some(0), "e4dax {args:?}\n{}", stderr(&out));
    stdout(&out)
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("--"))
        .map(|w| w.trim_end_matches([',', '.', ')']).split(['=', '[', '<']).next().unwrap_or("").to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

#[test]
fn write_flags_appear_only_on_the_commands_they_apply_to() {
    // (command, takes --time, takes --no-checkpoint)
    let commands: &[(&[&str], bool, bool)] = &[
        (&["mkfs"], true, false),
        (&["create"], true, true),
        (&["fallocate"], true, true),
        (&["punch"], true, true),
        (&["rm"], true, true),
        (&["truncate"], true, true),
        (&["fault"], true, true),
        (&["write"], true, true),
        (&["msync"], true, true),
        (&["run"], true, true),
        (&["fsck"], true, false),
        (&["crash"], true, false),
        (&["demo"], true, false),
        (&["ls"], false, false),
        (&["read"], false, false),
        (&["journal-replay"], false, false),
        (&["inspect"], false, false),
        (&["inspect", "x", "super"], false, false),
        (&["crash", "replay"], false, false),
        (&["crash", "merge"], false, false),
    ];
    let mut wrong = Vec::new();
    for (cmd, time, no_checkpoint) in commands {
        let opts = help_options(cmd);
        if opts.contains(&"time".to_string()) != *time {
            wrong.push(format!("{cmd:?}: --time listed: {}, expected {time}", !time));
        }
        if opts.contains(&"no-checkpoint".to_string()) != *no_checkpoint {
            wrong.push(format!("{cmd:?}: --no-checkpoint listed: {}, expected {no_checkpoint}", !no_checkpoint));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let top = help_options(&[]);
    assert!(!top.contains(&"time".to_string()) && !top.contains(&"no-checkpoint".to_string()), "e4dax --help: {top:?}");
    assert!(help_options(&["fallocate"]).contains(&"keep-size".to_string()));
    assert!(!help_options(&["punch"]).contains(&"keep-size".to_string()), "punch --help lists --keep-size");
    let out = run_e4dax(&["punch", "x.img", "/f", "--offset", "0", "--len", "4K", "--keep-size"]);
    assert_eq!(out.status.code(), Some(2), "punch --keep-size is a usage error\n{}", stderr(&out));
}

#[test]
fn write_flags_before_the_command_apply_to_writers_only() {
    let dir = tempdir();
    let img = mkfs(dir.path(), "a.img", "32M", &[]);
    // Before a writing command they are its own (compatibility with the old global flags).
    let out = run_e4dax(&["--no-checkpoint", "--time", "1700000123", "create", s(&img), "/f"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let journal = inspect_json(&img, "journal");
    assert!(
        !jget(&journal, "blocks").as_array().expect("blocks").is_empty(),
        "--no-checkpoint left no log: {journal:#}"
    );
    // (ls replays the log in memory, as mount would; inspect shows the image as it is.)
    let out = run_e4dax(&["ls", s(&img), "/", "-l", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("ls -l --json");
    let f = v.as_array().expect("entries").iter().find(|e| jstr(e, "name") == "f").expect("/f listed").clone();
    assert_eq!(ju64(&f, "mtime"), 1_700_000_123, "--time before create: {v:#}");
    // Before a command that writes nothing they are usage errors, named.
    for (flag, msg) in [
        (vec!["--no-checkpoint"], "e4dax: --no-checkpoint: this command writes nothing through the journal\n"),
        (vec!["--time", "5"], "e4dax: --time: this command writes no timestamps\n"),
    ] {
        let mut args = flag.clone();
        args.extend(["ls", s(&img)]);
        let out = run_e4dax(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&out), msg, "{args:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_directory_as_image_is_named_by_every_command() {
    let dir = tempdir();
    let d = dir.path().join("imgdir");
    std::fs::create_dir(&d).expect("mkdir");
    let wl = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fault-into-hole.wl");
    let st = dir.path().join("state.json");
    write_bytes(&st, b"{}");
    let d = s(&d);
    let cases: Vec<(Vec<&str>, &str, i32)> = vec![
        (vec!["mkfs", d, "--size", "32M"], "mkfs", 1),
        (vec!["create", d, "/f"], "create", 1),
        (vec!["fallocate", d, "/f", "--offset", "0", "--len", "4K"], "fallocate", 1),
        (vec!["punch", d, "/f", "--offset", "0", "--len", "4K"], "punch", 1),
        (vec!["rm", d, "/f"], "rm", 1),
        (vec!["ls", d], "ls", 1),
        (vec!["read", d, "/f"], "read", 1),
        (vec!["journal-replay", d], "journal-replay", 1),
        (vec!["fsck", d, "-n"], "fsck", 8),
        (vec!["inspect", d, "super"], "inspect", 1),
        (vec!["fault", d, "/f", "--offset", "0", "--write"], "fault", 1),
        (vec!["write", d, "/f", "--offset", "0", "--data", "00"], "write", 1),
        (vec!["truncate", d, "/f", "--size", "0"], "truncate", 1),
        (vec!["msync", d, "/f"], "msync", 1),
        (vec!["run", d, s(&wl)], "run", 1),
        (vec!["crash", d, s(&wl)], "crash", 1),
    ];
    let mut wrong = Vec::new();
    for (args, verb, code) in cases {
        let out = run_e4dax(&args);
        let err = stderr(&out);
        let want_end = format!("{d} is a directory\n");
        if out.status.code() != Some(code)
            || !err.starts_with(&format!("e4dax: {verb} "))
            || !err.ends_with(&want_end)
            || err.lines().count() != 1
        {
            wrong.push(format!("{args:?}: exit {:?}, stderr {err:?}", out.status.code()));
        }
    }
    assert!(wrong.is_empty(), "commands that do not say '{d} is a directory':\n{}", wrong.join("\n"));
}

#[test]
fn errors_are_one_json_object_on_stderr_with_json() {
    let dir = tempdir();
    let missing = dir.path().join("missing.img");
    // A run-time error: exit 1, stdout empty, stderr one JSON object with the one-line message.
    let out = run_e4dax(&["inspect", s(&missing), "super", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "stdout: {}", stdout(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stderr).expect("stderr is JSON");
    let plain = run_e4dax(&["inspect", s(&missing), "super"]);
    assert_eq!(
        format!("e4dax: {}\n", jstr(&v, "error")),
        stderr(&plain),
        "the JSON error says what the plain one says"
    );
    assert_eq!(ju64(&v, "exit_code"), 1);
    // A usage error: exit 2, with the usage text.
    let out = run_e4dax(&["ls", s(&missing), "--bogus", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stderr).expect("stderr is JSON");
    assert_eq!(jstr(&v, "error"), "unexpected argument '--bogus' found");
    assert_eq!(ju64(&v, "exit_code"), 2);
    assert!(jstr(&v, "usage").contains("Usage: e4dax ls <IMAGE> [PATH]"), "{v:#}");
    // fsck keeps e2fsck's codes.
    let out = run_e4dax(&["fsck", s(&missing), "-n", "--json"]);
    assert_eq!(out.status.code(), Some(8));
    let v: serde_json::Value = serde_json::from_slice(&out.stderr).expect("stderr is JSON");
    assert_eq!(ju64(&v, "exit_code"), 8);
    let out = run_e4dax(&["fsck", s(&missing), "--bogus", "--json"]);
    assert_eq!(out.status.code(), Some(16));
    let v: serde_json::Value = serde_json::from_slice(&out.stderr).expect("stderr is JSON");
    assert_eq!(ju64(&v, "exit_code"), 16);
}

#[test]
fn read_json_gives_the_bytes_as_hex_and_inode_numbers_name_files() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = mkfs(dir.path(), "a.img", "32M", &[]);
    let i = s(&img);
    assert!(run_e4dax(&["create", i, "/f", "--size", "8K"]).status.success());
    assert!(run_e4dax(&["write", i, "/f", "--offset", "4090", "--data", "00ff10abcdef1234"]).status.success());
    let out = run_e4dax(&["read", i, "/f", "--offset", "4088", "--len", "12", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("read --json is JSON");
    assert_eq!(jstr(&v, "data_hex"), "000000ff10abcdef12340000");
    assert_eq!((ju64(&v, "inode"), ju64(&v, "offset"), ju64(&v, "length"), ju64(&v, "size")), (12, 4088, 12, 8192));
    // The whole file, against debugfs cat.
    let out = run_e4dax(&["read", i, "<12>", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("read --json is JSON");
    let theirs: String = debugfs_bytes(&img, "cat <12>").iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(jstr(&v, "data_hex"), theirs);

    // <INO> wherever a path names an existing file, as debugfs.
    let by_path = run_e4dax(&["read", i, "/f"]).stdout;
    assert_eq!(run_e4dax(&["read", i, "<12>"]).stdout, by_path, "read <12>");
    assert_eq!(run_e4dax(&["ls", i, "<2>", "--json"]).stdout, run_e4dax(&["ls", i, "/", "--json"]).stdout, "ls <2>");
    assert_eq!(inspect_path_json(&img, "inode", "<12>"), inspect_path_json(&img, "inode", "/f"));
    assert_eq!(inspect_path_json(&img, "extents", "<12>"), inspect_path_json(&img, "extents", "/f"));
    for args in [
        vec!["fallocate", i, "<12>", "--offset", "8K", "--len", "8K"],
        vec!["punch", i, "<12>", "--offset", "0", "--len", "4K"],
        vec!["truncate", i, "<12>", "--size", "12K"],
        vec!["write", i, "<12>", "--offset", "0", "--data", "aa"],
        vec!["fault", i, "<12>", "--offset", "8K", "--write", "--data", "bb"],
        vec!["msync", i, "<12>"],
    ] {
        let out = run_e4dax(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(
        debugfs(&img, "stat <12>").lines().find(|l| l.contains("Size: ")).map(|l| l
            .split("Size: ")
            .nth(1)
            .unwrap_or("")
            .trim()
            .to_string()),
        Some("12288".to_string()),
        "the changes through <12> reached inode 12"
    );
    assert_eq!(debugfs_bytes(&img, "cat <12>")[..1], [0xaa]);
    assert_eq!(debugfs_bytes(&img, "cat <12>")[8192], 0xbb);
    assert_e2fsck_clean(&img);
    // A directory entry cannot be named by an inode number; a number out of range is refused.
    let count = ju64(&inspect_json(&img, "super"), "inodes_count");
    let range = format!("not an inode number from 1 to {count}");
    for (args, msg) in [
        (
            vec!["create", i, "<12>"],
            "e4dax: create IMG <12>: <12> names an inode, not a directory entry: give a path\n".to_string(),
        ),
        (
            vec!["rm", i, "<12>"],
            "e4dax: rm IMG <12>: <12> names an inode, not a directory entry: give a path\n".to_string(),
        ),
        (vec!["read", i, "<99999>"], format!("e4dax: read IMG <99999>: <99999>: {range}\n")),
        (vec!["read", i, "<x>"], format!("e4dax: read IMG <x>: <x>: {range}\n")),
    ] {
        let out = run_e4dax(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr(&out).replace(i, "IMG"), msg.to_string(), "{args:?}");
    }
}

#[test]
fn mkfs_shows_a_progress_bar_only_when_poisoning() {
    let Some(script) = ["/usr/bin/script", "/bin/script"].into_iter().find(|p| Path::new(p).exists()) else {
        eprintln!("skipping: script(1) is not installed (needed for a pseudo-terminal)");
        return;
    };
    let dir = tempdir();
    let bin = env!("CARGO_BIN_EXE_e4dax");
    // script(1) gives e4dax a terminal, where bars are drawn (never on a pipe).
    let on_tty = |img: &str, extra: &str| -> String {
        let cmd = format!("{bin} mkfs {} --size 64M --uuid {UUID_A} {extra}", dir.path().join(img).display());
        let out = std::process::Command::new(script).args(["-qec", &cmd, "/dev/null"]).output().expect("script");
        assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stdout));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let plain = on_tty("plain.img", "");
    assert!(!plain.contains("poisoning") && !plain.contains("0/0"), "mkfs without --poison drew a bar:\n{plain}");
    let poisoned = on_tty("poison.img", "--poison");
    assert!(poisoned.contains("poisoning free blocks ["), "mkfs --poison on a terminal drew no bar:\n{poisoned}");
    // Never on a pipe: stderr stays empty.
    let piped = dir.path().join("piped.img");
    let out = run_e4dax(&["mkfs", s(&piped), "--size", "64M", "--poison"]);
    assert!(out.status.success() && out.stderr.is_empty(), "mkfs --poison on a pipe: {:?}", stderr(&out));
    for args in [vec!["fsck", s(&piped), "-fn"], vec!["journal-replay", s(&piped)]] {
        let out = run_e4dax(&args);
        assert!(out.status.success() && out.stderr.is_empty(), "{args:?} on a pipe: {:?}", stderr(&out));
    }
}

/// Every line fits in `cols` columns.
fn assert_fits(text: &str, cols: usize, what: &str) {
    for l in text.lines() {
        assert!(l.chars().count() <= cols, "{what}: a line is {} columns wide:\n{l}\n{text}", l.chars().count());
    }
}

fn run_with_columns(cols: &str, args: &[&str]) -> String {
    let out = e4dax().args(args).env("COLUMNS", cols).output().expect("run e4dax");
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn inspect_groups_fits_80_columns_without_breaking_a_number() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = stock_image(dir.path(), "stock.img", GIB, UUID_B, &[]);
    let groups = inspect_json(&img, "groups");
    let groups = groups.as_array().expect("groups");
    let text = run_with_columns("80", &["inspect", s(&img), "groups"]);
    assert_fits(&text, 80, "inspect groups at 80 columns");
    // One row per group, whose cells are whole numbers: the block range and the free counts.
    let rows: Vec<Vec<String>> = text
        .lines()
        .filter(|l| l.starts_with('│'))
        .map(|l| l.trim_matches('│').split(['┆', '│']).map(|c| c.trim().to_string()).collect())
        .collect();
    assert_eq!(rows.len(), groups.len() + 1, "a header and one row per group:\n{text}");
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} column:\n{text}"));
    let (gc, bc, fb, fi) = (col("group"), col("blocks"), col("free blocks"), col("free inodes"));
    for (row, g) in rows[1..].iter().zip(groups) {
        assert_eq!(row[gc], ju64(g, "group").to_string());
        assert_eq!(row[bc], format!("{}-{}", ju64(g, "first_block"), ju64(g, "last_block")));
        assert_eq!(row[fb], ju64(g, "free_blocks").to_string());
        assert_eq!(row[fi], ju64(g, "free_inodes").to_string());
    }
    assert!(text.ends_with("; --json has every field)\n"), "hidden columns are named:\n{text}");
    // Narrower than any table: one `key: value` block per group, every value whole.
    let text = run_with_columns("30", &["inspect", s(&img), "groups"]);
    let blocks: Vec<&str> = text.trim_end().split("\n\n").collect();
    assert_eq!(blocks.len(), groups.len(), "one block per group:\n{text}");
    for (b, g) in blocks.iter().zip(groups) {
        let map: std::collections::BTreeMap<&str, &str> =
            b.lines().filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim(), v.trim())).collect();
        assert_eq!(map["group"], ju64(g, "group").to_string());
        assert_eq!(map["inode table"], format!("{}-{}", ju64(g, "inode_table"), ju64(g, "inode_table_last")));
        assert_eq!(map["unused inodes"], ju64(g, "itable_unused").to_string());
    }
    // Without a width (a pipe, no COLUMNS) every column is shown.
    let out = e4dax().args(["inspect", s(&img), "groups"]).env_remove("COLUMNS").output().expect("run");
    let full = stdout(&out);
    assert!(full.contains("inode bitmap") && !full.contains("not shown"), "{full}");
}

#[test]
fn other_tables_fit_80_columns() {
    let dir = tempdir();
    let img = mkfs(dir.path(), "a.img", "64M", &[]);
    let i = s(&img);
    for args in [
        vec!["create", i, "/f", "--size", "64K"],
        vec!["--no-checkpoint", "fallocate", i, "/f", "--offset", "0", "--len", "64K"],
    ] {
        assert!(run_e4dax(&args).status.success(), "{args:?}");
    }
    for args in [
        vec!["inspect", i, "journal"],
        vec!["inspect", i, "extents", "/f"],
        vec!["inspect", i, "map"],
        vec!["ls", i, "/"],
        vec!["fault", i, "/f", "--offset", "0", "--write", "--data", "aa", "--trace"],
    ] {
        let text = run_with_columns("80", &args);
        assert_fits(&text, 80, &format!("{args:?}"));
    }
    let out = e4dax()
        .args(["mkfs", &dir.path().join("b.img").display().to_string(), "--size", "64M", "--uuid", UUID_A])
        .env("COLUMNS", "80")
        .output()
        .expect("mkfs");
    let text = stdout(&out);
    assert_fits(&text, 80, "mkfs");
    assert!(text.contains(UUID_A), "mkfs keeps the UUID whole at 80 columns:\n{text}");
}
