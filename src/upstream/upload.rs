//! A file upload to either upstream: the file and the text fields of its
//! `multipart/form-data` body.

use std::time::Duration;

use bytes::Bytes;

/// One file sent as a multipart part, with the text fields beside it.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The form field of the file (`file` for Misskey, `content` for pnut).
    pub part: &'static str,
    /// The file's bytes.
    pub bytes: Bytes,
    /// The part's `filename`.
    pub file_name: String,
    /// The part's `Content-Type` (an invalid one is sent as `application/octet-stream`).
    pub mime: String,
    /// Text fields, in order.
    pub fields: Vec<(String, String)>,
}

/// The slowest upload rate an upload's time allowance assumes (bytes per second).
const SLOWEST_RATE: u64 = 1024 * 1024;

impl Upload {
    /// The time an upload may take: `request_timeout` plus one second per MiB of the file
    /// (a 20 MiB file must not fail a 10 s timeout meant for JSON calls).
    pub fn timeout(&self, request_timeout: Duration) -> Duration {
        let bytes = self.bytes.len() as u64;
        request_timeout.saturating_add(Duration::from_secs(bytes.div_ceil(SLOWEST_RATE)))
    }

    /// The multipart form (a form is consumed by its request).
    pub fn form(&self, extra: &[(&str, &str)]) -> reqwest::multipart::Form {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in extra {
            form = form.text(name.to_string(), value.to_string());
        }
        for (name, value) in &self.fields {
            form = form.text(name.clone(), value.clone());
        }
        let length = self.bytes.len() as u64;
        let part = |mime: &str| {
            reqwest::multipart::Part::stream_with_length(self.bytes.clone(), length)
                .file_name(self.file_name.clone())
                .mime_str(mime)
        };
        match part(&self.mime).or_else(|_| part("application/octet-stream")) {
            Ok(part) => form.part(self.part, part),
            Err(_) => form,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_uploads_get_more_time() {
        let upload = |len: usize| Upload {
            part: "file",
            bytes: Bytes::from(vec![0u8; len]),
            file_name: "f".into(),
            mime: "text/plain".into(),
            fields: Vec::new(),
        };
        let base = Duration::from_secs(10);
        assert_eq!(upload(0).timeout(base), base);
        assert_eq!(upload(1).timeout(base), Duration::from_secs(11));
        assert_eq!(
            upload(20 * 1024 * 1024).timeout(base),
            Duration::from_secs(30)
        );
    }
}
