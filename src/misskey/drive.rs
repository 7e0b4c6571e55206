//! DriveFile and DriveFolder (misskey.md §6.4).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A drive file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DriveFile {
    /// File id.
    pub id: String,
    /// Creation time.
    #[serde(default)]
    pub created_at: String,
    /// File name.
    #[serde(default)]
    pub name: String,
    /// MIME type.
    #[serde(default, rename = "type")]
    pub mime_type: String,
    /// MD5 hex digest.
    #[serde(default)]
    pub md5: String,
    /// Size in bytes.
    #[serde(default)]
    pub size: u64,
    /// Sensitive flag.
    #[serde(default)]
    pub is_sensitive: bool,
    /// Blurhash (may be `null`).
    #[serde(default)]
    pub blurhash: Option<String>,
    /// Media properties.
    #[serde(default)]
    pub properties: DriveFileProperties,
    /// Content URL.
    #[serde(default)]
    pub url: String,
    /// Thumbnail URL (may be `null`).
    #[serde(default)]
    pub thumbnail_url: Option<String>,
    /// Caption (may be `null`).
    #[serde(default)]
    pub comment: Option<String>,
    /// Folder id (`null` = root).
    #[serde(default)]
    pub folder_id: Option<String>,
    /// Owner id (may be `null`).
    #[serde(default)]
    pub user_id: Option<String>,
    /// Folder (raw JSON, optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<Value>,
    /// Owner (raw JSON UserLite, optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Value>,
}

/// Media properties of a drive file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DriveFileProperties {
    /// Width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// EXIF orientation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orientation: Option<u32>,
    /// Average colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avg_color: Option<String>,
}

/// A drive folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DriveFolder {
    /// Folder id.
    pub id: String,
    /// Creation time.
    #[serde(default)]
    pub created_at: String,
    /// Folder name.
    #[serde(default)]
    pub name: String,
    /// Parent folder id (`null` = root).
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Sub-folder count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folders_count: Option<u64>,
    /// File count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_count: Option<u64>,
    /// Parent folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Box<DriveFolder>>,
}
