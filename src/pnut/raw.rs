//! The `raw` annotation map (pnut-api.md §6.10) and typed views of common annotations:
//! `io.pnut.core.oembed` (attached media) and `io.pnut.core.language`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Raw annotations: type (reverse-DNS) → list of JSON objects.
pub type Raw = std::collections::BTreeMap<String, Vec<Value>>;

/// Raw type of an oEmbed attachment.
pub const OEMBED_RAW_TYPE: &str = "io.pnut.core.oembed";
/// Raw type of the language annotation.
pub const LANGUAGE_RAW_TYPE: &str = "io.pnut.core.language";

/// An `io.pnut.core.oembed` value (oEmbed 1.0). For photos `url`, `width`, `height` are set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct OEmbed {
    /// `photo`, `video`, `rich` or `link`.
    #[serde(rename = "type")]
    pub kind: String,
    /// oEmbed version, `1.0`.
    #[serde(default = "oembed_version")]
    pub version: String,
    /// Media URL (photos).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Thumbnail URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
    /// Thumbnail width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_width: Option<u32>,
    /// Thumbnail height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_height: Option<u32>,
    /// Provider name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_name: Option<String>,
    /// Provider URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_url: Option<String>,
    /// Embed HTML (video/rich).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

fn oembed_version() -> String {
    "1.0".to_owned()
}

/// The oEmbed items of a raw map; items that do not parse are skipped.
pub fn oembeds(raw: &Raw) -> Vec<OEmbed> {
    raw.get(OEMBED_RAW_TYPE)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| OEmbed::deserialize(item).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The `language` of an `io.pnut.core.language` annotation, if any.
pub fn language(raw: &Raw) -> Option<String> {
    raw.get(LANGUAGE_RAW_TYPE)?
        .iter()
        .find_map(|item| item.get("language").and_then(Value::as_str))
        .map(str::to_owned)
}

/// Adds oEmbed items to a raw map (creating the list if needed).
pub fn push_oembeds(raw: &mut Raw, items: &[OEmbed]) -> Result<(), serde_json::Error> {
    let values = items
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()?;
    raw.entry(OEMBED_RAW_TYPE.to_owned())
        .or_default()
        .extend(values);
    Ok(())
}
