//! The names seen in one directory, for pass 2's duplicate check: names are copied into one
//! buffer and found through an open-addressing table of their positions, so a directory of any
//! size costs no allocation per entry, and the set is reused from one directory to the next.

/// A set of names (byte strings of at most 255 bytes).
#[derive(Default)]
pub struct NameSet {
    /// Every name inserted, back to back.
    bytes: Vec<u8>,
    /// Where each name starts in `bytes`, and its length.
    spans: Vec<(u32, u8)>,
    /// Open addressing: (0, _) empty, else (1 + an index into `spans`, the name's hash's high
    /// half, compared before the name). Its length is a power of two at least twice the
    /// number of names.
    table: Vec<(u32, u32)>,
}

fn hash(name: &[u8]) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325 ^ name.len() as u64;
    for chunk in name.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^= h >> 29;
    }
    h
}

impl NameSet {
    /// Forget every name (keeping the memory).
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.spans.clear();
        self.table.iter_mut().for_each(|s| *s = (0, 0));
    }

    fn name(&self, i: u32) -> &[u8] {
        let (start, len) = self.spans[i as usize];
        &self.bytes[start as usize..start as usize + usize::from(len)]
    }

    /// The table slot holding `name`, or the empty slot where it would go.
    fn find(&self, name: &[u8]) -> (usize, u32) {
        let mask = self.table.len() - 1;
        let h = hash(name);
        let tag = (h >> 32) as u32;
        let mut at = h as usize & mask;
        loop {
            match self.table[at] {
                (0, _) => return (at, tag),
                (s, t) if t == tag && self.name(s - 1) == name => return (at, tag),
                _ => at = (at + 1) & mask,
            }
        }
    }

    pub fn contains(&self, name: &[u8]) -> bool {
        !self.table.is_empty() && self.table[self.find(name).0].0 != 0
    }

    /// Add `name` (cut to 255 bytes); false when it was there already.
    pub fn insert(&mut self, name: &[u8]) -> bool {
        let name = &name[..name.len().min(255)];
        if self.table.len() < 2 * (self.spans.len() + 1) {
            self.grow();
        }
        let (at, tag) = self.find(name);
        if self.table[at].0 != 0 {
            return false;
        }
        // Past 4 GiB of names the positions would not fit: such a directory cannot exist
        // (its entries would outnumber any file system's inodes), so stop recording.
        let Ok(start) = u32::try_from(self.bytes.len()) else { return true };
        self.bytes.extend_from_slice(name);
        self.spans.push((start, name.len() as u8));
        self.table[at] = (self.spans.len() as u32, tag);
        true
    }

    fn grow(&mut self) {
        let size = (self.table.len() * 2).max(64);
        self.table.clear();
        self.table.resize(size, (0, 0));
        for i in 0..self.spans.len() as u32 {
            let (at, tag) = self.find(self.name(i));
            self.table[at] = (i + 1, tag);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_it_holds_and_nothing_else() {
        let mut s = NameSet::default();
        for round in 0..2 {
            for i in 0..5000u32 {
                assert!(s.insert(format!("f{i}").as_bytes()), "round {round} name {i}");
            }
            assert!(!s.insert(b"f17"));
            assert!(s.contains(b"f4999") && !s.contains(b"f5000") && !s.contains(b""));
            assert!(s.insert(b"") && s.contains(b""));
            s.clear();
            assert!(!s.contains(b"f1"));
        }
    }
}
