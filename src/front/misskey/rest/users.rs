//! User and account endpoints over pnut: `i`, `users/show`, `users/notes`, `following/*`
//! (mapping.md §3.3).

use axum::http::StatusCode;
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use super::call::{Call, Reply};
use super::error::{Missing, RestError};
use super::notes::post_list;
use crate::pnut::User;
use crate::translate::{pnut_user_to_detailed, pnut_user_to_lite, pnut_user_to_me};

/// A value as JSON (`INTERNAL_ERROR` if it cannot be).
pub fn to_json<T: Serialize>(value: &T) -> Result<Value, RestError> {
    serde_json::to_value(value).map_err(|error| RestError::internal(&error.to_string()))
}

fn no_such_user_show() -> RestError {
    RestError::no_such_user(StatusCode::NOT_FOUND)
}

fn no_such_user() -> RestError {
    RestError::no_such_user(StatusCode::BAD_REQUEST)
}

/// A pnut id as Misskey clients see it (zero-padded, `[ids] pnut_id_width`).
pub fn client_id(call: &Call<'_>, id: &str) -> Result<String, RestError> {
    crate::ids::pnut_id_to_misskey(id, call.ctx.translate.pnut_id_width)
        .map_err(|error| RestError::internal(&format!("untranslatable pnut id: {error}")))
}

/// `GET /users/me` (the caller's pnut user).
pub async fn me_user(call: &Call<'_>) -> Result<User, RestError> {
    call.token()?;
    call.get("/users/me", &[], Missing::Other).await
}

/// `i` → MeDetailed, with the policies `meta` shows (what the bridge serves).
pub async fn me(call: &Call<'_>) -> Result<Reply, RestError> {
    let user = me_user(call).await?;
    let mut me = to_json(&pnut_user_to_me(&user, &call.ctx.translate)?)?;
    me["policies"] = Value::Object(super::meta::policies());
    Ok(Reply::Json(me))
}

/// `users/show`: by `userId`, `username` (local only: a non-null `host` names nobody here)
/// or `userIds` (a list; unknown ids are left out). Missing user → `NO_SUCH_USER` 404.
pub async fn show(call: &Call<'_>) -> Result<Reply, RestError> {
    let params = &call.params;
    let opts = &call.ctx.translate;
    if let Some(ids) = params.strings("userIds")? {
        let ids: Vec<String> = ids
            .iter()
            .filter_map(|id| crate::ids::pnut_id_from_misskey(id).ok())
            .collect();
        if ids.is_empty() {
            return Ok(Reply::Json(Value::Array(Vec::new())));
        }
        let joined = ids.join(",");
        let users: Vec<User> = call
            .get("/users", &[("ids", joined.as_str())], Missing::Other)
            .await?;
        let detailed = users
            .iter()
            .filter_map(|user| pnut_user_to_detailed(user, opts).ok())
            .map(|user| to_json(&user))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Reply::Json(Value::Array(detailed)));
    }
    let path = if let Some(id) = params.pnut_id("userId", no_such_user_show)? {
        format!("/users/{id}")
    } else if let Some(username) = params.string("username")? {
        if params.string("host")?.is_some() {
            return Err(no_such_user_show());
        }
        let valid = !username.is_empty()
            && username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(no_such_user_show());
        }
        format!("/users/@{username}")
    } else {
        return Err(RestError::invalid_param(
            "userId",
            "one of userId, userIds or username is required",
        ));
    };
    let user: User = call.get(&path, &[], Missing::UserShow).await?;
    Ok(Reply::Json(to_json(&pnut_user_to_detailed(&user, opts)?)?))
}

/// `users/notes`: `GET /users/{id}/posts`, paginated.
pub async fn notes(call: &Call<'_>) -> Result<Reply, RestError> {
    let id = call
        .params
        .pnut_id("userId", no_such_user)?
        .ok_or_else(|| RestError::invalid_param("userId", "must have required property"))?;
    post_list(call, &format!("/users/{id}/posts"), false, Missing::User).await
}

/// `following/create` (`on`) / `delete`: `PUT` / `DELETE /users/{id}/follow` → the
/// followee as UserLite.
pub async fn follow(call: &Call<'_>, on: bool) -> Result<Reply, RestError> {
    call.token()?;
    let id = call
        .params
        .pnut_id("userId", no_such_user)?
        .ok_or_else(|| RestError::invalid_param("userId", "must have required property"))?;
    let method = if on { Method::PUT } else { Method::DELETE };
    let user = call
        .write::<User>(method, &format!("/users/{id}/follow"), None, Missing::User)
        .await?
        .ok_or_else(|| RestError::internal("pnut answered the follow without data"))?;
    Ok(Reply::Json(to_json(&pnut_user_to_lite(
        &user,
        &call.ctx.translate,
    )?)?))
}
