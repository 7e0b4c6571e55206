//! Secrets (tokens) that never print: `Debug` and `Serialize` show a masked form only.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A token. Its `Debug` and `Serialize` forms are masked (e.g. `de****ce`); read it with
/// [`Secret::expose`].
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token itself (for upstream calls only; never log it).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The masked form: first two and last two characters for tokens of 12+ characters,
    /// otherwise `****`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks any secret text: `de****ce` for 12+ characters, `****` otherwise (an empty
/// secret, e.g. an unset client secret, stays empty: there is nothing to hide).
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.is_empty() {
        String::new()
    } else if chars.len() >= 12 {
        let head: String = chars.iter().take(2).collect();
        let tail: String = chars.iter().skip(chars.len() - 2).collect();
        format!("{head}****{tail}")
    } else {
        "****".to_owned()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.masked())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_long_and_short_tokens() {
        assert_eq!(mask("deadbeef0123456789ce"), "de****ce");
        assert_eq!(mask("short"), "****");
        assert_eq!(
            format!("{:?}", Secret::new("abcdefghijklmnop")),
            "Secret(ab****op)"
        );
    }
}
