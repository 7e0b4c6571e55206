//! The pnut REST API (`/v1/*`): envelope and errors (pnut-api.md §2.1–2.2), auth, pagination
//! (§2.3), user-stream subscriptions via `?connection_id=` (§3.1) and the rate-limit gate (§2.4).

mod actions;
mod channels;
mod files;

pub use files::file_token;
mod gate;
mod polls;
mod posts;
mod relations;
mod users;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde::Serialize;

use super::Shared;
use super::hub::{RawFlags, SubTarget, SubscribeError};
use super::ops::OpError;
use super::world::World;
use crate::pnut::{Envelope, Meta};

/// Query parameters, as received.
pub type Params = HashMap<String, String>;

/// A pnut error envelope with its status (`meta.code` mirrors it; no `data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// `meta.error_message`.
    pub message: String,
}

impl ApiError {
    /// An error with `status` and `message`.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// 404 naming the missing thing.
    pub fn not_found(what: &str) -> Self {
        Self::new(404, format!("{what} not found"))
    }
}

impl From<OpError> for ApiError {
    fn from(error: OpError) -> Self {
        Self::new(error.status(), error.to_string())
    }
}

impl From<SubscribeError> for ApiError {
    fn from(error: SubscribeError) -> Self {
        let status = match error {
            SubscribeError::WrongOwner(_) => 403,
            SubscribeError::UnknownConnection(_) | SubscribeError::Full(..) => 400,
        };
        Self::new(status, error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body: Envelope<()> = Envelope::error(status.as_u16(), self.message);
        (status, Json(body)).into_response()
    }
}

/// The token of a request: `Authorization: Bearer` or the `access_token` query parameter.
pub fn request_token(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .map(|token| token.trim().to_string())
        .filter(|token| !token.is_empty());
    bearer.or_else(|| {
        url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .find(|(key, _)| key == "access_token")
            .map(|(_, value)| value.into_owned())
            .filter(|token| !token.is_empty())
    })
}

/// The authenticated caller (a present but unknown token is rejected with 401).
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    /// The user, when a valid token was given.
    pub user_id: Option<u64>,
}

impl Caller {
    /// The user, or 401 when the call was anonymous.
    pub fn require(&self) -> Result<u64, ApiError> {
        self.user_id
            .ok_or_else(|| ApiError::new(401, "Call requires authentication: token required"))
    }
}

impl FromRequestParts<Arc<Shared>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = request_token(&parts.headers, parts.uri.query()) else {
            return Ok(Caller { user_id: None });
        };
        match state.world.lock().await.user_by_token(&token) {
            Some(user_id) => Ok(Caller {
                user_id: Some(user_id),
            }),
            None => Err(ApiError::new(401, "Token is not valid")),
        }
    }
}

/// A success response: the envelope with `meta.code` = `status`.
pub fn respond<T: Serialize>(status: u16, mut meta: Meta, data: T) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    meta.code = Some(status.as_u16());
    (
        status,
        Json(Envelope {
            meta,
            data: Some(data),
        }),
    )
        .into_response()
}

/// Parses a numeric path id (a non-numeric id is simply not found).
pub fn parse_id(raw: &str, what: &str) -> Result<u64, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found(what))
}

/// A boolean query flag (`1`/`true` or `0`/`false`), with a default.
pub fn flag(params: &Params, name: &str, default: bool) -> bool {
    match params.get(name).map(String::as_str) {
        Some("1") | Some("true") => true,
        Some("0") | Some("false") => false,
        _ => default,
    }
}

/// The raw flags of a request's query.
pub fn raw_flags(params: &Params) -> RawFlags {
    let all = flag(params, "include_raw", false);
    RawFlags {
        post: all || flag(params, "include_post_raw", false),
        channel: all || flag(params, "include_channel_raw", false),
    }
}

/// Applies pnut pagination (§2.3) to items keyed by pagination id (any order in).
/// Returns the page newest-first and the `more`/`min_id`/`max_id` meta.
pub fn paginate<T>(mut items: Vec<(u64, T)>, params: &Params) -> (Vec<(u64, T)>, Meta) {
    let since = params.get("since_id").and_then(|v| v.parse::<u64>().ok());
    let before = params.get("before_id").and_then(|v| v.parse::<u64>().ok());
    let count = params
        .get("count")
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|c| (1..=200).contains(&c.abs()))
        .unwrap_or(20);
    items.retain(|(id, _)| since.is_none_or(|s| *id > s) && before.is_none_or(|b| *id < b));
    items.sort_by_key(|item| std::cmp::Reverse(item.0));
    let wanted = count.unsigned_abs() as usize;
    let more = items.len() > wanted;
    let page: Vec<(u64, T)> = if count > 0 {
        items.into_iter().take(wanted).collect()
    } else {
        let skip = items.len().saturating_sub(wanted);
        items.into_iter().skip(skip).collect()
    };
    let meta = Meta {
        more: Some(more),
        max_id: page.first().map(|(id, _)| id.to_string()),
        min_id: page.last().map(|(id, _)| id.to_string()),
        ..Meta::default()
    };
    (page, meta)
}

/// Validates a `connection_id` subscribe request before the page is built (changes nothing).
pub fn check_subscription(world: &World, caller: Caller, params: &Params) -> Result<(), ApiError> {
    let Some(connection_id) = params.get("connection_id") else {
        return Ok(());
    };
    let user_id = caller.require()?;
    world.hub.check_subscribe(connection_id, user_id)?;
    Ok(())
}

/// Registers the subscription a `connection_id` call asks for; returns its id.
pub fn subscribe(
    world: &mut World,
    caller: Caller,
    params: &Params,
    target: SubTarget,
) -> Result<Option<String>, ApiError> {
    let Some(connection_id) = params.get("connection_id") else {
        return Ok(None);
    };
    let user_id = caller.require()?;
    let World { hub, rng, .. } = world;
    let raw = raw_flags(params);
    Ok(Some(hub.subscribe(
        connection_id,
        user_id,
        target,
        raw,
        rng,
    )?))
}

async fn not_found() -> ApiError {
    ApiError::new(404, "Endpoint not found")
}

/// The `/v1` REST routes (behind the rate-limit gate) and the 404 fallback.
pub fn routes(shared: Arc<Shared>) -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1/users/me/files", get(files::my_files))
        .route("/v1/users/me/actions", get(actions::actions))
        .route("/v1/users/me/muted", get(relations::muted))
        .route("/v1/users/me/blocked", get(relations::blocked))
        .route("/v1/users/search", get(relations::search_users))
        .route("/v1/posts/search", get(relations::search_posts))
        .route(
            "/v1/users/{user}/mute",
            put(relations::mute).delete(relations::unmute),
        )
        .route(
            "/v1/users/{user}/block",
            put(relations::block).delete(relations::unblock),
        )
        .route(
            "/v1/users/me/channels/subscribed",
            get(channels::subscribed),
        )
        .route(
            "/v1/users/me/streams/{connection_id}",
            delete(users::delete_stream),
        )
        .route(
            "/v1/users/me/streams/{connection_id}/{subscription_id}",
            delete(users::delete_subscription),
        )
        .route(
            "/v1/users/{user}",
            get(users::show).patch(relations::update_me),
        )
        .route("/v1/users/{user}/posts", get(users::posts))
        .route("/v1/users/{user}/mentions", get(users::mentions_of))
        .route("/v1/users/{user}/followers", get(users::followers))
        .route("/v1/users/{user}/following", get(users::following))
        .route(
            "/v1/users/{user}/follow",
            put(users::follow).delete(users::unfollow),
        )
        .route("/v1/token", get(users::token))
        .route("/v1/users", get(users::multi))
        .route("/v1/users/{user}/bookmarks", get(posts::bookmarks))
        .route("/v1/posts", get(posts::multi).post(posts::create))
        .route("/v1/posts/streams/me", get(posts::stream_me))
        .route("/v1/posts/streams/unified", get(posts::stream_unified))
        .route("/v1/posts/streams/global", get(posts::stream_global))
        .route("/v1/posts/tags/{tag}", get(posts::tagged))
        // pnutpy's `posts_with_hashtag` uses the singular form.
        .route("/v1/posts/tag/{tag}", get(posts::tagged))
        .route(
            "/v1/posts/{id}",
            get(posts::show).put(posts::revise).delete(posts::remove),
        )
        .route("/v1/posts/{id}/thread", get(posts::thread))
        .route(
            "/v1/posts/{id}/repost",
            put(posts::repost).delete(posts::unrepost),
        )
        .route(
            "/v1/posts/{id}/bookmark",
            put(posts::bookmark).delete(posts::unbookmark),
        )
        .route(
            "/v1/files",
            post(files::upload_file).layer(axum::extract::DefaultBodyLimit::max(
                usize::try_from(shared.options.max_upload_size.saturating_mul(2))
                    .unwrap_or(usize::MAX)
                    .saturating_add(1 << 20),
            )),
        )
        .route("/v1/polls", post(polls::create))
        .route("/v1/polls/{id}", get(polls::show))
        .route("/v1/polls/{id}/response", put(polls::respond_positions))
        .route(
            "/v1/polls/{id}/response/{position}",
            put(polls::respond_one),
        )
        .route(
            "/v1/files/{id}",
            get(files::show).put(files::update).delete(files::remove),
        )
        .route("/v1/channels/{id}", get(channels::show))
        .route(
            "/v1/channels/{id}/messages",
            get(channels::messages).post(channels::create_message),
        )
        .route(
            "/v1/channels/{id}/messages/{message_id}",
            get(channels::message).delete(channels::delete_message),
        )
        .route("/v1/channels/{id}/subscribers", get(channels::subscribers))
        .route("/v1/sys/config", get(channels::sys_config))
        .route_layer(middleware::from_fn_with_state(shared, gate::gate))
        .fallback(not_found)
}
