//! The `meta` REST response, minimal (misskey.md §8): typed keys clients read, everything
//! else kept in `extra` so a fuller object round-trips.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::me::default_role_policies;

/// `POST /api/meta` response (MetaLite subset; other keys in `extra`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceMeta {
    /// Server version; must be a string (mipac splits it on `.`).
    pub version: String,
    /// Instance name (may be `null`).
    #[serde(default)]
    pub name: Option<String>,
    /// Instance URL.
    #[serde(default)]
    pub uri: String,
    /// Description (may be `null`).
    #[serde(default)]
    pub description: Option<String>,
    /// Maximum note length.
    #[serde(default = "default_max_note_text_length")]
    pub max_note_text_length: u32,
    /// Maximum upload size in bytes.
    #[serde(default)]
    pub max_file_size: u64,
    /// Registration closed.
    #[serde(default)]
    pub disable_registration: bool,
    /// Base role policies (`ltlAvailable`, `gtlAvailable`, ...).
    #[serde(default = "default_role_policies")]
    pub policies: Map<String, Value>,
    /// Any other MetaLite/MetaDetailed keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn default_max_note_text_length() -> u32 {
    3000
}

impl Default for InstanceMeta {
    fn default() -> Self {
        InstanceMeta {
            version: "2026.5.1".to_owned(),
            name: None,
            uri: String::new(),
            description: None,
            max_note_text_length: default_max_note_text_length(),
            max_file_size: 0,
            disable_registration: true,
            policies: default_role_policies(),
            extra: Map::new(),
        }
    }
}
