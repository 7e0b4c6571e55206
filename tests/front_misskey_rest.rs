//! The Misskey REST front end to end: Misskey calls to the bridge (`POST /api/*`) against the
//! embedded simulated pnut, observed through the bridge's answers and the sim's control handle.

#[path = "front_misskey_rest/answers.rs"]
mod answers;
#[path = "front_misskey_rest/direct.rs"]
mod direct;
#[path = "front_misskey_rest/errors.rs"]
mod errors;
#[path = "front_misskey_rest/moderation.rs"]
mod moderation;
#[path = "front_misskey_rest/note_files.rs"]
mod note_files;
#[path = "front_misskey_rest/notes.rs"]
mod notes;
#[path = "front_misskey_rest/notifications.rs"]
mod notifications;
#[path = "front_misskey_rest/polls.rs"]
mod polls;
#[path = "front_misskey_rest/readme.rs"]
mod readme;
#[path = "front_misskey_rest/renotes.rs"]
mod renotes;
#[path = "front_misskey_rest/startup.rs"]
mod startup;
#[path = "front_misskey_rest/support.rs"]
mod support;
#[path = "front_misskey_rest/upload.rs"]
mod upload;
#[path = "front_misskey_rest/users.rs"]
mod users;
