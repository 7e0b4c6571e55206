//! Reading an upstream's rate-limit hints: how long a 429 pauses a token (mapping.md §6), and
//! the budget every answer reports (`X-RateLimit-*`, pnut-api.md §2.4).

use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::ratelimit::BudgetReport;

/// Values above this are read as absolute unix timestamps rather than second counts.
const EPOCH_THRESHOLD: u64 = 1_000_000_000;

fn header_secs(headers: &HeaderMap, name: &str, now_unix: u64) -> Option<u64> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    let number: f64 = value.parse().ok()?;
    if !number.is_finite() || number < 0.0 {
        return None;
    }
    // Truncation is fine: the value is finite, non-negative, and rounded up.
    let secs = number.ceil() as u64;
    if secs >= EPOCH_THRESHOLD {
        Some(secs.saturating_sub(now_unix))
    } else {
        Some(secs)
    }
}

/// The budget an answer reports: `X-RateLimit-Limit`, `-Remaining` and `-Reset`, the last
/// read as seconds until the window resets (pnut's documented meaning; values ≥ 10⁹ as a unix
/// timestamp). `None` unless all three are present and numeric.
pub fn budget_report(headers: &HeaderMap, now_unix: u64) -> Option<BudgetReport> {
    let count =
        |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
    Some(BudgetReport {
        limit: count("x-ratelimit-limit")?,
        remaining: count("x-ratelimit-remaining")?,
        reset_in: Duration::from_secs(header_secs(headers, "x-ratelimit-reset", now_unix)?),
    })
}

/// The pause after a 429: the longest of `Retry-After`, `body_retry_in` (pnut `meta.retry_in`,
/// Misskey `info.resetMs` already converted to seconds) and `X-RateLimit-Reset`; `default`
/// when none is present. Values ≥ 10⁹ are read as unix timestamps (HTTP-date `Retry-After`
/// is not supported and counts as absent).
pub fn pause_from_429(
    headers: &HeaderMap,
    body_retry_in: Option<u64>,
    default: Duration,
    now_unix: u64,
) -> Duration {
    [
        header_secs(headers, "retry-after", now_unix),
        body_retry_in,
        header_secs(headers, "x-ratelimit-reset", now_unix),
    ]
    .into_iter()
    .flatten()
    .max()
    .map_or(default, Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_hint_wins_and_default_applies() {
        let mut headers = HeaderMap::new();
        let default = Duration::from_secs(600);
        assert_eq!(pause_from_429(&headers, None, default, 0), default);
        headers.insert("Retry-After", "3".parse().expect("header"));
        headers.insert("X-RateLimit-Reset", "40".parse().expect("header"));
        assert_eq!(
            pause_from_429(&headers, Some(7), default, 0),
            Duration::from_secs(40)
        );
        headers.insert("X-RateLimit-Reset", "1700000100".parse().expect("header"));
        assert_eq!(
            pause_from_429(&headers, None, default, 1_700_000_000),
            Duration::from_secs(100)
        );
        headers.insert("Retry-After", "garbage".parse().expect("header"));
        headers.remove("X-RateLimit-Reset");
        assert_eq!(pause_from_429(&headers, None, default, 0), default);
    }

    #[test]
    fn budget_report_needs_all_three_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("X-RateLimit-Limit", "5000".parse().expect("header"));
        headers.insert("X-RateLimit-Remaining", "4999".parse().expect("header"));
        assert_eq!(budget_report(&headers, 0), None);
        headers.insert("X-RateLimit-Reset", "3599".parse().expect("header"));
        assert_eq!(
            budget_report(&headers, 0),
            Some(BudgetReport {
                limit: 5000,
                remaining: 4999,
                reset_in: Duration::from_secs(3599),
            })
        );
        headers.insert("X-RateLimit-Remaining", "lots".parse().expect("header"));
        assert_eq!(budget_report(&headers, 0), None);
    }
}
