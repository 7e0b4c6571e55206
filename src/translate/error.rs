//! Errors and non-error outcomes of translation.

use crate::ids::IdError;

use super::dates::DateError;

/// Why an object could not be translated (the caller drops it and counts a warning).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    /// An id did not map.
    #[error("{field}: {source}")]
    Id {
        /// The JSON field holding the id.
        field: &'static str,
        /// The mapping error.
        source: IdError,
    },
    /// A date did not parse.
    #[error("{field}: {source}")]
    Date {
        /// The JSON field holding the date.
        field: &'static str,
        /// The parse error.
        source: DateError,
    },
    /// A required part of the input is missing.
    #[error("missing {0}")]
    Missing(&'static str),
}

/// Why a valid object was intentionally not translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The note's visibility is not among `Options::visibilities`.
    Visibility(String),
    /// The event has no counterpart on the other protocol.
    NoCounterpart(&'static str),
}

/// The result of a translation that may legitimately skip its input.
#[derive(Debug, Clone, PartialEq)]
pub enum Translated<T> {
    /// The translation.
    Done(T),
    /// Deliberately not translated.
    Skipped(SkipReason),
}

impl<T> Translated<T> {
    /// The translation, if not skipped.
    pub fn done(self) -> Option<T> {
        match self {
            Translated::Done(value) => Some(value),
            Translated::Skipped(_) => None,
        }
    }
}

/// Maps an id error to a [`TranslateError`] naming the field.
pub(crate) fn id_err(field: &'static str) -> impl Fn(IdError) -> TranslateError {
    move |source| TranslateError::Id { field, source }
}

/// Maps a date error to a [`TranslateError`] naming the field.
pub(crate) fn date_err(field: &'static str) -> impl Fn(DateError) -> TranslateError {
    move |source| TranslateError::Date { field, source }
}
