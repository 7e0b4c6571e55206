//! Subscribe-only handlers on the subscribable paths, for tests: the real paths belong to the
//! pnut REST front, which calls [`subscribe`](super::subscribe::subscribe) itself. Not merged
//! into the app (axum refuses duplicate routes).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use super::auth::{error_response, presented_token};
use super::subscribe::subscribe;
use crate::front::BridgeContext;
use crate::misskey::{MeDetailed, Note};
use crate::pnut::{Envelope, Post};
use crate::translate::{Translated, note_to_post};

/// Paths of the subscribable endpoints (mapping.md §4.2).
pub const SUBSCRIBABLE_PATHS: &[&str] = &[
    "/v1/posts/streams/me",
    "/v1/posts/streams/unified",
    "/v1/users/me/posts",
    "/v1/users/me/mentions",
    "/v1/posts/{post_id}/thread",
    "/v1/users/me/followers",
    "/v1/users/me/following",
    "/v1/channels/{channel_id}/messages",
    "/v1/token",
    "/v1/users/me/files",
    "/v1/users/me/channels/subscribed",
];

/// Subscribe-only routes on [`SUBSCRIBABLE_PATHS`]: a call with `?connection_id=` subscribes
/// and answers a first page of posts (note endpoints only; others an empty list) with
/// `meta.subscription_id`.
pub fn subscribe_routes(ctx: Arc<BridgeContext>) -> Router {
    let mut router = Router::new();
    for path in SUBSCRIBABLE_PATHS {
        router = router.route(path, get(handle));
    }
    router.with_state(ctx)
}

async fn handle(State(ctx): State<Arc<BridgeContext>>, headers: HeaderMap, uri: Uri) -> Response {
    let Some(token) = presented_token(&headers, uri.query()).and_then(|t| ctx.upstream_token(&t))
    else {
        return error_response(401, "Call requires authentication: token required");
    };
    let query: BTreeMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let (subscription_id, plan) = match subscribe(&ctx, &token, uri.path(), &query).await {
        Ok(done) => done,
        Err(error) => return error.response(),
    };
    let mut posts: Vec<Post> = Vec::new();
    for endpoint in &plan.first_page {
        let mut body = Map::new();
        body.insert("limit".to_owned(), json!(20));
        if endpoint == "users/notes" {
            match ctx
                .misskey
                .read::<MeDetailed>(&token, "i", Map::new())
                .await
            {
                Ok(me) => {
                    body.insert("userId".to_owned(), json!(me.user.lite.id));
                }
                Err(_) => continue,
            }
        } else if !matches!(endpoint.as_str(), "notes/timeline" | "notes/mentions") {
            continue;
        }
        let Ok(notes) = ctx.misskey.read::<Vec<Note>>(&token, endpoint, body).await else {
            continue;
        };
        for note in &notes {
            if let Ok(Translated::Done(post)) = note_to_post(note, None, &ctx.translate)
                && !posts.iter().any(|p| p.id == post.id)
            {
                posts.push(post);
            }
        }
    }
    let data: Vec<Value> = posts
        .iter()
        .filter_map(|p| serde_json::to_value(p).ok())
        .collect();
    let mut envelope = Envelope::ok(200, data);
    envelope.meta.subscription_id = Some(subscription_id);
    Json(envelope).into_response()
}
