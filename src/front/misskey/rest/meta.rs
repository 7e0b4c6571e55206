//! The `meta` answer, from `[misskey_meta]` alone (no upstream call, mapping.md §3.3).

use serde_json::{Value, json};

use crate::front::BridgeContext;
use crate::misskey::default_role_policies;

/// MetaDetailed for this bridge: `version` is pnutkey's version string, `name`/`uri`/
/// `description` come from the config (an empty `uri`: this listener's URL, which knows the
/// bound port), every optional feature is off.
pub fn meta(ctx: &BridgeContext) -> Value {
    let config = &ctx.config();
    let uri = if config.misskey_meta.uri.is_empty() {
        ctx.bridge_url.clone()
    } else {
        config.misskey_meta.uri.clone()
    };
    let mut meta = json!({
        "maintainerName": null, "maintainerEmail": null,
        "version": env!("CARGO_PKG_VERSION"),
        "providesTarball": false, "name": config.misskey_meta.name, "shortName": null,
        "uri": uri, "description": config.misskey_meta.description,
        "langs": [], "tosUrl": null, "repositoryUrl": null, "feedbackUrl": null,
        "impressumUrl": null, "privacyPolicyUrl": null, "inquiryUrl": null,
        "disableRegistration": true, "emailRequiredForSignup": false,
    });
    let captcha = json!({
        "enableHcaptcha": false, "hcaptchaSiteKey": null, "enableMcaptcha": false,
        "mcaptchaSiteKey": null, "mcaptchaInstanceUrl": null, "enableRecaptcha": false,
        "recaptchaSiteKey": null, "enableTurnstile": false, "turnstileSiteKey": null,
        "enableTestcaptcha": false, "googleAnalyticsMeasurementId": null, "swPublickey": null,
        "themeColor": null, "mascotImageUrl": null, "bannerUrl": null,
        "infoImageUrl": null, "serverErrorImageUrl": null, "notFoundImageUrl": null,
        "iconUrl": null, "backgroundImageUrl": null, "logoImageUrl": null,
    });
    let rest = json!({
        "maxNoteTextLength": 256, "defaultLightTheme": null, "defaultDarkTheme": null,
        "clientOptions": {}, "ads": [], "notesPerOneAd": 0, "enableEmail": false,
        "enableServiceWorker": false, "translatorAvailable": false, "serverRules": [],
        "sentryForFrontend": null, "mediaProxy": format!("{uri}/proxy"),
        "enableUrlPreview": false, "noteSearchableScope": "local", "maxFileSize": 0,
        "federation": "none",
    });
    let detailed = json!({
        "cacheRemoteFiles": false, "cacheRemoteSensitiveFiles": false,
        "requireSetup": false, "proxyAccountName": null,
        "features": {
            "registration": false, "emailRequiredForSignup": false, "localTimeline": false,
            "globalTimeline": false, "hcaptcha": false, "turnstile": false,
            "recaptcha": false, "objectStorage": false, "serviceWorker": false,
            "miauth": false,
        },
    });
    if let Some(object) = meta.as_object_mut() {
        for part in [captcha, rest, detailed] {
            if let Value::Object(part) = part {
                object.extend(part);
            }
        }
        object.insert("policies".into(), Value::Object(default_role_policies()));
    }
    meta
}
