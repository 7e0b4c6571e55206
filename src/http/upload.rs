//! Reading the parts of a file upload (`multipart/form-data`) on either front without holding
//! more than a bound: each part is read chunk by chunk and refused once it passes its limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// The uploads being read or sent now on this instance, bounded by
/// `limits.max_concurrent_uploads` (read at each upload, so a reload applies at once).
#[derive(Debug, Default)]
pub struct UploadSlots {
    in_flight: Arc<AtomicUsize>,
}

/// One upload's place among [`UploadSlots`]; freed when dropped.
#[derive(Debug)]
pub struct UploadSlot {
    in_flight: Arc<AtomicUsize>,
}

impl UploadSlots {
    /// A slot when fewer than `max` uploads are in flight; `None` (refuse the upload) else.
    pub fn try_take(&self, max: usize) -> Option<UploadSlot> {
        let mut current = self.in_flight.load(Ordering::Acquire);
        loop {
            if current >= max {
                return None;
            }
            match self.in_flight.compare_exchange_weak(
                current,
                current + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    return Some(UploadSlot {
                        in_flight: Arc::clone(&self.in_flight),
                    });
                }
                Err(now) => current = now,
            }
        }
    }

    /// Uploads in flight now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }
}

impl Drop for UploadSlot {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::UploadSlots;

    #[test]
    fn slots_are_bounded_and_freed_on_drop() {
        let slots = UploadSlots::default();
        let first = slots.try_take(2).expect("first slot");
        let second = slots.try_take(2).expect("second slot");
        assert!(slots.try_take(2).is_none(), "a third upload is refused");
        drop(first);
        assert_eq!(slots.in_flight(), 1);
        let _third = slots.try_take(2).expect("a freed slot is taken again");
        drop(second);
        assert_eq!(slots.in_flight(), 1);
    }
}
