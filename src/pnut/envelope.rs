//! The REST/stream response envelope `{"meta": {...}, "data": ...}` (pnut-api.md §2.1, §3).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every pnut response and stream frame: `meta` plus an optional `data` (absent on errors,
/// on the stream hello frame and on pre-1.0 stub events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Envelope<T> {
    /// Response metadata.
    pub meta: Meta,
    /// The payload; `None` is serialized as an absent key (a missing key reads as `None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
}

/// An error response: `{"meta": {"code", "error_message", "error_id"?}}`, no `data`.
pub type ErrorEnvelope = Envelope<Value>;

impl<T> Envelope<T> {
    /// A successful envelope with `meta.code` set and the given data.
    pub fn ok(code: u16, data: T) -> Self {
        Envelope {
            meta: Meta {
                code: Some(code),
                ..Meta::default()
            },
            data: Some(data),
        }
    }

    /// An error envelope (no `data`) with `meta.code` and `meta.error_message`.
    pub fn error(code: u16, message: impl Into<String>) -> Self {
        Envelope {
            meta: Meta {
                code: Some(code),
                error_message: Some(message.into()),
                ..Meta::default()
            },
            data: None,
        }
    }

    /// True when `meta.code` is present and not 2xx.
    pub fn is_error(&self) -> bool {
        self.meta
            .code
            .is_some_and(|code| !(200..300).contains(&code))
    }
}

/// The `meta` object. Which keys appear depends on the response (§2.1) or frame kind (§3.2);
/// every field is optional and skipped when `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Meta {
    /// HTTP status mirrored into the body (REST responses only; absent on stream frames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// Human-readable error text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Opaque error id, sometimes present on errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
    /// Lowest `pagination_id` in a paginated list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_id: Option<String>,
    /// Highest `pagination_id` in a paginated list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_id: Option<String>,
    /// Whether more items exist beyond this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more: Option<bool>,
    /// Stream marker, with `include_marker`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<Marker>,
    /// Subscription created by a REST call carrying `?connection_id=`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    /// Stream connection id (hello frame).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// Stream description (hello frame).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamInfo>,
    /// All of the connection's subscriptions an event matches (event frames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_ids: Option<Vec<String>>,
    /// Id of the object an event is about (event frames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Unix seconds when the event happened (event frames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    /// Present (true) only when the object was deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_deleted: Option<bool>,
    /// Revision number of a revised post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
    /// Channel type on message events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_type: Option<String>,
    /// Channel name on `io.pnut.core.chat` message events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_name: Option<String>,
    /// App-stream event type (user streams do not send it).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Ids deleted since `since_id` (dynamic polling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_ids: Option<Vec<String>>,
    /// Ids revised since `since_id` (dynamic polling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revised_ids: Option<Vec<String>>,
    /// Unread counts per channel type (`GET /users/me/channels/subscribed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread_counts: Option<BTreeMap<String, i64>>,
    /// Seconds until a rate limit resets (429).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_in: Option<i64>,
    /// Status URL of a bulk file deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_url: Option<String>,
}

/// `meta.stream` of the hello frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StreamInfo {
    /// The websocket endpoint URL.
    pub endpoint: String,
    /// App-stream key (app streams only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// App-stream object types (app streams only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_types: Option<Vec<String>>,
}

/// A stream marker (§6.8). `percentage` is typed inconsistently in the docs (int or string),
/// so it is kept as raw JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Marker {
    /// Marker id (the marked item id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Last read item id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_read_id: Option<String>,
    /// Read percentage (int or string on the wire).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage: Option<Value>,
    /// When the marker was last updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Opaque version string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Stream name: `global`, `personal`, `mentions`, `channel:{id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}
