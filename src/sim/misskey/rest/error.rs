//! Misskey API error bodies and statuses (misskey.md §7.2).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::super::ops::OpError;
use crate::http::misskey_error::misskey_error_response;
use crate::misskey::{ApiErrorBody, ErrorKind};

/// A Misskey API error: the wire body `{"error":{message,code,id,kind,info?}}`, its HTTP
/// status and (429 only) `Retry-After`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The wire body.
    pub body: Box<ApiErrorBody>,
    /// `Retry-After` seconds (429 only).
    pub retry_after: Option<u32>,
}

impl ApiError {
    /// Wraps a wire body with its status.
    fn with_status(body: ApiErrorBody, status: StatusCode) -> Self {
        Self {
            status,
            body: Box::new(body),
            retry_after: None,
        }
    }

    /// A `client` error with status 400.
    pub fn client(code: &str, message: &str, id: &str) -> Self {
        Self::with_status(
            ApiErrorBody::new(code, message, id, ErrorKind::Client),
            StatusCode::BAD_REQUEST,
        )
    }

    /// `INVALID_PARAM` naming `param` and the `reason`.
    pub fn invalid_param(param: &str, reason: &str) -> Self {
        Self::with_status(
            ApiErrorBody::invalid_param(param, reason),
            StatusCode::BAD_REQUEST,
        )
    }

    /// `CREDENTIAL_REQUIRED` (401).
    pub fn credential_required() -> Self {
        Self::with_status(
            ApiErrorBody::credential_required(),
            StatusCode::UNAUTHORIZED,
        )
    }

    /// `AUTHENTICATION_FAILED` (401).
    pub fn authentication_failed() -> Self {
        Self::with_status(
            ApiErrorBody::authentication_failed(),
            StatusCode::UNAUTHORIZED,
        )
    }

    /// `RATE_LIMIT_EXCEEDED` (429) with the limiter info and `Retry-After`.
    pub fn rate_limited(total: u32, reset_ms: i64, retry_after: u32) -> Self {
        let info = json!({
            "total": total, "remaining": 0, "reset": reset_ms / 1000, "resetMs": reset_ms,
        });
        let mut error = Self::with_status(
            ApiErrorBody::rate_limit_exceeded(Some(info)),
            StatusCode::TOO_MANY_REQUESTS,
        );
        error.retry_after = Some(retry_after);
        error
    }

    /// `INTERNAL_ERROR` (500).
    pub fn internal() -> Self {
        let mut body = ApiErrorBody::internal_error();
        body.error.info =
            Some(json!({"e": {"message": "simulated failure", "code": null, "id": null}}));
        Self::with_status(body, StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// `UNKNOWN_API_ENDPOINT` (404).
    pub fn unknown_endpoint() -> Self {
        let mut error = Self::client(
            "UNKNOWN_API_ENDPOINT",
            "Unknown API endpoint.",
            "2ca3b769-540a-4f08-9dd5-b5a825b6d0f1",
        );
        error.status = StatusCode::NOT_FOUND;
        error
    }

    /// `FILE_SIZE_TOO_LARGE` (413).
    pub fn file_size_too_large() -> Self {
        Self::with_status(
            ApiErrorBody::file_size_too_large(),
            StatusCode::PAYLOAD_TOO_LARGE,
        )
    }

    /// `FILE_REQUIRED` (400).
    pub fn file_required() -> Self {
        Self::with_status(ApiErrorBody::file_required(), StatusCode::BAD_REQUEST)
    }

    /// `INVALID_PARAM` of a multipart field that does not cast (id `0b5f1631-…`).
    pub fn uncastable(param: &str, to: &str) -> Self {
        let mut error = Self::invalid_param(param, &format!("cannot cast to {to}"));
        error.body.error.id = "0b5f1631-7c1a-41a6-b399-cce335f34d85".to_owned();
        error
    }

    /// `NO_SUCH_NOTE` (400).
    pub fn no_such_note() -> Self {
        Self::with_status(ApiErrorBody::no_such_note(), StatusCode::BAD_REQUEST)
    }

    /// `NO_SUCH_USER` with `status` (404 in users/show, 400 elsewhere).
    pub fn no_such_user(status: StatusCode) -> Self {
        let mut error = Self::client(
            "NO_SUCH_USER",
            "No such user.",
            "4362f8dc-731f-4ad8-a694-be5a88922a24",
        );
        error.status = status;
        error
    }

    /// `NO_SUCH_CHANNEL` (400).
    pub fn no_such_channel() -> Self {
        Self::client(
            "NO_SUCH_CHANNEL",
            "No such channel.",
            "6f6c314b-7486-4897-8966-c04a66a02923",
        )
    }

    /// The HTTP response: status, error JSON and the §7.2 headers.
    pub fn into_response(self) -> Response {
        misskey_error_response(self.status, &self.body, self.retry_after.map(u64::from))
    }
}

impl From<OpError> for ApiError {
    fn from(error: OpError) -> Self {
        let code = |code: &'static str, message: &str, id: &'static str| {
            ApiError::client(code, message, id)
        };
        match error {
            OpError::NoSuchNote => ApiError::no_such_note(),
            OpError::NoSuchUser => ApiError::no_such_user(StatusCode::BAD_REQUEST),
            OpError::NoSuchChannel => ApiError::no_such_channel(),
            OpError::NoSuchReplyTarget => code(
                "NO_SUCH_REPLY_TARGET",
                "No such reply target.",
                "749ee0f6-d3da-459a-bf02-282e2da4292c",
            ),
            OpError::NoSuchRenoteTarget => code(
                "NO_SUCH_RENOTE_TARGET",
                "No such renote target.",
                "b5c90186-4ab0-49c8-9bba-a1f76c282ba4",
            ),
            OpError::CannotRenotePureRenote => code(
                "CANNOT_RENOTE_TO_A_PURE_RENOTE",
                "You can not Renote a pure Renote.",
                "fd4cc33e-2a37-48dd-99cc-9b806eb2031a",
            ),
            OpError::CannotReplyToPureRenote => code(
                "CANNOT_REPLY_TO_A_PURE_RENOTE",
                "You can not reply to a pure Renote.",
                "3ac74a84-8fd5-4bb0-870f-01804f82ce15",
            ),
            OpError::NoSuchFile => code(
                "NO_SUCH_FILE",
                "Some files are not found.",
                "b6992544-63e7-67f0-fa7f-32444b1b5306",
            ),
            OpError::AlreadyReacted => code(
                "ALREADY_REACTED",
                "You are already reacting to that note.",
                "71efcf98-86d6-4e2b-b2ad-9d032369366b",
            ),
            OpError::NotReacted => code(
                "NOT_REACTED",
                "You are not reacting to that note.",
                "92f4426d-4196-4125-aa5b-02943e2ec8fc",
            ),
            OpError::FolloweeIsYourself => code(
                "FOLLOWEE_IS_YOURSELF",
                "Followee is yourself.",
                "26fbe7bb-a331-4857-af17-205b426669a9",
            ),
            OpError::AlreadyFollowing => code(
                "ALREADY_FOLLOWING",
                "You are already following that user.",
                "35387507-38c7-4cb9-9197-300b93783fa0",
            ),
            OpError::NotFollowing => code(
                "NOT_FOLLOWING",
                "You are not following that user.",
                "5dbf82f5-c92b-40b1-87d1-6c8c0741fd09",
            ),
            OpError::AccessDenied => code(
                "ACCESS_DENIED",
                "Access denied.",
                "fe8d7103-0ea8-4ec3-814d-f8b401dc69e9",
            ),
            OpError::AlreadyFavorited => code(
                "ALREADY_FAVORITED",
                "The note has already been marked as a favorite.",
                "a402c12b-34dd-41d2-97d8-4d2ffd96a1a6",
            ),
            OpError::NotFavorited => code(
                "NOT_FAVORITED",
                "You have not marked that note a favorite.",
                "b625fc69-635e-45e9-86f4-dbefbef35af5",
            ),
            OpError::InvalidParam(param) => {
                ApiError::invalid_param(&format!("#/properties/{param}"), "is invalid")
            }
        }
    }
}
