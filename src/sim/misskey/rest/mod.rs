//! `POST /api/<endpoint>` (misskey.md §7–§8): token from Bearer or body `i`, rate limits and
//! forced failures, Misskey error bodies, 200 JSON or 204 empty exactly where Misskey does.

mod error;
mod misc;
mod notes;
mod params;
mod relations;
mod search;
mod upload;
mod users;

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value};

use super::Shared;
use super::aidx::now_ms;
use super::ratelimit::Refusal;
use super::world::World;
pub use error::ApiError;
use params::Params;

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// 200 with a JSON body.
    Json(Value),
    /// 204, empty body, no `Content-Type`.
    NoContent,
}

/// What a handler knows about the call.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// The caller (None = anonymous).
    pub user_id: Option<&'a str>,
    /// The JSON body.
    pub params: Params<'a>,
}

impl Call<'_> {
    /// The caller's id (credential endpoints only run with a user).
    pub fn me(&self) -> Result<&str, ApiError> {
        self.user_id.ok_or_else(ApiError::credential_required)
    }
}

/// Whether the endpoint exists, and whether it requires a credential.
fn requires_credential(endpoint: &str) -> Option<bool> {
    let credential = [
        "i",
        "notes/timeline",
        "notes/hybrid-timeline",
        "notes/mentions",
        "notes/create",
        "notes/delete",
        "notes/reactions/create",
        "notes/reactions/delete",
        "notes/unrenote",
        "notes/favorites/create",
        "notes/favorites/delete",
        "following/create",
        "following/delete",
        "drive/files",
        "drive/files/create",
        "drive/files/update",
        "drive/files/delete",
        "i/notifications",
        "i/update",
        "channels/followed",
        "channels/follow",
        "channels/unfollow",
        "drive/files/show",
        "mute/create",
        "mute/delete",
        "mute/list",
        "blocking/create",
        "blocking/delete",
        "blocking/list",
        "i/favorites",
        "users/reactions",
    ];
    let open = [
        "meta",
        "notes/local-timeline",
        "notes/global-timeline",
        "notes/show",
        "notes/children",
        "notes/replies",
        "notes/conversation",
        "notes/renotes",
        "users/notes",
        "users/show",
        "users/followers",
        "users/following",
        "channels/timeline",
        "channels/show",
        "emojis",
        "users/search",
        "notes/search",
        "notes/search-by-tag",
        "stats",
    ];
    if credential.contains(&endpoint) {
        Some(true)
    } else if open.contains(&endpoint) {
        Some(false)
    } else {
        None
    }
}

/// Runs one endpoint.
fn dispatch(world: &mut World, endpoint: &str, call: Call<'_>) -> Result<Reply, ApiError> {
    match endpoint {
        "i" | "users/show" | "users/followers" | "users/following" | "following/create"
        | "following/delete" | "i/notifications" | "drive/files" | "drive/files/update"
        | "drive/files/delete" | "i/update" => users::handle(world, endpoint, call),
        "meta" | "emojis" | "channels/show" | "channels/timeline" | "channels/followed"
        | "channels/follow" | "channels/unfollow" => misc::handle(world, endpoint, call),
        "users/search" | "notes/search" | "notes/search-by-tag" | "stats" | "drive/files/show" => {
            search::handle(world, endpoint, call)
        }
        "mute/create" | "mute/delete" | "mute/list" | "blocking/create" | "blocking/delete"
        | "blocking/list" | "i/favorites" | "users/reactions" => {
            relations::handle(world, endpoint, call)
        }
        _ => notes::handle(world, endpoint, call),
    }
}

/// Adds the headers every `/api` answer carries.
fn api_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=0, must-revalidate"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

/// A response with `status` and no body.
fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// Turns a handler result into the HTTP response.
fn respond(result: Result<Reply, ApiError>) -> Response {
    let mut response = match result {
        Ok(Reply::Json(value)) => {
            let mut response = Response::new(Body::from(value.to_string()));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            response
        }
        Ok(Reply::NoContent) => empty(StatusCode::NO_CONTENT),
        Err(error) => error.into_response(),
    };
    api_headers(&mut response);
    response
}

/// Holds a call of a stalled `token` until the token is released, counted in the world's
/// `held_calls` meanwhile.
async fn hold(shared: &Shared, token: &str, endpoint: &str) {
    let mut released = shared.stalled_calls.subscribe();
    *shared
        .world
        .lock()
        .await
        .held_calls
        .entry(endpoint.to_owned())
        .or_insert(0) += 1;
    // Never errors: `shared` owns the sender.
    let _ = released.wait_for(|tokens| !tokens.contains(token)).await;
    let mut world = shared.world.lock().await;
    if let Some(count) = world.held_calls.get_mut(endpoint) {
        *count = count.saturating_sub(1);
        if *count == 0 {
            world.held_calls.remove(endpoint);
        }
    }
}

/// The `/api/{*endpoint}` handler.
pub async fn handle(
    State(shared): State<Arc<Shared>>,
    Path(endpoint): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(needs_user) = requires_credential(&endpoint) else {
        return respond(Err(ApiError::unknown_endpoint()));
    };
    let get_allowed = endpoint == "emojis";
    if method != Method::POST && !(get_allowed && method == Method::GET) {
        return empty(StatusCode::METHOD_NOT_ALLOWED);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    let mut file = None;
    let body: Map<String, Value> = if upload::is_multipart(content_type) {
        let Some(form) = upload::read_form(content_type.unwrap_or_default(), body).await else {
            // Misskey: "multipart payload not received", 400 with no body.
            return empty(StatusCode::BAD_REQUEST);
        };
        file = form.file;
        form.fields
    } else if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice(&body) {
            Ok(Value::Object(body)) => body,
            _ => return respond(Err(ApiError::invalid_param("#/type", "must be object"))),
        }
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::to_string);
    let token = match (bearer, body.get("i")) {
        (Some(bearer), _) => Some(bearer),
        (None, None | Some(Value::Null)) => None,
        (None, Some(Value::String(token))) => Some(token.clone()),
        (None, Some(_)) => return empty(StatusCode::BAD_REQUEST),
    };
    if let Some(token) = &token
        && shared.stalled_calls.borrow().contains(token)
    {
        hold(&shared, token, &endpoint).await;
    }
    let mut world = shared.world.lock().await;
    *world.calls.entry(endpoint.clone()).or_insert(0) += 1;
    if let Err(refusal) = world.gate.check(token.as_deref(), &endpoint) {
        return respond(Err(match refusal {
            Refusal::RateLimited { total, reset_in } => {
                let reset_ms = now_ms() + i64::try_from(reset_in.as_millis()).unwrap_or(0);
                ApiError::rate_limited(
                    total,
                    reset_ms,
                    u32::try_from(reset_in.as_millis().div_ceil(1000))
                        .unwrap_or(u32::MAX)
                        .max(1),
                )
            }
            Refusal::Internal => ApiError::internal(),
        }));
    }
    let user_id = match token {
        None => None,
        Some(token) => match world.user_by_token(&token) {
            Some(user) => Some(user.id.clone()),
            None => return respond(Err(ApiError::authentication_failed())),
        },
    };
    if needs_user && user_id.is_none() {
        return respond(Err(ApiError::credential_required()));
    }
    if endpoint == "drive/files/create"
        && let Some(me) = user_id.as_deref()
    {
        let max = shared.options.max_upload_size;
        return respond(upload::create(&mut world, me, &body, file, max));
    }
    let call = Call {
        user_id: user_id.as_deref(),
        params: Params::new(&body),
    };
    respond(dispatch(&mut world, &endpoint, call))
}
