//! The control API over HTTP under `/_sim/` (JSON, no auth; loopback only).
//!
//! | route | body | does |
//! |---|---|---|
//! | `POST /_sim/posts` | `{user, text, reply_to?}` | create a post → Post |
//! | `POST /_sim/posts/{id}/revise` | `{user, text}` | revise → Post |
//! | `POST /_sim/posts/{id}/delete` | `{user}` | delete → Post |
//! | `POST /_sim/posts/{id}/repost` | `{user}` | repost → the repost |
//! | `POST /_sim/follow`, `/_sim/unfollow` | `{user, target}` | (un)follow |
//! | `POST /_sim/messages` | `{user, channel_id, text}` | send a message → Message |
//! | `POST /_sim/files` | `{user, name}` | upload a file → File |
//! | `POST /_sim/streams/drop` | | close every stream → `{dropped}` |
//! | `POST /_sim/streams/stall` | `{stalled}` | stall / resume streams |
//! | `POST /_sim/fail` | `{status, count, token?, endpoint?}` | force failures |
//! | `GET /_sim/counts` | | live counts |
//! | `GET /_sim/channels` | | `[{id, type}]` |

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::Serialize;
use serde_json::json;

use super::Shared;
use super::control::{ControlError, ForcedFailure, SimPnutControl};

#[derive(Deserialize)]
struct PostBody {
    user: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    reply_to: Option<String>,
}

#[derive(Deserialize)]
struct UserBody {
    user: String,
}

#[derive(Deserialize)]
struct FollowBody {
    user: String,
    target: String,
}

#[derive(Deserialize)]
struct MessageBody {
    user: String,
    channel_id: String,
    text: String,
}

#[derive(Deserialize)]
struct FileBody {
    user: String,
    name: String,
}

#[derive(Deserialize)]
struct StallBody {
    stalled: bool,
}

#[derive(Deserialize)]
struct FailBody {
    status: u16,
    count: u32,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    endpoint: Option<String>,
}

fn reply<T: Serialize>(result: Result<T, ControlError>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(error) => {
            let status = match &error {
                ControlError::Refused(op) => {
                    StatusCode::from_u16(op.status()).unwrap_or(StatusCode::BAD_REQUEST)
                }
                ControlError::UnknownUser(_) | ControlError::BadId(_) => StatusCode::BAD_REQUEST,
            };
            (status, Json(json!({"error": error.to_string()}))).into_response()
        }
    }
}

fn control(shared: Arc<Shared>) -> SimPnutControl {
    SimPnutControl::new(shared)
}

async fn create_post(State(s): State<Arc<Shared>>, Json(b): Json<PostBody>) -> Response {
    reply(
        control(s)
            .create_post(&b.user, &b.text, b.reply_to.as_deref())
            .await,
    )
}

async fn revise_post(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(b): Json<PostBody>,
) -> Response {
    reply(control(s).revise_post(&b.user, &id, &b.text).await)
}

async fn delete_post(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(b): Json<UserBody>,
) -> Response {
    reply(control(s).delete_post(&b.user, &id).await)
}

async fn repost(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(b): Json<UserBody>,
) -> Response {
    reply(control(s).repost(&b.user, &id).await)
}

async fn follow(State(s): State<Arc<Shared>>, Json(b): Json<FollowBody>) -> Response {
    reply(control(s).follow(&b.user, &b.target).await.map(|()| json!({})))
}

async fn unfollow(State(s): State<Arc<Shared>>, Json(b): Json<FollowBody>) -> Response {
    reply(control(s).unfollow(&b.user, &b.target).await.map(|()| json!({})))
}

async fn message(State(s): State<Arc<Shared>>, Json(b): Json<MessageBody>) -> Response {
    reply(control(s).send_message(&b.user, &b.channel_id, &b.text).await)
}

async fn file(State(s): State<Arc<Shared>>, Json(b): Json<FileBody>) -> Response {
    reply(control(s).upload_file(&b.user, &b.name).await)
}

async fn drop_streams(State(s): State<Arc<Shared>>) -> Response {
    Json(json!({"dropped": control(s).drop_streams().await})).into_response()
}

async fn stall(State(s): State<Arc<Shared>>, Json(b): Json<StallBody>) -> Response {
    control(s).stall_streams(b.stalled);
    Json(json!({"stalled": b.stalled})).into_response()
}

async fn fail(State(s): State<Arc<Shared>>, Json(b): Json<FailBody>) -> Response {
    control(s)
        .force_failures(ForcedFailure {
            remaining: b.count,
            status: b.status,
            token: b.token,
            endpoint: b.endpoint,
        })
        .await;
    Json(json!({})).into_response()
}

async fn counts(State(s): State<Arc<Shared>>) -> Response {
    Json(control(s).counts().await).into_response()
}

async fn channels(State(s): State<Arc<Shared>>) -> Response {
    let list: Vec<_> = control(s)
        .channels()
        .await
        .into_iter()
        .map(|(id, kind)| json!({"id": id, "type": kind}))
        .collect();
    Json(list).into_response()
}

/// The `/_sim/` routes.
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim/posts", post(create_post))
        .route("/_sim/posts/{id}/revise", post(revise_post))
        .route("/_sim/posts/{id}/delete", post(delete_post))
        .route("/_sim/posts/{id}/repost", post(repost))
        .route("/_sim/follow", post(follow))
        .route("/_sim/unfollow", post(unfollow))
        .route("/_sim/messages", post(message))
        .route("/_sim/files", post(file))
        .route("/_sim/streams/drop", post(drop_streams))
        .route("/_sim/streams/stall", post(stall))
        .route("/_sim/fail", post(fail))
        .route("/_sim/counts", get(counts))
        .route("/_sim/channels", get(channels))
}
