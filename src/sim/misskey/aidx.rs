//! Local id, date and randomness helpers of the simulated Misskey server: aidx ids whose
//! string order is time order, ISO dates with milliseconds and `Z`, and a seeded PRNG.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

/// Milliseconds of 2000-01-01T00:00:00Z since the Unix epoch (the aidx time origin).
const AIDX_EPOCH_MS: i64 = 946_684_800_000;
/// 36^4: the size of the 4-char counter field.
const COUNTER_SPACE: u64 = 36 * 36 * 36 * 36;

/// Formats `value` as exactly `width` lower-case base36 digits (left-padded, truncated high).
fn base36(mut value: u64, width: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(value % 36) as usize];
        value /= 36;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Parses lower-case base36 digits; `None` on any other character.
fn parse_base36(text: &str) -> Option<u64> {
    text.chars().try_fold(0u64, |acc, ch| {
        let digit = ch.to_digit(36)?;
        acc.checked_mul(36)?.checked_add(u64::from(digit))
    })
}

/// Generates monotonically increasing 16-char aidx ids (8 time + 4 node + 4 counter).
#[derive(Debug, Clone)]
pub struct AidxGenerator {
    node: String,
    last_ms: i64,
    counter: u64,
}

impl AidxGenerator {
    /// A generator whose node field is derived from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            node: base36(seed % COUNTER_SPACE, 4),
            last_ms: 0,
            counter: 0,
        }
    }

    /// A new id for the instant `at_ms` (epoch ms); never smaller than a previous id.
    pub fn next_at(&mut self, at_ms: i64) -> String {
        let mut ms = at_ms.max(self.last_ms);
        self.counter += 1;
        if self.counter >= COUNTER_SPACE {
            self.counter = 0;
            ms += 1;
        }
        self.last_ms = ms;
        let since_origin = u64::try_from(ms - AIDX_EPOCH_MS).unwrap_or(0);
        format!(
            "{}{}{}",
            base36(since_origin, 8),
            self.node,
            base36(self.counter, 4)
        )
    }

    /// A new id for the current wall-clock time.
    pub fn next_now(&mut self) -> String {
        self.next_at(now_ms())
    }
}

/// The current wall-clock time in epoch milliseconds.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// The creation time (epoch ms) encoded in an aidx id, if it is one.
pub fn aidx_time_ms(id: &str) -> Option<i64> {
    let head = id.get(..8)?;
    let since_origin = i64::try_from(parse_base36(head)?).ok()?;
    Some(since_origin + AIDX_EPOCH_MS)
}

/// A synthetic id for pagination by date (`sinceDate`/`untilDate`): time part only.
pub fn aidx_floor(at_ms: i64) -> String {
    let since_origin = u64::try_from(at_ms - AIDX_EPOCH_MS).unwrap_or(0);
    format!("{}00000000", base36(since_origin, 8))
}

/// `YYYY-MM-DDTHH:MM:SS.sssZ` for an epoch-ms instant.
pub fn iso_ms(at_ms: i64) -> String {
    let at: DateTime<Utc> = Utc.timestamp_millis_opt(at_ms).single().unwrap_or_default();
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The ISO creation date of an aidx id (epoch origin when the id is not aidx).
pub fn iso_of_id(id: &str) -> String {
    iso_ms(aidx_time_ms(id).unwrap_or(AIDX_EPOCH_MS))
}

/// A small deterministic PRNG (SplitMix64), enough for seeding and the activity generator.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: usize) -> usize {
        if bound == 0 {
            return 0;
        }
        (self.next_u64() % bound as u64) as usize
    }

    /// A random element of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_fixed_width_and_ordered() {
        let mut generator = AidxGenerator::new(7);
        let first = generator.next_at(1_700_000_000_000);
        let second = generator.next_at(1_600_000_000_000);
        assert_eq!(first.len(), 16);
        assert!(second > first);
        assert_eq!(aidx_time_ms(&first), Some(1_700_000_000_000));
        assert_eq!(iso_of_id(&first), "2023-11-14T22:13:20.000Z");
    }
}
