//! The `meta` answer, from `[misskey_meta]` alone (no upstream call, mapping.md §3.3), and the
//! role policies the bridge shows (in `meta` and `i`): both say only what the endpoint table
//! serves, since apps read them to decide what to offer.

use serde_json::{Map, Value, json};

use super::call::{Call, Reply};
use super::table::find;
use crate::front::BridgeContext;
use crate::misskey::{MetaFields, default_role_policies, instance_meta_json};

/// pnut's post text limit (pnut-api.md §6.1).
const PNUT_MAX_POST_LENGTH: u32 = 256;

/// `meta`: MetaDetailed (MetaLite with `detail: false`).
pub fn meta(call: &Call<'_>) -> Reply {
    let detailed = call.params.flag("detail", true).unwrap_or(true);
    Reply::Json(meta_json(call.ctx, detailed))
}

/// The `meta` body: `version` is `[misskey_meta] version` (a Misskey release, for apps'
/// feature detection), `name`/`uri`/`description` come from the config (an empty `uri`: this
/// listener's URL), the timelines are on (`notes/local-timeline` and `notes/global-timeline`
/// are served), every other optional feature is off, and `policies` are [`policies`].
pub fn meta_json(ctx: &BridgeContext, detailed: bool) -> Value {
    let config = &ctx.config();
    let uri = if config.misskey_meta.uri.is_empty() {
        ctx.bridge_url.clone()
    } else {
        config.misskey_meta.uri.clone()
    };
    let timelines =
        find("notes/local-timeline").is_some() && find("notes/global-timeline").is_some();
    let fields = MetaFields {
        version: &config.misskey_meta.version,
        name: &config.misskey_meta.name,
        short_name: None,
        maintainer_name: None,
        uri: &uri,
        description: &config.misskey_meta.description,
        theme_color: None,
        max_note_text_length: PNUT_MAX_POST_LENGTH,
        max_file_size: 0,
        timelines,
        miauth: true,
    };
    let mut meta = instance_meta_json(&fields, detailed);
    meta["policies"] = Value::Object(policies());
    meta
}

/// Misskey's default role policies with every feature the bridge does not serve turned off:
/// searches only where the search endpoint is served; no antennas, clips, lists, webhooks,
/// pins, invitations, avatar decorations, imports, chat, drafts or scheduled notes; no
/// translator; no uploads (`drive/files/create` is not served).
pub fn policies() -> Map<String, Value> {
    let mut policies = default_role_policies();
    let served = |name: &str| Value::Bool(find(name).is_some());
    let off = json!({
        "gtlAvailable": served("notes/global-timeline"),
        "ltlAvailable": served("notes/local-timeline"),
        "canSearchNotes": served("notes/search"),
        "canSearchUsers": served("users/search"),
        "canUseTranslator": false,
        "canCreateChannel": served("channels/create"),
        "canInvite": false,
        "inviteLimit": 0,
        "pinLimit": 0,
        "antennaLimit": 0,
        "webhookLimit": 0,
        "clipLimit": 0,
        "noteEachClipsLimit": 0,
        "userListLimit": 0,
        "userEachUserListsLimit": 0,
        "avatarDecorationLimit": 0,
        "canImportAntennas": false,
        "canImportBlocking": false,
        "canImportFollowing": false,
        "canImportMuting": false,
        "canImportUserLists": false,
        "chatAvailability": "unavailable",
        "noteDraftLimit": 0,
        "scheduledNoteLimit": 0,
        "watermarkAvailable": false,
        "canUpdateBioMedia": false,
        "driveCapacityMb": 0,
        "maxFileSizeMb": 0,
        "uploadableFileTypes": [],
    });
    if let Value::Object(off) = off {
        policies.extend(off);
    }
    policies
}
