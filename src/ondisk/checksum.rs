//! Checksums used by ext4 and jbd2.
//!
//! ext4's `metadata_csum` uses crc32c (Castagnoli) the way the kernel's `ext4_chksum` does:
//! the register starts at the seed given and is **not** inverted at the end. The standard
//! CRC-32C of a buffer is `!raw(!0, buf)`, so with the `crc32c` crate (which inverts on the way
//! in and out) `raw(seed, buf) == !crc32c_append(!seed, buf)`.
//!
//! The per-filesystem seed is `raw(!0, uuid)` (or `s_checksum_seed` with the `csum_seed`
//! feature); structures tied to an inode continue from `raw(raw(seed, ino), generation)`.

/// The crc32c register as ext4/jbd2 use it: start at `seed`, no final inversion.
#[inline]
pub fn crc32c_raw(seed: u32, data: &[u8]) -> u32 {
    !crc32c::crc32c_append(!seed, data)
}

/// Seed for the checksums of structures belonging to inode `ino` with generation `gen`.
#[inline]
pub fn inode_seed(fs_seed: u32, ino: u32, gen: u32) -> u32 {
    let s = crc32c_raw(fs_seed, &ino.to_le_bytes());
    crc32c_raw(s, &gen.to_le_bytes())
}

/// The CRC-16 (ANSI, reflected polynomial 0xA001) of the older `gdt_csum` feature.
pub fn crc16(mut crc: u16, data: &[u8]) -> u16 {
    for &b in data {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xA001 } else { crc >> 1 };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_check_value() {
        // The CRC-32C check value of "123456789" is 0xE3069283.
        assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(!crc32c_raw(!0, b"123456789"), 0xE306_9283);
    }

    #[test]
    fn raw_chains() {
        let whole = crc32c_raw(!0, b"hello world");
        let part = crc32c_raw(crc32c_raw(!0, b"hello "), b"world");
        assert_eq!(whole, part);
    }

    #[test]
    fn crc16_check_value() {
        // CRC-16/ARC of "123456789" is 0xBB3D.
        assert_eq!(crc16(0, b"123456789"), 0xBB3D);
    }
}
