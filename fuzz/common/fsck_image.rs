//! The image and the harness of the `fsck` fuzz target, shared with the test that replays what
//! the fuzzer found (`tests/it/fsck_sweep.rs`, `fsck_fuzz_regressions`): the same pristine image
//! (built once, in memory, by the library), the same input format and the same checks, so a
//! regression replays on exactly what the fuzzer ran.
//!
//! The pristine image: `mkfs` of 16 MiB, a directory with a subdirectory and a dozen files, files
//! with unwritten extents, and one with 12 extents (a leaf block). Its metadata — superblock,
//! group descriptor block, both bitmaps, the inode-table blocks holding inodes in use, the extent
//! and directory blocks, the journal superblock — is laid end to end as one "region" the input
//! addresses.
//!
//! Input: byte 0 is flags, the rest says what to change.
//! * bit 0 clear: records of 4 bytes, a 24-bit little-endian position in the region (modulo its
//!   length) and the byte to store there; set: a 24-bit start, then bytes XORed over the region
//!   from there on (wrapping).
//! * bit 1: recompute the checksums of the structures changed (superblock, group descriptor and
//!   bitmap checksums, inodes, extent and directory block tails, journal superblock), so the
//!   checker gets past "bad checksum" into the structure itself.
//! * bit 2: also run `fsck -y` (mount, replay, repairs through the journal), then `fsck -n` on
//!   what it left.
//! * bit 3: check with `--data` (stale data).
//! * bit 4: the block-mapped image instead: `mke2fs -t ext2 -b 1024` of 16 MiB populated with
//!   `-d` (small files, a file with single and double indirect blocks, a sparse file, nested
//!   directories, a 200-entry directory), built once by e2fsprogs (needed on the machine); its
//!   region holds the indirect blocks in place of extent blocks.
//!
//! [`run`] opens as `e4dax fsck` does (the library's `open::open_for_check`) and checks, and
//! panics when a rule breaks: `fsck -n` stores anything; `fsck -y` ends 0 or 1 but a `fsck -n`
//! of what it left is not clean. A panic, an abort or a hang (`-timeout=`) is a bug in e4dax.
//!
//! Every run is in memory: a copy-on-write device over the pristine bytes (only the 4 KiB pages
//! written are copied), so an execution costs what the check costs.

// The fuzz target and the test each use a part.
#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use e4dax::check::{Checker, Mode, Options, Report};
use e4dax::fs::layout::Params;
use e4dax::fs::lookup::RunKind;
use e4dax::fs::mkfs::{mkfs, MkfsOptions};
use e4dax::fs::open::{self, Opened};
use e4dax::fs::Fs;
use e4dax::ondisk::checksum::{crc32c_raw, inode_seed};
use e4dax::ondisk::inode::FL_EXTENTS;
use e4dax::ondisk::superblock::Superblock;
use e4dax::ondisk::{dirent, extent, group_desc, inode};
use e4dax::pmem::{self, Device};

const PAGE: u64 = 4096;
const SIZE: u64 = 16 << 20;

/// A device over shared bytes: writes copy the 4 KiB pages they touch.
pub struct Overlay<'a> {
    base: &'a [u8],
    pages: BTreeMap<u64, Box<[u8]>>,
    tag: &'static str,
}

impl<'a> Overlay<'a> {
    pub fn new(base: &'a [u8]) -> Self {
        Overlay { base, pages: BTreeMap::new(), tag: pmem::DEFAULT_TAG }
    }

    fn check(&self, off: u64, len: u64) -> Result<(), pmem::Error> {
        match off.checked_add(len) {
            Some(end) if end <= self.base.len() as u64 => Ok(()),
            _ => Err(pmem::Error::OutOfRange { off, len, size: self.base.len() as u64 }),
        }
    }

    fn page_mut(&mut self, p: u64) -> &mut [u8] {
        let base = self.base;
        self.pages.entry(p).or_insert_with(|| {
            let at = (p * PAGE) as usize;
            base[at..(at + PAGE as usize).min(base.len())].into()
        })
    }

    /// The whole image as it now reads.
    pub fn materialize(&self) -> Vec<u8> {
        let mut v = self.base.to_vec();
        for (p, data) in &self.pages {
            let at = (p * PAGE) as usize;
            v[at..at + data.len()].copy_from_slice(data);
        }
        v
    }
}

impl Device for Overlay<'_> {
    fn len(&self) -> u64 {
        self.base.len() as u64
    }

    fn view(&self, off: u64, len: usize) -> Result<Cow<'_, [u8]>, pmem::Error> {
        self.check(off, len as u64)?;
        if len == 0 {
            return Ok(Cow::Borrowed(&[]));
        }
        let (first, last) = (off / PAGE, (off + len as u64 - 1) / PAGE);
        if self.pages.range(first..=last).next().is_none() {
            return Ok(Cow::Borrowed(&self.base[off as usize..off as usize + len]));
        }
        let mut out = self.base[off as usize..off as usize + len].to_vec();
        for (p, data) in self.pages.range(first..=last) {
            let (ps, pe) = (p * PAGE, p * PAGE + data.len() as u64);
            let (s, e) = (ps.max(off), pe.min(off + len as u64));
            out[(s - off) as usize..(e - off) as usize].copy_from_slice(&data[(s - ps) as usize..(e - ps) as usize]);
        }
        Ok(Cow::Owned(out))
    }

    fn store(&mut self, off: u64, bytes: &[u8]) -> Result<(), pmem::Error> {
        self.check(off, bytes.len() as u64)?;
        let mut at = off;
        let mut rest = bytes;
        while !rest.is_empty() {
            let p = at / PAGE;
            let inner = (at % PAGE) as usize;
            let n = rest.len().min(PAGE as usize - inner);
            self.page_mut(p)[inner..inner + n].copy_from_slice(&rest[..n]);
            at += n as u64;
            rest = &rest[n..];
        }
        Ok(())
    }

    fn store_nt(&mut self, off: u64, bytes: &[u8]) -> Result<(), pmem::Error> {
        self.store(off, bytes)
    }

    fn flush(&mut self, off: u64, len: u64) -> Result<(), pmem::Error> {
        self.check(off, len)
    }

    fn fence(&mut self) -> Result<(), pmem::Error> {
        Ok(())
    }

    fn set_tag(&mut self, tag: &'static str) -> &'static str {
        std::mem::replace(&mut self.tag, tag)
    }

    fn sync(&mut self) -> Result<(), pmem::Error> {
        Ok(())
    }
}

/// What a piece of the region is, for recomputing its checksum.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Superblock,
    GroupDescs,
    Bitmap,
    /// An inode-table block; the number of its first inode.
    Inodes(u32),
    /// An extent-tree block of this inode.
    ExtentBlock(u32),
    /// An indirect block of this block-mapped inode.
    IndirectBlock(u32),
    /// A directory block of this inode.
    DirBlock(u32),
    JournalSuperblock,
}

/// One piece of the region: image bytes `start..start + len`.
#[derive(Clone, Copy, Debug)]
pub struct Piece {
    pub kind: Kind,
    pub start: u64,
    pub len: u64,
}

pub struct Pristine {
    pub bytes: &'static [u8],
    pub pieces: Vec<Piece>,
    pub total: u64,
    fs_seed: u32,
    /// Whether the file system has `metadata_csum` (else nothing is recomputed).
    csum: bool,
    inode_size: u64,
    /// Group 0's descriptor, bitmaps, and how many bytes of each bitmap are checksummed.
    gdt: u64,
    block_bitmap: u64,
    inode_bitmap: u64,
    block_bitmap_bytes: usize,
    inode_bitmap_bytes: usize,
}

pub fn pristine() -> &'static Pristine {
    static P: OnceLock<Pristine> = OnceLock::new();
    P.get_or_init(build)
}

/// The block-mapped pristine image (input flag bit 4).
pub fn pristine_blockmap() -> &'static Pristine {
    static P: OnceLock<Pristine> = OnceLock::new();
    P.get_or_init(build_blockmap)
}

/// The pristine image an input asks for.
pub fn pristine_for(input: &[u8]) -> &'static Pristine {
    if input.first().is_some_and(|f| f & 0x10 != 0) {
        pristine_blockmap()
    } else {
        pristine()
    }
}

/// An e2fsprogs tool from PATH, /usr/sbin or /sbin.
fn e2fs_tool(name: &str) -> std::path::PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} not found: the block-mapped fuzz image needs e2fsprogs"))
}

fn build_blockmap() -> Pristine {
    let dir = std::env::temp_dir().join(format!("e4dax-fuzz-blockmap-{}", std::process::id()));
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("d/sub")).expect("source tree");
    for i in 0..12 {
        std::fs::write(src.join(format!("d/f{i:02}")), format!("file {i}\n")).expect("file");
    }
    std::fs::create_dir_all(src.join("many")).expect("dir");
    for i in 0..200 {
        std::fs::write(src.join(format!("many/entry-with-a-longer-name-{i:03}")), b"").expect("file");
    }
    let big: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    std::fs::write(src.join("big"), &big).expect("big");
    let sparse = std::fs::File::create(src.join("sparse")).expect("sparse");
    std::os::unix::fs::FileExt::write_all_at(&sparse, b"tail", 200 << 10).expect("sparse tail");
    drop(sparse);
    let img = dir.join("ext2.img");
    let out = std::process::Command::new(e2fs_tool("mke2fs"))
        .args(["-q", "-F", "-t", "ext2", "-b", "1024"])
        .args(["-U", "5c0ffee0-1234-4abc-8def-0123456789ab", "-E", "hash_seed=5c0ffee0-1234-4abc-8def-0123456789ab"])
        .arg("-d")
        .arg(&src)
        .arg(&img)
        .arg("16M")
        .env("E2FSPROGS_FAKE_TIME", "1700000000")
        .output()
        .expect("run mke2fs");
    assert!(out.status.success(), "mke2fs: {}", String::from_utf8_lossy(&out.stderr));
    let bytes: &'static [u8] = Box::leak(std::fs::read(&img).expect("read the image").into_boxed_slice());
    let _ = std::fs::remove_dir_all(&dir);
    region_of(bytes)
}

fn build() -> Pristine {
    // Only the pristine bytes live on (in the static): nothing is leaked (LeakSanitizer).
    let zeros = vec![0u8; SIZE as usize];
    let mut dev = Overlay::new(&zeros);
    let opts = MkfsOptions {
        params: Params { size_bytes: SIZE, journal_bytes: None, inodes: None, journal: true },
        uuid: *b"\x5c\x0f\xfe\xe0\x12\x34\x4a\xbc\x8d\xef\x01\x23\x45\x67\x89\xab",
        label: String::new(),
        time: 1_700_000_000,
        poison: false,
    };
    mkfs(&mut dev, &opts, &mut |_, _| {}).expect("mkfs");
    let mut fs = Fs::mount(dev, true).expect("mount").0;
    fs.create("/d", true, false).expect("mkdir /d");
    fs.create("/d/sub", true, false).expect("mkdir /d/sub");
    for i in 0..12 {
        fs.create(&format!("/d/f{i:02}"), false, false).expect("create");
    }
    let a = fs.create("/d/a", false, false).expect("create /d/a");
    fs.fallocate(a, 0, 16 << 10, false).expect("fallocate");
    let frag = fs.create("/frag", false, false).expect("create /frag");
    fs.fallocate(frag, 0, 24 * PAGE, false).expect("fallocate");
    for i in (1..24).step_by(2) {
        fs.punch(frag, i * PAGE, PAGE).expect("punch");
    }
    fs.unmount().expect("unmount");
    let bytes: &'static [u8] = Box::leak(fs.dev.materialize().into_boxed_slice());
    drop(fs);
    drop(zeros);
    region_of(bytes)
}

/// The region of a pristine image: its metadata laid end to end.
fn region_of(bytes: &'static [u8]) -> Pristine {
    let fs = Fs::open(Overlay::new(bytes)).expect("open the pristine image");
    let bs = u64::from(fs.block_size());
    let g0 = fs.groups()[0].clone();
    let gdt = (u64::from(fs.sb.f.s_first_data_block) + 1) * bs;
    let mut pieces = vec![
        Piece { kind: Kind::Superblock, start: 1024, len: 1024 },
        Piece { kind: Kind::GroupDescs, start: gdt, len: bs },
        Piece { kind: Kind::Bitmap, start: g0.block_bitmap * bs, len: bs },
        Piece { kind: Kind::Bitmap, start: g0.inode_bitmap * bs, len: bs },
    ];
    let isz = u64::from(fs.sb.inode_size());
    let per_block = (bs / isz) as u32;
    let mut itable_blocks = std::collections::BTreeSet::new();
    let ibm = fs.block(g0.inode_bitmap).expect("inode bitmap").into_owned();
    let mut more = Vec::new();
    for ino in 1..=fs.sb.f.s_inodes_per_group {
        let i = (ino - 1) as usize;
        if ibm[i / 8] & (1 << (i % 8)) == 0 {
            continue;
        }
        let node = fs.inode(ino).expect("inode");
        if node.f.i_mode == 0 {
            continue;
        }
        itable_blocks.insert((ino - 1) / per_block);
        if node.has_flag(FL_EXTENTS) {
            for n in fs.extent_nodes(ino, &node).expect("extent nodes") {
                if let Some(b) = n.block {
                    more.push(Piece { kind: Kind::ExtentBlock(ino), start: b * bs, len: bs });
                }
            }
        } else if node.is_reg() || node.is_dir() {
            for r in fs.inode_runs(ino, &node).expect("block map") {
                if let RunKind::Indirect { .. } = r.kind {
                    for k in 0..r.len {
                        more.push(Piece { kind: Kind::IndirectBlock(ino), start: (r.start + k) * bs, len: bs });
                    }
                }
            }
        }
        if node.is_dir() {
            for e in fs.file_extents(ino, &node).expect("extents") {
                for k in 0..u64::from(e.len) {
                    more.push(Piece { kind: Kind::DirBlock(ino), start: (e.physical + k) * bs, len: bs });
                }
            }
        }
    }
    for b in itable_blocks {
        let first = b * per_block + 1;
        let at = fs.inode_offset(first).expect("inode offset");
        pieces.push(Piece { kind: Kind::Inodes(first), start: at, len: bs });
    }
    pieces.extend(more);
    if let Some((geo, _)) = fs.journal_geometry().expect("journal") {
        let b = geo.map(0).expect("journal block 0");
        pieces.push(Piece { kind: Kind::JournalSuperblock, start: b * bs, len: 1024 });
    }
    let total = pieces.iter().map(|p| p.len).sum();
    let blocks_in_g0 =
        u64::from(fs.sb.f.s_blocks_per_group).min(fs.sb.blocks_count() - u64::from(fs.sb.f.s_first_data_block));
    Pristine {
        bytes,
        pieces,
        total,
        fs_seed: fs.sb.csum_seed(),
        csum: fs.sb.has_metadata_csum(),
        inode_size: isz,
        gdt,
        block_bitmap: g0.block_bitmap * bs,
        inode_bitmap: g0.inode_bitmap * bs,
        block_bitmap_bytes: blocks_in_g0.div_ceil(8) as usize,
        inode_bitmap_bytes: (fs.sb.f.s_inodes_per_group as usize).div_ceil(8),
    }
}

/// The image offset of region position `pos` (< total), and the piece holding it.
fn locate(p: &Pristine, mut pos: u64) -> (u64, usize) {
    for (i, piece) in p.pieces.iter().enumerate() {
        if pos < piece.len {
            return (piece.start + pos, i);
        }
        pos -= piece.len;
    }
    unreachable!("position past the region")
}

fn u24(b: &[u8]) -> u64 {
    u64::from(b[0]) | u64::from(b[1]) << 8 | u64::from(b[2]) << 16
}

/// The image with the input's changes: the device and which pieces changed.
pub fn patched(p: &Pristine, input: &[u8]) -> (Overlay<'static>, Vec<usize>) {
    let mut dev = Overlay::new(p.bytes);
    let mut touched = Vec::new();
    let mut set = |dev: &mut Overlay<'_>, pos: u64, f: &dyn Fn(u8) -> u8| {
        let (at, piece) = locate(p, pos % p.total);
        let old = dev.view(at, 1).expect("in range")[0];
        dev.store(at, &[f(old)]).expect("in range");
        if std::env::var_os("E4DAX_FUZZ_EXPLAIN").is_some() {
            let pc = &p.pieces[piece];
            eprintln!("byte {at} ({:?} +{:#x}): {old:#04x} -> {:#04x}", pc.kind, at - pc.start, f(old));
        }
        if !touched.contains(&piece) {
            touched.push(piece);
        }
    };
    let flags = input[0];
    let rest = &input[1..];
    if flags & 1 == 0 {
        for r in rest.chunks_exact(4) {
            let v = r[3];
            set(&mut dev, u24(r), &|_| v);
        }
    } else if rest.len() >= 3 {
        let start = u24(rest);
        for (i, &x) in rest[3..].iter().enumerate() {
            set(&mut dev, start + i as u64, &|old| old ^ x);
        }
    }
    (dev, touched)
}

fn get(dev: &Overlay<'_>, at: u64, len: usize) -> Vec<u8> {
    dev.view(at, len).expect("in range").into_owned()
}

fn put(dev: &mut Overlay<'_>, at: u64, bytes: &[u8]) {
    dev.store(at, bytes).expect("in range");
}

/// Recompute the checksums of the changed pieces (with the pristine file system's seed).
pub fn fix_checksums(p: &Pristine, dev: &mut Overlay<'_>, touched: &[usize]) {
    if !p.csum {
        return;
    }
    let seed = p.fs_seed;
    let owner_seed = |dev: &Overlay<'_>, ino: u32| {
        let off = p.pieces.iter().find_map(|pc| match pc.kind {
            Kind::Inodes(first) if ino >= first && u64::from(ino - first) * p.inode_size < pc.len => {
                Some(pc.start + u64::from(ino - first) * p.inode_size)
            }
            _ => None,
        });
        let gen = off.map_or(0, |o| u32::from_le_bytes(get(dev, o + 0x64, 4).try_into().expect("4 bytes")));
        inode_seed(seed, ino, gen)
    };
    let mut gdt = false;
    for &i in touched {
        let piece = p.pieces[i];
        let mut b = get(dev, piece.start, piece.len as usize);
        match piece.kind {
            Kind::Superblock => {
                let c = Superblock::checksum_of(&b);
                b[0x3FC..0x400].copy_from_slice(&c.to_le_bytes());
            }
            Kind::GroupDescs | Kind::Bitmap => gdt = true,
            Kind::Inodes(first) => {
                let orig = &p.bytes[piece.start as usize..(piece.start + piece.len) as usize];
                for (k, slot) in b.chunks_mut(p.inode_size as usize).enumerate() {
                    let o = &orig[k * p.inode_size as usize..(k + 1) * p.inode_size as usize];
                    if slot != o {
                        inode::set_checksum(slot, seed, first + k as u32);
                    }
                }
            }
            Kind::ExtentBlock(ino) => {
                let max = u16::from_le_bytes([b[4], b[5]]);
                if extent::tail_offset(max) + 4 <= b.len() {
                    extent::set_block_checksum(&mut b, owner_seed(dev, ino), max);
                }
            }
            Kind::IndirectBlock(_) => {}
            Kind::DirBlock(ino) => {
                if dirent::has_tail(&b) {
                    dirent::set_tail_checksum(&mut b, owner_seed(dev, ino));
                }
            }
            Kind::JournalSuperblock => {
                b[0xFC..0x100].fill(0);
                let c = crc32c_raw(!0, &b);
                b[0xFC..0x100].copy_from_slice(&c.to_be_bytes());
            }
        }
        put(dev, piece.start, &b);
    }
    if gdt {
        // Group 0's descriptor: both bitmap checksums, then its own.
        let mut d = get(dev, p.gdt, 64);
        let bb = crc32c_raw(seed, &get(dev, p.block_bitmap, p.block_bitmap_bytes));
        let ib = crc32c_raw(seed, &get(dev, p.inode_bitmap, p.inode_bitmap_bytes));
        d[0x18..0x1A].copy_from_slice(&(bb as u16).to_le_bytes());
        d[0x38..0x3A].copy_from_slice(&((bb >> 16) as u16).to_le_bytes());
        d[0x1A..0x1C].copy_from_slice(&(ib as u16).to_le_bytes());
        d[0x3A..0x3C].copy_from_slice(&((ib >> 16) as u16).to_le_bytes());
        let c = group_desc::Csum::Crc32c { seed }.compute(0, &d);
        d[group_desc::CHECKSUM_OFFSET..group_desc::CHECKSUM_OFFSET + 2].copy_from_slice(&c.to_le_bytes());
        put(dev, p.gdt, &d);
    }
}

/// A device that must never be written: what `fsck -n` checks through. A store is a bug.
struct NoWrite<D: Device>(D);

impl<D: Device> Device for NoWrite<D> {
    fn len(&self) -> u64 {
        self.0.len()
    }

    fn view(&self, off: u64, len: usize) -> Result<Cow<'_, [u8]>, pmem::Error> {
        self.0.view(off, len)
    }

    fn store(&mut self, off: u64, bytes: &[u8]) -> Result<(), pmem::Error> {
        panic!("fsck -n stored {} byte(s) at {off}", bytes.len())
    }

    fn store_nt(&mut self, off: u64, bytes: &[u8]) -> Result<(), pmem::Error> {
        panic!("fsck -n stored {} byte(s) (non-temporal) at {off}", bytes.len())
    }

    fn flush(&mut self, off: u64, len: u64) -> Result<(), pmem::Error> {
        self.0.flush(off, len)
    }

    fn fence(&mut self) -> Result<(), pmem::Error> {
        self.0.fence()
    }

    fn set_tag(&mut self, tag: &'static str) -> &'static str {
        self.0.set_tag(tag)
    }

    fn sync(&mut self) -> Result<(), pmem::Error> {
        self.0.sync()
    }
}

/// Open as `e4dax fsck` does (`open::open_for_check`), feed its notes to the checker and run
/// it; the error when the image is refused or the check ends in one (the CLI's exit 8).
fn check<D: Device>(dev: D, mode: Mode, data: bool) -> Result<(Report, Fs<D>), String> {
    let Opened { mut fs, notes, .. } = open::open_for_check(dev, mode != Mode::No).map_err(|e| format!("open: {e}"))?;
    let mut checker = Checker::new(&mut fs, Options { mode, data });
    for n in notes {
        checker.note(n.code, n.detail, n.fixed);
    }
    let report = checker.run(&mut |_| {}).map_err(|e| format!("check: {e}"))?;
    Ok((report, fs))
}

/// The device of `input`: the pristine image with its changes (and, when asked, checksums
/// recomputed).
pub fn image_of(input: &[u8]) -> Overlay<'static> {
    let p = pristine_for(input);
    let (mut dev, touched) = patched(p, input);
    if input[0] & 2 != 0 {
        fix_checksums(p, &mut dev, &touched);
    }
    dev
}

/// What one run saw: `fsck -n`'s report, and with flag bit 2 `fsck -y`'s and that of the
/// `fsck -n` after it (None: not run; an error: refused, or the check ended in one).
#[derive(Debug)]
pub struct Verdict {
    pub n: Result<Report, String>,
    pub y: Option<Result<Report, String>>,
    pub n_after_y: Option<Result<Report, String>>,
}

/// One execution of the fuzz target: panics when a rule breaks (see the module's text).
pub fn run(input: &[u8]) -> Verdict {
    let mut v = Verdict { n: Err("no input".into()), y: None, n_after_y: None };
    if input.is_empty() {
        return v;
    }
    let flags = input[0];
    let data = flags & 8 != 0;
    v.n = check(NoWrite(image_of(input)), Mode::No, data).map(|(r, _)| r);
    if flags & 4 == 0 {
        return v;
    }
    let (y, fs) = match check(image_of(input), Mode::Yes, data) {
        Ok(done) => done,
        Err(e) => {
            v.y = Some(Err(e));
            return v;
        }
    };
    let code = y.exit_code;
    v.y = Some(Ok(y));
    if code > 1 {
        return v; // errors left uncorrected: a second look may still find them
    }
    let after = check(NoWrite(fs.dev), Mode::No, data).map(|(r, _)| r);
    match &after {
        Ok(r) if r.exit_code == 0 && r.findings.is_empty() => {}
        Ok(r) => panic!("fsck -y exited {code}, then fsck -n exited {} with {:#?}", r.exit_code, r.findings),
        Err(e) => panic!("fsck -y exited {code}, then fsck -n refused what it left: {e}"),
    }
    v.n_after_y = Some(after);
    v
}

/// The region position of image byte `offset` (None outside the region).
pub fn region_position(offset: u64) -> Option<u64> {
    region_position_in(pristine(), offset)
}

/// [`region_position`] in pristine image `p`.
pub fn region_position_in(p: &Pristine, offset: u64) -> Option<u64> {
    let mut pos = 0;
    for piece in &p.pieces {
        if (piece.start..piece.start + piece.len).contains(&offset) {
            return Some(pos + offset - piece.start);
        }
        pos += piece.len;
    }
    None
}

/// The pristine file system, read-only (to locate inodes and blocks).
pub fn pristine_fs() -> Fs<Overlay<'static>> {
    Fs::open(Overlay::new(pristine().bytes)).expect("open the pristine image")
}
