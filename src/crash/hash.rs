//! Small, fast, deterministic hashes for crash states, and the seeded generator that samples
//! them. Not cryptographic: a state is named by the XOR of its changed units' 128-bit hashes, so
//! that states can be counted, deduplicated and looked up without comparing images.

const K1: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const K3: u64 = 0x1656_67B1_9E37_79F9;

/// The splitmix64 finaliser: a bijective avalanche of one word.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn hash_words(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = seed;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ w).wrapping_mul(K2).rotate_left(29).wrapping_add(K3);
    }
    for &b in chunks.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(K2).rotate_left(29);
    }
    mix64(h ^ bytes.len() as u64)
}

/// The 128-bit hash of `content` standing at unit `unit`.
pub fn unit_hash(unit: u64, content: &[u8]) -> u128 {
    let a = hash_words(mix64(unit ^ K1), content);
    let b = hash_words(mix64(unit.wrapping_add(K2) ^ K3), content);
    (u128::from(a) << 64) | u128::from(b)
}

/// Mix a 64-bit value into a 128-bit key (so that keys of different kinds do not collide).
pub fn tag128(kind: u64, v: u64) -> u128 {
    (u128::from(mix64(kind ^ mix64(v))) << 64) | u128::from(mix64(v.wrapping_mul(K1) ^ kind))
}

/// A seeded pseudo-random generator (splitmix64): the same seed gives the same samples on every
/// machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(K1);
        mix64(self.0)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_depend_on_place_and_content() {
        let a = unit_hash(1, &[0; 64]);
        assert_ne!(a, unit_hash(2, &[0; 64]));
        assert_ne!(a, unit_hash(1, &[1; 64]));
        assert_eq!(a, unit_hash(1, &[0; 64]));
    }

    #[test]
    fn rng_is_seeded_and_bounded() {
        let mut r = Rng::new(7);
        let v: Vec<u64> = (0..5).map(|_| r.below(3)).collect();
        let mut r2 = Rng::new(7);
        assert_eq!(v, (0..5).map(|_| r2.below(3)).collect::<Vec<_>>());
        assert!(v.iter().all(|&x| x < 3));
    }
}
