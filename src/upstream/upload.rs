//! A file upload to either upstream: the file and the text fields of its
//! `multipart/form-data` body.

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

impl Upload {
    /// The multipart form (built per attempt: a form is consumed by its request).
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
