//! The recording device: an in-memory image that also records every write-side operation.

use std::borrow::Cow;

use super::trace::EventKind;
use super::{check_range, len_u64, Context, Device, Error, Trace, DEFAULT_TAG};

/// A plain in-memory device: the image as a vector, kept with its initial contents so a crash
/// explorer can rebuild any crash state from [`initial`](Self::initial) plus a subset of a
/// trace's stores.
#[derive(Debug, Clone)]
pub struct MemDevice {
    initial: Vec<u8>,
    memory: Vec<u8>,
}

impl MemDevice {
    /// A device holding `image` (its initial and current contents).
    pub fn new(image: Vec<u8>) -> Self {
        MemDevice { initial: image.clone(), memory: image }
    }
}

impl Device for MemDevice {
    fn len(&self) -> u64 {
        len_u64(self.memory.len())
    }

    fn view(&self, off: u64, len: usize) -> Result<Cow<'_, [u8]>, Error> {
        let range = check_range(off, len_u64(len), self.len())?;
        Ok(Cow::Borrowed(&self.memory[range]))
    }

    fn store(&mut self, off: u64, bytes: &[u8]) -> Result<(), Error> {
        let range = check_range(off, len_u64(bytes.len()), self.len())?;
        self.memory[range].copy_from_slice(bytes);
        Ok(())
    }

    fn store_nt(&mut self, off: u64, bytes: &[u8]) -> Result<(), Error> {
        self.store(off, bytes)
    }

    fn flush(&mut self, off: u64, len: u64) -> Result<(), Error> {
        check_range(off, len, self.len()).map(|_| ())
    }

    fn fence(&mut self) -> Result<(), Error> {
        Ok(())
    }

    fn set_tag(&mut self, _tag: &'static str) -> &'static str {
        DEFAULT_TAG
    }

    fn sync(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

/// A device that applies every operation to an inner device (so reads see every store at once)
/// and appends every store, non-temporal store, flush, fence and step marker to a [`Trace`],
/// tagged with the step and the [`Context`] current at the time.
///
/// Over a [`MemDevice`] (`RecordingDevice::new(image)`) the initial image is kept alongside;
/// over a [`CowDevice`](super::CowDevice) the base image is never written, so the durable state
/// at any trace position can be written back to it afterwards
/// ([`durable`](super::durable)).
///
/// Zero-length stores and flushes are bounds-checked but not recorded: they touch no cache
/// line and cannot change any crash state. Every fence and marker is recorded.
#[derive(Debug, Clone)]
pub struct RecordingDevice<D: Device = MemDevice> {
    inner: D,
    trace: Trace,
    tag: &'static str,
    ctx: Context,
}

impl RecordingDevice<MemDevice> {
    /// Record on top of `image` (which becomes both the initial and the current contents).
    pub fn new(image: Vec<u8>) -> Self {
        RecordingDevice::over(MemDevice::new(image))
    }

    /// Copy the whole of `device` into memory and record on top of it. [`Error::TooLarge`]
    /// when the copy cannot be allocated.
    pub fn from_device(device: &dyn Device) -> Result<Self, Error> {
        let len_bytes = device.len();
        let too_large = || Error::TooLarge { len_bytes };
        let len = usize::try_from(len_bytes).map_err(|_| too_large())?;
        let mut image = Vec::new();
        image.try_reserve_exact(len).map_err(|_| too_large())?;
        image.extend_from_slice(&device.view(0, len)?);
        Ok(Self::new(image))
    }

    /// The image as it was before any recorded write.
    pub fn initial(&self) -> &[u8] {
        &self.inner.initial
    }

    /// The current contents: the initial image with every store applied.
    pub fn memory(&self) -> &[u8] {
        &self.inner.memory
    }

    /// The final image and the trace.
    pub fn into_parts(self) -> (Vec<u8>, Trace) {
        (self.inner.memory, self.trace)
    }

    /// The initial image, the final image and the trace.
    pub fn into_all_parts(self) -> (Vec<u8>, Vec<u8>, Trace) {
        (self.inner.initial, self.inner.memory, self.trace)
    }
}

impl<D: Device> RecordingDevice<D> {
    /// Record every operation applied to `inner`.
    pub fn over(inner: D) -> Self {
        RecordingDevice { inner, trace: Trace::new(), tag: DEFAULT_TAG, ctx: Context::Fault }
    }

    /// The operations recorded so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The tag current for later writes (see [`Device::set_tag`]).
    pub fn tag(&self) -> &'static str {
        self.tag
    }

    /// The device recorded on.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The device and the trace.
    pub fn into_inner(self) -> (D, Trace) {
        (self.inner, self.trace)
    }

    fn write(&mut self, kind: EventKind, off: u64, bytes: &[u8]) -> Result<(), Error> {
        check_range(off, len_u64(bytes.len()), self.inner.len())?;
        if bytes.is_empty() {
            return Ok(());
        }
        match kind {
            EventKind::StoreNt => self.inner.store_nt(off, bytes)?,
            _ => self.inner.store(off, bytes)?,
        }
        self.trace.push_store(kind, off, bytes, self.tag, self.ctx);
        Ok(())
    }
}

impl<D: Device> Device for RecordingDevice<D> {
    fn len(&self) -> u64 {
        self.inner.len()
    }

    fn view(&self, off: u64, len: usize) -> Result<Cow<'_, [u8]>, Error> {
        self.inner.view(off, len)
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<(), Error> {
        self.inner.read_at(off, buf)
    }

    fn store(&mut self, off: u64, bytes: &[u8]) -> Result<(), Error> {
        self.write(EventKind::Store, off, bytes)
    }

    fn store_nt(&mut self, off: u64, bytes: &[u8]) -> Result<(), Error> {
        self.write(EventKind::StoreNt, off, bytes)
    }

    fn flush(&mut self, off: u64, len: u64) -> Result<(), Error> {
        check_range(off, len, self.len())?;
        if len != 0 {
            self.trace.push_flush(off, len, self.tag, self.ctx);
        }
        Ok(())
    }

    fn fence(&mut self) -> Result<(), Error> {
        self.trace.push_fence(self.tag, self.ctx);
        Ok(())
    }

    fn set_tag(&mut self, tag: &'static str) -> &'static str {
        std::mem::replace(&mut self.tag, tag)
    }

    fn sync(&mut self) -> Result<(), Error> {
        Ok(())
    }

    fn prefetch(&self, off: u64, len: u64, for_write: bool) {
        self.inner.prefetch(off, len, for_write)
    }

    fn set_context(&mut self, ctx: Context) -> Context {
        std::mem::replace(&mut self.ctx, ctx)
    }

    fn context(&self) -> Context {
        self.ctx
    }

    fn mark(&mut self, step: &'static str) {
        self.trace.push_marker(step, self.ctx);
    }

    fn op_counts(&self) -> [u64; 5] {
        self.trace.kind_counts()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_events_in_order_with_their_tags() {
        let mut dev = RecordingDevice::new(vec![0; 8192]);
        dev.store(10, b"untagged!").unwrap();
        assert_eq!(dev.set_tag("mkfs"), DEFAULT_TAG);
        dev.store(100, b"abc").unwrap();
        dev.flush(100, 3).unwrap();
        dev.fence().unwrap();
        assert_eq!(dev.set_tag("zero-block"), "mkfs");
        dev.store_nt(4096, &[0xee; 4096]).unwrap();
        dev.fence().unwrap();

        let kinds: Vec<_> = dev.trace().iter().map(|e| (e.seq, e.kind, e.off, e.len, e.tag)).collect();
        assert!(dev.trace().iter().all(|e| e.ctx == Context::Fault));
        assert_eq!(
            kinds,
            [
                (0, EventKind::Store, 10, 9, DEFAULT_TAG),
                (1, EventKind::Store, 100, 3, "mkfs"),
                (2, EventKind::Flush, 100, 3, "mkfs"),
                (3, EventKind::Fence, 0, 0, "mkfs"),
                (4, EventKind::StoreNt, 4096, 4096, "zero-block"),
                (5, EventKind::Fence, 0, 0, "zero-block"),
            ]
        );
        let trace = dev.trace();
        assert_eq!(trace.data(&trace.events()[0]), b"untagged!");
        assert_eq!(trace.data(&trace.events()[1]), b"abc");
        assert_eq!(trace.data(&trace.events()[4]), &[0xee; 4096][..]);
        assert_eq!(trace.events_tagged("mkfs").count(), 3);
    }

    #[test]
    fn memory_reflects_stores_and_initial_is_unchanged() {
        let mut initial = vec![0u8; 256];
        initial[0] = 0x55;
        let mut dev = RecordingDevice::new(initial.clone());
        dev.store(0, &[1, 2]).unwrap();
        dev.store(1, &[9]).unwrap();
        dev.store_nt(128, &[3; 64]).unwrap();
        assert_eq!(dev.view(0, 3).unwrap().as_ref(), &[1, 9, 0]);
        let mut buf = [0u8; 64];
        dev.read_at(128, &mut buf).unwrap();
        assert_eq!(buf, [3; 64]);
        assert_eq!(dev.initial(), &initial[..]);

        // Replaying every store over the initial image gives the final image.
        let mut replay = dev.initial().to_vec();
        for event in dev.trace() {
            dev.trace().apply(event, &mut replay).unwrap();
        }
        assert_eq!(replay, dev.memory());
        let (initial_out, final_image, trace) = dev.clone().into_all_parts();
        assert_eq!(initial_out, initial);
        assert_eq!(trace.len(), 3);
        let (final_image2, _) = dev.into_parts();
        assert_eq!(final_image, final_image2);
        assert_eq!(final_image, replay);
    }

    #[test]
    fn zero_length_operations_are_checked_but_not_recorded() {
        let mut dev = RecordingDevice::new(vec![0; 64]);
        dev.store(64, &[]).unwrap();
        dev.store_nt(0, &[]).unwrap();
        dev.flush(64, 0).unwrap();
        assert!(dev.trace().is_empty());
        assert!(matches!(dev.store(65, &[]), Err(Error::OutOfRange { .. })));
        dev.fence().unwrap();
        assert_eq!(dev.trace().len(), 1);
    }

    #[test]
    fn every_method_is_bounds_checked_and_refusals_record_nothing() {
        let size = 4096u64;
        let mut dev = RecordingDevice::new(vec![0; 4096]);
        for off in [size, size + 1, u64::MAX, u64::MAX - 1, u64::MAX - 63] {
            assert!(matches!(dev.view(off, 1), Err(Error::OutOfRange { .. })));
            assert!(matches!(dev.read_at(off, &mut [0; 1]), Err(Error::OutOfRange { .. })));
            assert!(matches!(dev.store(off, &[1]), Err(Error::OutOfRange { .. })));
            assert!(matches!(dev.store_nt(off, &[1]), Err(Error::OutOfRange { .. })));
            assert!(matches!(dev.flush(off, 1), Err(Error::OutOfRange { .. })));
        }
        assert!(matches!(dev.flush(1, u64::MAX), Err(Error::OutOfRange { .. })));
        assert!(matches!(dev.store(size - 1, &[1, 2]), Err(Error::OutOfRange { .. })));
        assert!(matches!(dev.view(0, usize::MAX), Err(Error::OutOfRange { .. })));
        assert!(dev.trace().is_empty());
        assert!(dev.memory().iter().all(|&b| b == 0));
    }

    #[test]
    fn from_device_copies_the_contents() {
        let mut source = RecordingDevice::new(vec![0; 1024]);
        source.store(1000, b"tail").unwrap();
        let copy = RecordingDevice::from_device(&source).unwrap();
        assert_eq!(copy.initial(), source.memory());
        assert_eq!(copy.memory(), source.memory());
        assert!(copy.trace().is_empty());
        assert_eq!(copy.tag(), DEFAULT_TAG);
    }
}
