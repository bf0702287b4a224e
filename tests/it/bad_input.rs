//! Proves that bad input is refused cleanly: `mkfs` with a size that is too small, zero,
//! unparsable or overflowing, an unwritable path, or an existing non-empty file without
//! `--force`; `inspect` of /dev/null, a missing, empty or random file, truncated images, a bad
//! superblock checksum and an unknown incompatible feature. Each exits non-zero with one clear
//! "e4dax: " line on stderr, never panics, and leaves the file as it was.

use std::path::{Path, PathBuf};

use crate::common::*;

/// Every way of asking `inspect` about an image.
const INSPECT_FORMS: [&[&str]; 4] = [&["super"], &["super", "--json"], &["groups"], &["groups", "--json"]];

/// Runs every inspect form on `image`: each must be a one-line runtime error, and the file must
/// keep its bytes. Returns the error lines.
fn assert_inspect_refuses(image: &Path, what: &str) -> Vec<String> {
    let before = std::fs::read(image).ok();
    let mut lines = Vec::new();
    for form in INSPECT_FORMS {
        let mut args: Vec<&std::ffi::OsStr> = vec!["inspect".as_ref(), image.as_os_str()];
        args.extend(form.iter().map(std::ffi::OsStr::new));
        let out = run_e4dax(&args);
        lines.push(assert_runtime_error(&out, &format!("inspect {what} {form:?}")));
        match &before {
            Some(bytes) => assert_unchanged(image, bytes, &format!("inspect {what} {form:?}")),
            None => assert!(!image.exists(), "inspect {what} {form:?} created {}", image.display()),
        }
    }
    lines
}

fn mkfs_args(path: &Path, size: &str) -> Vec<std::ffi::OsString> {
    vec![
        "mkfs".into(),
        path.into(),
        "--size".into(),
        size.into(),
        "--uuid".into(),
        UUID_A.into(),
        "--time".into(),
        TIME.into(),
    ]
}

/// Images to corrupt: a stock one (when e2fsprogs is there) and ours.
fn images_to_corrupt(dir: &Path) -> Vec<PathBuf> {
    let mut images = vec![mkfs(dir, "ours.img", "64M", &[])];
    if e2fsprogs() {
        images.push(stock_image(dir, "stock.img", 64 * MIB, UUID_B, &[]));
    }
    images
}

fn copy_with(dir: &Path, original: &Path, suffix: &str, edit: impl Fn(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = read_bytes(original);
    edit(&mut bytes);
    let name = format!("{}-{suffix}", original.file_name().and_then(|n| n.to_str()).unwrap_or("img"));
    let path = dir.join(name);
    write_bytes(&path, &bytes);
    path
}

#[test]
fn crc32c_helper_known_answers() {
    assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    assert_eq!(crc32c(b""), 0);
    assert_eq!(crc32c(&[0u8; 32]), 0x8A91_36AA);
    assert_eq!(superblock_checksum(&[0u8; 1024]), !crc32c(&[0u8; 0x3FC]));
}

#[test]
fn mkfs_refuses_sizes_below_16m() {
    let dir = tempdir();
    for size in ["1M", "0", "4096", "64K", "15M", "16383K"] {
        let path = dir.path().join(format!("small-{size}.img"));
        let out = run_e4dax(&mkfs_args(&path, size));
        assert_refused(&out, &format!("mkfs --size {size}"));
        assert!(!path.exists() || path.metadata().expect("stat").len() == 0, "mkfs --size {size} left an image behind");
    }
    // The smallest accepted size.
    mkfs(dir.path(), "min.img", "16M", &[]);
}

#[test]
fn mkfs_refuses_unparsable_sizes() {
    let dir = tempdir();
    for size in ["banana", "", "12Q", "K", "-16M", "18446744073709551616", "99999999999999999T"] {
        let path = dir.path().join("bad-size.img");
        let out = run_e4dax(&mkfs_args(&path, size));
        assert_refused(&out, &format!("mkfs --size {size:?}"));
        assert!(!path.exists(), "mkfs --size {size:?} left an image behind");
    }
}

#[test]
fn mkfs_refuses_unwritable_paths() {
    let dir = tempdir();
    let missing_dir = dir.path().join("no-such-dir").join("x.img");
    for path in [PathBuf::from("/proc/nope/x.img"), missing_dir.clone()] {
        let out = run_e4dax(&mkfs_args(&path, "16M"));
        assert_runtime_error(&out, &format!("mkfs {}", path.display()));
    }
    assert!(!missing_dir.exists());
}

#[test]
fn mkfs_refuses_existing_non_empty_file_without_force() {
    let dir = tempdir();
    let path = dir.path().join("precious.img");
    let bytes = pseudo_random(64 * KIB as usize, 7);
    write_bytes(&path, &bytes);
    let out = run_e4dax(&mkfs_args(&path, "16M"));
    let line = assert_runtime_error(&out, "mkfs over an existing file");
    assert!(line.contains("--force"), "the refusal should say how to overwrite (--force): {line}");
    assert_unchanged(&path, &bytes, "mkfs without --force");

    // An existing image too, and with --poison.
    let image = mkfs(dir.path(), "image.img", "16M", &[]);
    let before = read_bytes(&image);
    let mut args = mkfs_args(&image, "16M");
    args.push("--poison".into());
    let out = run_e4dax(&args);
    assert_runtime_error(&out, "mkfs --poison over an existing image");
    assert_unchanged(&image, &before, "mkfs --poison without --force");
}

#[test]
fn inspect_refuses_dev_null() {
    assert_inspect_refuses(Path::new("/dev/null"), "/dev/null");
}

#[test]
fn inspect_refuses_missing_and_empty_files() {
    let dir = tempdir();
    assert_inspect_refuses(&dir.path().join("missing.img"), "a missing file");
    let empty = dir.path().join("empty.img");
    write_bytes(&empty, &[]);
    assert_inspect_refuses(&empty, "an empty file");
}

#[test]
fn inspect_refuses_random_4k_file() {
    let dir = tempdir();
    let path = dir.path().join("random.img");
    write_bytes(&path, &pseudo_random(4096, 0x5eed));
    assert_inspect_refuses(&path, "a random 4 KiB file");
    // Random bytes after a zeroed boot sector, so the superblock area is random too.
    let mut bytes = pseudo_random(64 * KIB as usize, 0xfeed);
    bytes[..1024].fill(0);
    write_bytes(&path, &bytes);
    assert_inspect_refuses(&path, "a random 64 KiB file");
}

#[test]
fn inspect_refuses_truncated_images() {
    let dir = tempdir();
    let ours = mkfs(dir.path(), "ours.img", "64M", &[]);
    let cut = copy_with(dir.path(), &ours, "cut-1M", |b| b.truncate(MIB as usize));
    assert_inspect_refuses(&cut, "a 64M e4dax image cut to 1M");
    let cut = copy_with(dir.path(), &ours, "cut-2K", |b| b.truncate(2 * KIB as usize));
    assert_inspect_refuses(&cut, "a 64M e4dax image cut inside its superblock");

    if !e2fsprogs() {
        return;
    }
    let stock = stock_image(dir.path(), "stock.img", 64 * MIB, UUID_B, &[]);
    let cut = copy_with(dir.path(), &stock, "cut-100K", |b| b.truncate(100 * KIB as usize));
    assert_inspect_refuses(&cut, "a stock image cut to 100K");
}

#[test]
fn inspect_refuses_bad_superblock_checksum() {
    let dir = tempdir();
    for image in images_to_corrupt(dir.path()) {
        let flipped = copy_with(dir.path(), &image, "flipped", |b| {
            b[SB_OFFSET + SB_VOLUME_NAME] ^= 0x5a;
        });
        let what = format!("{} with a flipped s_volume_name byte", image.display());
        for line in assert_inspect_refuses(&flipped, &what) {
            assert!(line.to_lowercase().contains("checksum"), "{what}: the message should name the checksum: {line}");
        }
    }
}

#[test]
fn inspect_refuses_unknown_incompatible_feature() {
    let dir = tempdir();
    for image in images_to_corrupt(dir.path()) {
        let original = read_bytes(&image);
        assert_eq!(
            stored_superblock_checksum(&original),
            superblock_checksum(&original[SB_OFFSET..SB_OFFSET + 1024]),
            "the test's crc32c agrees with the checksum in {}",
            image.display()
        );
        let unknown = copy_with(dir.path(), &image, "unknown-feature", |b| {
            b[SB_OFFSET + SB_FEATURE_INCOMPAT + 3] |= 0x80; // bit 0x80000000, little-endian
            fix_superblock_checksum(b);
        });
        let what = format!("{} with incompat bit 0x80000000", image.display());
        for line in assert_inspect_refuses(&unknown, &what) {
            assert!(line.contains("feature"), "{what}: the message should name the feature: {line}");
            assert!(
                !line.to_lowercase().contains("checksum"),
                "{what}: the checksum is right, only the feature is unknown: {line}"
            );
        }
    }
}
