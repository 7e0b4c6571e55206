//! REST error body `{"error": {message, code, id, kind, info?}}` (misskey.md §7.2).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Error category; decides the default HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// Client error (400 unless the error sets another status).
    #[default]
    Client,
    /// Server error (500).
    Server,
    /// Permission error (403).
    Permission,
}

impl ErrorKind {
    /// The default HTTP status for this kind.
    pub fn default_status(self) -> u16 {
        match self {
            ErrorKind::Client => 400,
            ErrorKind::Permission => 403,
            ErrorKind::Server => 500,
        }
    }
}

/// The error object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ApiError {
    /// Human-readable message.
    pub message: String,
    /// Machine code, e.g. `NO_SUCH_NOTE`.
    pub code: String,
    /// UUID identifying the error site.
    pub id: String,
    /// Category (always written by the server; defaults to `client` on input).
    #[serde(default)]
    pub kind: ErrorKind,
    /// Extra info (only when set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<Value>,
}

/// The whole error body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ApiErrorBody {
    /// The error.
    pub error: ApiError,
}

impl ApiErrorBody {
    /// Builds an error body.
    pub fn new(
        code: impl Into<String>,
        message: impl Into<String>,
        id: impl Into<String>,
        kind: ErrorKind,
    ) -> Self {
        ApiErrorBody {
            error: ApiError {
                message: message.into(),
                code: code.into(),
                id: id.into(),
                kind,
                info: None,
            },
        }
    }

    /// The HTTP status Misskey uses for this error: explicit for the codes that define one,
    /// else by kind. (`NO_SUCH_USER` is 404 only in `users/show`; callers override that.)
    pub fn http_status(&self) -> u16 {
        match self.error.code.as_str() {
            "CREDENTIAL_REQUIRED" | "AUTHENTICATION_FAILED" => 401,
            "RATE_LIMIT_EXCEEDED" => 429,
            "UNKNOWN_API_ENDPOINT" => 404,
            "FILE_SIZE_TOO_LARGE" => 413,
            _ => self.error.kind.default_status(),
        }
    }

    /// `CREDENTIAL_REQUIRED` (401).
    pub fn credential_required() -> Self {
        Self::new(
            "CREDENTIAL_REQUIRED",
            "Credential required.",
            "1384574d-a912-4b81-8601-c7b1c4085df1",
            ErrorKind::Client,
        )
    }

    /// `AUTHENTICATION_FAILED` (401).
    pub fn authentication_failed() -> Self {
        Self::new(
            "AUTHENTICATION_FAILED",
            "Authentication failed. Please ensure your token is correct.",
            "b0a7f5f8-dc2f-4171-b91f-de88ad238e14",
            ErrorKind::Client,
        )
    }

    /// `PERMISSION_DENIED` (403).
    pub fn permission_denied() -> Self {
        Self::new(
            "PERMISSION_DENIED",
            "Your app does not have the necessary permissions to use this endpoint.",
            "1370e5b7-d4eb-4566-bb1d-7748ee6a1838",
            ErrorKind::Permission,
        )
    }

    /// `RATE_LIMIT_EXCEEDED` (429).
    pub fn rate_limit_exceeded(info: Option<Value>) -> Self {
        let mut body = Self::new(
            "RATE_LIMIT_EXCEEDED",
            "Rate limit exceeded. Please try again later.",
            "d5826d14-3982-4d2e-8011-b9e9f02499ef",
            ErrorKind::Client,
        );
        body.error.info = info;
        body
    }

    /// `INVALID_PARAM` (400) with `info: {param, reason}`.
    pub fn invalid_param(param: impl Into<String>, reason: impl Into<String>) -> Self {
        let mut body = Self::new(
            "INVALID_PARAM",
            "Invalid param.",
            "3d81ceae-475f-4600-b2a8-2bc116157532",
            ErrorKind::Client,
        );
        body.error.info = Some(serde_json::json!({
            "param": param.into(),
            "reason": reason.into(),
        }));
        body
    }

    /// `INTERNAL_ERROR` (500).
    pub fn internal_error() -> Self {
        Self::new(
            "INTERNAL_ERROR",
            "Internal error occurred. Please contact us if the error persists.",
            "5d37dbcb-891e-41ca-a3d6-e690c97775ac",
            ErrorKind::Server,
        )
    }

    /// `FILE_SIZE_TOO_LARGE` (413): an upload over the server's largest file.
    pub fn file_size_too_large() -> Self {
        Self::new(
            "FILE_SIZE_TOO_LARGE",
            "File size is too large.",
            "ff827ce8-9b4b-4808-8511-422222a3362f",
            ErrorKind::Client,
        )
    }

    /// `FILE_REQUIRED` (400): an upload endpoint called without a file.
    pub fn file_required() -> Self {
        Self::new(
            "FILE_REQUIRED",
            "File required.",
            "4267801e-70d1-416a-b011-4ee502885d8b",
            ErrorKind::Client,
        )
    }

    /// `NO_SUCH_NOTE` (400), with the `notes/show` error id.
    pub fn no_such_note() -> Self {
        Self::new(
            "NO_SUCH_NOTE",
            "No such note.",
            "24fcbfc6-2e37-42b6-8388-c29b3861a08d",
            ErrorKind::Client,
        )
    }
}
