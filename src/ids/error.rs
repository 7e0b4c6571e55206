//! Errors of the id mapping.

/// Why an id could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The id was empty.
    #[error("empty id")]
    Empty,
    /// The id has a length the format does not produce.
    #[error("id of length {len} does not fit the {format} format")]
    WrongLength {
        /// The id's length in bytes.
        len: usize,
        /// The format name (`aidx`, `ulid`, ...).
        format: &'static str,
    },
    /// The id has a character outside the format's alphabet.
    #[error("id has a character outside the {format} alphabet")]
    BadCharacter {
        /// The format name.
        format: &'static str,
    },
    /// A decimal id was expected but the text is not only ASCII digits.
    #[error("not a decimal id")]
    NotDecimal,
    /// A decimal id is too large for the format (or for the padding width).
    #[error("decimal id too large for the {format} format")]
    OutOfRange {
        /// The format name (or `pnut` for padded pnut ids).
        format: &'static str,
    },
    /// An `aidx` id whose value would read back as an `aid` (its first six characters are `0`).
    #[error("aidx id is too small to be told apart from an aid")]
    Ambiguous,
}
