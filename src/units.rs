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

/// A broken-down local time (the C library's `localtime_r`, so `TZ` applies as it does for
/// e2fsprogs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i64,
    /// 0 = January.
    pub month: usize,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday.
    pub weekday: usize,
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

impl LocalTime {
    /// `secs` since the epoch in the local time zone; UTC when the C library cannot say.
    pub fn of(secs: i64) -> LocalTime {
        local(secs).unwrap_or_else(|| utc(secs))
    }
}

fn local(secs: i64) -> Option<LocalTime> {
    // time_t is 64 bits on every target e4dax builds for; a narrower one would refuse.
    #[allow(clippy::useless_conversion)]
    let t: libc::time_t = secs.try_into().ok()?;
    // SAFETY: `tm` is a plain C struct that localtime_r fills; both pointers are valid for the
    // call and localtime_r keeps neither.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return None;
        }
        tm
    };
    Some(LocalTime {
        year: i64::from(tm.tm_year) + 1900,
        month: usize::try_from(tm.tm_mon).ok()?.min(11),
        day: u32::try_from(tm.tm_mday).ok()?,
        hour: u32::try_from(tm.tm_hour).ok()?,
        minute: u32::try_from(tm.tm_min).ok()?,
        second: u32::try_from(tm.tm_sec).ok()?,
        weekday: usize::try_from(tm.tm_wday).ok()?.min(6),
    })
}

/// Civil time in UTC (Howard Hinnant's days-from-civil inverse).
fn utc(secs: i64) -> LocalTime {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as usize;
    let year = yoe + era * 400 + i64::from(month <= 2);
    LocalTime {
        year,
        month: month - 1,
        day,
        hour: rem / 3600,
        minute: rem % 3600 / 60,
        second: rem % 60,
        weekday: (days + 4).rem_euclid(7) as usize,
    }
}

/// A time as C's `ctime` prints it, which dumpe2fs and debugfs use: `Tue Nov 14 22:13:20 2023`.
pub fn ctime(secs: i64) -> String {
    let t = LocalTime::of(secs);
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        DAYS[t.weekday], MONTHS[t.month], t.day, t.hour, t.minute, t.second, t.year
    )
}

/// A time as `debugfs ls -l` prints it: `14-Nov-2023 22:13`.
pub fn ls_time(secs: i64) -> String {
    let t = LocalTime::of(secs);
    format!("{:2}-{}-{} {:02}:{:02}", t.day, MONTHS[t.month], t.year, t.hour, t.minute)
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

    #[test]
    fn utc_civil_time() {
        assert_eq!(
            utc(1_700_000_000),
            LocalTime { year: 2023, month: 10, day: 14, hour: 22, minute: 13, second: 20, weekday: 2 }
        );
        assert_eq!(utc(0).year, 1970);
        assert_eq!(utc(-1).year, 1969);
    }
}
