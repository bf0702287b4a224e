//! What holds every block of a file system — the group metadata, the journal, directories,
//! file data written or unwritten, free blocks (and which of them hold the stale-data
//! pattern) — and its picture: an SVG with the block groups as rows of blocks coloured by
//! owner. Read-only.

use std::fmt::Write as _;

use super::image::Fs;
use super::lookup::RunKind;
use crate::error::{Error, Result};
use crate::ondisk::features::compat;
use crate::ondisk::inode as ino;
use crate::ondisk::poison;
use crate::pmem::Device;

/// What holds a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Owner {
    /// A superblock (primary or backup).
    Superblock,
    /// Group descriptors, reserved descriptor blocks and the resize inode's blocks.
    Descriptors,
    BlockBitmap,
    InodeBitmap,
    InodeTable,
    Journal,
    /// Directory blocks.
    Directory,
    /// Written file data.
    FileWritten,
    /// Written file data that holds the stale-data pattern: what a reader must never see.
    FileStale,
    /// Blocks of unwritten extents (read as zeros whatever they hold).
    FileUnwritten,
    /// Extent tree nodes, indirect blocks, extended-attribute blocks, reserved inodes' data.
    OtherMetadata,
    /// Marked in use in the block bitmap, held by nothing found.
    InUseUnowned,
    /// Free.
    Free,
    /// Free, holding the stale-data pattern.
    FreeStale,
}

impl Owner {
    /// Every owner, in legend order.
    pub const ALL: [Owner; 14] = [
        Owner::Superblock,
        Owner::Descriptors,
        Owner::BlockBitmap,
        Owner::InodeBitmap,
        Owner::InodeTable,
        Owner::Journal,
        Owner::Directory,
        Owner::FileWritten,
        Owner::FileStale,
        Owner::FileUnwritten,
        Owner::OtherMetadata,
        Owner::InUseUnowned,
        Owner::Free,
        Owner::FreeStale,
    ];

    /// The name used in JSON, the legend and the SVG's `data-owner`.
    pub fn name(self) -> &'static str {
        match self {
            Owner::Superblock => "superblock",
            Owner::Descriptors => "descriptors",
            Owner::BlockBitmap => "block-bitmap",
            Owner::InodeBitmap => "inode-bitmap",
            Owner::InodeTable => "inode-table",
            Owner::Journal => "journal",
            Owner::Directory => "directory",
            Owner::FileWritten => "file-written",
            Owner::FileStale => "file-stale",
            Owner::FileUnwritten => "file-unwritten",
            Owner::OtherMetadata => "other-metadata",
            Owner::InUseUnowned => "in-use-unowned",
            Owner::Free => "free",
            Owner::FreeStale => "free-stale",
        }
    }

    /// What the legend says.
    pub fn description(self) -> &'static str {
        match self {
            Owner::Superblock => "superblock (primary and backups)",
            Owner::Descriptors => "group descriptors and reserved GDT blocks",
            Owner::BlockBitmap => "block bitmaps",
            Owner::InodeBitmap => "inode bitmaps",
            Owner::InodeTable => "inode tables",
            Owner::Journal => "journal",
            Owner::Directory => "directories",
            Owner::FileWritten => "file data, written",
            Owner::FileStale => "file data, written, holding the stale-data pattern",
            Owner::FileUnwritten => "file data, unwritten extents",
            Owner::OtherMetadata => "extent tree nodes, xattr blocks, other metadata",
            Owner::InUseUnowned => "in use in the bitmap, held by nothing",
            Owner::Free => "free",
            Owner::FreeStale => "free, holding the stale-data pattern",
        }
    }

    /// The fill colour in the picture.
    pub fn colour(self) -> &'static str {
        match self {
            Owner::Superblock => "#1f3a93",
            Owner::Descriptors => "#4b77be",
            Owner::BlockBitmap => "#8e44ad",
            Owner::InodeBitmap => "#c39bd3",
            Owner::InodeTable => "#7f8c8d",
            Owner::Journal => "#e67e22",
            Owner::Directory => "#16a085",
            Owner::FileWritten => "#27ae60",
            Owner::FileStale => "#c0392b",
            Owner::FileUnwritten => "#a9dfbf",
            Owner::OtherMetadata => "#f1c40f",
            Owner::InUseUnowned => "#000000",
            Owner::Free => "#ecf0f1",
            Owner::FreeStale => "#f5b7b1",
        }
    }

    pub fn is_free(self) -> bool {
        matches!(self, Owner::Free | Owner::FreeStale)
    }
}

/// The owner of every block of a file system.
#[derive(Clone, Debug)]
pub struct BlockMap {
    pub owners: Vec<Owner>,
    pub first_data_block: u64,
    pub blocks_per_group: u64,
}

impl BlockMap {
    /// Blocks per owner, in legend order (owners with no block left out).
    pub fn counts(&self) -> Vec<(Owner, u64)> {
        let mut n = [0u64; Owner::ALL.len()];
        for o in &self.owners {
            if let Some(i) = Owner::ALL.iter().position(|x| x == o) {
                n[i] += 1;
            }
        }
        Owner::ALL.iter().zip(n).filter(|(_, c)| *c > 0).map(|(o, c)| (*o, c)).collect()
    }
}

/// The largest file system [`Fs::block_map`] maps (one byte of memory per block).
pub const MAX_MAPPED_BLOCKS: u64 = 1 << 28;

impl<D: Device> Fs<D> {
    /// What holds every block: the bitmaps say free or in use (free blocks holding the
    /// stale-data pattern are told apart), then the group metadata, the journal and every
    /// live inode's blocks say by whom.
    pub fn block_map(&self) -> Result<BlockMap> {
        let blocks = self.sb.blocks_count();
        if blocks > MAX_MAPPED_BLOCKS {
            return Err(Error::Invalid(format!("{blocks} blocks are too many to map (at most {MAX_MAPPED_BLOCKS})")));
        }
        let mut owners = vec![Owner::InUseUnowned; blocks as usize];
        let first_data = u64::from(self.sb.f.s_first_data_block);
        for o in owners.iter_mut().take(first_data as usize) {
            *o = Owner::Superblock; // the boot block before a 1 KiB block size's superblock
        }
        let stale = |b: u64| -> Result<bool> { Ok(poison::find(&self.block(b)?).is_some()) };
        for g in 0..self.groups().len() {
            let first = self.sb.group_first_block(g as u64);
            let bitmap = self.block_bitmap(g)?;
            for i in 0..self.sb.group_block_count(g as u64) {
                let used = bitmap.get((i / 8) as usize).is_some_and(|byte| byte & (1 << (i % 8)) != 0);
                if !used {
                    let b = first + i;
                    owners[b as usize] = if stale(b)? { Owner::FreeStale } else { Owner::Free };
                }
            }
        }
        let mut set = |start: u64, len: u64, o: Owner| {
            let end = start.saturating_add(len).min(blocks);
            for b in start.min(end)..end {
                owners[b as usize] = o;
            }
        };
        let sb = &self.sb;
        let itb = sb.inode_table_blocks();
        for (g, d) in self.groups().iter().enumerate() {
            let g = g as u64;
            let [(sup, n), (meta, m)] = sb.group_sb_gdt_runs(g);
            if n > 0 {
                set(sup, 1, Owner::Superblock);
                set(sup + 1, n - 1, Owner::Descriptors);
            }
            set(meta, m, Owner::Descriptors);
            set(d.block_bitmap, 1, Owner::BlockBitmap);
            set(d.inode_bitmap, 1, Owner::InodeBitmap);
            set(d.inode_table, itb, Owner::InodeTable);
        }
        let journal_ino = if sb.has_compat(compat::HAS_JOURNAL) { sb.f.s_journal_inum } else { 0 };
        let first_ino = sb.f.s_first_ino;
        let mut runs = Vec::new();
        self.for_each_live_inode(|n, node| {
            // A damaged inode holds nothing we can name; its blocks stay as the bitmap says.
            if let Ok(r) = self.inode_runs(n, node) {
                runs.push((n, node.file_type(), r));
            }
            Ok(())
        })?;
        for (n, file_type, rs) in runs {
            for r in rs {
                let o = match r.kind {
                    _ if n == journal_ino => Owner::Journal,
                    _ if n == ino::RESIZE_INO => Owner::Descriptors,
                    RunKind::TreeNode | RunKind::Indirect { .. } | RunKind::Xattr => Owner::OtherMetadata,
                    _ if file_type == ino::S_IFDIR => Owner::Directory,
                    _ if n < first_ino && n != ino::ROOT_INO => Owner::OtherMetadata,
                    RunKind::Data { unwritten: true } => Owner::FileUnwritten,
                    RunKind::Data { unwritten: false } => Owner::FileWritten,
                };
                if o == Owner::FileWritten {
                    for b in r.start..r.start + r.len {
                        set(b, 1, if stale(b)? { Owner::FileStale } else { Owner::FileWritten });
                    }
                } else {
                    set(r.start, r.len, o);
                }
            }
        }
        Ok(BlockMap { owners, first_data_block: first_data, blocks_per_group: u64::from(sb.f.s_blocks_per_group) })
    }
}

/// Blocks per line of a group's row in the picture, and the size of one block in pixels.
pub const SVG_BLOCKS_PER_LINE: u64 = 256;
const CELL: u64 = 4;
const LEGEND_LINE: u64 = 18;
const GROUP_GAP: u64 = 16;

/// The picture of a block map: a legend (colour, description, block count), then every block
/// group as lines of [`SVG_BLOCKS_PER_LINE`] blocks coloured by owner. Runs of one owner
/// within a line are one `<rect class="blocks">` with `data-owner`, `data-first` and
/// `data-count`; the blocks of `highlight` runs are outlined (`<rect class="file">`).
pub fn svg(map: &BlockMap, title: &str, highlight: &[(u64, u64)]) -> String {
    let total = map.owners.len() as u64;
    let first = map.first_data_block;
    let bpg = map.blocks_per_group.max(1);
    let groups = total.saturating_sub(first).div_ceil(bpg);
    let counts = map.counts();
    let width = 80 + SVG_BLOCKS_PER_LINE * CELL + 20;
    let legend_h = 40 + LEGEND_LINE * counts.len() as u64 + if highlight.is_empty() { 0 } else { LEGEND_LINE };
    let mut body = String::new();
    let mut y = legend_h;
    let line_of = |b: u64| -> (u64, u64) {
        let off = (b - first) % bpg;
        (off / SVG_BLOCKS_PER_LINE, off % SVG_BLOCKS_PER_LINE)
    };
    let mut group_top = Vec::new();
    for g in 0..groups {
        let g_first = first + g * bpg;
        let g_count = bpg.min(total - g_first);
        let lines = g_count.div_ceil(SVG_BLOCKS_PER_LINE);
        group_top.push(y);
        let _ = writeln!(body, r#"<text class="group" x="4" y="{}" font-size="11">group {g}</text>"#, y + 10);
        let mut b = g_first;
        while b < g_first + g_count {
            let (line, col) = line_of(b);
            let line_end = (g_first + (line + 1) * SVG_BLOCKS_PER_LINE).min(g_first + g_count);
            let o = map.owners[b as usize];
            let mut e = b + 1;
            while e < line_end && map.owners[e as usize] == o {
                e += 1;
            }
            let _ = writeln!(
                body,
                r#"<rect class="blocks" data-owner="{}" data-first="{b}" data-count="{}" x="{}" y="{}" width="{}" height="{CELL}" fill="{}"/>"#,
                o.name(),
                e - b,
                80 + col * CELL,
                y + line * CELL,
                (e - b) * CELL,
                o.colour()
            );
            b = e;
        }
        y += lines * CELL + GROUP_GAP;
    }
    // The file's extents, outlined line by line.
    for &(start, len) in highlight {
        let mut b = start.max(first);
        let end = start.saturating_add(len).min(total);
        while b < end {
            let g = (b - first) / bpg;
            let (line, col) = line_of(b);
            let g_first = first + g * bpg;
            let line_end = (g_first + (line + 1) * SVG_BLOCKS_PER_LINE).min(end);
            let top = group_top.get(g as usize).copied().unwrap_or(0);
            let _ = writeln!(
                body,
                r##"<rect class="file" data-first="{b}" data-count="{}" x="{}" y="{}" width="{}" height="{CELL}" fill="none" stroke="#000000" stroke-width="1"/>"##,
                line_end - b,
                80 + col * CELL,
                top + line * CELL,
                (line_end - b) * CELL
            );
            b = line_end;
        }
    }
    let mut legend = String::new();
    let _ = writeln!(legend, r#"<text x="4" y="16" font-size="14">{}</text>"#, xml_escape(title));
    let mut ly = 32;
    for (o, c) in &counts {
        let _ = writeln!(
            legend,
            r##"<g class="legend" data-owner="{}" data-count="{c}"><rect x="4" y="{ly}" width="12" height="12" fill="{}" stroke="#888888"/><text x="22" y="{}" font-size="12">{} ({c} {})</text></g>"##,
            o.name(),
            o.colour(),
            ly + 10,
            xml_escape(o.description()),
            if *c == 1 { "block" } else { "blocks" }
        );
        ly += LEGEND_LINE;
    }
    if !highlight.is_empty() {
        let n: u64 = highlight.iter().map(|r| r.1).sum();
        let _ = writeln!(
            legend,
            r##"<g class="legend-file"><rect x="4" y="{ly}" width="12" height="12" fill="none" stroke="#000000"/><text x="22" y="{}" font-size="12">outlined: the file's blocks ({n})</text></g>"##,
            ly + 10
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{y}\" viewBox=\"0 0 {width} {y}\">\n<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{y}\" fill=\"#ffffff\"/>\n{legend}{body}</svg>\n"
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
