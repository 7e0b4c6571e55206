//! pnut ids going to Misskey clients: zero-padded to a fixed width so string order equals
//! numeric order (Misskey compares ids as strings, misskey.md §6.1).

use std::cmp::Ordering;

use super::IdError;

/// The default width pnut ids are padded to for Misskey clients.
pub const DEFAULT_PNUT_ID_WIDTH: usize = 16;

/// Left-pads a decimal pnut id with zeros to `width` characters.
///
/// Refuses non-decimal text and ids longer than `width` (they would break string order).
pub fn pnut_id_to_misskey(id: &str, width: usize) -> Result<String, IdError> {
    let digits = canonical_decimal(id)?;
    if digits.len() > width {
        return Err(IdError::OutOfRange { format: "pnut" });
    }
    Ok(format!("{digits:0>width$}"))
}

/// Strips the zero padding of a Misskey-side id back to the pnut decimal id (`"0…0"` → `"0"`).
pub fn pnut_id_from_misskey(id: &str) -> Result<String, IdError> {
    canonical_decimal(id).map(str::to_owned)
}

/// Compares two decimal strings as numbers (leading zeros ignored); `None` if either is not
/// decimal.
pub fn cmp_decimal(a: &str, b: &str) -> Option<Ordering> {
    let a = canonical_decimal(a).ok()?;
    let b = canonical_decimal(b).ok()?;
    Some(a.len().cmp(&b.len()).then_with(|| a.cmp(b)))
}

/// The digits of a decimal id without leading zeros (`"0"` for zero).
fn canonical_decimal(id: &str) -> Result<&str, IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    if !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::NotDecimal);
    }
    let trimmed = id.trim_start_matches('0');
    Ok(if trimmed.is_empty() { "0" } else { trimmed })
}
