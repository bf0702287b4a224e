//! Known-answer checksum tests: the library's crc32c checksums of every kind of structure agree
//! with what `mkfs.ext4` wrote on a stock image (superblock, group descriptors, bitmaps, inodes,
//! a directory leaf tail, an extent block tail), and decoded structures re-encode to the same
//! bytes.

use std::io::Write;

use e4dax::fs::Fs;
use e4dax::ondisk::checksum::{crc32c_raw, inode_seed};
use e4dax::ondisk::extent::{self, Header, Index};
use e4dax::ondisk::group_desc::{GroupDesc, BLOCK_UNINIT, INODE_UNINIT};
use e4dax::ondisk::superblock::Superblock;
use e4dax::ondisk::{dirent, inode};
use e4dax::pmem::{Device, MappedImage};

use crate::common::{debugfs, e2fsprogs, stock_image, tempdir, MIB, UUID_A};

/// A stock image with a file of 6 separate extents (so its tree has a leaf block).
fn stock_with_fragmented_file(dir: &std::path::Path) -> std::path::PathBuf {
    let src = dir.join("src");
    std::fs::create_dir(&src).unwrap();
    let mut f = std::fs::File::create(src.join("frag")).unwrap();
    for i in 0..6u64 {
        use std::io::Seek;
        f.seek(std::io::SeekFrom::Start(i * 8192)).unwrap();
        f.write_all(&[i as u8 + 1; 4096]).unwrap();
    }
    drop(f);
    stock_image(dir, "stock.img", 64 * MIB, UUID_A, &["-d", src.to_str().unwrap()])
}

fn inode_number(img: &std::path::Path, path: &str) -> u32 {
    let out = debugfs(img, &format!("stat {path}"));
    let word = out.split_whitespace().skip_while(|w| *w != "Inode:").nth(1).expect("debugfs stat");
    word.parse().unwrap()
}

#[test]
fn checksums_agree_with_mkfs_ext4() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = stock_with_fragmented_file(dir.path());
    let frag_ino = inode_number(&img, "/frag");
    let dev = MappedImage::open(&img, false).unwrap();
    let fs = Fs::open(dev).expect("stock image opens");
    let sb = &fs.sb;
    let seed = sb.csum_seed();
    let bs = fs.block_size() as u64;

    // Superblock: parse verified the checksum; re-encoding gives the same bytes.
    let raw_sb = fs.dev.view(1024, 1024).unwrap().into_owned();
    assert_eq!(Superblock::parse(&raw_sb).unwrap().encode().to_vec(), raw_sb);

    // Group descriptors and bitmaps.
    for (g, d) in fs.groups().iter().enumerate() {
        assert!(fs.group_checksum_ok(g), "group {g} descriptor checksum");
        let ds = sb.desc_size() as usize;
        let raw = fs.dev.view(bs + (g * ds) as u64, ds).unwrap();
        let mut again = raw.to_vec();
        GroupDesc::parse(&raw).encode_into(&mut again);
        assert_eq!(&again[..], &raw[..], "group {g} descriptor re-encodes");
        if !d.has_flag(BLOCK_UNINIT) {
            let bb = fs.block(d.block_bitmap).unwrap();
            let c = crc32c_raw(seed, &bb[..(sb.f.s_blocks_per_group / 8) as usize]);
            assert_eq!(c, d.block_bitmap_csum, "group {g} block bitmap checksum");
        }
        if !d.has_flag(INODE_UNINIT) {
            let ib = fs.block(d.inode_bitmap).unwrap();
            let c = crc32c_raw(seed, &ib[..(sb.f.s_inodes_per_group / 8) as usize]);
            assert_eq!(c, d.inode_bitmap_csum, "group {g} inode bitmap checksum");
        }
    }

    // Inodes: the reserved ones, root, lost+found and the file.
    for ino in (1..=11).chain([frag_ino]) {
        let slot = fs.inode_slot(ino).unwrap();
        assert!(inode::checksum_ok(&slot, seed, ino), "inode {ino} checksum");
        let mut again = slot.to_vec();
        inode::Inode::parse(&slot).encode_into(&mut again);
        assert_eq!(&again[..], &slot[..], "inode {ino} re-encodes");
    }

    // The root directory's leaf tail.
    let root = fs.inode(inode::ROOT_INO).unwrap();
    let e = e4dax::extent::lookup(&fs, &root, 0).unwrap().expect("root block 0 mapped");
    let blk = fs.block(e.physical).unwrap();
    assert!(dirent::tail_checksum_ok(&blk, inode_seed(seed, 2, root.f.i_generation)), "root leaf tail");

    // The file's extent leaf block.
    let node = fs.inode(frag_ino).unwrap();
    let h = Header::parse(&node.f.i_block, extent::ROOT_CAPACITY).unwrap();
    assert_eq!(h.depth, 1, "six extents need a leaf block");
    let ix = Index::parse(&node.f.i_block[extent::entry_offset(0)..]);
    let leaf = fs.block(ix.child).unwrap();
    let lh = Header::parse(&leaf, extent::block_capacity(fs.block_size())).unwrap();
    assert_eq!(lh.entries, 6);
    let iseed = inode_seed(seed, frag_ino, node.f.i_generation);
    assert!(extent::block_checksum_ok(&leaf, iseed, lh.max), "extent leaf tail");
    for i in 0..6u32 {
        let e = e4dax::extent::lookup(&fs, &node, 2 * i).unwrap().expect("mapped");
        assert_eq!((e.logical, e.len, e.unwritten), (2 * i, 1, false));
        assert_eq!(e4dax::extent::lookup(&fs, &node, 2 * i + 1).unwrap(), None);
    }
}
