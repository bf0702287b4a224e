//! A value per inode number, in pages allocated on first write: as fast as an array indexed
//! by inode number, with memory that follows the inodes touched rather than the inode count.
//! Numbers beyond the file system's inodes (a directory entry may name anything) go to a small
//! map, so every key a caller can produce is kept.

use super::InodeMap;

const PAGE: usize = 1024;

/// One `T` per inode number, `T::default()` where nothing was written.
pub struct InodeArray<T: Copy + Default> {
    pages: Vec<Option<Box<[T; PAGE]>>>,
    overflow: InodeMap<T>,
}

impl<T: Copy + Default + PartialEq> InodeArray<T> {
    /// Room for inode numbers `0..len` in pages; others in the overflow map.
    pub fn new(len: u64) -> Self {
        let pages = usize::try_from(len.div_ceil(PAGE as u64)).unwrap_or(0);
        InodeArray { pages: (0..pages).map(|_| None).collect(), overflow: InodeMap::default() }
    }

    pub fn get(&self, n: u32) -> T {
        let (p, i) = (n as usize / PAGE, n as usize % PAGE);
        match self.pages.get(p) {
            Some(Some(page)) => page[i],
            Some(None) => T::default(),
            None => self.overflow.get(&n).copied().unwrap_or_default(),
        }
    }

    /// The value of `n`, to change in place.
    pub fn slot(&mut self, n: u32) -> &mut T {
        let (p, i) = (n as usize / PAGE, n as usize % PAGE);
        match self.pages.get_mut(p) {
            Some(page) => &mut page.get_or_insert_with(|| Box::new([T::default(); PAGE]))[i],
            None => self.overflow.entry(n).or_default(),
        }
    }

    pub fn set(&mut self, n: u32, v: T) {
        *self.slot(n) = v;
    }

    /// Every value other than the default, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = T> + '_ {
        let zero = T::default();
        self.pages
            .iter()
            .flatten()
            .flat_map(|p| p.iter().copied())
            .chain(self.overflow.values().copied())
            .filter(move |&v| v != zero)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_overflow_keep_every_key() {
        let mut a: InodeArray<u32> = InodeArray::new(3000);
        assert_eq!(a.get(5), 0);
        *a.slot(5) += 2;
        a.set(2999, 7);
        a.set(4_000_000_000, 9);
        *a.slot(4_000_000_000) += 1;
        assert_eq!((a.get(5), a.get(2999), a.get(4_000_000_000), a.get(6)), (2, 7, 10, 0));
        let mut v: Vec<u32> = a.values().collect();
        v.sort();
        assert_eq!(v, [2, 7, 10]);
        a.set(5, 0);
        assert_eq!(a.values().count(), 2);
    }
}
