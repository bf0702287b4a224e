//! Proves that e4dax reads and changes files on stock ext4 images exactly as e2fsprogs sees them.
//! The images are made in the test by `mkfs.ext4 -b 4096` and filled by `debugfs -w` (`write` of
//! plain and sparse sources of many sizes — empty, sub-block, non-block-multiple, multi-MiB, and
//! with enough extents for one and for two leaf blocks — `mkdir`, `fallocate`, `punch`), and by
//! `mkfs.ext4 -d` + `e2fsck -fyD` for a hash-indexed (htree) directory of 300 files. Then:
//! `e4dax read` returns the bytes of `debugfs cat` for every file (whole and in ranges); `e4dax ls`
//! gives the names and inode numbers of `debugfs ls -l` for `/`, subdirectories and the htree
//! directory; e4dax's `create`, `fallocate`, `punch` and `rm` on those images (in the htree
//! directory too, and on debugfs-written multi-extent files) leave `e2fsck -fn` clean, with
//! `inspect extents` listing the leaf extents `debugfs ex` lists; and `read --check-stale` on a
//! `mkfs --poison` image reports each poisoned block inside a written extent with its logical and
//! physical number and exits 1, while clean files report nothing and exit 0.

use std::path::{Path, PathBuf};

use crate::common::*;

/// A source file for `debugfs write`: (name in the image, bytes, sparse layout).
struct Source {
    path: &'static str,
    /// (byte offset, data) pieces; everything else is a hole.
    pieces: Vec<(u64, Vec<u8>)>,
    size: u64,
}

impl Source {
    fn dense(path: &'static str, len: usize, seed: u64) -> Source {
        Source { path, pieces: vec![(0, pseudo_random(len, seed))], size: len as u64 }
    }

    /// `count` single data blocks, one every other block: `count` extents.
    fn every_other_block(path: &'static str, count: u64, seed: u64) -> Source {
        Source {
            path,
            pieces: (0..count).map(|i| (2 * i * BLOCK_SIZE, pseudo_random(BLOCK_SIZE as usize, seed + i))).collect(),
            size: 2 * count * BLOCK_SIZE - BLOCK_SIZE,
        }
    }

    /// The bytes a reader must see.
    fn contents(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.size as usize];
        for (at, data) in &self.pieces {
            out[*at as usize..*at as usize + data.len()].copy_from_slice(data);
        }
        out
    }

    /// Writes the source as a sparse host file (holes stay holes, so debugfs keeps them).
    fn materialise(&self, dir: &Path) -> PathBuf {
        use std::os::unix::fs::FileExt;
        let host = dir.join(format!("src{}", self.path.replace('/', "_")));
        let f = std::fs::File::create(&host).expect("create source");
        f.set_len(self.size).expect("set_len");
        for (at, data) in &self.pieces {
            f.write_all_at(data, *at).expect("write source");
        }
        host
    }
}

fn sources() -> Vec<Source> {
    vec![
        Source::dense("/empty", 0, 1),
        Source::dense("/tiny", 1, 2),
        Source::dense("/small", 10_000, 3),
        Source::dense("/one_block", 4096, 4),
        Source::dense("/odd", 4097, 5),
        Source::dense("/big", 5 * MIB as usize + 123, 6),
        Source {
            path: "/sparse",
            pieces: vec![
                (3_000_000, b"hello".to_vec()),
                (5 * MIB, pseudo_random(20_000, 7)),
                (8_000_000, b"tail".to_vec()),
            ],
            size: 8 * MIB,
        },
        // 10 extents: more than the 4 the inode holds, so one leaf block (depth 1).
        Source::every_other_block("/frag", 10, 100),
        // 400 extents: more than the 340 of one leaf block, so two leaf blocks.
        Source::every_other_block("/frag_big", 400, 1000),
        // 1500 extents: more than 4 leaves of 340, so an index block too (depth 2).
        Source::every_other_block("/frag_deep", 1500, 5000),
        Source::dense("/d/nested", 12_345, 8),
        Source::dense("/d/e/deeper", 70_000, 9),
        // Written, then partly punched and fallocated by debugfs (see `stock_with_files`).
        Source::dense("/mixed", 100_000, 10),
    ]
}

/// A 128 MiB stock image holding every [`sources`] file, written by debugfs, plus debugfs
/// `fallocate` and `punch` on some of them. Returns the image and the expected contents.
fn stock_with_files(dir: &Path) -> (PathBuf, Vec<(&'static str, Vec<u8>)>) {
    let image = stock_image(dir, "stock.img", 128 * MIB, UUID_A, &[]);
    let srcs = sources();
    let hosts: Vec<PathBuf> = srcs.iter().map(|s| s.materialise(dir)).collect();
    let mut cmds: Vec<String> = vec!["mkdir /d".into(), "mkdir /d/e".into()];
    for (s, host) in srcs.iter().zip(&hosts) {
        cmds.push(format!("write {} {}", host.display(), s.path));
    }
    cmds.extend([
        // /mixed: 25 written blocks; free blocks 3..=5, add unwritten blocks 30..=40 past EOF.
        "punch /mixed 3 5".to_string(),
        "fallocate /mixed 30 40".to_string(),
        // /sparse: unwritten blocks inside a hole within the size.
        "fallocate /sparse 10 20".to_string(),
        // An empty file with only unwritten extents, one of them punched in two.
        "write /dev/null /prealloc".to_string(),
        "fallocate /prealloc 0 20".to_string(),
        "punch /prealloc 5 9".to_string(),
    ]);
    let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
    debugfs_w(&image, &refs);

    let mut expected: Vec<(&'static str, Vec<u8>)> = srcs.iter().map(|s| (s.path, s.contents())).collect();
    for (path, bytes) in &mut expected {
        if *path == "/mixed" {
            bytes[3 * BLOCK_SIZE as usize..6 * BLOCK_SIZE as usize].fill(0);
        }
    }
    expected.push(("/prealloc", Vec::new()));
    assert_e2fsck_clean(&image);
    (image, expected)
}

/// `e4dax read IMAGE PATH --out FILE [EXTRA..]`: the bytes it wrote.
fn e4dax_read(image: &Path, path: &str, extra: &[&str]) -> Vec<u8> {
    let out_file = tempfile::NamedTempFile::new().expect("temporary file");
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["read".as_ref(), image.as_os_str(), path.as_ref(), "--out".as_ref(), out_file.path().as_os_str()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    let out = run_e4dax(&args);
    assert!(out.status.success(), "e4dax read {path} {extra:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    read_bytes(out_file.path())
}

/// `e4dax read` of `path` equals `debugfs cat` of it; returns those bytes.
fn assert_read_matches_cat(image: &Path, path: &str) -> Vec<u8> {
    let cat = debugfs_bytes(image, &format!("cat {path}"));
    let ours = e4dax_read(image, path, &[]);
    if ours != cat {
        let at = ours.iter().zip(&cat).position(|(a, b)| a != b);
        panic!(
            "{}: e4dax read {path} ({} bytes) differs from debugfs cat ({} bytes), first at {at:?}",
            image.display(),
            ours.len(),
            cat.len()
        );
    }
    cat
}

/// Runs `e4dax ARGS..` on the image, which must succeed, then `e2fsck -fn` must be clean.
fn change(image: &Path, args: &[&str]) {
    let mut full: Vec<&std::ffi::OsStr> = vec![args[0].as_ref(), image.as_os_str()];
    full.extend(args[1..].iter().map(std::ffi::OsStr::new));
    let out = run_e4dax(&full);
    assert!(
        out.status.success(),
        "e4dax {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = std::process::Command::new(tool("e2fsck"))
        .args(["-fn".as_ref(), image.as_os_str()])
        .output()
        .expect("run e2fsck");
    assert_eq!(
        out.status.code(),
        Some(0),
        "e2fsck -fn is not clean after e4dax {args:?}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An image with an htree directory `/big` of 300 files (`mkfs.ext4 -d`, then `e2fsck -fyD`
/// indexes it). Returns the image and the source directory.
fn stock_with_htree(dir: &Path) -> (PathBuf, PathBuf) {
    let src = dir.join("tree");
    std::fs::create_dir_all(src.join("big")).expect("mkdir");
    for i in 0..300 {
        write_bytes(&src.join("big").join(format!("file_{i:03}")), format!("this is file number {i}\n").as_bytes());
    }
    write_bytes(&src.join("big").join("large"), &pseudo_random(300_000, 42));
    write_bytes(&src.join("top"), b"top\n");
    let image = stock_image(dir, "htree.img", 64 * MIB, UUID_B, &["-d", src.to_str().expect("utf-8 path")]);
    let out = std::process::Command::new(tool("e2fsck"))
        .args(["-fyD".as_ref(), image.as_os_str()])
        .output()
        .expect("run e2fsck");
    assert!(matches!(out.status.code(), Some(0 | 1)), "e2fsck -fyD failed\n{}", String::from_utf8_lossy(&out.stdout));
    assert_e2fsck_clean(&image);
    assert!(is_indexed(&image, "/big"), "e2fsck -fyD did not index /big; the htree tests would test nothing");
    (image, src)
}

/// Whether the directory's inode has the index flag (EXT4_INDEX_FL, 0x1000), per debugfs, and
/// `debugfs htree` dumps a root node.
fn is_indexed(image: &Path, dir: &str) -> bool {
    let stat = debugfs(image, &format!("stat {dir}"));
    let flags = stat
        .split("Flags: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(parse_u64)
        .unwrap_or_else(|| panic!("debugfs stat {dir}: no Flags in\n{stat}"));
    let indexed = flags & 0x1000 != 0;
    if indexed {
        let htree = debugfs(image, &format!("htree {dir}"));
        assert!(htree.contains("Root node dump"), "the index flag is set but debugfs htree shows no root:\n{htree}");
    }
    indexed
}

#[test]
fn read_matches_debugfs_cat_on_stock_image() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let (image, expected) = stock_with_files(dir.path());
    for (path, want) in &expected {
        let got = assert_read_matches_cat(&image, path);
        assert!(
            got == *want,
            "{path}: debugfs cat and e4dax read agree but not with what was written \
             ({} bytes vs {})",
            got.len(),
            want.len()
        );
    }
    // Ranges: inside a file, across a hole, across extents, and past the end.
    for (path, offset, len) in [
        ("/big", 4095u64, 10_000u64),
        ("/big", MIB, MIB),
        ("/sparse", 2_999_990, 20),
        ("/sparse", 40_000, 100_000),
        ("/frag_big", 339 * BLOCK_SIZE, 10 * BLOCK_SIZE),
        ("/mixed", 2 * BLOCK_SIZE + 7, 5 * BLOCK_SIZE),
        ("/odd", 4000, 1000),
    ] {
        let want = &expected.iter().find(|(p, _)| *p == path).expect("file").1;
        let end = (offset + len).min(want.len() as u64) as usize;
        let got = e4dax_read(&image, path, &["--offset", &offset.to_string(), "--len", &len.to_string()]);
        assert!(
            got == want[offset as usize..end],
            "e4dax read {path} --offset {offset} --len {len}: {} bytes, not the expected {}",
            got.len(),
            end - offset as usize
        );
    }
    // The K/M suffixes mean what they say.
    let got = e4dax_read(&image, "/big", &["--offset", "1M", "--len", "8K"]);
    let want = &expected.iter().find(|(p, _)| *p == "/big").expect("big").1;
    assert!(got == want[MIB as usize..(MIB + 8 * KIB) as usize]);
}

#[test]
fn ls_matches_debugfs_ls_on_stock_image() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let (image, _) = stock_with_files(dir.path());
    for d in ["/", "/d", "/d/e", "/lost+found"] {
        let ours = e4dax_ls(&image, d);
        let theirs = debugfs_ls(&image, d);
        assert_eq!(ours, theirs, "e4dax ls {d} (left) vs debugfs ls -l {d} (right)");
    }
    let root = e4dax_ls(&image, "/");
    for s in sources().iter().filter(|s| s.path.rfind('/') == Some(0)) {
        let name = &s.path[1..];
        assert!(root.iter().any(|(n, _)| n == name), "ls / lacks {name}: {root:?}");
    }
}

#[test]
fn ls_and_read_work_inside_an_htree_directory() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let (image, src) = stock_with_htree(dir.path());
    for d in ["/", "/big"] {
        let ours = e4dax_ls(&image, d);
        let theirs = debugfs_ls(&image, d);
        assert_eq!(ours, theirs, "e4dax ls {d} (left) vs debugfs ls -l {d} (right)");
    }
    assert_eq!(e4dax_ls(&image, "/big").len(), 303, "., .., 300 files and large");
    for name in ["file_000", "file_001", "file_150", "file_299", "large"] {
        let path = format!("/big/{name}");
        let got = assert_read_matches_cat(&image, &path);
        assert!(got == read_bytes(&src.join("big").join(name)), "{path}: not the bytes mkfs.ext4 -d copied in");
    }
    // Lookup by path inside the htree directory works for every name, not only some: all 301
    // through the library's path lookup (what every command resolves paths with), a few through
    // `inspect inode`.
    let theirs = debugfs_ls(&image, "/big");
    let names: Vec<&(String, u64)> = theirs.iter().filter(|(n, _)| n != "." && n != "..").collect();
    assert_eq!(names.len(), 301, "300 files and large");
    let fs = e4dax::fs::Fs::open(e4dax::pmem::MappedImage::open(&image, false).expect("open")).expect("Fs::open");
    let wrong: Vec<String> = names
        .iter()
        .filter_map(|(name, ino)| match fs.resolve(&format!("/big/{name}")) {
            Ok(got) if u64::from(got) == *ino => None,
            got => Some(format!("/big/{name}: {got:?}, debugfs says inode {ino}")),
        })
        .collect();
    assert!(wrong.is_empty(), "{} of 301 names resolve wrongly:\n{}", wrong.len(), wrong.join("\n"));
    for (name, ino) in names.iter().step_by(50) {
        let v = inspect_path_json(&image, "inode", &format!("/big/{name}"));
        assert_eq!(ju64(&v, "inode"), *ino, "inspect inode /big/{name}");
    }
}

#[test]
fn changes_on_stock_image_stay_e2fsck_clean_and_match_debugfs_ex() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let (image, mut expected) = stock_with_files(dir.path());
    let depth = ju64(&inspect_path_json(&image, "extents", "/frag_deep")["nodes"][0], "depth");
    assert_eq!(depth, 2, "/frag_deep should have a depth-2 tree");
    for path in ["/frag", "/frag_big", "/frag_deep", "/sparse", "/mixed", "/prealloc", "/big"] {
        assert_same_leaf_extents(&image, path);
    }

    // New files next to debugfs's, in the root and in subdirectories.
    change(&image, &["create", "/new"]);
    change(&image, &["fallocate", "/new", "--offset", "0", "--len", "1M"]);
    change(&image, &["punch", "/new", "--offset", "256K", "--len", "256K"]);
    change(&image, &["fallocate", "/new", "--offset", "2M", "--len", "64K", "--keep-size"]);
    change(&image, &["create", "/d/e/newdir", "--dir"]);
    change(&image, &["create", "-p", "/x/y/z"]);
    change(&image, &["fallocate", "/x/y/z", "--offset", "4K", "--len", "12K"]);
    expected.extend([("/new", vec![0u8; MIB as usize]), ("/x/y/z", vec![0u8; 16 * KIB as usize])]);
    // Changes to files debugfs wrote: fill the holes between /frag's extents with unwritten
    // ones (its data must stay written), punch across /frag_big's two leaves and across many
    // of /frag_deep's, punch the middle of /big, fallocate into a hole of /sparse and over its
    // data, punch the unwritten extents of /mixed past its end, grow /odd by fallocate.
    let punches: [(&str, u64, u64); 5] = [
        ("/frag_big", 2000 * KIB, 1200 * KIB),
        ("/frag_deep", 3 * MIB + 5, 4 * MIB),
        ("/big", MIB, MIB),
        ("/mixed", 120 * KIB, 40 * KIB),
        ("/prealloc", 0, 4 * KIB),
    ];
    change(&image, &["fallocate", "/frag", "--offset", "0", "--len", "76K"]);
    change(&image, &["fallocate", "/sparse", "--offset", "6M", "--len", "100K"]);
    change(&image, &["fallocate", "/sparse", "--offset", "4M", "--len", "2M"]);
    change(&image, &["fallocate", "/odd", "--offset", "0", "--len", "64K"]);
    for (path, offset, len) in punches {
        change(&image, &["punch", path, "--offset", &offset.to_string(), "--len", &len.to_string()]);
        // As fallocate(2)'s punch: whole blocks are freed, the partial ones at the edges zeroed.
        let want = &mut expected.iter_mut().find(|(p, _)| *p == path).expect("known file").1;
        let size = want.len() as u64;
        want[offset.min(size) as usize..(offset + len).min(size) as usize].fill(0);
    }
    let odd = &mut expected.iter_mut().find(|(p, _)| *p == "/odd").expect("odd").1;
    odd.resize(64 * KIB as usize, 0);
    for (path, want) in &expected {
        let got = assert_read_matches_cat(&image, path);
        assert!(
            got == *want,
            "{path}: after the changes it reads {} bytes, not the expected {}",
            got.len(),
            want.len()
        );
        assert_same_leaf_extents(&image, path);
    }
    let punched = e4dax_read(&image, "/big", &["--offset", "1M", "--len", "1M"]);
    assert!(punched.iter().all(|&b| b == 0), "a punched range reads as zeros");

    // rm of debugfs-written files: with a leaf block, with two leaves, with a depth-2 tree, a
    // big one, one in a subdirectory; and of our own files and directory.
    for path in ["/frag", "/frag_big", "/frag_deep", "/big", "/d/nested", "/new", "/x/y/z"] {
        change(&image, &["rm", path]);
    }
    change(&image, &["rm", "/d/e/newdir"]);
    for d in ["/", "/d", "/d/e", "/x/y"] {
        assert_eq!(e4dax_ls(&image, d), debugfs_ls(&image, d), "ls {d} after the changes");
    }
    let root = e4dax_ls(&image, "/");
    for gone in ["frag", "frag_big", "frag_deep", "big", "new"] {
        assert!(!root.iter().any(|(n, _)| n == gone), "{gone} still listed");
    }
    // What is left still reads as before.
    for path in ["/small", "/sparse", "/d/e/deeper", "/mixed"] {
        let want = &expected.iter().find(|(p, _)| *p == path).expect("known file").1;
        assert!(assert_read_matches_cat(&image, path) == *want, "{path} changed");
    }
}

#[test]
fn changes_inside_an_htree_directory_stay_e2fsck_clean() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let (image, _) = stock_with_htree(dir.path());
    // Removing an entry keeps the index (the leaf block loses an entry, the hashes still hold),
    // and lookups through the index still find the others.
    change(&image, &["rm", "/big/file_100"]);
    assert!(is_indexed(&image, "/big"), "rm dropped /big's index");
    assert_eq!(e4dax_ls(&image, "/big"), debugfs_ls(&image, "/big"));
    assert_read_matches_cat(&image, "/big/file_101");
    // Adding one turns the directory linear (`dir_add` drops the index: valid ext4, and e2fsck
    // was clean after the step), with every entry kept.
    change(&image, &["create", "/big/newfile"]);
    assert!(!is_indexed(&image, "/big"), "create in an htree directory should drop its index");
    change(&image, &["fallocate", "/big/newfile", "--offset", "0", "--len", "256K"]);
    change(&image, &["create", "/big/newdir", "--dir"]);
    change(&image, &["create", "/big/newdir/inner"]);
    change(&image, &["rm", "/big/large"]);
    change(&image, &["punch", "/big/file_200", "--offset", "0", "--len", "4K"]);
    let listing = e4dax_ls(&image, "/big");
    assert_eq!(listing, debugfs_ls(&image, "/big"));
    let names: Vec<&str> = listing.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"newfile") && names.contains(&"newdir"));
    assert!(!names.contains(&"file_100") && !names.contains(&"large"));
    assert_eq!(listing.len(), 303, "2 added, 2 removed");
    // Every old file is still found by path (whether or not the index survived).
    for name in ["file_000", "file_099", "file_101", "file_299"] {
        assert_read_matches_cat(&image, &format!("/big/{name}"));
    }
    assert_same_leaf_extents(&image, "/big/newfile");
}

/// `e4dax read IMAGE PATH --check-stale --json`: (exit code, [(logical, physical)], stderr).
fn check_stale(image: &Path, path: &str) -> (Option<i32>, Vec<(u64, u64)>, String) {
    let out =
        run_e4dax(&["read".as_ref(), image.as_os_str(), path.as_ref(), "--check-stale".as_ref(), "--json".as_ref()]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "read --check-stale panicked: {stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("read {path} --check-stale --json is not JSON ({e}): {}{stderr}", String::from_utf8_lossy(&out.stdout))
    });
    let hits = jget(&v, "stale")
        .as_array()
        .unwrap_or_else(|| panic!("stale is not an array: {v:#}"))
        .iter()
        .map(|h| (ju64(h, "logical"), ju64(h, "physical")))
        .collect();
    (out.status.code(), hits, stderr)
}

/// The first two columns of each body row of a table as comfy-table draws it
/// ("│ 2 ┆ 1289 ┆ 0 ┆ 1289 │"), as numbers.
fn table_rows(text: &str) -> Vec<(u64, u64)> {
    text.lines()
        .filter(|l| l.starts_with('│'))
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim_matches('│').split('┆').map(str::trim).collect();
            match (cells.first().and_then(|c| c.parse().ok()), cells.get(1).and_then(|c| c.parse().ok())) {
                (Some(a), Some(b)) => Some((a, b)),
                _ => None, // the header row
            }
        })
        .collect()
}

#[test]
fn check_stale_reports_poisoned_blocks_in_written_extents() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let image = mkfs(dir.path(), "poison.img", "64M", &["--poison"]);
    for args in [
        vec!["create", "/stale"],
        vec!["fallocate", "/stale", "--offset", "8K", "--len", "12K"],
        vec!["create", "/unwritten"],
        vec!["fallocate", "/unwritten", "--offset", "0", "--len", "16K"],
    ] {
        change(&image, &args);
    }
    // Mark /stale's one extent (blocks 2..=4, over poisoned free blocks) written, as a buggy
    // fault path would: the extent's length word (i_block[4]: ee_len | ee_start_hi << 16) loses
    // its unwritten bit. debugfs recomputes the inode checksum.
    let before = e4dax_leaf_extents(&image, "/stale");
    assert_eq!(before.len(), 1, "{before:?}");
    let ext = before[0];
    assert!(ext.unwritten && ext.logical_start == 2 && ext.length == 3, "{ext:?}");
    assert!(ext.physical_start >> 32 == 0);
    debugfs_w(&image, &["sif /stale block[4] 3"]);
    let after = e4dax_leaf_extents(&image, "/stale");
    assert_eq!(after, debugfs_leaf_extents(&image, "/stale"));
    assert!(!after[0].unwritten, "the extent is now written: {after:?}");
    assert_e2fsck_clean(&image);
    // A clean written file on the same poisoned image: debugfs write fills its blocks.
    let host = dir.path().join("clean-src");
    write_bytes(&host, &pseudo_random(10_000, 5));
    debugfs_w(&image, &[&format!("write {} /written", host.display())]);

    let (code, hits, stderr) = check_stale(&image, "/stale");
    let want: Vec<(u64, u64)> = (0..3).map(|i| (2 + i, ext.physical_start + i)).collect();
    assert_eq!(hits, want, "every poisoned block, with logical and physical numbers");
    // As the module says and the README promises: a runtime error, exit 1.
    assert_eq!(code, Some(1), "stale data must make read --check-stale --json exit 1\n{stderr}");
    assert!(!stderr.contains("panicked"));
    // The human form names the blocks too, each in its row: logical in the first column,
    // physical in the second.
    let out = run_e4dax(&["read".as_ref(), image.as_os_str(), "/stale".as_ref(), "--check-stale".as_ref()]);
    let line = assert_runtime_error(&out, "read /stale --check-stale");
    assert!(line.contains("stale"), "{line}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(table_rows(&text), want, "human output: (logical, physical) of each row:\n{text}");
    // The stale bytes really are what read returns (no zeroing behind --check-stale's back).
    let data = e4dax_read(&image, "/stale", &["--offset", "8K", "--len", "4K"]);
    assert_eq!(data, stale_block(ext.physical_start));

    for clean in ["/unwritten", "/written"] {
        let (code, hits, stderr) = check_stale(&image, clean);
        assert_eq!(hits, vec![], "{clean}: nothing stale");
        assert_eq!(code, Some(0), "{clean}: exit 0\n{stderr}");
    }
}

/// On a stock image with 256 blocks per group, `debugfs fallocate` makes extents of up to
/// thousands of blocks: one extent frees blocks in many groups. Removing, punching and
/// truncating such files reserves a bitmap and a descriptor for every group touched (the old
/// reservation of two per extent ran out: "journal handle exceeded its 192 credits"), and
/// e2fsck replays the resulting transactions from the stock journal (whose 8-byte tags once got
/// 16 bytes written, past the end of a full descriptor) to a clean file system.
#[test]
fn unmapping_extents_that_cross_many_groups_stays_within_its_credits() {
    use e4dax::fs::Fs;
    use e4dax::pmem::MappedImage;
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = stock_image(dir.path(), "g256.img", GIB, UUID_A, &["-g", "256", "-O", "^meta_bg,^resize_inode"]);
    debugfs_w(
        &img,
        &[
            "write /dev/null rm",
            "fallocate /rm 0 59999",
            "write /dev/null punch",
            "fallocate /punch 0 59999",
            "write /dev/null trunc",
            "fallocate /trunc 0 59999",
        ],
    );
    assert_e2fsck_clean(&img);
    let mut fs = Fs::mount(MappedImage::open(&img, true).expect("open"), true).expect("mount").0;
    for path in ["/rm", "/punch", "/trunc"] {
        let (ino, node) = fs.regular_file(path).expect(path);
        let extents = fs.file_extents(ino, &node).expect("extents");
        assert!(
            fs.unmap_credits(&extents) > 2 * extents.len() as u32 + 64,
            "{path}: the extents should cross many groups: {extents:?}"
        );
    }
    fs.remove("/rm").expect("rm");
    let (ino, _) = fs.regular_file("/punch").expect("/punch");
    fs.punch(ino, 4096, 59_000 * BLOCK_SIZE).expect("punch");
    let (ino, _) = fs.regular_file("/trunc").expect("/trunc");
    fs.truncate(ino, 3 * BLOCK_SIZE).expect("truncate");
    assert_eq!(fs.credit_overruns, 0, "every handle stayed within its reservation");
    // Leave the transactions in the stock journal (no csum v3, 32-bit tags; one of them holds
    // hundreds of bitmaps, so its descriptors are full) for e2fsck to replay.
    fs.no_checkpoint = true;
    fs.unmount().expect("unmount");
    drop(fs);
    let replay = std::process::Command::new(tool("e2fsck"))
        .args(["-fy", "-E", "no_optimize_extents"])
        .arg(&img)
        .output()
        .expect("e2fsck");
    let said = String::from_utf8_lossy(&replay.stdout);
    assert!(said.contains("recovering journal"), "e2fsck should replay our log:\n{said}");
    assert_eq!(replay.status.code(), Some(0), "replay left nothing to fix:\n{said}");
    assert_e2fsck_clean(&img);
    assert_same_leaf_extents(&img, "/punch");
    assert_same_leaf_extents(&img, "/trunc");
}

/// `read --out FILE` writes holes and unwritten extents as holes: a 15 TiB file holding five
/// blocks of data (at 0 and at 10 TiB, written by `debugfs write` from a sparse source) and 64
/// unwritten blocks reads out as a 15 TiB file with a few blocks allocated (a dense output
/// would fill the disk), whose bytes are those of the source wherever they are looked at; a
/// range read through standard output (where zeros are written) agrees, as does `debugfs cat`
/// of a small file read the same way.
#[test]
fn read_out_writes_holes_as_holes() {
    if !e2fsprogs() {
        return;
    }
    use std::io::{Read, Seek, SeekFrom};
    use std::os::unix::fs::FileExt;
    let dir = tempdir();
    let image = stock_image(dir.path(), "sparse.img", 64 * MIB, UUID_A, &[]);
    let size: u64 = 15 << 40;
    let far: u64 = 10 << 40;
    let head = pseudo_random(3 * BLOCK_SIZE as usize, 41);
    let tail = pseudo_random(2 * BLOCK_SIZE as usize, 42);
    let host = dir.path().join("huge.src");
    {
        let f = std::fs::File::create(&host).expect("create the source");
        f.write_all_at(&head, 0).expect("write the source");
        f.write_all_at(&tail, far).expect("write the source");
        f.set_len(size).expect("size the source");
    }
    debugfs_w(&image, &[&format!("write {} /huge", host.display()), "fallocate /huge 100 163"]);
    assert_e2fsck_clean(&image);

    let out = dir.path().join("huge.out");
    let r = run_e4dax(&["read".as_ref(), image.as_os_str(), "/huge".as_ref(), "--out".as_ref(), out.as_os_str()]);
    assert!(r.status.success(), "e4dax read --out failed: {}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(out.metadata().expect("stat the output").len(), size, "length of the output");
    let allocated = allocated_bytes(&out);
    assert!(allocated <= 1 << 20, "the output is not sparse: {allocated} bytes allocated for 5 blocks of data");
    let mut f = std::fs::File::open(&out).expect("open the output");
    let mut at = |off: u64, len: usize| {
        let mut b = vec![0u8; len];
        f.seek(SeekFrom::Start(off)).expect("seek");
        f.read_exact(&mut b).expect("read the output");
        b
    };
    let bs = BLOCK_SIZE as usize;
    assert!(at(0, 3 * bs) == head, "the first three blocks");
    assert!(at(far, 2 * bs) == tail, "the two blocks at 10 TiB");
    assert!(at(3 * BLOCK_SIZE, 200 * bs).iter().all(|&b| b == 0), "the hole and the unwritten blocks");
    assert!(at(far - 1000, 1000).iter().all(|&b| b == 0) && at(size - 1000, 1000).iter().all(|&b| b == 0));

    // Through standard output, zeros are written: a range across the far extent agrees.
    let r = run_e4dax(&[
        "read".as_ref(),
        image.as_os_str(),
        "/huge".as_ref(),
        "--offset".as_ref(),
        (far - 3 * BLOCK_SIZE).to_string().as_ref(),
        "--len".as_ref(),
        "6M".as_ref(),
    ]);
    assert!(r.status.success(), "e4dax read to stdout failed: {}", String::from_utf8_lossy(&r.stderr));
    assert!(r.stdout == at(far - 3 * BLOCK_SIZE, 6 << 20), "standard output and the sparse --out differ");
    // And a range of the sparse output starting inside the hole.
    let part = dir.path().join("part.out");
    let r = run_e4dax(&[
        "read".as_ref(),
        image.as_os_str(),
        "/huge".as_ref(),
        "--out".as_ref(),
        part.as_os_str(),
        "--offset".as_ref(),
        "5000".as_ref(),
        "--len".as_ref(),
        "1M".as_ref(),
    ]);
    assert!(r.status.success(), "e4dax read --offset --out failed: {}", String::from_utf8_lossy(&r.stderr));
    assert!(read_bytes(&part) == at(5000, 1 << 20), "a range read to a sparse --out");
}
