//! The `meta` answer, from `[misskey_meta]` alone (no upstream call, mapping.md §3.3).

use serde_json::Value;

use crate::front::BridgeContext;
use crate::misskey::{MetaFields, instance_meta_json};

/// MetaDetailed for this bridge: `version` is `[misskey_meta] version` (a Misskey release,
/// for apps' feature detection), `name`/`uri`/
/// `description` come from the config (an empty `uri`: this listener's URL, which knows the
/// bound port), every optional feature is off.
pub fn meta(ctx: &BridgeContext) -> Value {
    let config = &ctx.config();
    let uri = if config.misskey_meta.uri.is_empty() {
        ctx.bridge_url.clone()
    } else {
        config.misskey_meta.uri.clone()
    };
    let fields = MetaFields {
        version: &config.misskey_meta.version,
        name: &config.misskey_meta.name,
        short_name: None,
        maintainer_name: None,
        uri: &uri,
        description: &config.misskey_meta.description,
        theme_color: None,
        max_note_text_length: 256,
        max_file_size: 0,
        timelines: false,
        miauth: true,
    };
    instance_meta_json(&fields, true)
}
