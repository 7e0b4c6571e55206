//! The control API over HTTP under `/_sim/` (JSON, no auth; loopback only). Each route
//! calls the same [`SimMisskeyControl`] method the Rust handle offers.
//!
//! | route | body | answer |
//! |---|---|---|
//! | `POST /_sim/notes` | `{user, text?, cw?, visibility?, visibleUserIds?, replyId?, renoteId?, channelId?, fileIds?}` | 200 Note |
//! | `POST /_sim/notes/{id}/revise` | `{text, cw?}` | 204 (`noteUpdated` `updated`) |
//! | `DELETE /_sim/notes/{id}` | — | 204 (`noteUpdated` `deleted`) |
//! | `POST /_sim/notes/{id}/react` | `{user, reaction}` | 204 |
//! | `POST /_sim/follow`, `/_sim/unfollow` | `{follower, followee}` (usernames) | 204 |
//! | `POST /_sim/channel-messages` | `{user, channel (id or name), text}` | 200 Note |
//! | `POST /_sim/files` | `{user, name, type?, size?}` | 200 DriveFile |
//! | `POST /_sim/files/{id}/rename` | `{user, name}` | 204 (`drive` `fileUpdated`) |
//! | `POST /_sim/me` | `{user, name}` | 204 (`main` `meUpdated`) |
//! | `POST /_sim/streams/drop` | — | 204 |
//! | `POST /_sim/streams/stall` | `{stalled: bool}` | 204 |
//! | `POST /_sim/calls/stall` | `{token, stalled: bool}` | 204 (hold or release that token's REST calls) |
//! | `POST /_sim/failures` | `{count, status (429\|500), token?, endpoint?}` | 204 |
//! | `GET /_sim/counts` | — | 200 `{connections, sockets:[{username, channel_connections, channels, captured_notes}], calls, held_calls}` |
//!
//! Errors: 404 `{"error": "..."}` for unknown users/channels/notes, 400 for refusals.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Shared;
use super::control::{ControlError, SimMisskeyControl};
use super::ops::{NewNote, OpError};

/// `POST /_sim/notes` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NoteBody {
    user: String,
    text: Option<String>,
    cw: Option<String>,
    visibility: Option<String>,
    #[serde(default)]
    visible_user_ids: Vec<String>,
    reply_id: Option<String>,
    renote_id: Option<String>,
    channel_id: Option<String>,
    #[serde(default)]
    file_ids: Vec<String>,
}

/// `POST /_sim/notes/{id}/revise` body.
#[derive(Debug, Deserialize)]
struct ReviseBody {
    text: String,
    cw: Option<String>,
}

/// `POST /_sim/notes/{id}/react` body.
#[derive(Debug, Deserialize)]
struct ReactBody {
    user: String,
    reaction: String,
}

/// `POST /_sim/follow` and `/_sim/unfollow` body.
#[derive(Debug, Deserialize)]
struct FollowBody {
    follower: String,
    followee: String,
}

/// `POST /_sim/channel-messages` body (`channel`: id or name).
#[derive(Debug, Deserialize)]
struct ChannelMessageBody {
    user: String,
    channel: String,
    text: String,
}

/// `POST /_sim/files` body.
#[derive(Debug, Deserialize)]
struct FileBody {
    user: String,
    name: String,
    #[serde(rename = "type", default = "default_mime")]
    mime: String,
    #[serde(default)]
    size: u64,
}

/// `POST /_sim/files/{id}/rename` and `/_sim/me` body.
#[derive(Debug, Deserialize)]
struct NameBody {
    user: String,
    name: String,
}

/// MIME type of uploads that name none.
fn default_mime() -> String {
    "application/octet-stream".into()
}

/// `POST /_sim/streams/stall` body.
#[derive(Debug, Deserialize)]
struct StallBody {
    stalled: bool,
}

/// `POST /_sim/calls/stall` body.
#[derive(Debug, Deserialize)]
struct StallCallsBody {
    token: String,
    stalled: bool,
}

/// `POST /_sim/failures` body.
#[derive(Debug, Deserialize)]
struct FailureBody {
    count: u32,
    status: u16,
    token: Option<String>,
    endpoint: Option<String>,
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::NoSuchUser(_)
            | Self::NoSuchChannel(_)
            | Self::Refused(OpError::NoSuchNote | OpError::NoSuchUser) => StatusCode::NOT_FOUND,
            Self::Refused(_) => StatusCode::BAD_REQUEST,
        };
        (status, Json(json!({"error": self.to_string()}))).into_response()
    }
}

/// The handle of the server behind `shared`.
fn control(shared: Arc<Shared>) -> SimMisskeyControl {
    SimMisskeyControl::new(shared)
}

/// JSON 200 or the control error.
fn reply(result: Result<Value, ControlError>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(error) => error.into_response(),
    }
}

/// 204 or the control error.
fn done(result: Result<(), ControlError>) -> Response {
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error.into_response(),
    }
}

/// The `/_sim/` routes.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim/notes", post(create_note))
        .route("/_sim/notes/{id}", delete(delete_note))
        .route("/_sim/notes/{id}/revise", post(revise_note))
        .route("/_sim/notes/{id}/react", post(react))
        .route("/_sim/follow", post(follow))
        .route("/_sim/unfollow", post(unfollow))
        .route("/_sim/channel-messages", post(channel_message))
        .route("/_sim/files", post(upload_file))
        .route("/_sim/files/{id}/rename", post(rename_file))
        .route("/_sim/me", post(update_me))
        .route("/_sim/streams/drop", post(drop_streams))
        .route("/_sim/streams/stall", post(stall_streams))
        .route("/_sim/calls/stall", post(stall_calls))
        .route("/_sim/failures", post(force_failures))
        .route("/_sim/counts", get(counts))
}

async fn create_note(State(shared): State<Arc<Shared>>, Json(body): Json<NoteBody>) -> Response {
    let note = NewNote {
        text: body.text,
        cw: body.cw,
        visibility: body.visibility,
        visible_user_ids: body.visible_user_ids,
        reply_id: body.reply_id,
        renote_id: body.renote_id,
        channel_id: body.channel_id,
        file_ids: body.file_ids,
    };
    reply(control(shared).create_note(&body.user, note).await)
}

async fn delete_note(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    done(control(shared).delete_note(&id).await)
}

async fn revise_note(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(body): Json<ReviseBody>,
) -> Response {
    done(
        control(shared)
            .revise_note(&id, &body.text, body.cw.as_deref())
            .await,
    )
}

async fn react(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(body): Json<ReactBody>,
) -> Response {
    done(control(shared).react(&body.user, &id, &body.reaction).await)
}

async fn follow(State(shared): State<Arc<Shared>>, Json(body): Json<FollowBody>) -> Response {
    done(control(shared).follow(&body.follower, &body.followee).await)
}

async fn unfollow(State(shared): State<Arc<Shared>>, Json(body): Json<FollowBody>) -> Response {
    done(
        control(shared)
            .unfollow(&body.follower, &body.followee)
            .await,
    )
}

async fn channel_message(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<ChannelMessageBody>,
) -> Response {
    reply(
        control(shared)
            .channel_message(&body.user, &body.channel, &body.text)
            .await,
    )
}

async fn upload_file(State(shared): State<Arc<Shared>>, Json(body): Json<FileBody>) -> Response {
    reply(
        control(shared)
            .upload_file(&body.user, &body.name, &body.mime, body.size)
            .await,
    )
}

async fn rename_file(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(body): Json<NameBody>,
) -> Response {
    done(
        control(shared)
            .rename_file(&body.user, &id, &body.name)
            .await,
    )
}

async fn update_me(State(shared): State<Arc<Shared>>, Json(body): Json<NameBody>) -> Response {
    done(control(shared).update_name(&body.user, &body.name).await)
}

async fn drop_streams(State(shared): State<Arc<Shared>>) -> StatusCode {
    control(shared).drop_streams().await;
    StatusCode::NO_CONTENT
}

async fn stall_streams(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<StallBody>,
) -> StatusCode {
    control(shared).stall_streams(body.stalled).await;
    StatusCode::NO_CONTENT
}

async fn stall_calls(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<StallCallsBody>,
) -> StatusCode {
    control(shared).stall_calls(&body.token, body.stalled);
    StatusCode::NO_CONTENT
}

async fn force_failures(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<FailureBody>,
) -> StatusCode {
    control(shared)
        .force_failures(
            body.count,
            body.status,
            body.token.as_deref(),
            body.endpoint.as_deref(),
        )
        .await;
    StatusCode::NO_CONTENT
}

async fn counts(State(shared): State<Arc<Shared>>) -> Response {
    Json(control(shared).counts().await).into_response()
}
