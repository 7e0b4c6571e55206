//! Endpoints apps call at start-up that pnut has nothing behind (real-servers.md §2): each
//! answers what a Misskey server with that feature unused answers — an empty list, zero
//! counts — never an error an app would stop on. `endpoints` lists the dispatch table.

use serde_json::{Value, json};

use super::call::{Call, Reply};
use super::error::RestError;
use super::table::ENDPOINTS;

/// `endpoints`: the names of every endpoint the bridge serves (sorted), straight from the
/// dispatch table.
pub async fn endpoints(_call: &Call<'_>) -> Result<Reply, RestError> {
    let mut names: Vec<&str> = ENDPOINTS.iter().map(|endpoint| endpoint.name).collect();
    names.sort_unstable();
    Ok(Reply::Json(json!(names)))
}

/// `emojis`: pnut has no custom emoji.
pub async fn emojis(_call: &Call<'_>) -> Result<Reply, RestError> {
    Ok(Reply::Json(json!({"emojis": []})))
}

/// `emoji` (`name` required): no custom emoji exists, so Misskey's answer for an unknown one
/// (its lookup throws: `INTERNAL_ERROR` 500).
pub async fn emoji(call: &Call<'_>) -> Result<Reply, RestError> {
    call.params.required_string("name")?;
    Err(RestError::internal("No such emoji"))
}

/// `ping`: `{pong: <epoch ms>}`.
pub async fn ping(_call: &Call<'_>) -> Result<Reply, RestError> {
    Ok(Reply::Json(
        json!({"pong": chrono::Utc::now().timestamp_millis()}),
    ))
}

/// `server-info`: Misskey's answer with machine stats disabled.
pub async fn server_info(_call: &Call<'_>) -> Result<Reply, RestError> {
    Ok(Reply::Json(json!({
        "machine": "?",
        "cpu": {"model": "?", "cores": 0},
        "mem": {"total": 0},
        "fs": {"total": 0, "used": 0},
    })))
}

/// `stats`: pnut publishes no instance statistics; every count is 0.
pub async fn stats(_call: &Call<'_>) -> Result<Reply, RestError> {
    Ok(Reply::Json(json!({
        "notesCount": 0, "originalNotesCount": 0, "usersCount": 0,
        "originalUsersCount": 0, "instances": 0, "driveUsageLocal": 0, "driveUsageRemote": 0,
    })))
}

/// `get-online-users-count`: pnut's presence is not read; `{count: 0}`.
pub async fn online_users(_call: &Call<'_>) -> Result<Reply, RestError> {
    Ok(Reply::Json(json!({"count": 0})))
}

/// An endpoint anyone may call whose list is always empty on pnut (announcements, avatar
/// decorations, pinned users, trends, featured notes).
pub async fn empty_list(_call: &Call<'_>) -> Result<Reply, RestError> {
    Ok(Reply::Json(Value::Array(Vec::new())))
}

/// A list of the caller's own things pnut does not have (antennas, lists, clips, renote
/// mutes, follow requests, drive folders): `[]`, after the credential check Misskey makes.
pub async fn empty_list_auth(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    Ok(Reply::Json(Value::Array(Vec::new())))
}
