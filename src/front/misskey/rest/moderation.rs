//! Muting, blocking, searching and profile edits over pnut: `mute/*`, `blocking/*`
//! (`PUT`/`DELETE /users/{id}/mute|block`, `GET /users/me/muted|blocked`), `users/search`
//! (`GET /users/search`), `notes/search` (`GET /posts/search`), `i/update`
//! (`PATCH /users/me`).

use axum::http::StatusCode;
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::call::{Call, Reply};
use super::error::{Missing, RestError};
use super::notes::post_list_with;
use super::params::borrow_query;
use super::users::{client_id, to_json};
use crate::pnut::User;
use crate::translate::{
    pnut_date_to_misskey, pnut_user_to_detailed, pnut_user_to_lite, pnut_user_to_me,
};

/// The `userId` parameter (required) as a pnut user id.
fn user_id(call: &Call<'_>) -> Result<String, RestError> {
    call.params
        .pnut_id("userId", || {
            RestError::no_such_user(StatusCode::BAD_REQUEST)
        })?
        .ok_or_else(|| RestError::invalid_param("userId", "must have required property"))
}

/// `PUT`/`DELETE /users/{id}/{what}` → the user.
async fn set(call: &Call<'_>, what: &str, on: bool) -> Result<User, RestError> {
    let id = user_id(call)?;
    let method = if on { Method::PUT } else { Method::DELETE };
    call.write::<User>(method, &format!("/users/{id}/{what}"), None, Missing::User)
        .await?
        .ok_or_else(|| RestError::internal("pnut answered without the user"))
}

/// `mute/create` (`on`) / `mute/delete` → 204.
pub async fn mute(call: &Call<'_>, on: bool) -> Result<Reply, RestError> {
    call.token()?;
    set(call, "mute", on).await?;
    Ok(Reply::NoContent)
}

/// `blocking/create` (`on`) / `blocking/delete` → the user (UserDetailedNotMe).
pub async fn block(call: &Call<'_>, on: bool) -> Result<Reply, RestError> {
    call.token()?;
    let user = set(call, "block", on).await?;
    Ok(Reply::Json(to_json(&pnut_user_to_detailed(
        &user,
        &call.ctx.translate,
    )?)?))
}

/// `mute/list` / `blocking/list` (`blocking`): `GET /users/me/muted|blocked` as Muting /
/// Blocking items, paged by pnut's pagination ids; pnut keeps no time or expiry of either
/// (`createdAt`: the user's account creation; `expiresAt`: null).
pub async fn list(call: &Call<'_>, blocking: bool) -> Result<Reply, RestError> {
    call.token()?;
    let page = call.params.page()?;
    let query = page.pnut_query();
    let path = if blocking {
        "/users/me/blocked"
    } else {
        "/users/me/muted"
    };
    let users: Vec<User> = call
        .get(path, &borrow_query(&query), Missing::Other)
        .await?;
    let opts = &call.ctx.translate;
    let mut items = Vec::new();
    for user in &users {
        let key = user.pagination_id.as_deref().unwrap_or(&user.id);
        let detailed = to_json(&pnut_user_to_detailed(user, opts)?)?;
        let mut item = json!({
            "id": client_id(call, key)?,
            "createdAt": pnut_date_to_misskey(&user.created_at).unwrap_or_default(),
        });
        if blocking {
            item["blockeeId"] = detailed["id"].clone();
            item["blockee"] = detailed;
        } else {
            item["expiresAt"] = Value::Null;
            item["muteeId"] = detailed["id"].clone();
            item["mutee"] = detailed;
        }
        items.push(item);
    }
    Ok(Reply::Json(Value::Array(page.order(items))))
}

/// `users/search` (`query`, `limit`, `offset`, `detail`): `GET /users/search?q=`.
pub async fn search_users(call: &Call<'_>) -> Result<Reply, RestError> {
    let params = &call.params;
    let query = params.required_string("query")?.trim().to_owned();
    let limit = params.integer("limit", 10, 1..=100)?;
    let offset = params.integer("offset", 0, 0..=10_000)?;
    let detail = params.flag("detail", true)?;
    if query.is_empty() {
        return Ok(Reply::Json(Value::Array(Vec::new())));
    }
    let count = (limit + offset).min(200).to_string();
    let users: Vec<User> = call
        .get(
            "/users/search",
            &[("q", query.as_str()), ("count", count.as_str())],
            Missing::Other,
        )
        .await?;
    let opts = &call.ctx.translate;
    let skip = usize::try_from(offset).unwrap_or(usize::MAX);
    let take = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut items = Vec::new();
    for user in users.iter().skip(skip).take(take) {
        items.push(if detail {
            to_json(&pnut_user_to_detailed(user, opts)?)?
        } else {
            to_json(&pnut_user_to_lite(user, opts)?)?
        });
    }
    Ok(Reply::Json(Value::Array(items)))
}

/// `notes/search` (`query`, pagination): `GET /posts/search?q=`.
pub async fn search_notes(call: &Call<'_>) -> Result<Reply, RestError> {
    let query = call.params.required_string("query")?.trim().to_owned();
    if query.is_empty() {
        return Ok(Reply::Json(Value::Array(Vec::new())));
    }
    post_list_with(
        call,
        "/posts/search",
        false,
        Missing::Other,
        vec![("q", query)],
    )
    .await
}

/// `i/update`: `name` → pnut `name`, `description` → the profile text (`content.text`),
/// `PATCH /users/me` → MeDetailed. Settings pnut has no place for are not stored: a call
/// carrying only those is refused (`INVALID_PARAM` naming the first) rather than answered
/// as if saved.
pub async fn update_me(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    let params = &call.params;
    let mut body = Map::new();
    if let Some(name) = params.string("name")? {
        body.insert("name".into(), json!(name));
    }
    if let Some(description) = params.string("description")? {
        body.insert("content".into(), json!({"text": description}));
    }
    if body.is_empty() {
        let first = params
            .names()
            .into_iter()
            .find(|name| *name != "i")
            .unwrap_or("name");
        return Err(RestError::invalid_param(
            first,
            "pnut profiles keep only name and description",
        ));
    }
    let user = call
        .write::<User>(
            Method::PATCH,
            "/users/me",
            Some(&Value::Object(body)),
            Missing::Other,
        )
        .await?
        .ok_or_else(|| RestError::internal("pnut answered without the user"))?;
    let mut me = to_json(&pnut_user_to_me(&user, &call.ctx.translate)?)?;
    me["policies"] = Value::Object(super::meta::policies());
    Ok(Reply::Json(me))
}
