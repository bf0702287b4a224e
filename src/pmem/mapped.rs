//! The mapped image: an image file mapped with `memmap2`, locked for the object's lifetime.

use std::borrow::Cow;
use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use memmap2::{Mmap, MmapMut, MmapOptions};

use super::{check_range, len_u64, Device, Error, DEFAULT_TAG};

/// The mapping, read-only or writable.
enum Map {
    ReadOnly(Mmap),
    Writable(MmapMut),
}

/// An image file mapped into memory: stores land in the (shared) mapping directly, flush and
/// fence cost nothing, and [`Device::sync`] `msync`s the mapping to the file.
///
/// The file is `flock`ed while the object lives: exclusively when writable, shared when
/// read-only. Locks are per open file description, so a second conflicting open in the same
/// process is refused too.
pub struct MappedImage {
    path: PathBuf,
    map: Map,
    len: u64,
    tag: &'static str,
    /// See [`MappedImage::set_map_budget`].
    map_budget: Option<u64>,
    /// Holds the lock; dropped (unlocked) after the mapping.
    _file: File,
}

impl MappedImage {
    /// Open and map an existing image. Writable opens take an exclusive lock, read-only opens a
    /// shared one; a conflicting lock is [`Error::InUse`]. A zero-length file is
    /// [`Error::Empty`].
    pub fn open(path: impl AsRef<Path>, writable: bool) -> Result<Self, Error> {
        let path = path.as_ref();
        let file = OpenOptions::new().read(true).write(writable).open(path).map_err(|e| io_error(path, e))?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(Error::IsDirectory { path: path.to_path_buf() });
        }
        lock(&file, path, writable)?;
        let len = file.metadata().map_err(|e| io_error(path, e))?.len();
        if len == 0 {
            return Err(Error::Empty { path: path.to_path_buf() });
        }
        Self::map(path, file, len, writable)
    }

    /// Create a sparse image of `size_bytes` (every byte reads as zero) and map it writable.
    ///
    /// The file is opened without truncation and locked exclusively first ([`Error::InUse`] if
    /// another holder exists). An existing non-empty file is left untouched and refused with
    /// [`Error::Exists`] unless `force`. A zero `size_bytes` is [`Error::Empty`], checked before
    /// the file is touched. Sizes are limited only by the host file system (ext4 allows files
    /// up to 16 TiB − 4 KiB with 4 KiB blocks; tmpfs and XFS more).
    pub fn create(path: impl AsRef<Path>, size_bytes: u64, force: bool) -> Result<Self, Error> {
        let path = path.as_ref();
        if size_bytes == 0 {
            return Err(Error::Empty { path: path.to_path_buf() });
        }
        let (file, created) = open_or_create(path)?;
        lock(&file, path, true)?;
        let result = Self::size_and_map(path, file, size_bytes, force);
        if result.is_err() && created {
            // Leave no empty file behind when we made it (e.g. EFBIG on a host file system).
            let _ = std::fs::remove_file(path);
        }
        result
    }

    /// `create` after the lock is held: refuse or truncate, size, map.
    fn size_and_map(path: &Path, file: File, size_bytes: u64, force: bool) -> Result<Self, Error> {
        let existing_len = file.metadata().map_err(|e| io_error(path, e))?.len();
        if existing_len != 0 && !force {
            return Err(Error::Exists { path: path.to_path_buf() });
        }
        // Truncate to zero first so every old block is released and the image is one hole.
        file.set_len(0).map_err(|e| io_error(path, e))?;
        file.set_len(size_bytes).map_err(|e| io_error(path, e))?;
        let image = Self::map(path, file, size_bytes, true)?;
        // A new image is written in scattered blocks: without this, every first touch of a
        // page makes the kernel read ahead (and zero-fill) a large folio of holes around it.
        if let Map::Writable(m) = &image.map {
            let _ = m.advise(memmap2::Advice::Random);
        }
        Ok(image)
    }

    fn map(path: &Path, file: File, len: u64, writable: bool) -> Result<Self, Error> {
        let map_len = usize::try_from(len).map_err(|_| Error::TooLarge { len_bytes: len })?;
        let mut options = MmapOptions::new();
        options.len(map_len);
        // SAFETY: the mapping is only sound while no one else truncates or rewrites the file
        // behind our back; the flock taken above (held for the object's lifetime) excludes every
        // cooperating writer, which is the contract of the tool.
        let map = unsafe {
            if writable {
                options.map_mut(&file).map(Map::Writable)
            } else {
                options.map(&file).map(Map::ReadOnly)
            }
        }
        .map_err(|e| io_error(path, e))?;
        Ok(MappedImage { path: path.to_path_buf(), map, len, tag: DEFAULT_TAG, map_budget: None, _file: file })
    }

    /// Keep the pages of mapped files in this process (`RssFile` + `RssShmem`, which counts the
    /// program's own text too) near `bytes`: every 2 MiB viewed (`BUDGET_CHECK_BYTES`; a view
    /// weighs 256 bytes more than its length, or 64 KiB more, what a fault can map, when it lies
    /// outside the 64 KiB window of the view before), when they exceed it, the whole mapping is
    /// let go (`MADV_DONTNEED`). On a shared file mapping
    /// that only unmaps pages: their contents stay in the page cache (dirty ones still dirty, so
    /// [`Device::sync`] still writes them) and are faulted back on the next access, so views
    /// already handed out read the same bytes. `None` (the default) never lets go: a caller that
    /// faults an image in on purpose ([`Device::prefetch`]) wants it to stay.
    pub fn set_map_budget(&mut self, bytes: Option<u64>) {
        self.map_budget = bytes;
    }

    /// Count a view of `len` bytes against the budget; let the mapping go when over it.
    #[inline]
    fn note_view(&self, off: u64, len: usize) {
        let Some(budget) = self.map_budget else { return };
        // Counted per thread (threads reading an image together would otherwise share one
        // cache line on every view): a view outside the thread's last window can fault a whole
        // window in (the kernel maps the cached pages around a faulting one), so it weighs a
        // window more than its length. The count is a hint; a thread reading several images
        // counts them together, which only brings the next check forward.
        let window = off / FAULT_WINDOW;
        let due = VIEWS.with(|v| {
            let (seen, last) = v.get();
            let weight = if last == window { len_u64(len) + VIEW_WEIGHT } else { len_u64(len) + FAULT_WINDOW };
            let seen = seen.saturating_add(weight);
            let due = seen >= BUDGET_CHECK_BYTES;
            v.set((if due { 0 } else { seen }, window));
            due
        });
        if due && mapped_file_bytes().is_some_and(|b| b > budget) {
            self.release();
        }
    }

    /// Unmap every page of the mapping (contents kept: see [`MappedImage::set_map_budget`]).
    fn release(&self) {
        use memmap2::UncheckedAdvice::DontNeed;
        // SAFETY: the mapping is a shared mapping of a regular file (never private or
        // anonymous), for which MADV_DONTNEED only removes page-table entries: the pages stay
        // in the page cache with their contents (a dirty entry marks its page dirty first), and
        // the next access maps the same page again. No byte seen through the mapping changes.
        let _ = unsafe {
            match &self.map {
                Map::ReadOnly(m) => m.unchecked_advise(DontNeed),
                Map::Writable(m) => m.unchecked_advise(DontNeed),
            }
        };
    }

    /// The image file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether stores are allowed (the image was opened writable or created).
    pub fn is_writable(&self) -> bool {
        matches!(self.map, Map::Writable(_))
    }

    /// The whole image, for fast read access.
    pub fn as_slice(&self) -> &[u8] {
        match &self.map {
            Map::ReadOnly(map) => map,
            Map::Writable(map) => map,
        }
    }

    /// The tag current for later writes (see [`Device::set_tag`]).
    pub fn tag(&self) -> &'static str {
        self.tag
    }

    /// Copy `bytes` to `off` (shared by `store` and `store_nt`: the mapping has no cache model).
    /// Large stores go through the file (`pwrite`), which shares its page cache with the
    /// mapping: they are seen through it at once, and are not faulted into this process.
    fn write(&mut self, off: u64, bytes: &[u8]) -> Result<(), Error> {
        let range = check_range(off, len_u64(bytes.len()), self.len)?;
        match &mut self.map {
            Map::ReadOnly(_) => Err(Error::ReadOnly),
            Map::Writable(_) if bytes.len() >= FILE_IO_MIN_WRITE => {
                self._file.write_all_at(bytes, off).map_err(|e| io_error(&self.path, e))
            }
            Map::Writable(map) => {
                map[range].copy_from_slice(bytes);
                Ok(())
            }
        }
    }

    /// `copy_within` for ranges that do not overlap: `copy_file_range` inside the file, or
    /// `pread`/`pwrite` through a bounded buffer where the host refuses it.
    fn copy_in_file(&mut self, src: u64, dst: u64, len: u64) -> Result<(), Error> {
        let io = |e| io_error(&self.path, e);
        let mut done = 0u64;
        let mut kernel_copy = true;
        let mut buf = Vec::new();
        while done < len {
            let rest = len - done;
            if kernel_copy {
                match copy_file_range(&self._file, src + done, dst + done, rest) {
                    Ok(0) => kernel_copy = false,
                    Ok(n) => done += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    // Not supported here (old kernel, file system, or same-file copies refused).
                    Err(e)
                        if matches!(
                            e.raw_os_error(),
                            Some(libc::ENOSYS | libc::EXDEV | libc::EINVAL | libc::EOPNOTSUPP)
                        ) =>
                    {
                        kernel_copy = false
                    }
                    Err(e) => return Err(io(e)),
                }
                continue;
            }
            let n = rest.min(super::COPY_PIECE_MAX);
            buf.resize(n as usize, 0);
            self._file.read_exact_at(&mut buf, src + done).map_err(io)?;
            self._file.write_all_at(&buf, dst + done).map_err(io)?;
            done += n;
        }
        Ok(())
    }
}

thread_local! {
    /// Bytes this thread viewed since it last checked the budget (each view weighing
    /// [`VIEW_WEIGHT`] more, or [`FAULT_WINDOW`] more outside the window of the one before),
    /// and the [`FAULT_WINDOW`] of its last view.
    static VIEWS: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, u64::MAX)) };
}

/// How often (in bytes viewed) [`MappedImage::set_map_budget`]'s budget is checked.
const BUDGET_CHECK_BYTES: u64 = 2 << 20;
/// What a view weighs besides its length (many small views touch pages too).
const VIEW_WEIGHT: u64 = 256;
/// What a fault can map in: the kernel maps up to 16 cached pages around a faulting one
/// (`fault_around_bytes`, 64 KiB by default).
const FAULT_WINDOW: u64 = 64 << 10;

/// Bytes of file pages mapped in this process (`RssFile` + `RssShmem`: the third field of
/// `/proc/self/statm`, in pages), when the system says.
fn mapped_file_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(2)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok()?;
    pages.checked_mul(page)
}

/// Stores at least this long go through the file instead of the mapping.
const FILE_IO_MIN_WRITE: usize = 64 << 10;
/// Reads at least this long go through the file (`pread`) instead of the mapping.
const FILE_IO_MIN_READ: usize = 4096;

/// One `copy_file_range` call within `file` (at most 1 GiB): bytes copied.
fn copy_file_range(file: &File, src: u64, dst: u64, len: u64) -> std::io::Result<u64> {
    use std::os::fd::AsRawFd;
    let (Ok(mut s), Ok(mut d)) = (libc::loff_t::try_from(src), libc::loff_t::try_from(dst)) else {
        return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
    };
    let n = usize::try_from(len.min(1 << 30)).unwrap_or(1 << 30);
    let fd = file.as_raw_fd();
    // SAFETY: plain system call on a file descriptor we own, with pointers to two locals.
    let r = unsafe { libc::copy_file_range(fd, &mut s, fd, &mut d, n, 0) };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(u64::try_from(r).unwrap_or(0))
    }
}

impl Device for MappedImage {
    fn len(&self) -> u64 {
        self.len
    }

    fn view(&self, off: u64, len: usize) -> Result<Cow<'_, [u8]>, Error> {
        let range = check_range(off, len_u64(len), self.len)?;
        self.note_view(off, len);
        Ok(Cow::Borrowed(&self.as_slice()[range]))
    }

    /// Block-sized and larger reads use `pread` (the page cache the mapping shares), so that
    /// streaming through an image does not fault it into this process.
    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<(), Error> {
        let range = check_range(off, len_u64(buf.len()), self.len)?;
        if buf.len() < FILE_IO_MIN_READ {
            self.note_view(off, buf.len());
            buf.copy_from_slice(&self.as_slice()[range]);
            return Ok(());
        }
        self._file.read_exact_at(buf, off).map_err(|e| io_error(&self.path, e))
    }

    fn copy_within(&mut self, src: u64, dst: u64, len: u64, piece: usize) -> Result<(), Error> {
        check_range(src, len, self.len)?;
        check_range(dst, len, self.len)?;
        if !self.is_writable() {
            return Err(Error::ReadOnly);
        }
        // In range, so neither end overflows.
        if src < dst + len && dst < src + len {
            return super::copy_by_pieces(self, src, dst, len, piece);
        }
        self.copy_in_file(src, dst, len)
    }

    fn store(&mut self, off: u64, bytes: &[u8]) -> Result<(), Error> {
        self.write(off, bytes)
    }

    fn store_nt(&mut self, off: u64, bytes: &[u8]) -> Result<(), Error> {
        self.write(off, bytes)
    }

    /// Bounds-checked; otherwise nothing (the mapping is synced as a whole by `sync`).
    fn flush(&mut self, off: u64, len: u64) -> Result<(), Error> {
        check_range(off, len, self.len).map(|_| ())
    }

    fn fence(&mut self) -> Result<(), Error> {
        Ok(())
    }

    fn set_tag(&mut self, tag: &'static str) -> &'static str {
        std::mem::replace(&mut self.tag, tag)
    }

    fn sync(&mut self) -> Result<(), Error> {
        match &self.map {
            Map::ReadOnly(_) => Ok(()),
            Map::Writable(map) => map.flush().map_err(|e| io_error(&self.path, e)),
        }
    }

    fn prefetch(&self, off: u64, len: u64, for_write: bool) {
        let (Ok(o), Ok(n)) = (usize::try_from(off), usize::try_from(len)) else { return };
        if off.checked_add(len).is_none_or(|e| e > self.len) {
            return;
        }
        // Failures (an old kernel without MADV_POPULATE_*) only cost speed.
        let _ = match &self.map {
            Map::Writable(m) if for_write => m.advise_range(memmap2::Advice::PopulateWrite, o, n),
            Map::Writable(m) => m.advise_range(memmap2::Advice::PopulateRead, o, n),
            Map::ReadOnly(m) => m.advise_range(memmap2::Advice::PopulateRead, o, n),
        };
    }
}

impl std::fmt::Debug for MappedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedImage")
            .field("path", &self.path)
            .field("len", &self.len)
            .field("writable", &self.is_writable())
            .field("tag", &self.tag)
            .finish_non_exhaustive()
    }
}

/// Open `path` read-write without truncating, creating it if missing; also says whether it
/// was created by this call.
fn open_or_create(path: &Path) -> Result<(File, bool), Error> {
    let mut options = OpenOptions::new();
    options.read(true).write(true);
    match options.clone().create_new(true).open(path) {
        Ok(file) => Ok((file, true)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            options.open(path).map(|file| (file, false)).map_err(|e| io_error(path, e))
        }
        Err(e) => Err(io_error(path, e)),
    }
}

/// An I/O error on `path`; a directory given as an image is said to be one, whatever call
/// found out (open for writing: EISDIR; mapping: ENODEV).
fn io_error(path: &Path, source: std::io::Error) -> Error {
    if path.is_dir() {
        return Error::IsDirectory { path: path.to_path_buf() };
    }
    Error::Io { path: path.to_path_buf(), source }
}

/// Take an exclusive (`writable`) or shared lock without blocking.
/// How long to keep trying a lock that is held: a process that has just closed the image can
/// still hold it briefly through a child forked in between (until that child execs).
const LOCK_RETRY: std::time::Duration = std::time::Duration::from_millis(200);

fn lock(file: &File, path: &Path, writable: bool) -> Result<(), Error> {
    let start = std::time::Instant::now();
    loop {
        let result = if writable { file.try_lock() } else { file.try_lock_shared() };
        match result {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) if start.elapsed() < LOCK_RETRY => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(TryLockError::WouldBlock) => return Err(Error::InUse { path: path.to_path_buf() }),
            Err(TryLockError::Error(e)) => return Err(io_error(path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIB: u64 = 1 << 40;

    fn scratch() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pmem.img");
        (dir, path)
    }

    fn assert_out_of_range<T: std::fmt::Debug>(result: Result<T, Error>, what: &str) {
        assert!(matches!(result, Err(Error::OutOfRange { .. })), "{what}: {result:?}");
    }

    #[test]
    fn create_then_open_round_trip() {
        let (_dir, path) = scratch();
        let mut image = MappedImage::create(&path, 1 << 20, false).unwrap();
        assert!(image.is_writable());
        assert_eq!(image.len(), 1 << 20);
        assert!(image.as_slice().iter().all(|&b| b == 0));
        image.store(4096, b"hello").unwrap();
        image.store_nt(8192, &[0xab; 4096]).unwrap();
        image.flush(4096, 5).unwrap();
        image.fence().unwrap();
        assert_eq!(image.set_tag("mkfs"), DEFAULT_TAG);
        assert_eq!(image.set_tag("commit"), "mkfs");
        image.sync().unwrap();
        drop(image);

        let image = MappedImage::open(&path, false).unwrap();
        assert!(!image.is_writable());
        assert_eq!(image.len(), 1 << 20);
        assert_eq!(image.view(4096, 5).unwrap().as_ref(), b"hello");
        let mut buf = [0u8; 4096];
        image.read_at(8192, &mut buf).unwrap();
        assert!(buf.iter().all(|&b| b == 0xab));
        assert_eq!(std::fs::read(&path).unwrap()[4096..4101], *b"hello");
    }

    #[test]
    fn create_refuses_non_empty_file_without_force() {
        let (_dir, path) = scratch();
        std::fs::write(&path, b"precious data").unwrap();
        let err = MappedImage::create(&path, 1 << 20, false).unwrap_err();
        assert!(matches!(err, Error::Exists { .. }), "{err:?}");
        assert_eq!(std::fs::read(&path).unwrap(), b"precious data");

        let image = MappedImage::create(&path, 1 << 20, true).unwrap();
        assert_eq!(image.len(), 1 << 20);
        assert!(image.as_slice().iter().all(|&b| b == 0), "force must zero the old contents");
    }

    #[test]
    fn create_accepts_existing_empty_file_and_refuses_zero_size() {
        let (_dir, path) = scratch();
        std::fs::write(&path, b"").unwrap();
        assert_eq!(MappedImage::create(&path, 4096, false).unwrap().len(), 4096);
        let (_dir2, other) = scratch();
        assert!(matches!(MappedImage::create(&other, 0, true), Err(Error::Empty { .. })));
        assert!(!other.exists(), "a refused zero size must not create the file");
    }

    #[test]
    fn failed_create_removes_only_a_file_it_created() {
        let (_dir, path) = scratch();
        let err = MappedImage::create(&path, u64::MAX, false).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        assert!(!path.exists(), "a failed create left {path:?} behind");
        std::fs::write(&path, b"").unwrap();
        assert!(MappedImage::create(&path, u64::MAX, false).is_err());
        assert!(path.exists(), "a failed create removed a file it did not create");
    }

    #[test]
    fn directories_are_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        for writable in [false, true] {
            let err = MappedImage::open(dir.path(), writable).unwrap_err();
            assert_eq!(err.to_string(), format!("{} is a directory", dir.path().display()));
        }
        assert!(matches!(MappedImage::create(dir.path(), 4096, true), Err(Error::IsDirectory { .. })));
    }

    #[test]
    fn open_refuses_empty_and_missing_files() {
        let (_dir, path) = scratch();
        assert!(matches!(MappedImage::open(&path, false), Err(Error::Io { .. })));
        std::fs::write(&path, b"").unwrap();
        assert!(matches!(MappedImage::open(&path, false), Err(Error::Empty { .. })));
        assert!(matches!(MappedImage::open(&path, true), Err(Error::Empty { .. })));
    }

    #[test]
    fn second_writer_is_refused_in_use() {
        let (_dir, path) = scratch();
        let writer = MappedImage::create(&path, 4096, false).unwrap();
        assert!(matches!(MappedImage::open(&path, true), Err(Error::InUse { .. })));
        assert!(matches!(MappedImage::create(&path, 4096, true), Err(Error::InUse { .. })));
        drop(writer);
        MappedImage::open(&path, true).unwrap();
    }

    #[test]
    fn reader_is_refused_while_writer_holds_the_image() {
        let (_dir, path) = scratch();
        let writer = MappedImage::create(&path, 4096, false).unwrap();
        let err = MappedImage::open(&path, false).unwrap_err();
        assert!(matches!(err, Error::InUse { .. }), "{err:?}");
        assert!(err.to_string().ends_with("image is in use by another process"));
        drop(writer);
        MappedImage::open(&path, false).unwrap();
    }

    #[test]
    fn readers_coexist_and_exclude_writers() {
        let (_dir, path) = scratch();
        drop(MappedImage::create(&path, 4096, false).unwrap());
        let first = MappedImage::open(&path, false).unwrap();
        let second = MappedImage::open(&path, false).unwrap();
        assert!(matches!(MappedImage::open(&path, true), Err(Error::InUse { .. })));
        drop((first, second));
        MappedImage::open(&path, true).unwrap();
    }

    #[test]
    fn create_two_tib_sparse_image() {
        use std::os::unix::fs::MetadataExt;
        let (_dir, path) = scratch();
        let mut image = MappedImage::create(&path, 2 * TIB, false).unwrap();
        assert_eq!(image.len(), 2 * TIB);
        let far = 2 * TIB - 4096;
        assert!(image.view(far, 4096).unwrap().iter().all(|&b| b == 0));
        assert!(image.view(TIB + 12345, 100).unwrap().iter().all(|&b| b == 0));
        image.store(far, b"end").unwrap();
        image.sync().unwrap();
        assert_eq!(image.view(far, 3).unwrap().as_ref(), b"end");
        let allocated_bytes = std::fs::metadata(&path).unwrap().blocks() * 512;
        assert!(allocated_bytes < 1 << 20, "not sparse: {allocated_bytes} bytes allocated");
    }

    #[test]
    fn create_largest_image_an_ext4_host_allows() {
        // 16 TiB − 4 KiB: the largest file ext4 (4 KiB blocks) holds; tmpfs and XFS allow more.
        let (_dir, path) = scratch();
        let size = 16 * TIB - 4096;
        let mut image = MappedImage::create(&path, size, false).unwrap();
        image.store(size - 8, &[0xff; 8]).unwrap();
        assert_eq!(image.view(size - 9, 9).unwrap().as_ref(), &[0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(image.store(size - 7, &[0; 8]), Err(Error::OutOfRange { .. })));
    }

    #[test]
    fn every_method_is_bounds_checked() {
        let (_dir, path) = scratch();
        let size = 8192;
        let mut image = MappedImage::create(&path, size, false).unwrap();
        let near_max = [u64::MAX, u64::MAX - 1, u64::MAX - 63];
        for off in [size, size + 1].into_iter().chain(near_max) {
            assert_out_of_range(image.view(off, 1), "view");
            assert_out_of_range(image.read_at(off, &mut [0; 1]), "read_at");
            assert_out_of_range(image.store(off, &[1]), "store");
            assert_out_of_range(image.store_nt(off, &[1]), "store_nt");
            assert_out_of_range(image.flush(off, 1), "flush");
        }
        assert_out_of_range(image.view(size - 1, 2), "view straddling the end");
        assert_out_of_range(image.store(size - 2, &[0; 3]), "store straddling the end");
        assert_out_of_range(image.flush(1, u64::MAX), "flush with overflowing length");
        assert_out_of_range(image.view(u64::MAX, 0), "empty view past the end");
        assert_out_of_range(image.view(0, usize::MAX), "huge view");
        assert!(image.view(size, 0).unwrap().is_empty());
        image.store(size, &[]).unwrap();
        image.flush(0, size).unwrap();
        assert!(image.as_slice().iter().all(|&b| b == 0), "a refused store wrote something");
    }

    /// Large stores (`pwrite`), large reads (`pread`) and `copy_within` (`copy_file_range`, or
    /// piece by piece where the ranges overlap) agree with the mapping byte for byte.
    #[test]
    fn file_io_paths_agree_with_the_mapping() {
        let (_dir, path) = scratch();
        let size = 1u64 << 20;
        let mut image = MappedImage::create(&path, size, false).unwrap();
        let mut model = vec![0u8; size as usize];
        let pattern: Vec<u8> = (0..256 << 10).map(|i: u32| (i * 7 % 251) as u8).collect();
        // A large store goes through the file and is seen through the mapping.
        image.store(4096, &pattern).unwrap();
        model[4096..4096 + pattern.len()].copy_from_slice(&pattern);
        assert!(image.as_slice() == &model[..]);
        // A small store goes to the mapping and is seen by a large read (`pread`).
        image.store(8192 + 5, b"mapped").unwrap();
        model[8197..8203].copy_from_slice(b"mapped");
        let mut buf = vec![0u8; 64 << 10];
        image.read_at(4096, &mut buf).unwrap();
        assert_eq!(buf, model[4096..4096 + (64 << 10)]);
        // Copies: disjoint ranges (in the kernel), overlapping both ways (piece by piece).
        for (src, dst, len) in [(4096u64, 600 << 10, 200 << 10), (4096, 4096 + 3 * 4096, 40960), (50000, 41000, 30000)]
        {
            image.copy_within(src, dst, len, 4096).unwrap();
            let (s, d, n) = (src as usize, dst as usize, len as usize);
            // The pieces are copied in order, each read after the previous one was stored.
            let mut done = 0;
            while done < n {
                let k = (n - done).min(4096);
                let piece = model[s + done..s + done + k].to_vec();
                model[d + done..d + done + k].copy_from_slice(&piece);
                done += k;
            }
            assert!(image.as_slice() == &model[..], "copy {src} -> {dst} ({len} bytes)");
        }
        image.copy_within(0, size, 0, 4096).unwrap();
        assert_out_of_range(image.copy_within(0, size - 4095, 4096, 4096), "copy past the end");
        assert_out_of_range(image.copy_within(u64::MAX, 0, 2, 4096), "copy from past the end");
        image.sync().unwrap();
        drop(image);
        assert!(std::fs::read(&path).unwrap() == model);
        let mut image = MappedImage::open(&path, false).unwrap();
        assert!(matches!(image.copy_within(0, 8192, 4096, 4096), Err(Error::ReadOnly)));
        assert!(matches!(image.store(0, &pattern), Err(Error::ReadOnly)));
        assert_out_of_range(image.read_at(size - 4096, &mut buf), "large read past the end");
    }

    /// A budget of 0 lets the mapping go at every check: views, reads and stores still see the
    /// image's bytes, earlier views included, and stores made through the mapping before a
    /// release still reach the file at sync.
    #[test]
    fn a_mapping_let_go_keeps_its_contents() {
        let (_dir, path) = scratch();
        let size = 8u64 << 20;
        let mut image = MappedImage::create(&path, size, false).unwrap();
        image.set_map_budget(Some(0));
        let mut model = vec![0u8; size as usize];
        for i in 0..(size / 4096) {
            let b = [(i % 251) as u8 + 1; 100];
            image.store(i * 4096 + 7, &b).unwrap();
            model[(i * 4096 + 7) as usize..(i * 4096 + 107) as usize].copy_from_slice(&b);
        }
        let first = image.view(4096, 200).unwrap().into_owned();
        assert_eq!(first, model[4096..4296]);
        for round in 0..3 {
            for i in 0..(size / 4096) {
                let at = i * 4096;
                assert_eq!(
                    image.view(at, 4096).unwrap().as_ref(),
                    &model[at as usize..(at + 4096) as usize],
                    "{round}"
                );
                let mut small = [0u8; 16];
                image.read_at(at + 100, &mut small).unwrap();
                assert_eq!(small, model[(at + 100) as usize..(at + 116) as usize]);
            }
        }
        image.store(size - 3, b"end").unwrap();
        model[(size - 3) as usize..].copy_from_slice(b"end");
        image.sync().unwrap();
        drop(image);
        assert!(std::fs::read(&path).unwrap() == model);
        let mut image = MappedImage::open(&path, false).unwrap();
        image.set_map_budget(Some(0));
        let held = image.view(0, 8192).unwrap();
        for i in 0..(size / 4096) {
            let _ = image.view(i * 4096, 4096).unwrap();
        }
        assert_eq!(held.as_ref(), &model[..8192], "a view handed out before the release");
    }

    #[test]
    fn read_only_image_refuses_stores() {
        let (_dir, path) = scratch();
        drop(MappedImage::create(&path, 4096, false).unwrap());
        let mut image = MappedImage::open(&path, false).unwrap();
        assert!(matches!(image.store(0, &[1]), Err(Error::ReadOnly)));
        assert!(matches!(image.store_nt(0, &[1]), Err(Error::ReadOnly)));
        assert!(matches!(image.store(4096, &[1]), Err(Error::OutOfRange { .. })));
        image.flush(0, 64).unwrap();
        image.fence().unwrap();
        image.sync().unwrap();
        assert_eq!(image.view(0, 1).unwrap()[0], 0);
    }
}
