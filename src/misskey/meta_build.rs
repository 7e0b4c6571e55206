//! The full `meta` answer (MetaLite, or MetaDetailed) built from the few values a server
//! chooses; every other key has the value of a server with its optional features off.

use serde_json::{Map, Value, json};

use super::me::default_role_policies;

/// What a server says about itself in `meta`; everything else is fixed.
#[derive(Debug, Clone)]
pub struct MetaFields<'a> {
    /// `version`.
    pub version: &'a str,
    /// `name`.
    pub name: &'a str,
    /// `shortName`.
    pub short_name: Option<&'a str>,
    /// `maintainerName`.
    pub maintainer_name: Option<&'a str>,
    /// `uri` (also the base of `mediaProxy`).
    pub uri: &'a str,
    /// `description`.
    pub description: &'a str,
    /// `themeColor`.
    pub theme_color: Option<&'a str>,
    /// `maxNoteTextLength`.
    pub max_note_text_length: u32,
    /// `maxFileSize`.
    pub max_file_size: u64,
    /// `features.localTimeline` and `features.globalTimeline`.
    pub timelines: bool,
    /// `features.miauth`.
    pub miauth: bool,
}

/// MetaDetailed when `detailed`, else MetaLite, with the default role policies.
pub fn instance_meta_json(fields: &MetaFields<'_>, detailed: bool) -> Value {
    let uri = fields.uri;
    let mut meta = Map::new();
    let parts = [
        json!({
            "maintainerName": fields.maintainer_name, "maintainerEmail": null,
            "version": fields.version, "providesTarball": false, "name": fields.name,
            "shortName": fields.short_name, "uri": uri, "description": fields.description,
            "langs": [], "tosUrl": null, "repositoryUrl": null, "feedbackUrl": null,
            "impressumUrl": null, "privacyPolicyUrl": null, "inquiryUrl": null,
            "disableRegistration": true, "emailRequiredForSignup": false,
        }),
        json!({
            "enableHcaptcha": false, "hcaptchaSiteKey": null, "enableMcaptcha": false,
            "mcaptchaSiteKey": null, "mcaptchaInstanceUrl": null, "enableRecaptcha": false,
            "recaptchaSiteKey": null, "enableTurnstile": false, "turnstileSiteKey": null,
            "enableTestcaptcha": false, "googleAnalyticsMeasurementId": null,
            "swPublickey": null, "themeColor": fields.theme_color, "mascotImageUrl": null,
            "bannerUrl": null, "infoImageUrl": null, "serverErrorImageUrl": null,
            "notFoundImageUrl": null, "iconUrl": null, "backgroundImageUrl": null,
            "logoImageUrl": null,
        }),
        json!({
            "maxNoteTextLength": fields.max_note_text_length, "defaultLightTheme": null,
            "defaultDarkTheme": null, "clientOptions": {}, "ads": [], "notesPerOneAd": 0,
            "enableEmail": false, "enableServiceWorker": false, "translatorAvailable": false,
            "serverRules": [], "sentryForFrontend": null, "mediaProxy": format!("{uri}/proxy"),
            "enableUrlPreview": false, "noteSearchableScope": "local",
            "maxFileSize": fields.max_file_size, "federation": "none",
        }),
    ];
    for part in parts {
        if let Value::Object(part) = part {
            meta.extend(part);
        }
    }
    if detailed {
        let features = json!({
            "cacheRemoteFiles": false, "cacheRemoteSensitiveFiles": false,
            "requireSetup": false, "proxyAccountName": null,
            "features": {
                "registration": false, "emailRequiredForSignup": false,
                "localTimeline": fields.timelines, "globalTimeline": fields.timelines,
                "hcaptcha": false, "turnstile": false, "recaptcha": false,
                "objectStorage": false, "serviceWorker": false, "miauth": fields.miauth,
            },
        });
        if let Value::Object(part) = features {
            meta.extend(part);
        }
    }
    meta.insert("policies".into(), Value::Object(default_role_policies()));
    Value::Object(meta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::misskey::InstanceMeta;

    fn fields() -> MetaFields<'static> {
        MetaFields {
            version: "1.0",
            name: "n",
            short_name: None,
            maintainer_name: None,
            uri: "http://127.0.0.1:1",
            description: "d",
            theme_color: None,
            max_note_text_length: 256,
            max_file_size: 0,
            timelines: false,
            miauth: true,
        }
    }

    #[test]
    fn detailed_adds_features_and_both_parse_as_instance_meta() {
        let lite = instance_meta_json(&fields(), false);
        let detailed = instance_meta_json(&fields(), true);
        assert!(lite.get("features").is_none());
        assert_eq!(detailed["features"]["miauth"], true);
        assert_eq!(detailed["features"]["localTimeline"], false);
        assert_eq!(detailed["mediaProxy"], "http://127.0.0.1:1/proxy");
        for meta in [lite, detailed] {
            assert!(meta["policies"].is_object());
            let typed: InstanceMeta = serde_json::from_value(meta).expect("InstanceMeta");
            assert_eq!(typed.max_note_text_length, 256);
        }
    }
}
