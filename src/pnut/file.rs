//! File objects (pnut-api.md §6.6).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::post::Source;
use super::raw::Raw;
use super::user::User;

/// A pnut file. Content fields (`mime_type`, `sha256`, `size`, `url`...) appear once complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct File {
    /// File id.
    pub id: String,
    /// Creation time.
    #[serde(default)]
    pub created_at: String,
    /// Reverse-DNS file type.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// `audio`, `image`, `video` or `other`.
    #[serde(default, rename = "kind")]
    pub media_kind: String,
    /// File name.
    #[serde(default)]
    pub name: String,
    /// MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// SHA-256 hex digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Size including derived files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_size: Option<u64>,
    /// Whether the content is uploaded.
    #[serde(default)]
    pub is_complete: bool,
    /// Whether the file is public.
    #[serde(default)]
    pub is_public: bool,
    /// Present (true) when deleted (file events; **INFERRED** flag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_deleted: Option<bool>,
    /// Content URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When `url` expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_expires_at: Option<String>,
    /// Short public URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_short: Option<String>,
    /// Write token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_token: Option<String>,
    /// Read token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_token_read: Option<String>,
    /// Client (a bare client-id string is accepted on input).
    #[serde(
        default,
        deserialize_with = "super::post::lenient_source",
        skip_serializing_if = "Option::is_none"
    )]
    pub source: Option<Source>,
    /// Owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Box<User>>,
    /// Owner id when `user` is omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Raw annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<Raw>,
    /// Image dimensions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_info: Option<ImageInfo>,
    /// Audio details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_info: Option<AudioInfo>,
    /// Video details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_info: Option<VideoInfo>,
    /// Derived files (thumbnails...), kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_files: Option<BTreeMap<String, Value>>,
    /// Objects the file is attached to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attached_to: Option<AttachedTo>,
    /// Upload instructions for placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_parameters: Option<UploadParameters>,
    /// Pagination id in lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination_id: Option<String>,
}

/// Image dimensions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ImageInfo {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Audio details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AudioInfo {
    /// Duration in seconds.
    #[serde(default)]
    pub duration: f64,
    /// Human-readable duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_string: Option<String>,
    /// Bitrate.
    #[serde(default)]
    pub bitrate: u64,
}

/// Video details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct VideoInfo {
    /// Duration in seconds.
    #[serde(default)]
    pub duration: f64,
    /// Human-readable duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_string: Option<String>,
    /// Bitrate.
    #[serde(default)]
    pub bitrate: u64,
    /// Width in pixels.
    #[serde(default)]
    pub width: u32,
    /// Height in pixels.
    #[serde(default)]
    pub height: u32,
}

/// Ids of the objects a file is attached to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AttachedTo {
    /// Post ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posts: Option<Vec<String>>,
    /// Message ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<String>>,
    /// Poll ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polls: Option<Vec<String>>,
}

/// Where to upload a placeholder's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UploadParameters {
    /// HTTP method.
    pub method: String,
    /// Upload URL.
    pub url: String,
}
