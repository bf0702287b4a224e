//! A bitmap over a large range, allocated a chunk at a time (memory follows what is used, not
//! the size of the file system), with range marking that reports overlaps.

const CHUNK_BITS: u64 = 1 << 15;
const WORDS: usize = (CHUNK_BITS / 64) as usize;

/// Sparse bit set over `0..len`.
pub struct Bits {
    len: u64,
    chunks: Vec<Option<Box<[u64; WORDS]>>>,
}

impl Bits {
    pub fn new(len: u64) -> Bits {
        Bits { len, chunks: (0..len.div_ceil(CHUNK_BITS)).map(|_| None).collect() }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, i: u64) -> bool {
        if i >= self.len {
            return false;
        }
        match &self.chunks[(i / CHUNK_BITS) as usize] {
            Some(c) => c[((i % CHUNK_BITS) / 64) as usize] & (1 << (i % 64)) != 0,
            None => false,
        }
    }

    /// Clear bit `i`.
    pub fn clear(&mut self, i: u64) {
        if i < self.len {
            if let Some(c) = &mut self.chunks[(i / CHUNK_BITS) as usize] {
                c[((i % CHUNK_BITS) / 64) as usize] &= !(1 << (i % 64));
            }
        }
    }

    pub fn set(&mut self, i: u64) -> bool {
        self.set_range(i, 1) > 0
    }

    /// Set bits `start..start+n` (clipped to the set); returns how many were already set.
    pub fn set_range(&mut self, start: u64, n: u64) -> u64 {
        let end = start.saturating_add(n).min(self.len);
        let mut i = start;
        let mut already = 0;
        while i < end {
            let c = (i / CHUNK_BITS) as usize;
            let chunk = self.chunks[c].get_or_insert_with(|| Box::new([0u64; WORDS]));
            let chunk_end = ((c as u64 + 1) * CHUNK_BITS).min(end);
            while i < chunk_end {
                let w = ((i % CHUNK_BITS) / 64) as usize;
                let bit = i % 64;
                let take = (64 - bit).min(chunk_end - i);
                let mask = if take == 64 { u64::MAX } else { ((1u64 << take) - 1) << bit };
                already += u64::from((chunk[w] & mask).count_ones());
                chunk[w] |= mask;
                i += take;
            }
        }
        already
    }

    /// The `wi`-th 64-bit word of the set (0 past the end or in an unallocated chunk).
    fn raw_word(&self, wi: u64) -> u64 {
        let bit = wi * 64;
        if bit >= self.len {
            return 0;
        }
        match &self.chunks[(bit / CHUNK_BITS) as usize] {
            Some(c) => c[((bit % CHUNK_BITS) / 64) as usize],
            None => 0,
        }
    }

    /// 64 bits starting at bit `at` (any alignment).
    fn word_at(&self, at: u64) -> u64 {
        let (wi, sh) = (at / 64, at % 64);
        let lo = self.raw_word(wi);
        if sh == 0 {
            lo
        } else {
            (lo >> sh) | (self.raw_word(wi + 1) << (64 - sh))
        }
    }

    /// Copy bits `start..start+n` into the bitmap `out` (bit 0 of `out` = bit `start`), as a
    /// block or inode bitmap lays them out, a word at a time. Bits past the end read as 0.
    pub fn copy_into(&self, start: u64, n: u64, out: &mut [u8]) {
        let mut i = 0u64;
        while i < n {
            let mut w = self.word_at(start + i);
            let take = (n - i).min(64);
            if take < 64 {
                w &= (1u64 << take) - 1;
            }
            let o = (i / 8) as usize;
            let bytes = w.to_le_bytes();
            let nb = take.div_ceil(8) as usize;
            for (k, b) in bytes[..nb].iter().enumerate() {
                out[o + k] |= b;
            }
            i += 64;
        }
    }

    /// Number of set bits in `start..start+n`.
    pub fn count_range(&self, start: u64, n: u64) -> u64 {
        let end = start.saturating_add(n).min(self.len);
        let mut i = start;
        let mut count = 0;
        while i < end {
            let c = (i / CHUNK_BITS) as usize;
            let chunk_end = ((c as u64 + 1) * CHUNK_BITS).min(end);
            match &self.chunks[c] {
                None => i = chunk_end,
                Some(chunk) => {
                    while i < chunk_end {
                        let w = ((i % CHUNK_BITS) / 64) as usize;
                        let bit = i % 64;
                        let take = (64 - bit).min(chunk_end - i);
                        let mask = if take == 64 { u64::MAX } else { ((1u64 << take) - 1) << bit };
                        count += u64::from((chunk[w] & mask).count_ones());
                        i += take;
                    }
                }
            }
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_overlaps() {
        let mut b = Bits::new(100_000);
        assert_eq!(b.set_range(10, 100), 0);
        assert_eq!(b.set_range(100, 20), 10);
        assert!(b.get(10) && b.get(119) && !b.get(120) && !b.get(9));
        assert_eq!(b.count_range(0, 100_000), 110);
        assert_eq!(b.set_range(32760, 20), 0);
        assert_eq!(b.count_range(32768, 100), 12);
        assert_eq!(b.set_range(99_990, 100), 0);
        assert_eq!(b.count_range(99_990, 10), 10);
        assert!(!b.get(200_000));
        let mut out = vec![0u8; 4096];
        b.copy_into(0, 32768, &mut out);
        assert_eq!(out[1], 0xFC); // bits 10..16
        assert_eq!((out[14], out[15]), (0xFF, 0)); // bits 112..120 set, 120.. clear
        let mut out2 = vec![0u8; 4096];
        b.copy_into(3, 200, &mut out2);
        assert_eq!(out2[0] & (1 << 7), 1 << 7); // bit 10 -> position 7
    }
}
