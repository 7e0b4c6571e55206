//! The Misskey REST front's errors: Misskey error bodies and statuses (misskey.md §7.2), and
//! the mapping of pnut upstream failures onto them (mapping.md §3.3).

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::http::misskey_error::misskey_error_response;
use crate::misskey::{ApiErrorBody, ErrorKind};
use crate::translate::TranslateError;
use crate::upstream::UpstreamError;

/// What a missing upstream object (pnut 404) means for the endpoint being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// A post: `NO_SUCH_NOTE` (400).
    Note,
    /// A user in `users/show`: `NO_SUCH_USER` (404).
    UserShow,
    /// A user elsewhere (`following/*`, `users/notes`): `NO_SUCH_USER` (400).
    User,
    /// A file: `NO_SUCH_FILE` (400).
    File,
    /// A pnut channel as a Misskey-channel: `NO_SUCH_CHANNEL` (400).
    Channel,
    /// Nothing specific: the upstream message as `INVALID_PARAM` (400).
    Other,
}

/// A Misskey error answer: status, wire body and (429 only) `Retry-After` seconds.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} {}", status, body.error.code)]
pub struct RestError {
    /// HTTP status.
    pub status: StatusCode,
    /// The `{"error": {...}}` body.
    pub body: Box<ApiErrorBody>,
    /// `Retry-After` seconds (429 only).
    pub retry_after: Option<u64>,
}

impl RestError {
    fn new(status: StatusCode, body: ApiErrorBody) -> Self {
        Self {
            status,
            body: Box::new(body),
            retry_after: None,
        }
    }

    /// `CREDENTIAL_REQUIRED` (401): the endpoint needs a token and none was given.
    pub fn credential_required() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ApiErrorBody::credential_required(),
        )
    }

    /// `AUTHENTICATION_FAILED` (401): the token is refused (by the bridge or upstream).
    pub fn authentication_failed() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ApiErrorBody::authentication_failed(),
        )
    }

    /// A client error (400) with an endpoint's own error body (e.g. `NO_SUCH_KEY`).
    pub fn client_error(body: ApiErrorBody) -> Self {
        Self::new(StatusCode::BAD_REQUEST, body)
    }

    /// `PERMISSION_DENIED` (403).
    pub fn permission_denied() -> Self {
        Self::new(StatusCode::FORBIDDEN, ApiErrorBody::permission_denied())
    }

    /// `INVALID_PARAM` (400) naming the parameter and why.
    pub fn invalid_param(param: &str, reason: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ApiErrorBody::invalid_param(param, reason),
        )
    }

    /// `RATE_LIMIT_EXCEEDED` (429) with `Retry-After` (whole seconds, at least 1).
    pub fn rate_limited(retry_in: Duration) -> Self {
        let secs = retry_in.as_secs_f64().ceil().max(1.0) as u64;
        let reset_ms = chrono::Utc::now().timestamp_millis()
            + i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
        let info =
            json!({"total": 0, "remaining": 0, "reset": reset_ms / 1000, "resetMs": reset_ms});
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ApiErrorBody::rate_limit_exceeded(Some(info)),
        );
        error.retry_after = Some(secs);
        error
    }

    /// `INTERNAL_ERROR` (500) with `info.e.message` (never a token).
    pub fn internal(message: &str) -> Self {
        let mut body = ApiErrorBody::internal_error();
        body.error.info = Some(json!({"e": {"message": message, "code": null, "id": null}}));
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, body)
    }

    /// `ACCESS_DENIED` (400): e.g. deleting someone else's note (pnut 403 in `notes/delete`).
    pub fn access_denied() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ApiErrorBody::new(
                "ACCESS_DENIED",
                "Access denied.",
                "fe8d7103-0ea8-4ec3-814d-f8b401dc69e9",
                ErrorKind::Client,
            ),
        )
    }

    /// A `client` error (400) with this code, message and id.
    pub fn client(code: &str, message: &str, id: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ApiErrorBody::new(code, message, id, ErrorKind::Client),
        )
    }

    /// `NO_SUCH_NOTE` (400).
    pub fn no_such_note() -> Self {
        Self::new(StatusCode::BAD_REQUEST, ApiErrorBody::no_such_note())
    }

    /// `NO_SUCH_USER` with `status` (404 in `users/show`, 400 elsewhere).
    pub fn no_such_user(status: StatusCode) -> Self {
        Self::new(
            status,
            ApiErrorBody::new(
                "NO_SUCH_USER",
                "No such user.",
                "4362f8dc-731f-4ad8-a694-be5a88922a24",
                ErrorKind::Client,
            ),
        )
    }

    /// An endpoint the bridge does not serve, asked for by `GET`: 404 with Misskey's
    /// `UNKNOWN_API_ENDPOINT` body, as Misskey's catch-all `/api/*` route answers.
    pub fn unknown_endpoint() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ApiErrorBody::new(
                "UNKNOWN_API_ENDPOINT",
                "Unknown API endpoint.".to_owned(),
                "2ca3b769-540a-4f08-9dd5-b5a825b6d0f1",
                ErrorKind::Client,
            ),
        )
    }

    /// Maps a pnut upstream failure (mapping.md §3.3): 401 → `AUTHENTICATION_FAILED`, 403 →
    /// `PERMISSION_DENIED`, 404 → per `missing`, 429 (upstream or the bridge's limiter) →
    /// `RATE_LIMIT_EXCEEDED` + `Retry-After`, other 4xx → `INVALID_PARAM`, 5xx, transport
    /// and decode failures → `INTERNAL_ERROR` 500.
    pub fn from_upstream(error: &UpstreamError, missing: Missing) -> Self {
        match error {
            UpstreamError::RateLimited { retry_in, .. } => Self::rate_limited(*retry_in),
            UpstreamError::Status {
                status, message, ..
            } => match *status {
                401 => Self::authentication_failed(),
                403 => Self::permission_denied(),
                404 => match missing {
                    Missing::Note => Self::no_such_note(),
                    Missing::UserShow => Self::no_such_user(StatusCode::NOT_FOUND),
                    Missing::User => Self::no_such_user(StatusCode::BAD_REQUEST),
                    Missing::File => Self::client(
                        "NO_SUCH_FILE",
                        "No such file.",
                        "067bc436-2718-4795-b0fb-ecbe43949e31",
                    ),
                    Missing::Channel => Self::client(
                        "NO_SUCH_CHANNEL",
                        "No such channel.",
                        "6f6c314b-7486-4897-8966-c04a66a02923",
                    ),
                    Missing::Other => Self::invalid_param("upstream", message),
                },
                400..=499 => Self::invalid_param("upstream", message),
                _ => Self::internal(&error.to_string()),
            },
            UpstreamError::Transport { .. } | UpstreamError::Decode { .. } => {
                Self::internal(&error.to_string())
            }
        }
    }
}

impl From<TranslateError> for RestError {
    fn from(error: TranslateError) -> Self {
        Self::internal(&format!("untranslatable upstream object: {error}"))
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        misskey_error_response(self.status, &self.body, self.retry_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::{Side, UpstreamKind};
    use axum::http::header;

    fn status(code: u16) -> UpstreamError {
        UpstreamError::Status {
            upstream: UpstreamKind::Pnut,
            status: code,
            message: "upstream says no".into(),
            code: None,
        }
    }

    fn mapped(error: &UpstreamError, missing: Missing) -> (u16, String) {
        let rest = RestError::from_upstream(error, missing);
        (rest.status.as_u16(), rest.body.error.code.clone())
    }

    #[test]
    fn upstream_statuses_map_to_misskey_errors() {
        let cases = [
            (401, Missing::Other, 401, "AUTHENTICATION_FAILED"),
            (403, Missing::Other, 403, "PERMISSION_DENIED"),
            (404, Missing::Note, 400, "NO_SUCH_NOTE"),
            (404, Missing::UserShow, 404, "NO_SUCH_USER"),
            (404, Missing::User, 400, "NO_SUCH_USER"),
            (404, Missing::Other, 400, "INVALID_PARAM"),
            (400, Missing::Note, 400, "INVALID_PARAM"),
            (500, Missing::Note, 500, "INTERNAL_ERROR"),
            (503, Missing::Other, 500, "INTERNAL_ERROR"),
        ];
        for (upstream, missing, want_status, want_code) in cases {
            assert_eq!(
                mapped(&status(upstream), missing),
                (want_status, want_code.to_owned()),
                "upstream {upstream} {missing:?}"
            );
        }
    }

    #[test]
    fn rate_limits_and_transport_failures() {
        let limited = UpstreamError::RateLimited {
            upstream: UpstreamKind::Pnut,
            side: Side::Bridge,
            retry_in: Duration::from_millis(2_500),
        };
        let rest = RestError::from_upstream(&limited, Missing::Note);
        assert_eq!(rest.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(rest.retry_after, Some(3));
        let response = rest.into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "3");

        let transport = UpstreamError::Transport {
            upstream: UpstreamKind::Pnut,
            message: "timed out".into(),
        };
        assert_eq!(
            mapped(&transport, Missing::Other),
            (500, "INTERNAL_ERROR".to_owned())
        );
    }

    #[test]
    fn unknown_endpoint_names_it_and_authentication_sets_header() {
        let error = RestError::unknown_endpoint();
        assert_eq!(error.status, StatusCode::NOT_FOUND);
        assert_eq!(error.body.error.code, "UNKNOWN_API_ENDPOINT");
        let response = RestError::authentication_failed().into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
    }
}
