//! The REST a pnut tool calls beyond streams (issue 15: pnutpy's API methods, pnutty's
//! commands), each over its Misskey counterpart: search, tags, lookups by ids, server stats,
//! the profile, drive files and the token's logout.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::objects::{Caller, body1};
use super::params::{Page, Query, misskey_id};
use super::reply::{RestError, RestResult, newest_first, ok, page};
use crate::misskey::{DriveFile, UserDetailed};
use crate::pnut::User;
use crate::translate;

/// The comma-separated `ids` query parameter as Misskey ids (at most 200, as pnut allows).
fn ids_param(caller: Caller<'_>, query: &Query) -> Result<Vec<String>, RestError> {
    let ids = query
        .get("ids")
        .ok_or_else(|| RestError::BadRequest("ids is required".to_owned()))?;
    ids.split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .take(200)
        .map(|id| misskey_id(caller.ctx, id, "ids"))
        .collect()
}

/// The search text `q` (required).
fn search_text(query: &Query) -> Result<String, RestError> {
    query
        .get("q")
        .filter(|q| !q.trim().is_empty())
        .cloned()
        .ok_or_else(|| RestError::BadRequest("q is required".to_owned()))
}

fn users_of(caller: Caller<'_>, rows: &[UserDetailed]) -> Result<Vec<(String, User)>, RestError> {
    let mut users = Vec::new();
    for row in rows {
        let mut user = translate::misskey_detailed_to_pnut(row, &caller.ctx.translate)?;
        user.pagination_id = Some(user.id.clone());
        users.push((user.id.clone(), user));
    }
    Ok(users)
}

/// `GET /users/search?q=` → `users/search`.
pub async fn search_users(caller: Caller<'_>, query: &Query) -> RestResult {
    let page_params = Page::from_query(caller.ctx, query)?;
    let mut body = body1("query", json!(search_text(query)?));
    body.insert("limit".into(), page_params.body["limit"].clone());
    let rows: Vec<UserDetailed> = caller.read("users/search", body).await?;
    let mut users = users_of(caller, &rows)?;
    let more = page_params.cut(&mut users);
    page(users, more)
}

/// `GET /users?ids=` → `users/show` with `userIds` (unknown ids left out).
pub async fn users_by_ids(caller: Caller<'_>, query: &Query) -> RestResult {
    let ids = ids_param(caller, query)?;
    let rows: Vec<UserDetailed> = caller
        .read("users/show", body1("userIds", json!(ids)))
        .await?;
    page(users_of(caller, &rows)?, false)
}

/// `GET /posts/search?q=` → `notes/search`.
pub async fn search_posts(caller: Caller<'_>, query: &Query) -> RestResult {
    let page_params = Page::from_query(caller.ctx, query)?;
    let body = page_params.body_with(&[("query", json!(search_text(query)?))]);
    let (posts, more) = caller
        .post_list(&[("notes/search", body)], &page_params)
        .await?;
    page(posts, more)
}

/// `GET /posts/tag/{tag}` → `notes/search-by-tag`.
pub async fn tagged_posts(caller: Caller<'_>, tag: &str, query: &Query) -> RestResult {
    let page_params = Page::from_query(caller.ctx, query)?;
    let tag = tag.trim_start_matches('#');
    if tag.is_empty() {
        return Err(RestError::BadRequest("tag is required".to_owned()));
    }
    let body = page_params.body_with(&[("tag", json!(tag))]);
    let (posts, more) = caller
        .post_list(&[("notes/search-by-tag", body)], &page_params)
        .await?;
    page(posts, more)
}

/// `GET /posts?ids=` → `notes/show` per id (missing or hidden ones left out).
pub async fn posts_by_ids(caller: Caller<'_>, query: &Query) -> RestResult {
    let mut posts = Vec::new();
    for id in ids_param(caller, query)? {
        match caller.post(&id).await {
            Ok(post) => posts.push((post.id.clone(), post)),
            Err(RestError::NotFound(_)) => {}
            Err(RestError::Upstream(error)) if error.status() == Some(400) => {}
            Err(error) => return Err(error),
        }
    }
    newest_first(&mut posts);
    page(posts, false)
}

/// `GET /sys/stats` → Misskey `stats`: users and posts counted upstream.
pub async fn sys_stats(caller: Caller<'_>) -> RestResult {
    let stats: Value = caller.read("stats", Map::new()).await?;
    let count = |key: &str| stats.get(key).and_then(Value::as_u64).unwrap_or_default();
    ok(
        StatusCode::OK,
        json!({"users": count("usersCount"), "posts": count("notesCount")}),
    )
}

/// `PATCH /users/me` (JSON `name`, `content.text`) → `i/update`; answers the user.
pub async fn update_me(caller: Caller<'_>, body: &[u8]) -> RestResult {
    let patch: Value = serde_json::from_slice(body)
        .map_err(|e| RestError::BadRequest(format!("invalid JSON body: {e}")))?;
    let mut update = Map::new();
    if let Some(name) = patch.get("name").and_then(Value::as_str) {
        update.insert("name".into(), json!(name));
    }
    if let Some(text) = patch.pointer("/content/text").and_then(Value::as_str) {
        update.insert("description".into(), json!(text));
    }
    if update.is_empty() {
        return Err(RestError::BadRequest("nothing to update".to_owned()));
    }
    let me: crate::misskey::MeDetailed =
        serde_json::from_value(caller.write("i/update", update).await?)?;
    ok(
        StatusCode::OK,
        translate::misskey_me_to_pnut(&me, &caller.ctx.translate)?,
    )
}

/// `GET /files/{id}` → `drive/files/show`; `DELETE` → `drive/files/delete`, answering the
/// file with `is_deleted`.
pub async fn file(caller: Caller<'_>, file_id: &str, delete: bool) -> RestResult {
    let misskey_file = misskey_id(caller.ctx, file_id, "file id")?;
    let row: DriveFile = caller
        .read("drive/files/show", body1("fileId", json!(misskey_file)))
        .await?;
    let mut file = translate::drive_file_to_file(&row, &caller.ctx.translate)?;
    file.file_token = Some(super::upload::file_token(&file.id));
    if delete {
        caller
            .write("drive/files/delete", body1("fileId", json!(misskey_file)))
            .await?;
        file.is_deleted = Some(true);
    }
    ok(StatusCode::OK, file)
}
