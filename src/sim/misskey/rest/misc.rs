//! Server-level endpoints: meta, emojis, channels/show, channels/timeline.

use serde_json::{Value, json};

use super::super::filter;
use super::super::pack::{self, Depth};
use super::super::world::{NoteRecord, World};
use super::params::paginate;
use super::{ApiError, Call, Reply};
use crate::misskey::{InstanceMeta, default_role_policies};

/// The `meta` answer (MetaDetailed when `detail`, else MetaLite).
fn meta(world: &World, detail: bool) -> Value {
    let base = &world.base_url;
    let mut meta = json!({
        "maintainerName": "pnutkey", "maintainerEmail": null, "version": "2026.5.1",
        "providesTarball": false, "name": "pnutkey simulated Misskey", "shortName": "sim",
        "uri": base, "description": "An in-memory Misskey server for tests and demos.",
        "langs": [], "tosUrl": null, "repositoryUrl": null, "feedbackUrl": null,
        "impressumUrl": null, "privacyPolicyUrl": null, "inquiryUrl": null,
        "disableRegistration": true, "emailRequiredForSignup": false,
    });
    let captcha = json!({
        "enableHcaptcha": false, "hcaptchaSiteKey": null, "enableMcaptcha": false,
        "mcaptchaSiteKey": null, "mcaptchaInstanceUrl": null, "enableRecaptcha": false,
        "recaptchaSiteKey": null, "enableTurnstile": false, "turnstileSiteKey": null,
        "enableTestcaptcha": false, "googleAnalyticsMeasurementId": null, "swPublickey": null,
        "themeColor": "#86b300", "mascotImageUrl": null, "bannerUrl": null,
        "infoImageUrl": null, "serverErrorImageUrl": null, "notFoundImageUrl": null,
        "iconUrl": null, "backgroundImageUrl": null, "logoImageUrl": null,
    });
    let rest = json!({
        "maxNoteTextLength": 3000, "defaultLightTheme": null, "defaultDarkTheme": null,
        "clientOptions": {}, "ads": [], "notesPerOneAd": 0, "enableEmail": false,
        "enableServiceWorker": false, "translatorAvailable": false, "serverRules": [],
        "sentryForFrontend": null,
        "mediaProxy": format!("{base}/proxy"), "enableUrlPreview": false,
        "noteSearchableScope": "local", "maxFileSize": 31_457_280,
        "federation": "none",
    });
    for part in [captcha, rest] {
        if let (Some(object), Value::Object(part)) = (meta.as_object_mut(), part) {
            object.extend(part);
        }
    }
    if detail && let Some(object) = meta.as_object_mut() {
        object.extend(
            json!({
                "cacheRemoteFiles": false, "cacheRemoteSensitiveFiles": false,
                "requireSetup": false, "proxyAccountName": null,
                "features": {
                    "registration": false, "emailRequiredForSignup": false, "localTimeline": true,
                    "globalTimeline": true, "hcaptcha": false, "turnstile": false,
                    "recaptcha": false, "objectStorage": false, "serviceWorker": false,
                    "miauth": true,
                },
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        );
    }
    if let Some(object) = meta.as_object_mut() {
        object.insert("policies".into(), Value::Object(default_role_policies()));
    }
    serde_json::from_value::<InstanceMeta>(meta)
        .map(|typed| pack::to_json(&typed))
        .unwrap_or(Value::Null)
}

/// The Misskey-channel `channelId` or `NO_SUCH_CHANNEL`.
fn channel_id(world: &World, call: Call<'_>) -> Result<String, ApiError> {
    let id = call.params.req_id("channelId")?;
    if world.channels.contains_key(&id) {
        Ok(id)
    } else {
        Err(ApiError::no_such_channel())
    }
}

/// Runs one server-level endpoint.
pub fn handle(world: &mut World, endpoint: &str, call: Call<'_>) -> Result<Reply, ApiError> {
    match endpoint {
        "meta" => Ok(Reply::Json(meta(world, call.params.flag("detail", true)?))),
        "emojis" => {
            let emojis: Vec<Value> = world
                .emojis
                .iter()
                .map(|emoji| pack::emoji_simple(world, &emoji.name, emoji.category.as_deref()))
                .collect();
            Ok(Reply::Json(json!({"emojis": emojis})))
        }
        "channels/show" => {
            let id = channel_id(world, call)?;
            let record = world
                .channels
                .get(&id)
                .ok_or_else(ApiError::no_such_channel)?;
            Ok(Reply::Json(pack::channel(world, record)))
        }
        "channels/timeline" => {
            let id = channel_id(world, call)?;
            let page = call.params.page()?;
            let items: Vec<(String, &NoteRecord)> = world
                .notes
                .values()
                .filter(|n| n.channel_id.as_deref() == Some(id.as_str()))
                .filter(|n| filter::can_see(world, n, call.user_id))
                .map(|n| (n.id.clone(), n))
                .collect();
            let packed: Vec<Value> = paginate(items, &page)
                .into_iter()
                .map(|n| pack::note(world, n, call.user_id, Depth::Full))
                .collect();
            Ok(Reply::Json(Value::Array(packed)))
        }
        _ => Err(ApiError::unknown_endpoint()),
    }
}
