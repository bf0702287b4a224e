//! The recording device: an in-memory image that also records every write-side operation.

use std::borrow::Cow;

use super::trace::EventKind;
use super::{check_range, len_u64, Device, Error, Trace, DEFAULT_TAG};

/// An in-memory copy of an image that applies every store at once (so reads see it) and
/// appends every store, non-temporal store, flush and fence to a [`Trace`], tagged with the
/// tag current at the time.
///
/// The initial image is kept alongside, so a crash explorer can rebuild any crash state from
/// [`initial`](Self::initial) plus a subset of the trace's stores ([`Trace::apply`]).
///
/// Zero-length stores and flushes are bounds-checked but not recorded: they touch no cache
/// line and cannot change any crash state. Every fence is recorded.
#[derive(Debug, Clone)]
pub struct RecordingDevice {
    initial: Vec<u8>,
    memory: Vec<u8>,
    trace: Trace,
    tag: &'static str,
}

impl RecordingDevice {
    /// Record on top of `image` (which becomes both the initial and the current contents).
    pub fn new(image: Vec<u8>) -> Self {
        RecordingDevice { initial: image.clone(), memory: image, trace: Trace::new(), tag: DEFAULT_TAG }
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
        &self.initial
    }

    /// The current contents: the initial image with every store applied.
    pub fn memory(&self) -> &[u8] {
        &self.memory
    }

    /// The operations recorded so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The tag current for later writes (see [`Device::set_tag`]).
    pub fn tag(&self) -> &'static str {
        self.tag
    }

    /// The final image and the trace.
    pub fn into_parts(self) -> (Vec<u8>, Trace) {
        (self.memory, self.trace)
    }

    /// The initial image, the final image and the trace.
    pub fn into_all_parts(self) -> (Vec<u8>, Vec<u8>, Trace) {
        (self.initial, self.memory, self.trace)
    }

    fn write(&mut self, kind: EventKind, off: u64, bytes: &[u8]) -> Result<(), Error> {
        let range = check_range(off, len_u64(bytes.len()), len_u64(self.memory.len()))?;
        if bytes.is_empty() {
            return Ok(());
        }
        self.memory[range].copy_from_slice(bytes);
        self.trace.push_store(kind, off, bytes, self.tag);
        Ok(())
    }
}

impl Device for RecordingDevice {
    fn len(&self) -> u64 {
        len_u64(self.memory.len())
    }

    fn view(&self, off: u64, len: usize) -> Result<Cow<'_, [u8]>, Error> {
        let range = check_range(off, len_u64(len), self.len())?;
        Ok(Cow::Borrowed(&self.memory[range]))
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
            self.trace.push_flush(off, len, self.tag);
        }
        Ok(())
    }

    fn fence(&mut self) -> Result<(), Error> {
        self.trace.push_fence(self.tag);
        Ok(())
    }

    fn set_tag(&mut self, tag: &'static str) -> &'static str {
        std::mem::replace(&mut self.tag, tag)
    }

    fn sync(&mut self) -> Result<(), Error> {
        Ok(())
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
