//! Reading the parts of a file upload (`multipart/form-data`) on either front without holding
//! more than a bound: each part is read chunk by chunk and refused once it passes its limit.

use axum::extract::multipart::{Field, MultipartError};
use axum::http::StatusCode;
use bytes::{Bytes, BytesMut};

/// Largest text field of an upload form (names, types, flags).
pub const MAX_TEXT_FIELD: u64 = 64 * 1024;

/// Why a part could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PartError {
    /// The part (or the whole body) is over its limit.
    #[error("too large")]
    TooLarge,
    /// The body is not well-formed multipart.
    #[error("malformed multipart body: {0}")]
    Malformed(String),
}

impl From<MultipartError> for PartError {
    fn from(error: MultipartError) -> Self {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::TooLarge
        } else {
            Self::Malformed(error.body_text())
        }
    }
}

/// The bytes of `field`, refused as soon as they pass `limit`.
pub async fn read_part(field: &mut Field<'_>, limit: u64) -> Result<Bytes, PartError> {
    let mut bytes = BytesMut::new();
    while let Some(chunk) = field.chunk().await? {
        if (bytes.len() + chunk.len()) as u64 > limit {
            return Err(PartError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.freeze())
}

/// A text field (at most [`MAX_TEXT_FIELD`] bytes, UTF-8).
pub async fn read_text(field: &mut Field<'_>) -> Result<String, PartError> {
    let bytes = read_part(field, MAX_TEXT_FIELD).await?;
    String::from_utf8(bytes.to_vec())
        .map_err(|_| PartError::Malformed("a text field is not UTF-8".to_owned()))
}
