//! Knobs of the translation (wired from `config.toml` by the caller; no config dependency here).

use serde::{Deserialize, Serialize};

use crate::ids::{DEFAULT_PNUT_ID_WIDTH, IdFormat};
use crate::misskey::Visibility;

/// Options of every translation function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Options {
    /// The Misskey server's id format (Misskey ids ⇄ decimal pnut ids).
    pub id_format: IdFormat,
    /// Width pnut ids are zero-padded to for Misskey clients.
    pub pnut_id_width: usize,
    /// Whether pnut post revisions become Misskey `noteUpdated` `updated` events.
    pub note_updated_revisions: bool,
    /// Misskey note visibilities that become pnut posts; others are skipped.
    pub visibilities: Vec<Visibility>,
    /// The reaction a pnut bookmark is shown as (and the one read back as a bookmark).
    pub bookmark_reaction: String,
    /// `cw` of a one-line NSFW pnut post (longer ones use their first line).
    pub nsfw_cw: String,
    /// Seconds between a pnut file's `created_at` and its event for the event to count as
    /// `fileCreated` (later events are `fileUpdated`).
    pub file_created_window_secs: i64,
    /// Avatar URL for pnut users without an avatar (Misskey's `avatarUrl` is required).
    pub default_avatar_url: String,
    /// Host name of the pnut side, shown as `host` of users on Misskey (None = local, `null`).
    pub pnut_host: Option<String>,
    /// Client id put in `source.id` of posts built from Misskey notes.
    pub source_client_id: String,
    /// Client name for posts built from Misskey notes that name no app.
    pub source_name: String,
    /// Client URL for posts built from Misskey notes.
    pub source_url: String,
    /// The Misskey server's base URL: local notes' pages are `{misskey_url}/notes/{id}`
    /// (quoted notes' links, oembed `embeddable_url`). Empty: those fall back to the file URL.
    pub misskey_url: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            id_format: IdFormat::default(),
            pnut_id_width: DEFAULT_PNUT_ID_WIDTH,
            note_updated_revisions: true,
            visibilities: vec![Visibility::Public, Visibility::Home],
            bookmark_reaction: "⭐".to_owned(),
            nsfw_cw: "NSFW".to_owned(),
            file_created_window_secs: 60,
            default_avatar_url: String::new(),
            pnut_host: None,
            source_client_id: "pnutkey".to_owned(),
            source_name: "Misskey".to_owned(),
            source_url: String::new(),
            misskey_url: String::new(),
        }
    }
}
