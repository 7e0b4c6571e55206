//! Dates: Misskey `YYYY-MM-DDTHH:MM:SS.sssZ` (misskey.md §6.1) ⇄ pnut `YYYY-MM-DDTHH:MM:SSZ`
//! (pnut-api.md §6).

use chrono::{DateTime, SecondsFormat, Utc};

/// A date that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an ISO-8601 date: {0:?}")]
pub struct DateError(pub String);

/// Parses any RFC 3339 date (with or without fractional seconds, any offset) as UTC.
pub fn parse_date(text: &str) -> Result<DateTime<Utc>, DateError> {
    DateTime::parse_from_rfc3339(text)
        .map(|date| date.with_timezone(&Utc))
        .map_err(|_| DateError(text.chars().take(64).collect()))
}

/// Prints a date the way Misskey does: always milliseconds and `Z`.
pub fn format_misskey_date(date: DateTime<Utc>) -> String {
    date.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Prints a date the way pnut does: whole seconds and `Z` (sub-seconds are truncated).
pub fn format_pnut_date(date: DateTime<Utc>) -> String {
    date.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// pnut `created_at` → Misskey `createdAt` (`2016-12-11T18:14:12Z` → `2016-12-11T18:14:12.000Z`).
pub fn pnut_date_to_misskey(text: &str) -> Result<String, DateError> {
    parse_date(text).map(format_misskey_date)
}

/// Misskey `createdAt` → pnut `created_at` (`…:12.345Z` → `…:12Z`).
pub fn misskey_date_to_pnut(text: &str) -> Result<String, DateError> {
    parse_date(text).map(format_pnut_date)
}
