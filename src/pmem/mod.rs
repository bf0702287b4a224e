//! The pmem device: the library's single storage seam (DESIGN.md §3).
//!
//! Everything the library writes goes through [`Device`], whose operations mirror what a
//! program does to persistent memory on x86:
//!
//! - [`Device::store`] is an ordinary CPU store. It is visible to later reads at once, but it
//!   sits in the CPU cache and is **not durable** until its cache lines are written back
//!   ([`Device::flush`], `clwb`) and a fence ([`Device::fence`], `sfence`) orders that write-back.
//! - [`Device::store_nt`] is a non-temporal store (used to zero or copy whole blocks). It
//!   bypasses the cache and is durable after the next fence, with no flush.
//! - [`Device::flush`] writes back the [`CACHE_LINE`]-byte lines covering a range.
//! - [`Device::fence`] completes earlier flushes and non-temporal stores: after it returns,
//!   flushed lines and non-temporal stores are durable.
//!
//! The model of a crash at trace position *k*: every store whose line was flushed and then
//! fenced before *k* is durable, and so is every non-temporal store followed by a fence before
//! *k*. Every other store before *k* may or may not have reached the media, at cache-line
//! granularity, and within one line only a prefix of its stores (in program order) can have
//! persisted.
//!
//! Two devices implement the trait:
//!
//! - [`MappedImage`] maps an image file (`memmap2`). Stores go to the mapping directly, flush
//!   and fence cost nothing, and [`Device::sync`] (`msync`) makes the file durable when a
//!   command ends. The file is `flock`ed for the object's lifetime (exclusive when writable,
//!   shared when read-only).
//! - [`RecordingDevice`] applies stores to an in-memory copy and appends every store,
//!   non-temporal store, flush and fence to a [`Trace`], tagged with the step that issued it
//!   ([`Device::set_tag`]). The crash explorer rebuilds crash states from the initial image
//!   and a subset of the trace's stores.
//!
//! Every range is bounds-checked with checked arithmetic: no offset or length, however large,
//! panics; an access that does not fit in the device is [`Error::OutOfRange`]. A zero-length
//! range is accepted when its offset is at most the device length.

pub mod cow;
pub mod durable;
mod mapped;
mod recording;
mod trace;

use std::borrow::Cow;
use std::ops::Range;
use std::path::PathBuf;

pub use cow::CowDevice;
pub use mapped::MappedImage;
pub use recording::{MemDevice, RecordingDevice};
pub use trace::{EventKind, TagSummary, Trace, TraceEvent};

/// Run `f` with `dev`'s operations tagged `tag` and attributed to `ctx`, restoring both after.
pub fn with_tag<D: Device + ?Sized, T>(dev: &mut D, tag: &'static str, ctx: Context, f: impl FnOnce(&mut D) -> T) -> T {
    let prev_tag = dev.set_tag(tag);
    let prev_ctx = dev.set_context(ctx);
    let out = f(dev);
    dev.set_context(prev_ctx);
    dev.set_tag(prev_tag);
    out
}

/// Size of a CPU cache line in bytes: the granularity of `flush` and of persistence.
pub const CACHE_LINE: u64 = 64;

/// The tag writes carry until [`Device::set_tag`] is first called.
pub const DEFAULT_TAG: &str = "untagged";

/// Who issued a device operation (DESIGN §3, *contexts*): in the kernel the faulting task, the
/// `jbd2` kthread and the flusher run on different CPUs. Cached stores are coherent (a flush from
/// any context writes back a line's current contents, complete when the *flushing* context
/// fences); non-temporal stores sit in the issuing CPU's write-combining buffers and only a fence
/// of the *same* context makes them durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub enum Context {
    /// A faulting task (one per simulated task; task 0 is the command's own process).
    #[default]
    Fault,
    /// The jbd2 kthread: commit and checkpoint.
    Jbd2,
    /// The flusher: writeback of dirty metadata without a journal.
    Flusher,
}

impl Context {
    /// The name used in traces and reports.
    pub fn name(self) -> &'static str {
        match self {
            Context::Fault => "fault",
            Context::Jbd2 => "jbd2",
            Context::Flusher => "flusher",
        }
    }
}

impl std::fmt::Display for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Errors of the storage seam. Display texts are one short line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An operating-system call on the image file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The image file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// The path given as the image names a directory.
    #[error("{} is a directory", path.display())]
    IsDirectory {
        /// The path.
        path: PathBuf,
    },

    /// Another process (or another open of the file in this process) holds a conflicting lock.
    #[error("{}: image is in use by another process", path.display())]
    InUse {
        /// The image file.
        path: PathBuf,
    },

    /// `create` found a non-empty file and was not told to overwrite it.
    #[error("{} exists and is not empty (use --force to overwrite)", path.display())]
    Exists {
        /// The image file.
        path: PathBuf,
    },

    /// An access of `len` bytes at `off` does not fit in a device of `size` bytes.
    #[error("access of {len} bytes at offset {off} is past the end of the device ({size} bytes)")]
    OutOfRange {
        /// Start of the access in bytes.
        off: u64,
        /// Length of the access in bytes.
        len: u64,
        /// Device length in bytes.
        size: u64,
    },

    /// A store was issued to a device opened read-only.
    #[error("store on a read-only image")]
    ReadOnly,

    /// The image file has length zero (nothing to map), or a zero size was asked for.
    #[error("{}: file is empty", path.display())]
    Empty {
        /// The image file.
        path: PathBuf,
    },

    /// A device of `len_bytes` cannot be copied into memory (allocation failed or the length
    /// does not fit in the address space).
    #[error("image of {len_bytes} bytes is too large to copy into memory")]
    TooLarge {
        /// Length of the image in bytes.
        len_bytes: u64,
    },
}

/// A byte-addressable persistent-memory device (object-safe: used as `&mut dyn Device`).
///
/// See the [module documentation](self) for the persistence semantics of each operation.
pub trait Device {
    /// Length of the device in bytes.
    fn len(&self) -> u64;

    /// Whether the device has length zero.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Zero-copy view of `[off, off + len)` (borrowed for the devices in this module).
    fn view(&self, off: u64, len: usize) -> Result<Cow<'_, [u8]>, Error>;

    /// Copy `[off, off + buf.len())` into `buf`.
    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<(), Error> {
        let view = self.view(off, buf.len())?;
        buf.copy_from_slice(&view);
        Ok(())
    }

    /// Ordinary CPU store: visible at once, durable only after a flush of its lines and a fence.
    fn store(&mut self, off: u64, bytes: &[u8]) -> Result<(), Error>;

    /// Non-temporal store: bypasses the cache, durable after the next fence.
    fn store_nt(&mut self, off: u64, bytes: &[u8]) -> Result<(), Error>;

    /// Write back the cache lines covering `[off, off + len)` (`clwb`).
    fn flush(&mut self, off: u64, len: u64) -> Result<(), Error>;

    /// Order and complete earlier flushes and non-temporal stores (`sfence`).
    fn fence(&mut self) -> Result<(), Error>;

    /// Tag later writes with the name of the step issuing them (e.g. `"mkfs"`, `"commit"`,
    /// `"zero-block"`); returns the previous tag. The initial tag is [`DEFAULT_TAG`].
    fn set_tag(&mut self, tag: &'static str) -> &'static str;

    /// Make everything written so far durable on the backing store (`msync` for a mapped
    /// image, nothing for an in-memory device).
    fn sync(&mut self) -> Result<(), Error>;

    /// Attribute later operations to `ctx`; returns the previous context. Devices that do not
    /// record ignore it (and report [`Context::Fault`]).
    fn set_context(&mut self, _ctx: Context) -> Context {
        Context::Fault
    }

    /// The context later operations are attributed to.
    fn context(&self) -> Context {
        Context::Fault
    }

    /// Record a step boundary (a marker event named `step`, so every step has a crash point
    /// even when it stores nothing). No effect on contents.
    fn mark(&mut self, _step: &'static str) {}

    /// Operations recorded so far, per [`EventKind::ALL`] kind (zeros on devices that do not
    /// record).
    fn op_counts(&self) -> [u64; 5] {
        [0; 5]
    }

    /// A hint that `[off, off + len)` is about to be read (or written): a mapped image faults
    /// the range in at once instead of a page at a time. No effect on contents or the trace.
    fn prefetch(&self, _off: u64, _len: u64, _for_write: bool) {}

    /// Copy `len` bytes at `src` to `dst`, piece by piece in order: each piece of at most `piece`
    /// bytes (and of at most [`COPY_PIECE_MAX`]) is read, [stored](Device::store) at its
    /// destination and [flushed](Device::flush)
    /// (what journal replay does with each logged block). The default does exactly that, so a
    /// recording device traces one store and one flush per piece; a mapped image whose ranges do
    /// not overlap copies inside the kernel instead, without faulting either range into the
    /// mapping (flushes cost it nothing anyway). Both ranges are bounds-checked before anything
    /// is written; a `piece` of 0 is taken as 1.
    fn copy_within(&mut self, src: u64, dst: u64, len: u64, piece: usize) -> Result<(), Error> {
        copy_by_pieces(self, src, dst, len, piece)
    }
}

/// The largest piece [`Device::copy_within`] stores at once (its buffer).
pub const COPY_PIECE_MAX: u64 = 1 << 20;

/// The default [`Device::copy_within`]: read, store and flush each piece in order.
pub(crate) fn copy_by_pieces<D: Device + ?Sized>(
    dev: &mut D,
    src: u64,
    dst: u64,
    len: u64,
    piece: usize,
) -> Result<(), Error> {
    check_range(src, len, dev.len())?;
    check_range(dst, len, dev.len())?;
    let piece = len_u64(piece.max(1)).min(COPY_PIECE_MAX).min(len);
    let mut buf = vec![0u8; usize::try_from(piece).map_err(|_| Error::TooLarge { len_bytes: piece })?];
    let mut done = 0u64;
    while done < len {
        let n = piece.min(len - done);
        let b = &mut buf[..n as usize];
        dev.read_at(src + done, b)?;
        dev.store(dst + done, b)?;
        dev.flush(dst + done, n)?;
        done += n;
    }
    Ok(())
}

/// Forward every method of [`Device`] through a pointer type.
macro_rules! forward_device {
    ($($ptr:ty),*) => {$(
        impl<D: Device + ?Sized> Device for $ptr {
            fn len(&self) -> u64 {
                (**self).len()
            }
            fn view(&self, off: u64, len: usize) -> Result<Cow<'_, [u8]>, Error> {
                (**self).view(off, len)
            }
            fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<(), Error> {
                (**self).read_at(off, buf)
            }
            fn store(&mut self, off: u64, bytes: &[u8]) -> Result<(), Error> {
                (**self).store(off, bytes)
            }
            fn store_nt(&mut self, off: u64, bytes: &[u8]) -> Result<(), Error> {
                (**self).store_nt(off, bytes)
            }
            fn flush(&mut self, off: u64, len: u64) -> Result<(), Error> {
                (**self).flush(off, len)
            }
            fn fence(&mut self) -> Result<(), Error> {
                (**self).fence()
            }
            fn set_tag(&mut self, tag: &'static str) -> &'static str {
                (**self).set_tag(tag)
            }
            fn sync(&mut self) -> Result<(), Error> {
                (**self).sync()
            }
            fn prefetch(&self, off: u64, len: u64, for_write: bool) {
                (**self).prefetch(off, len, for_write)
            }
            fn copy_within(&mut self, src: u64, dst: u64, len: u64, piece: usize) -> Result<(), Error> {
                (**self).copy_within(src, dst, len, piece)
            }
            fn set_context(&mut self, ctx: Context) -> Context {
                (**self).set_context(ctx)
            }
            fn context(&self) -> Context {
                (**self).context()
            }
            fn mark(&mut self, step: &'static str) {
                (**self).mark(step)
            }
            fn op_counts(&self) -> [u64; 5] {
                (**self).op_counts()
            }
        }
    )*};
}

forward_device!(&mut D, Box<D>);

/// Check that `[off, off + len)` fits in a device of `size` bytes and return it as an index
/// range. Never panics: overflow and ranges beyond the address space are `OutOfRange`.
pub(crate) fn check_range(off: u64, len: u64, size: u64) -> Result<Range<usize>, Error> {
    let out_of_range = || Error::OutOfRange { off, len, size };
    let end = off.checked_add(len).filter(|&end| end <= size).ok_or_else(out_of_range)?;
    let start = usize::try_from(off).map_err(|_| out_of_range())?;
    let end = usize::try_from(end).map_err(|_| out_of_range())?;
    Ok(start..end)
}

/// `usize` to `u64` without a cast that could truncate (lossless on every supported target).
pub(crate) fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_range_accepts_ranges_inside() {
        assert_eq!(check_range(0, 10, 10).unwrap(), 0..10);
        assert_eq!(check_range(10, 0, 10).unwrap(), 10..10);
        assert_eq!(check_range(3, 4, 10).unwrap(), 3..7);
    }

    #[test]
    fn check_range_rejects_overflow_and_past_end() {
        for (off, len) in [(10, 1), (11, 0), (9, 2), (u64::MAX, 1), (u64::MAX, 0), (1, u64::MAX)] {
            match check_range(off, len, 10) {
                Err(Error::OutOfRange { off: o, len: l, size: 10 }) => assert_eq!((o, l), (off, len)),
                other => panic!("({off}, {len}): expected OutOfRange, got {other:?}"),
            }
        }
    }

    #[test]
    fn device_is_object_safe() {
        let mut dev = RecordingDevice::new(vec![0; 128]);
        let dyn_dev: &mut dyn Device = &mut dev;
        dyn_dev.store(0, &[1, 2, 3]).unwrap();
        let mut boxed: Box<dyn Device> = Box::new(RecordingDevice::new(vec![0; 8]));
        boxed.store(7, &[9]).unwrap();
        assert_eq!(boxed.view(7, 1).unwrap()[0], 9);
        assert_eq!(dev.view(0, 3).unwrap().as_ref(), &[1, 2, 3]);
    }

    /// The default `copy_within` is a read, a store and a flush per piece, in order: what a
    /// recording device traces.
    #[test]
    fn copy_within_traces_a_store_and_a_flush_per_piece() {
        let image: Vec<u8> = (0..64u32 * 1024).map(|i| (i % 253) as u8).collect();
        let mut dev = RecordingDevice::new(image.clone());
        dev.copy_within(0, 40960, 3 * 4096 + 100, 4096).unwrap();
        let kinds: Vec<_> = dev.trace().events().iter().map(|e| (e.kind, e.off, e.len)).collect();
        let mut want = Vec::new();
        for (at, n) in [(0u64, 4096u64), (4096, 4096), (8192, 4096), (12288, 100)] {
            want.push((EventKind::Store, 40960 + at, n));
            want.push((EventKind::Flush, 40960 + at, n));
        }
        assert_eq!(kinds, want);
        let mut expect = image.clone();
        expect.copy_within(0..3 * 4096 + 100, 40960);
        assert_eq!(dev.view(0, expect.len()).unwrap().as_ref(), &expect[..]);
        assert!(matches!(dev.copy_within(0, 64 * 1024 - 10, 11, 4096), Err(Error::OutOfRange { .. })));
        assert_eq!(dev.trace().events().len(), want.len(), "a refused copy recorded something");
    }

    #[test]
    fn error_display_is_one_short_line() {
        let errors = [
            Error::InUse { path: "a.img".into() },
            Error::Exists { path: "a.img".into() },
            Error::Empty { path: "a.img".into() },
            Error::OutOfRange { off: 1, len: 2, size: 3 },
            Error::ReadOnly,
            Error::TooLarge { len_bytes: 1 << 44 },
        ];
        for e in errors {
            let text = e.to_string();
            assert!(!text.contains('\n') && text.len() < 100, "{text}");
        }
        assert_eq!(Error::InUse { path: "a.img".into() }.to_string(), "a.img: image is in use by another process");
        assert_eq!(
            Error::Exists { path: "a.img".into() }.to_string(),
            "a.img exists and is not empty (use --force to overwrite)"
        );
    }
}
