//! `fsck` on the images e2fsprogs itself makes (issue 10): `mke2fs` with other block sizes and
//! feature sets, populated with `-d` and given extended attributes with `debugfs ea_set`, then
//! damaged with `debugfs -w` (`sif`, `ssv`, `zap_block`) where e2fsck has a numbered problem for
//! it: attribute blocks and in-inode attributes, the bad-block inode, quota inode numbers, the
//! root's dtime, `i_faddr`, `i_extra_isize`, the imagic flag, the MMP block, inline data.
//!
//! Rules, per base image: `e2fsck -fn` finds it clean (a precondition) and so does `fsck -n`
//! (exit 0, no finding: no false alarm), and `fsck -y` changes nothing. Per damage kind:
//! `e2fsck -fn` finds the damage (a precondition: a kind that damages nothing cannot pass);
//! `fsck -n` exits non-zero exactly when e2fsck does, and writes nothing; `fsck -y` exits 1;
//! after it, `e2fsck -fn` and `fsck -n` both exit 0. Every kind that breaks a rule is listed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

const UUID: &str = "6c1e5c4a-7d2b-4f43-9a1e-2b3c4d5e6f70";

/// A base image: mke2fs arguments, size, whether it is populated from the source tree.
struct Base {
    name: &'static str,
    args: &'static [&'static str],
    size: &'static str,
    populate: bool,
}

const BASES: &[Base] = &[
    Base { name: "ext4-4k", args: &["-t", "ext4", "-b", "4096"], size: "32M", populate: true },
    Base { name: "ext4-4k-2-groups", args: &["-t", "ext4", "-b", "4096"], size: "200M", populate: true },
    Base { name: "ext4-1k", args: &["-t", "ext4", "-b", "1024"], size: "32M", populate: true },
    Base { name: "ext4-2k", args: &["-t", "ext4", "-b", "2048"], size: "32M", populate: true },
    Base { name: "ext4-16k", args: &["-t", "ext4", "-b", "16384"], size: "64M", populate: true },
    Base { name: "ext4-64k", args: &["-t", "ext4", "-b", "65536"], size: "64M", populate: true },
    // ext2 and ext3: files and directories mapped by direct and indirect blocks.
    Base { name: "ext2-1k", args: &["-t", "ext2", "-b", "1024"], size: "32M", populate: true },
    Base { name: "ext3-1k", args: &["-t", "ext3", "-b", "1024"], size: "32M", populate: true },
    Base { name: "ext3-4k", args: &["-t", "ext3", "-b", "4096"], size: "32M", populate: true },
    Base { name: "no-csum", args: &["-t", "ext4", "-b", "4096", "-O", "^metadata_csum"], size: "32M", populate: true },
    Base {
        name: "uninit-bg",
        args: &["-t", "ext4", "-b", "4096", "-O", "^metadata_csum,uninit_bg"],
        size: "32M",
        populate: true,
    },
    Base { name: "inode-128", args: &["-t", "ext4", "-b", "4096", "-I", "128"], size: "32M", populate: true },
    Base { name: "no-flex-bg", args: &["-t", "ext4", "-b", "4096", "-O", "^flex_bg"], size: "32M", populate: true },
    Base { name: "no-64bit", args: &["-t", "ext4", "-b", "4096", "-O", "^64bit"], size: "32M", populate: true },
    Base { name: "no-dir-index", args: &["-t", "ext4", "-b", "4096", "-O", "^dir_index"], size: "32M", populate: true },
    Base { name: "large-dir", args: &["-t", "ext4", "-b", "4096", "-O", "large_dir"], size: "32M", populate: true },
    Base { name: "huge-file", args: &["-t", "ext4", "-b", "4096", "-O", "huge_file"], size: "32M", populate: true },
    Base {
        name: "sparse-super2",
        args: &["-t", "ext4", "-b", "4096", "-O", "sparse_super2"],
        size: "32M",
        populate: true,
    },
    Base {
        name: "stable-inodes",
        args: &["-t", "ext4", "-b", "4096", "-O", "stable_inodes"],
        size: "32M",
        populate: true,
    },
    Base { name: "verity", args: &["-t", "ext4", "-b", "4096", "-O", "verity"], size: "32M", populate: true },
    Base { name: "orphan-file", args: &["-t", "ext4", "-b", "4096", "-O", "orphan_file"], size: "32M", populate: true },
    // 37 groups of 1 KiB blocks: descriptors in two meta groups.
    Base {
        name: "meta-bg-1k",
        args: &["-t", "ext4", "-b", "1024", "-O", "meta_bg,^resize_inode"],
        size: "300M",
        populate: true,
    },
    // Attribute values in their own inodes (the i_blocks charge debugfs leaves out is made
    // by e2fsck -fy on the base).
    Base { name: "ea-inode", args: &["-t", "ext4", "-b", "4096", "-O", "ea_inode"], size: "32M", populate: true },
    Base { name: "mmp", args: &["-t", "ext4", "-b", "4096", "-O", "mmp"], size: "32M", populate: true },
    // Files under 60 bytes and small directories keep their data in the inode (inline_data).
    Base { name: "inline-data", args: &["-t", "ext4", "-b", "4096", "-O", "inline_data"], size: "32M", populate: true },
    // Not populated: mke2fs -d does not account the files it copies in the quota files, which
    // e2fsck reports (fsck does not check quota usage; see docs/fsck.md).
    Base { name: "quota", args: &["-t", "ext4", "-b", "4096", "-O", "quota"], size: "32M", populate: false },
    Base {
        name: "quota-project",
        args: &["-t", "ext4", "-b", "4096", "-O", "quota,project", "-I", "256"],
        size: "32M",
        populate: false,
    },
];

/// A damage kind: its base and the `debugfs -w` commands. In commands, `{ACL}` is the attribute
/// block of /d1/f2, `{IBLK}`/`{IOFF:+N}` the block holding /d1/f1's inode and its offset plus
/// N, `{MMP}` the MMP block, `{D1}` the first block of /d1, `{BMAP:PATH:N}` the block of PATH's
/// logical block N, `{IND:PATH}` PATH's indirect block, `{IBITMAP}` group 0's inode bitmap.
struct Kind {
    name: &'static str,
    base: &'static str,
    cmds: &'static [&'static str],
}

const fn k(name: &'static str, base: &'static str, cmds: &'static [&'static str]) -> Kind {
    Kind { name, base, cmds }
}

const KINDS: &[Kind] = &[
    // Attribute blocks (4 KiB and 1 KiB blocks).
    k("ea-checksum", "ext4-4k", &["zap_block -o 16 -l 4 -p 0x55 {ACL}"]),
    k("ea-value-inode", "ext4-4k", &["zap_block -o 36 -l 4 -p 0x55 {ACL}"]),
    k("ea-hash", "ext4-4k", &["zap_block -o 44 -l 1 -p 0x55 {ACL}"]),
    k("ea-value-bytes", "ext4-4k", &["zap_block -o 4000 -l 8 -p 0x55 {ACL}"]),
    k("ea-magic", "ext4-4k", &["zap_block -o 0 -l 1 -p 0x55 {ACL}"]),
    k("ea-refcount", "no-csum", &["zap_block -o 4 -l 1 -p 0x05 {ACL}"]),
    k("ea-h-blocks", "no-csum", &["zap_block -o 8 -l 1 -p 0x02 {ACL}"]),
    k("ea-value-past-end", "ext4-4k", &["zap_block -o 40 -l 2 -p 0x7f {ACL}"]),
    k("ea-name-index", "no-csum", &["zap_block -o 33 -l 1 -p 0 {ACL}"]),
    k("ea-checksum-1k", "ext4-1k", &["zap_block -o 16 -l 4 -p 0x55 {ACL}"]),
    k("ea-magic-1k", "ext4-1k", &["zap_block -o 0 -l 1 -p 0x55 {ACL}"]),
    k("ea-hash-1k", "ext4-1k", &["zap_block -o 44 -l 1 -p 0x55 {ACL}"]),
    // Blocks claimed twice (passes 1B-1D: the lower inode gets a copy, the last claimer keeps
    // the block; a file sharing with metadata gets a copy).
    k("dup-data-extent", "ext4-4k", &["sif /d1/f5 block[5] {BMAP:/big:2}"]),
    k("dup-data-three-claims", "ext4-4k", &["sif /d1/f5 block[5] {BMAP:/big:2}", "sif /d1/f6 block[5] {BMAP:/big:2}"]),
    k("dup-data-2k", "ext4-2k", &["sif /d1/f5 block[5] {BMAP:/big:7}"]),
    k("dup-data-64k", "ext4-64k", &["sif /d1/f5 block[5] {BMAP:/big:1}"]),
    k("dup-dir-block", "ext4-4k", &["sif /d1/f5 block[5] {D1}"]),
    k("dup-inode-bitmap", "ext4-4k", &["sif /d1/f5 block[5] {IBITMAP}"]),
    k("dup-data-blockmap", "ext2-1k", &["sif /d1/f5 block[0] {BMAP:/big:3}"]),
    k("dup-inode-bitmap-blockmap", "ext3-4k", &["sif /d1/f5 block[0] {IBITMAP}"]),
    k("dup-indirect-block", "ext2-1k", &["sif /d1/f6 block[IND] {IND:/big}"]),
    k("file-acl-out-of-range", "ext4-4k", &["sif /d1/f1 file_acl 99999999"]),
    k("file-acl-out-of-range-1k", "ext4-1k", &["sif /d1/f3 file_acl 12345678"]),
    // In-inode attributes: /d1/f1's entry's value offset (inode + 128 + 32 + 4 + 2).
    k("in-inode-ea-value-offset", "no-csum", &["zap_block -o {IOFF:+166} -l 2 -p 0xff {IBLK}"]),
    k("in-inode-ea-name-index", "no-csum", &["zap_block -o {IOFF:+164} -l 1 -p 0xf0 {IBLK}"]),
    // The bad-block inode.
    k("bad-blocks-illegal-block", "ext4-4k", &["sif <1> block[0] 12345678"]),
    k("bad-blocks-mode", "ext4-4k", &["sif <1> mode 0100644"]),
    k("bad-blocks-uid", "ext4-4k", &["sif <1> uid 5"]),
    k("bad-blocks-links", "ext4-1k", &["sif <1> links_count 1"]),
    // Quota inode numbers.
    k("quota-user-inode-9", "quota", &["ssv usr_quota_inum 9"]),
    k("quota-user-inode-past-count", "quota", &["ssv usr_quota_inum 99999"]),
    k("quota-group-inode-1", "quota", &["ssv grp_quota_inum 1"]),
    k("quota-project-inode-7", "quota", &["ssv prj_quota_inum 7"]),
    // The root's dtime, other inode fields.
    k("root-dtime-low", "ext4-4k", &["sif <2> dtime 5"]),
    k("root-dtime", "ext4-4k", &["sif <2> dtime 1700000000"]),
    k("root-dtime-1k", "ext4-1k", &["sif <2> dtime 7"]),
    k("faddr", "ext4-4k", &["sif /d1/f1 faddr 5"]),
    k("faddr-1k", "ext4-1k", &["sif /d1/f4 faddr 77"]),
    k("extra-isize-3", "ext4-4k", &["sif /d1/f1 extra_isize 3"]),
    k("extra-isize-200", "ext4-4k", &["sif /d1/f5 extra_isize 200"]),
    k("extra-isize-6", "ext4-2k", &["sif /d1/f6 extra_isize 6"]),
    k("imagic", "ext4-4k", &["sif /d1/f1 flags 0x82000"]),
    k("imagic-dir", "ext4-16k", &["sif /d1 flags 0x82000"]),
    // The root gone or not a directory (pass 3 makes a new one), EXTENTS_FL lost.
    k("root-extent-header", "ext4-4k", &["sif <2> block[0] 0x1234"]),
    k("root-not-a-directory", "ext4-4k", &["sif <2> mode 0100644"]),
    k("root-cleared", "ext4-2k", &["clri <2>"]),
    k("root-extent-flag", "ext4-4k", &["sif <2> flags 0"]),
    k("file-extent-flag", "ext4-1k", &["sif /big flags 0"]),
    k("dir-extent-flag", "ext4-4k", &["sif /d1 flags 0"]),
    // Inode flags and fields without the feature that gives them a meaning.
    k("casefold-flag-on-file", "ext4-4k", &["sif /d1/f1 flags 0x40080000"]),
    k("casefold-flag-no-feature", "ext4-4k", &["sif /d1 flags 0x40080000"]),
    k("index-flag-on-file", "ext4-1k", &["sif /d1/f1 flags 0x81000"]),
    k("blocks-hi", "no-64bit", &["sif /d1/f1 blocks_hi 1"]),
    // The same on block-mapped (ext2, ext3) images.
    k("ext2-ea-magic", "ext2-1k", &["zap_block -o 0 -l 1 -p 0x55 {ACL}"]),
    k("ext2-ea-hash", "ext2-1k", &["zap_block -o 44 -l 1 -p 0x55 {ACL}"]),
    k("ext2-faddr", "ext2-1k", &["sif /d1/f7 faddr 9"]),
    k("ext2-root-dtime", "ext2-1k", &["sif <2> dtime 3"]),
    k("ext2-bad-blocks-illegal", "ext2-1k", &["sif <1> block[3] 99999999"]),
    k("ext2-illegal-block", "ext2-1k", &["sif /big block[2] 99999999"]),
    k("ext2-illegal-indirect", "ext2-1k", &["sif /big block[IND] 99999999"]),
    k("ext3-imagic", "ext3-1k", &["sif /d1/f1 flags 0x2000"]),
    k("ext3-extra-isize", "ext3-4k", &["sif /d1/f2 extra_isize 5"]),
    k("ext3-illegal-double-indirect", "ext3-1k", &["sif /big block[DIND] 99999999"]),
    // Descriptors pointing outside their range or over other metadata: group 1's copy is used.
    k("gd-block-bitmap-outside", "ext4-4k-2-groups", &["set_bg 0 block_bitmap 99999999"]),
    k("gd-inode-bitmap-overlap", "ext4-4k-2-groups", &["set_bg 1 inode_bitmap 3"]),
    k("gd-inode-table-overlap", "ext4-4k-2-groups", &["set_bg 0 inode_table 27"]),
    // Descriptors in the second meta group (meta_bg).
    k("meta-bg-descriptor-checksum", "meta-bg-1k", &["set_bg 35 checksum 7"]),
    k("meta-bg-free-blocks", "meta-bg-1k", &["set_bg 34 free_blocks_count 5"]),
    k("meta-bg-block-bitmap-bit", "meta-bg-1k", &["freeb 10"]),
    // Attribute value inodes (/d1/f2's value, {EAI}).
    k("ea-inode-refcount", "ea-inode", &["sif <{EAI}> version 5"]),
    k("ea-inode-flag", "ea-inode", &["sif <{EAI}> flags 0x80000"]),
    k("ea-inode-hash", "ea-inode", &["sif <{EAI}> atime 12345"]),
    k("ea-inode-links", "ea-inode", &["sif <{EAI}> links_count 2"]),
    k("ea-inode-owner-blocks", "ea-inode", &["sif /d1/f2 blocks 8"]),
    // The MMP block.
    k("mmp-magic", "mmp", &["zap_block -o 0 -l 4 -p 0x11 {MMP}"]),
    k("mmp-checksum", "mmp", &["zap_block -o 1020 -l 4 -p 0x11 {MMP}"]),
    k("mmp-block-out-of-range", "mmp", &["ssv mmp_block 99999999"]),
    // Inline data: /d1/fN are inline files, /d1/d2 an inline directory.
    k("inline-no-attr-file", "inline-data", &["ea_rm /d1/f5 system.data"]),
    k("inline-no-attr-dir", "inline-data", &["ea_rm /d1/d2 system.data"]),
    k("inline-no-feature", "inline-data", &["feature -inline_data"]),
    k("inline-dir-size", "inline-data", &["sif /d1/d2 size 40"]),
    k("inline-file-blocks", "inline-data", &["sif /d1/f7 blocks 8"]),
    k("inline-extent-flag", "inline-data", &["sif /d1/f6 flags 0x10080000"]),
    k("inline-dir-bad-entry", "inline-data", &["sif /d1/d2 block[2] 0x01010003"]),
    k("inline-dir-bad-parent", "inline-data", &["sif /d1/d2 block[0] 99999"]),
    k("inline-dir-entry-out-of-range", "inline-data", &["sif /d1/d2 block[1] 99999"]),
    // system.data's hash (e2fsck -fn aborts, exit 8): the attribute area is cleared, and the
    // inline file without its attribute truncated, so that e2fsck finds it clean after -y.
    k("inline-system-data-hash", "inline-data", &["zap_block -o {IOFF:+176} -l 1 -p 0x55 {IBLK}"]),
    // An extent in /big's root starting past the last block, or running past it: only that
    // extent is removed (e2fsck's PR_1_EXTENT_BAD_START_BLK, PR_1_EXTENT_ENDS_BEYOND).
    k("extent-bad-start", "ext4-4k", &["sif /big block[5] 99999999"]),
    k("extent-ends-beyond-1k", "ext4-1k", &["sif /big block[5] 32700"]),
    // The journal inode's i_size past the blocks it maps ("Superblock has an invalid journal":
    // both clear the journal; e2fsck makes a new one), below the smallest journal, and its
    // i_blocks (pass 1's count).
    k("journal-size-past-blocks", "ext4-4k", &["sif <8> size 999999999"]),
    k("journal-size-small-1k", "ext4-1k", &["sif <8> size 4096"]),
    k("journal-i-blocks", "ext4-4k", &["sif <8> blocks 5"]),
    // The resize inode (e2fsck's check_resize_inode: "Resize inode not valid. Recreate?"; a
    // read-only e2fsck does not count it as an error, so damage pass 1 also sees is used).
    k("resize-inode-mode", "ext4-4k", &["sif <7> mode 040755"]),
    k("ext2-resize-inode-dind", "ext2-1k", &["sif <7> block[DIND] 99999999"]),
    k("ext3-resize-inode-direct", "ext3-1k", &["sif <7> block[0] 1234"]),
    // '.' and '..' of /d1's first block ({D1}), and a name in it: '..' renamed, a byte after
    // '.' or '..' that is not NUL, a '/' in the third entry's name.
    k("dotdot-name", "no-csum", &["zap_block -o 21 -l 1 -p 0x41 {D1}"]),
    k("dotdot-name-csum", "ext4-4k", &["zap_block -o 20 -l 1 -p 0x41 {D1}"]),
    k("dot-not-nul-terminated", "no-csum", &["zap_block -o 9 -l 1 -p 0x41 {D1}"]),
    k("dotdot-not-nul-terminated", "ext2-1k", &["zap_block -o 22 -l 1 -p 0x41 {D1}"]),
    k("name-with-slash", "no-csum", &["zap_block -o 33 -l 1 -p 0x2f {D1}"]),
];

fn run(cmd: &mut Command) -> (i32, String) {
    let out = cmd.env("TZ", "UTC").env("LC_ALL", "C").output().expect("cannot run a tool");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// The image's sha256 (to see that a run wrote nothing).
fn digest(img: &Path) -> String {
    sha256(img).expect("sha256sum is needed to compare images")
}

fn e2fsck_n(img: &Path) -> (i32, String) {
    run(Command::new(tool("e2fsck")).arg("-fn").arg(img))
}

fn fsck(img: &Path, mode: &str) -> (i32, String) {
    let out = run_e4dax(&["fsck".as_ref(), "-f".as_ref(), mode.as_ref(), img.as_os_str()]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// `debugfs -w -R CMD`, which must succeed: debugfs exits 0 on most errors, so anything on
/// stderr but its banner is a failure too.
fn debugfs_w(img: &Path, cmd: &str) {
    let out = Command::new(tool("debugfs")).arg("-w").arg("-R").arg(cmd).arg(img).output().expect("debugfs");
    let err = String::from_utf8_lossy(&out.stderr);
    // (Closing an image whose MMP block was just damaged complains about the damage.)
    let complaints: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("debugfs ") && !l.starts_with("ext2fs_close: MMP") && !l.trim().is_empty())
        .collect();
    assert!(out.status.success() && complaints.is_empty(), "debugfs -w -R {cmd:?} {}: {err}", img.display());
}

/// The source tree every populated base is made from: small files, a 300 KB one, a nested
/// directory, symlinks.
fn source_tree(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("d1/d2")).unwrap();
    for i in 1..=40 {
        std::fs::write(src.join(format!("d1/f{i}")), format!("file {i}\n")).unwrap();
    }
    std::fs::write(src.join("big"), pseudo_random(300_000, 7)).unwrap();
    std::fs::write(src.join("d1/d2/mid"), pseudo_random(5000, 8)).unwrap();
    std::os::unix::fs::symlink("d1/f1", src.join("sym")).unwrap();
    std::os::unix::fs::symlink("x".repeat(100), src.join("longsym")).unwrap();
    src
}

fn make_base(dir: &Path, src: &Path, b: &Base) -> PathBuf {
    let img = dir.join(format!("{}.img", b.name));
    let seed = format!("hash_seed={UUID}");
    let mut cmd = Command::new(tool("mke2fs"));
    cmd.args(["-q", "-F", "-U", UUID, "-E", &seed]).args(b.args).env("E2FSPROGS_FAKE_TIME", TIME);
    if b.populate {
        cmd.arg("-d").arg(src);
    }
    cmd.arg(&img).arg(b.size);
    let (rc, text) = run(&mut cmd);
    assert_eq!(rc, 0, "mke2fs {:?}: {text}", b.args);
    if b.populate {
        // An attribute in the inode (/d1/f1), and attribute blocks (/d1/f2, /d1/f3).
        debugfs_w(&img, "ea_set /d1/f1 user.small hello");
        let big = "v".repeat(if b.args.contains(&"1024") { 700 } else { 1500 });
        debugfs_w(&img, &format!("ea_set /d1/f2 user.big {big}"));
        debugfs_w(&img, &format!("ea_set /d1/f3 trusted.other {big}"));
    }
    if b.args.iter().any(|a| a.contains("ea_inode")) {
        // Values bigger than a block go to value inodes; debugfs does not charge their blocks
        // to the owner's i_blocks as the kernel does: e2fsck -fy does.
        debugfs_w(&img, &format!("ea_set /d1/f2 user.huge {}", "w".repeat(6000)));
        debugfs_w(&img, &format!("ea_set /d1/f4 user.huge {}", "q".repeat(9000)));
        let (rc, text) = run(Command::new(tool("e2fsck")).arg("-fy").arg(&img));
        assert!(rc <= 1, "e2fsck -fy on base {}: {text}", b.name);
    }
    img
}

/// Fill a kind's placeholders from the image.
fn commands(img: &Path, cmds: &[&str]) -> Vec<String> {
    cmds.iter()
        .map(|c| {
            let mut c = c.to_string();
            if c.contains("{ACL}") {
                let stat = debugfs(img, "stat /d1/f2");
                let acl = stat.lines().find_map(|l| l.trim().strip_prefix("File ACL: ")).expect("File ACL line");
                c = c.replace("{ACL}", acl.split_whitespace().next().unwrap());
            }
            if c.contains("{IBLK}") {
                let imap = debugfs(img, "imap /d1/f1");
                let line = imap.lines().find(|l| l.contains("located at block")).expect("imap line");
                let words: Vec<&str> = line.split_whitespace().collect();
                let blk = words[3].trim_end_matches(',');
                let off = u64::from_str_radix(words[5].trim_start_matches("0x"), 16).unwrap();
                c = c.replace("{IBLK}", blk);
                if let Some(at) = c.find("{IOFF:+") {
                    let end = c[at..].find('}').unwrap() + at;
                    let plus: u64 = c[at + 7..end].parse().unwrap();
                    c.replace_range(at..=end, &(off + plus).to_string());
                }
            }
            if c.contains("{EAI}") {
                let out = run_e4dax(&[
                    "inspect".as_ref(),
                    img.as_os_str(),
                    "inode".as_ref(),
                    "/d1/f2".as_ref(),
                    "--json".as_ref(),
                ]);
                let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("inspect inode --json");
                let eai = v["xattrs"]
                    .as_array()
                    .and_then(|x| x.iter().find_map(|a| a["value_inode"].as_u64().filter(|&i| i != 0)))
                    .expect("/d1/f2 has an attribute in a value inode");
                c = c.replace("{EAI}", &eai.to_string());
            }
            if c.contains("{D1}") {
                let out = debugfs(img, "bmap /d1 0");
                let blk = out.lines().rev().find_map(|l| l.trim().parse::<u64>().ok()).expect("bmap /d1 0");
                c = c.replace("{D1}", &blk.to_string());
            }
            // {BMAP:PATH:N}: the physical block of PATH's logical block N.
            while let Some(at) = c.find("{BMAP:") {
                let end = c[at..].find('}').unwrap() + at;
                let (path, n) = c[at + 6..end].rsplit_once(':').unwrap();
                let out = debugfs(img, &format!("bmap {path} {n}"));
                let blk = out.lines().rev().find_map(|l| l.trim().parse::<u64>().ok()).expect("bmap");
                c.replace_range(at..=end, &blk.to_string());
            }
            // {IND:PATH}: PATH's single indirect block (debugfs stat's "(IND):N").
            while let Some(at) = c.find("{IND:") {
                let end = c[at..].find('}').unwrap() + at;
                let stat = debugfs(img, &format!("stat {}", &c[at + 5..end]));
                let ind = stat.split("(IND):").nth(1).expect("an indirect block");
                let blk: String = ind.chars().take_while(char::is_ascii_digit).collect();
                c.replace_range(at..=end, &blk);
            }
            if c.contains("{IBITMAP}") {
                let out = debugfs(img, "stats");
                let at = out.split("inode bitmap at ").nth(1).expect("group 0's inode bitmap");
                let blk: String = at.chars().take_while(char::is_ascii_digit).collect();
                c = c.replace("{IBITMAP}", &blk);
            }
            if c.contains("{MMP}") {
                let h = dumpe2fs_h(img);
                c = c.replace("{MMP}", field(&h, "MMP block number"));
            }
            c
        })
        .collect()
}

#[test]
fn images_e2fsprogs_makes_check_as_e2fsck_checks_them() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let src = source_tree(dir.path());
    let mut broken: Vec<String> = Vec::new();
    let mut table = String::new();
    for b in BASES {
        let img = make_base(dir.path(), &src, b);
        let (e2, e2_text) = e2fsck_n(&img);
        assert_eq!(e2, 0, "base {}: e2fsck -fn is not clean (the corpus is wrong):\n{e2_text}", b.name);
        if let Some(diff) = fsck_jobs_difference(&img, &["-n"]) {
            broken.push(format!("clean base {}: the result depends on --jobs\n{diff}", b.name));
        }
        let before = digest(&img);
        let (n, n_text) = fsck(&img, "-n");
        if n != 0 {
            broken.push(format!("clean base {}: fsck -n exit {n} (false alarm):\n{n_text}", b.name));
        }
        let (y, y_text) = fsck(&img, "-y");
        if y != 0 || digest(&img) != before {
            broken.push(format!("clean base {}: fsck -y exit {y} or changed the image:\n{y_text}", b.name));
        }
        table.push_str(&format!("{:<28} clean         e2fsck -n {e2:<2} fsck -n {n}  fsck -y {y}\n", b.name));
    }
    // The kinds are independent: a few at a time (the checkers mostly wait on their images).
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<(usize, String, Vec<String>)>> = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(kind) = KINDS.get(i) else { break };
                let (row, bad) = check_kind(dir.path(), kind);
                results.lock().unwrap().push((i, row, bad));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|r| r.0);
    for (_, row, bad) in results {
        table.push_str(&row);
        broken.extend(bad);
    }
    eprintln!("{table}");
    assert!(
        broken.is_empty(),
        "{} of {} cases broke a rule:\n{}",
        broken.len(),
        BASES.len() + KINDS.len(),
        broken.join("\n")
    );
}

/// Damage a copy of the kind's base and hold both checkers to the rules: the table row and
/// every rule broken.
fn check_kind(dir: &Path, kind: &Kind) -> (String, Vec<String>) {
    let mut broken = Vec::new();
    let base = dir.join(format!("{}.img", kind.base));
    let img = dir.join(format!("k-{}.img", kind.name));
    copy_image(&base, &img);
    for c in commands(&img, kind.cmds) {
        debugfs_w(&img, &c);
    }
    let (e2, e2_text) = e2fsck_n(&img);
    assert_ne!(e2, 0, "kind {}: e2fsck -fn finds nothing: the damage is not made\n{e2_text}", kind.name);
    for mode in ["-n", "-y"] {
        if let Some(diff) = fsck_jobs_difference(&img, &[mode]) {
            broken.push(format!("{}: the result depends on --jobs\n{diff}", kind.name));
        }
    }
    let before = digest(&img);
    let (n, n_text) = fsck(&img, "-n");
    if (n != 0) != (e2 != 0) || !(0..8).contains(&n) {
        broken.push(format!("{}: fsck -n exit {n}, e2fsck -fn exit {e2}\n{n_text}\n{e2_text}", kind.name));
    }
    if digest(&img) != before {
        broken.push(format!("{}: fsck -n wrote to the image", kind.name));
    }
    let (y, y_text) = fsck(&img, "-y");
    let (after_e2, after_e2_text) = e2fsck_n(&img);
    let (after_n, after_n_text) = fsck(&img, "-n");
    if y != 1 || after_e2 != 0 || after_n != 0 {
        broken.push(format!(
            "{}: fsck -y exit {y}, then e2fsck -fn exit {after_e2}, fsck -n exit {after_n}\n{y_text}\n{after_e2_text}\n{after_n_text}",
            kind.name
        ));
    }
    let row = format!(
        "{:<28} {:<13} e2fsck -n {e2:<2} fsck -n {n}  fsck -y {y}  then e2fsck -n {after_e2}, fsck -n {after_n}\n",
        kind.name, kind.base
    );
    (row, broken)
}
