//! The stale-data pattern (DESIGN §5). `mkfs --poison` fills every free block with it, standing
//! in for a previous owner's deleted data that a reader must never see.
//!
//! Each block is a run of 16-byte cells: bytes 0..8 are the ASCII marker `E4DXSTAL`, bytes
//! 8..16 the block's number as a little-endian u64. Any 8-byte-aligned occurrence of the marker
//! identifies stale data, even in a torn or partly overwritten block.

/// The marker bytes.
pub const MARKER: [u8; 8] = *b"E4DXSTAL";
/// Size of one cell.
pub const CELL: usize = 16;

/// Fill `buf` (a whole block) with the pattern for block `block`.
pub fn fill(buf: &mut [u8], block: u64) {
    let mut cell = [0u8; CELL];
    cell[..8].copy_from_slice(&MARKER);
    cell[8..].copy_from_slice(&block.to_le_bytes());
    for c in buf.chunks_exact_mut(CELL) {
        c.copy_from_slice(&cell);
    }
}

/// The first byte offset (8-aligned) in `buf` where the marker stands, and the block number
/// recorded after it when it is all there.
pub fn find(buf: &[u8]) -> Option<(usize, Option<u64>)> {
    let m = u64::from_le_bytes(MARKER);
    let mut off = 0;
    for w in buf.chunks_exact(8) {
        let v = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        if v == m {
            let blk = buf.get(off + 8..off + 16).map(|b| {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                u64::from_le_bytes(a)
            });
            return Some((off, blk));
        }
        off += 8;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_and_find() {
        let mut b = vec![0u8; 4096];
        assert_eq!(find(&b), None);
        fill(&mut b, 12345);
        assert_eq!(&b[..8], b"E4DXSTAL");
        assert_eq!(find(&b), Some((0, Some(12345))));
        b[..4000].fill(0);
        assert_eq!(find(&b), Some((4000, Some(12345))));
    }
}
