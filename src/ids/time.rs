//! The creation time encoded in a Misskey id (Misskey derives `createdAt` from the id,
//! misskey.md §6.1), used for objects whose wire form carries no date (UserLite).

use chrono::{DateTime, TimeZone, Utc};

use super::IdFormat;

/// `aid`/`aidx` time is milliseconds since 2000-01-01T00:00:00Z.
const AID_EPOCH_MS: i64 = 946_684_800_000;
/// `meid` adds this to its millisecond time (Misskey `packages/backend/src/misc/id/meid.ts`).
const MEID_TIME_FLAG: i64 = 0x8000_0000_0000;

/// The time encoded in `id`, or `None` when the id does not fit the format.
pub fn misskey_id_time(id: &str, format: IdFormat) -> Option<DateTime<Utc>> {
    let millis = match format {
        IdFormat::Aid | IdFormat::Aidx => prefix_value(id, 8, 36)? + AID_EPOCH_MS,
        IdFormat::Meid => {
            let raw = prefix_value(id, 12, 16)?;
            if raw >= MEID_TIME_FLAG {
                raw - MEID_TIME_FLAG
            } else {
                raw
            }
        }
        IdFormat::Meidg => prefix_value(id.strip_prefix('g')?, 11, 16)?,
        IdFormat::Objectid => prefix_value(id, 8, 16)?.checked_mul(1000)?,
        IdFormat::Ulid => {
            let mut value: i64 = 0;
            for c in id.get(..10)?.chars() {
                let digit = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".find(c)? as i64;
                value = value.checked_mul(32)?.checked_add(digit)?;
            }
            value
        }
    };
    Utc.timestamp_millis_opt(millis).single()
}

/// The first `len` characters of `id` read in `radix` (lowercase alphabets).
fn prefix_value(id: &str, len: usize, radix: u32) -> Option<i64> {
    let prefix = id.get(..len)?;
    if prefix.chars().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    i64::from_str_radix(prefix, radix).ok()
}
