//! ext4 and jbd2 on-disk structures: parse, validate, encode. No I/O, no policy.
//!
//! ext4 fields are little-endian; jbd2 fields (in [`jbd2`]) are big-endian. Each structure
//! lives in its own module and is decoded into a validated type that keeps the raw bytes it
//! does not interpret, so that `encode(parse(b)) == b`.

pub mod checksum;
pub mod dirent;
pub mod extent;
pub mod features;
pub mod group_desc;
pub mod inode;
pub mod jbd2;
pub mod poison;
pub mod superblock;
pub mod xattr;

/// Little-endian field access at fixed offsets. Callers pass slices whose length they have
/// already validated; the helpers index (and would panic) only on a programming error.
pub mod le {
    #[inline]
    pub fn u16(b: &[u8], off: usize) -> u16 {
        u16::from_le_bytes([b[off], b[off + 1]])
    }
    #[inline]
    pub fn u32(b: &[u8], off: usize) -> u32 {
        u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
    }
    #[inline]
    pub fn u64(b: &[u8], off: usize) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[off..off + 8]);
        u64::from_le_bytes(a)
    }
    #[inline]
    pub fn put16(b: &mut [u8], off: usize, v: u16) {
        b[off..off + 2].copy_from_slice(&v.to_le_bytes());
    }
    #[inline]
    pub fn put32(b: &mut [u8], off: usize, v: u32) {
        b[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }
    #[inline]
    pub fn put64(b: &mut [u8], off: usize, v: u64) {
        b[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }
}

/// Big-endian field access (jbd2).
pub(crate) mod be {
    #[inline]
    pub fn u32(b: &[u8], off: usize) -> u32 {
        u32::from_be_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
    }
    #[inline]
    pub fn put32(b: &mut [u8], off: usize, v: u32) {
        b[off..off + 4].copy_from_slice(&v.to_be_bytes());
    }
}

/// Combine a `lo` and `hi` half into one 64-bit number.
#[inline]
pub(crate) fn lohi(lo: u32, hi: u32) -> u64 {
    u64::from(lo) | (u64::from(hi) << 32)
}

/// A fixed-size little-endian field of an on-disk structure.
pub(crate) trait LeField: Sized {
    fn get(b: &[u8], off: usize) -> Self;
    fn put(&self, b: &mut [u8], off: usize);
}

impl LeField for u8 {
    fn get(b: &[u8], off: usize) -> Self {
        b[off]
    }
    fn put(&self, b: &mut [u8], off: usize) {
        b[off] = *self;
    }
}
impl LeField for u16 {
    fn get(b: &[u8], off: usize) -> Self {
        le::u16(b, off)
    }
    fn put(&self, b: &mut [u8], off: usize) {
        le::put16(b, off, *self)
    }
}
impl LeField for u32 {
    fn get(b: &[u8], off: usize) -> Self {
        le::u32(b, off)
    }
    fn put(&self, b: &mut [u8], off: usize) {
        le::put32(b, off, *self)
    }
}
impl LeField for u64 {
    fn get(b: &[u8], off: usize) -> Self {
        le::u64(b, off)
    }
    fn put(&self, b: &mut [u8], off: usize) {
        le::put64(b, off, *self)
    }
}
impl<const N: usize> LeField for [u8; N] {
    fn get(b: &[u8], off: usize) -> Self {
        let mut a = [0u8; N];
        a.copy_from_slice(&b[off..off + N]);
        a
    }
    fn put(&self, b: &mut [u8], off: usize) {
        b[off..off + N].copy_from_slice(self)
    }
}
impl<const N: usize> LeField for [u32; N] {
    fn get(b: &[u8], off: usize) -> Self {
        let mut a = [0u32; N];
        for (i, v) in a.iter_mut().enumerate() {
            *v = le::u32(b, off + 4 * i);
        }
        a
    }
    fn put(&self, b: &mut [u8], off: usize) {
        for (i, v) in self.iter().enumerate() {
            le::put32(b, off + 4 * i, *v);
        }
    }
}

/// Declares a struct of little-endian fields, each at its documented offset, with `read`
/// and `write` generated from the one list (so offsets are written down once).
macro_rules! le_fields {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty = $off:expr),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name { $($(#[$fm])* pub $field: $ty),* }
        impl $name {
            /// Decode every field from `b` (which must be long enough; callers check).
            #[allow(dead_code)]
            pub(crate) fn read(b: &[u8]) -> Self {
                Self { $($field: <$ty as $crate::ondisk::LeField>::get(b, $off)),* }
            }
            /// Encode every field into `b`, leaving other bytes as they are.
            #[allow(dead_code)]
            pub(crate) fn write(&self, b: &mut [u8]) {
                $($crate::ondisk::LeField::put(&self.$field, b, $off);)*
            }
        }
    };
}
pub(crate) use le_fields;
