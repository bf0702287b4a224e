//! Sizes and offsets as the CLI accepts them: `4096`, `64K`, `16M`, `1G`, `2T` (binary units).

use crate::error::{Error, Result};

/// Parse a byte count with an optional binary suffix (K, M, G, T, P, E; optional `iB`/`B`).
pub fn parse_size(s: &str) -> Result<u64> {
    let t = s.trim();
    let bad = || Error::Invalid(format!("invalid size '{s}' (expected a number with an optional K, M, G or T suffix)"));
    let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if digits_end == 0 {
        return Err(bad());
    }
    let n: u64 = t[..digits_end].parse().map_err(|_| bad())?;
    let suffix = t[digits_end..].trim().to_ascii_uppercase();
    let shift = match suffix.trim_end_matches("IB").trim_end_matches('B') {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        "P" => 50,
        "E" => 60,
        _ => return Err(bad()),
    };
    n.checked_mul(1u64 << shift).ok_or_else(|| Error::Invalid(format!("size '{s}' is too large")))
}

/// Format a byte count with the largest exact binary unit (`32M`, `4096`).
pub fn format_size(n: u64) -> String {
    for (shift, unit) in [(40, "T"), (30, "G"), (20, "M"), (10, "K")] {
        if n >= 1 << shift && n.is_multiple_of(1 << shift) {
            return format!("{}{unit}", n >> shift);
        }
    }
    n.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("64K").unwrap(), 65536);
        assert_eq!(parse_size("1G").unwrap(), 1 << 30);
        assert_eq!(parse_size("2t").unwrap(), 2 << 40);
        assert_eq!(parse_size("16MiB").unwrap(), 16 << 20);
        assert!(parse_size("banana").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("1X").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999E").is_err());
        assert_eq!(format_size(32 << 20), "32M");
        assert_eq!(format_size(1000), "1000");
    }
}
