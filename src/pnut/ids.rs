//! Lenient id-list deserialization: pnut ids are strings, but some documented examples
//! (the PM how-to's ACL `user_ids`) show bare numbers.

use serde::{Deserialize, Deserializer};

/// One id as it may appear on the wire: a string or a bare integer.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawId {
    Text(String),
    Number(u64),
}

impl From<RawId> for String {
    fn from(raw: RawId) -> Self {
        match raw {
            RawId::Text(text) => text,
            RawId::Number(number) => number.to_string(),
        }
    }
}

/// Deserializes a list of ids, accepting strings or integers, always yielding strings.
pub(crate) fn string_or_number_list<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: Deserializer<'de>,
{
    let raw: Vec<RawId> = Vec::deserialize(deserializer)?;
    Ok(raw.into_iter().map(String::from).collect())
}
