//! A copy-on-write device over a base device: stores land in private 4 KiB pages, the base is
//! only read. The fault path records on it when only part of what it stores may reach the
//! image (`--stop-after`), and crash states are read through such overlays without copying
//! images.

use std::borrow::Cow;
use std::collections::HashMap;

use super::{check_range, len_u64, Device, Error, DEFAULT_TAG};

/// Granularity of the private copies.
pub const PAGE: u64 = 4096;

/// Stores go to private copies of the pages they touch; reads see them over `base`.
#[derive(Debug)]
pub struct CowDevice<D: Device> {
    base: D,
    pages: HashMap<u64, Box<[u8]>>,
}

impl<D: Device> CowDevice<D> {
    /// An overlay with no changes over `base`.
    pub fn new(base: D) -> Self {
        CowDevice { base, pages: HashMap::new() }
    }

    /// The base device (never written by this overlay).
    pub fn base(&self) -> &D {
        &self.base
    }

    /// The base device, giving up the private pages.
    pub fn into_base(self) -> D {
        self.base
    }

    /// The numbers of the pages changed, in no particular order.
    pub fn changed_page_numbers(&self) -> impl Iterator<Item = u64> + '_ {
        self.pages.keys().copied()
    }

    /// Number of pages changed.
    pub fn changed_pages(&self) -> usize {
        self.pages.len()
    }

    fn page_mut(&mut self, page: u64) -> Result<&mut [u8], Error> {
        use std::collections::hash_map::Entry;
        match self.pages.entry(page) {
            Entry::Occupied(e) => Ok(&mut e.into_mut()[..]),
            Entry::Vacant(v) => {
                let off = page * PAGE;
                let n = PAGE.min(self.base.len() - off) as usize;
                let copy = self.base.view(off, n)?.into_owned().into_boxed_slice();
                Ok(&mut v.insert(copy)[..])
            }
        }
    }
}

impl<D: Device> Device for CowDevice<D> {
    fn len(&self) -> u64 {
        self.base.len()
    }

    fn view(&self, off: u64, len: usize) -> Result<Cow<'_, [u8]>, Error> {
        let range = check_range(off, len_u64(len), self.len())?;
        if len == 0 {
            return Ok(Cow::Borrowed(&[]));
        }
        let first = off / PAGE;
        let last = (off + len_u64(len) - 1) / PAGE;
        if first == last {
            if let Some(p) = self.pages.get(&first) {
                let at = (off - first * PAGE) as usize;
                return Ok(Cow::Borrowed(&p[at..at + len]));
            }
            return self.base.view(off, len);
        }
        if (first..=last).all(|p| !self.pages.contains_key(&p)) {
            return self.base.view(off, len);
        }
        let mut out = self.base.view(off, len)?.into_owned();
        for p in first..=last {
            if let Some(page) = self.pages.get(&p) {
                let ps = p * PAGE;
                let s = ps.max(off);
                let e = (ps + len_u64(page.len())).min(off + len_u64(len));
                out[(s - off) as usize..(e - off) as usize]
                    .copy_from_slice(&page[(s - ps) as usize..(e - ps) as usize]);
            }
        }
        debug_assert_eq!(out.len(), range.len());
        Ok(Cow::Owned(out))
    }

    fn store(&mut self, off: u64, bytes: &[u8]) -> Result<(), Error> {
        check_range(off, len_u64(bytes.len()), self.len())?;
        let mut done = 0usize;
        while done < bytes.len() {
            let at = off + len_u64(done);
            let page = at / PAGE;
            let in_page = (at - page * PAGE) as usize;
            let buf = self.page_mut(page)?;
            let n = (buf.len() - in_page).min(bytes.len() - done);
            buf[in_page..in_page + n].copy_from_slice(&bytes[done..done + n]);
            done += n;
        }
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

    fn prefetch(&self, off: u64, len: u64, for_write: bool) {
        let _ = for_write;
        self.base.prefetch(off, len, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pmem::MemDevice;

    #[test]
    fn stores_land_in_private_pages_and_reads_merge_them() {
        let base = MemDevice::new((0..3 * PAGE).map(|i| (i % 251) as u8).collect());
        let mut cow = CowDevice::new(base.clone());
        cow.store(PAGE - 2, &[1, 2, 3, 4]).unwrap();
        assert_eq!(cow.changed_pages(), 2);
        assert_eq!(
            cow.view(PAGE - 3, 6).unwrap().as_ref(),
            &[((PAGE - 3) % 251) as u8, 1, 2, 3, 4, ((PAGE + 2) % 251) as u8]
        );
        let all = cow.view(0, (3 * PAGE) as usize).unwrap().into_owned();
        let mut want = base.view(0, (3 * PAGE) as usize).unwrap().into_owned();
        want[(PAGE - 2) as usize..(PAGE + 2) as usize].copy_from_slice(&[1, 2, 3, 4]);
        assert_eq!(all, want);
        // The base is untouched.
        assert_eq!(cow.base().view(PAGE - 2, 1).unwrap()[0], ((PAGE - 2) % 251) as u8);
        assert!(matches!(cow.store(3 * PAGE - 1, &[0, 0]), Err(Error::OutOfRange { .. })));
        assert!(cow.view(3 * PAGE, 0).unwrap().is_empty());
    }
}
