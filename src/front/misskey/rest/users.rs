//! User, account and drive endpoints over pnut: `i`, `users/show`, `users/notes`,
//! `following/*`, `i/notifications`, `drive/files` (mapping.md §3.3).

use axum::http::StatusCode;
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use super::call::{Call, Reply};
use super::error::{Missing, RestError};
use super::notes::post_list;
use super::params::borrow_query;
use crate::pnut::{File, Post, User};
use crate::translate::{
    file_to_drive_file, follower_to_notification, mention_to_notification, pnut_date_to_misskey,
    pnut_user_to_detailed, pnut_user_to_lite, pnut_user_to_me,
};

fn to_json<T: Serialize>(value: &T) -> Result<Value, RestError> {
    serde_json::to_value(value).map_err(|error| RestError::internal(&error.to_string()))
}

fn no_such_user_show() -> RestError {
    RestError::no_such_user(StatusCode::NOT_FOUND)
}

fn no_such_user() -> RestError {
    RestError::no_such_user(StatusCode::BAD_REQUEST)
}

/// `GET /users/me` (the caller's pnut user).
async fn me_user(call: &Call<'_>) -> Result<User, RestError> {
    call.token()?;
    call.get("/users/me", &[], Missing::Other).await
}

/// `i` → MeDetailed.
pub async fn me(call: &Call<'_>) -> Result<Reply, RestError> {
    let user = me_user(call).await?;
    Ok(Reply::Json(to_json(&pnut_user_to_me(
        &user,
        &call.ctx.translate,
    )?)?))
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

/// `i/notifications`: my mentions (paginated) as `mention`/`reply` notifications; on the
/// first page (no `sinceId`/`untilId`) my newest followers follow as `follow`
/// notifications (pnut has no follow time: the follower's account creation time stands in),
/// filtered by `includeTypes`/`excludeTypes`, all cut to `limit`. `markAsRead` has no pnut
/// counterpart and is ignored.
pub async fn notifications(call: &Call<'_>) -> Result<Reply, RestError> {
    let me = me_user(call).await?;
    let opts = &call.ctx.translate;
    let page = call.params.page()?;
    let query = page.pnut_query();
    let mentions: Vec<Post> = call
        .get("/users/me/mentions", &borrow_query(&query), Missing::Other)
        .await?;
    let mut items = Vec::new();
    for post in &mentions {
        match mention_to_notification(post, None, &me.id, opts) {
            Ok(Some(notification)) => items.push(to_json(&notification)?),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "misskey REST: dropping a mention"),
        }
    }
    let mut items = page.order(items);
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    if page.since.is_none() && page.until.is_none() && items.len() < limit {
        let count = limit.to_string();
        let followers: Vec<User> = call
            .get(
                "/users/me/followers",
                &[("count", count.as_str())],
                Missing::Other,
            )
            .await?;
        for follower in &followers {
            let Ok(created_at) = pnut_date_to_misskey(&follower.created_at) else {
                continue;
            };
            match follower_to_notification(follower, &created_at, opts) {
                Ok(notification) => items.push(to_json(&notification)?),
                Err(error) => tracing::warn!(%error, "misskey REST: dropping a follower"),
            }
        }
    }
    let include = call.params.strings("includeTypes")?;
    let exclude = call.params.strings("excludeTypes")?.unwrap_or_default();
    items.retain(|item| {
        let kind = item["type"].as_str().unwrap_or_default();
        include.as_ref().is_none_or(|wanted| wanted.contains(&kind)) && !exclude.contains(&kind)
    });
    items.truncate(limit);
    Ok(Reply::Json(Value::Array(items)))
}

/// `drive/files`: `GET /users/me/files`, paginated.
pub async fn drive_files(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    let page = call.params.page()?;
    let query = page.pnut_query();
    let files: Vec<File> = call
        .get("/users/me/files", &borrow_query(&query), Missing::Other)
        .await?;
    let mut out = Vec::new();
    for file in files.iter().filter(|file| file.is_deleted != Some(true)) {
        match file_to_drive_file(file, &call.ctx.translate) {
            Ok(drive_file) => out.push(to_json(&drive_file)?),
            Err(error) => tracing::warn!(%error, "misskey REST: dropping a file"),
        }
    }
    Ok(Reply::Json(Value::Array(page.order(out))))
}
