//! Property and example tests of the Misskey ⇄ pnut id mapping (mapping.md §5 "Ids").

use std::cmp::Ordering;

use pnutkey::ids::{
    IdError, IdFormat, cmp_decimal, misskey_id_time, misskey_to_pnut, pnut_id_from_misskey,
    pnut_id_to_misskey, pnut_to_misskey,
};
use proptest::prelude::*;

/// A regex strategy for realistic ids of each format.
fn id_pattern(format: IdFormat) -> &'static str {
    match format {
        IdFormat::Aid => "[0-9a-z]{10}",
        // First char non-zero: aidx ids below 36^10 are refused as ambiguous (tested below).
        IdFormat::Aidx => "[1-9a-z][0-9a-z]{15}",
        IdFormat::Meid | IdFormat::Objectid => "[0-9a-f]{24}",
        IdFormat::Meidg => "g[0-9a-f]{23}",
        IdFormat::Ulid => "[0-9A-HJKMNP-TV-Z]{26}",
    }
}

fn any_format() -> impl Strategy<Value = IdFormat> {
    prop_oneof![
        Just(IdFormat::Aid),
        Just(IdFormat::Aidx),
        Just(IdFormat::Meid),
        Just(IdFormat::Meidg),
        Just(IdFormat::Objectid),
        Just(IdFormat::Ulid),
    ]
}

/// A format and two ids of it.
fn format_and_two_ids() -> impl Strategy<Value = (IdFormat, String, String)> {
    any_format().prop_flat_map(|format| {
        let pattern = id_pattern(format);
        (Just(format), pattern, pattern)
    })
}

fn numeric_cmp(a: &str, b: &str) -> Ordering {
    assert!(
        !a.starts_with('0') || a == "0",
        "decimal {a} has a leading zero"
    );
    assert!(
        !b.starts_with('0') || b == "0",
        "decimal {b} has a leading zero"
    );
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

proptest! {
    #[test]
    fn every_format_round_trips((format, id, _) in format_and_two_ids()) {
        let decimal = misskey_to_pnut(&id, format).unwrap();
        prop_assert!(decimal.bytes().all(|b| b.is_ascii_digit()));
        prop_assert_eq!(pnut_to_misskey(&decimal, format).unwrap(), id);
    }

    #[test]
    fn order_is_preserved((format, a, b) in format_and_two_ids()) {
        let da = misskey_to_pnut(&a, format).unwrap();
        let db = misskey_to_pnut(&b, format).unwrap();
        prop_assert_eq!(a.cmp(&b), numeric_cmp(&da, &db));
        prop_assert_eq!(cmp_decimal(&da, &db), Some(a.cmp(&b)));
    }

    #[test]
    fn aid_is_detected_by_length_under_aidx(id in "[0-9a-z]{10}") {
        let decimal = misskey_to_pnut(&id, IdFormat::Aidx).unwrap();
        prop_assert_eq!(&decimal, &misskey_to_pnut(&id, IdFormat::Aid).unwrap());
        prop_assert_eq!(pnut_to_misskey(&decimal, IdFormat::Aidx).unwrap(), id);
    }

    #[test]
    fn padded_pnut_ids_sort_like_their_numbers(a in 0u64..10_000_000_000_000_000, b in 0u64..10_000_000_000_000_000) {
        let pa = pnut_id_to_misskey(&a.to_string(), 16).unwrap();
        let pb = pnut_id_to_misskey(&b.to_string(), 16).unwrap();
        prop_assert_eq!(pa.len(), 16);
        prop_assert_eq!(pa.cmp(&pb), a.cmp(&b));
        prop_assert_eq!(pnut_id_from_misskey(&pa).unwrap(), a.to_string());
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,40}", format in any_format()) {
        let _ = misskey_to_pnut(&text, format);
        let _ = pnut_to_misskey(&text, format);
        let _ = pnut_id_to_misskey(&text, 16);
        let _ = pnut_id_from_misskey(&text);
    }
}

#[test]
fn known_values() {
    assert_eq!(misskey_to_pnut("000000000z", IdFormat::Aid).unwrap(), "35");
    assert_eq!(
        misskey_to_pnut("00000000000000000000000f", IdFormat::Meid).unwrap(),
        "15"
    );
    assert_eq!(
        misskey_to_pnut("g0000000000000000000000a", IdFormat::Meidg).unwrap(),
        "10"
    );
    assert_eq!(
        pnut_to_misskey("10", IdFormat::Meidg).unwrap(),
        "g0000000000000000000000a"
    );
    assert_eq!(pnut_to_misskey("35", IdFormat::Aidx).unwrap(), "000000000z");
    // The largest ulid (26 × 'Z' = 2^130 - 1) exceeds u128 and still round-trips.
    let max_ulid = "Z".repeat(26);
    let decimal = misskey_to_pnut(&max_ulid, IdFormat::Ulid).unwrap();
    assert_eq!(decimal, "1361129467683753853853498429727072845823");
    assert_eq!(pnut_to_misskey(&decimal, IdFormat::Ulid).unwrap(), max_ulid);
}

#[test]
fn bad_input_is_a_typed_error() {
    assert_eq!(misskey_to_pnut("", IdFormat::Aidx), Err(IdError::Empty));
    assert!(matches!(
        misskey_to_pnut("abc", IdFormat::Aidx),
        Err(IdError::WrongLength { .. })
    ));
    assert!(matches!(
        misskey_to_pnut("ABCDEFGHIJ", IdFormat::Aid),
        Err(IdError::BadCharacter { .. })
    ));
    assert!(matches!(
        misskey_to_pnut("x0000000000000000000000a", IdFormat::Meidg),
        Err(IdError::BadCharacter { .. })
    ));
    assert!(matches!(
        misskey_to_pnut("0123456789ABCDEFGHJKMNPQRI", IdFormat::Ulid),
        Err(IdError::BadCharacter { .. })
    ));
    assert_eq!(
        misskey_to_pnut("0000001234567890", IdFormat::Aidx),
        Err(IdError::Ambiguous)
    );
    assert_eq!(
        pnut_to_misskey("12x", IdFormat::Aidx),
        Err(IdError::NotDecimal)
    );
    // 36^16 does not fit an aidx; 16^24 does not fit a meid.
    assert!(matches!(
        pnut_to_misskey("7958661109946400884391936", IdFormat::Aidx),
        Err(IdError::OutOfRange { .. })
    ));
    assert!(matches!(
        pnut_to_misskey("79228162514264337593543950336", IdFormat::Meid),
        Err(IdError::OutOfRange { .. })
    ));
    assert!(matches!(
        pnut_id_to_misskey("12345678901234567", 16),
        Err(IdError::OutOfRange { .. })
    ));
    assert_eq!(pnut_id_to_misskey("42", 16).unwrap(), "0000000000000042");
    assert_eq!(pnut_id_from_misskey("0000000000000000").unwrap(), "0");
    assert_eq!(pnut_id_from_misskey("-1"), Err(IdError::NotDecimal));
}

#[test]
fn time_is_read_from_ids() {
    let millis = |id: &str, format| misskey_id_time(id, format).map(|t| t.timestamp_millis());
    // aid/aidx: 8 base36 chars of milliseconds since 2000-01-01.
    assert_eq!(
        millis("9zzz0000abcd0001", IdFormat::Aidx),
        Some(1_730_324_761_344)
    );
    assert_eq!(
        millis("9zzz0000ab", IdFormat::Aidx),
        Some(1_730_324_761_344)
    );
    // ulid: 10 Crockford chars of milliseconds since 1970.
    assert_eq!(
        millis("01ARZ3NDEKTSV4RRFFQ69G5FAV", IdFormat::Ulid),
        Some(1_469_922_850_259)
    );
    // objectid: 8 hex chars of seconds.
    assert_eq!(
        millis("507f1f77bcf86cd799439011", IdFormat::Objectid),
        Some(1_350_508_407_000)
    );
    // meid: 12 hex chars of milliseconds + 0x800000000000; meidg: "g" + 11 hex chars.
    assert_eq!(
        millis("8192df648b000123456789ab", IdFormat::Meid),
        Some(1_730_324_761_344)
    );
    assert_eq!(
        millis("g192df648b000123456789ab", IdFormat::Meidg),
        Some(1_730_324_761_344)
    );
    assert_eq!(millis("short", IdFormat::Aidx), None);
    assert_eq!(millis("ZZZZZZZZZZ", IdFormat::Aid), None);
}
