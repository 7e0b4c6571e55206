//! User endpoints: i, users/show|followers|following, following/create|delete,
//! i/notifications, i/update, drive/files, drive/files/update|delete.

use axum::http::StatusCode;
use serde_json::Value;

use super::super::ops::{self, OpError};
use super::super::pack;
use super::super::profile;
use super::super::world::World;
use super::params::paginate;
use super::{ApiError, Call, Reply};

/// The target of users/show: `userId`, `userIds` or `username`.
fn show(world: &World, call: Call<'_>) -> Result<Reply, ApiError> {
    let not_found = || ApiError::no_such_user(StatusCode::NOT_FOUND);
    let ids = call.params.ids("userIds")?;
    if !ids.is_empty() {
        let users: Vec<Value> = ids
            .iter()
            .filter_map(|id| world.user(id))
            .map(|user| pack::user_detailed(world, user, call.user_id))
            .collect();
        return Ok(Reply::Json(Value::Array(users)));
    }
    let user = if let Some(id) = call.params.opt_id("userId")? {
        world.user(&id)
    } else if let Some(name) = call.params.opt_str("username")? {
        let host = call.params.opt_str("host")?;
        if host.is_some() {
            None
        } else {
            world.user_by_name(&name)
        }
    } else {
        return Err(ApiError::invalid_param(
            "#/anyOf",
            "must match a schema in anyOf",
        ));
    };
    let user = user.ok_or_else(not_found)?;
    Ok(Reply::Json(pack::user_detailed(world, user, call.user_id)))
}

/// users/followers (`followers` = true) or users/following.
fn relations(world: &World, call: Call<'_>, followers: bool) -> Result<Reply, ApiError> {
    let user_id = if let Some(id) = call.params.opt_id("userId")? {
        id
    } else if let Some(name) = call.params.opt_str("username")? {
        world
            .user_by_name(&name)
            .map(|user| user.id.clone())
            .ok_or_else(|| ApiError::no_such_user(StatusCode::BAD_REQUEST))?
    } else {
        return Err(ApiError::invalid_param(
            "#/anyOf",
            "must match a schema in anyOf",
        ));
    };
    if world.user(&user_id).is_none() {
        return Err(ApiError::no_such_user(StatusCode::BAD_REQUEST));
    }
    let page = call.params.page()?;
    let mut items: Vec<(String, Value)> = world
        .follows
        .iter()
        .filter(|f| {
            if followers {
                f.followee_id == user_id
            } else {
                f.follower_id == user_id
            }
        })
        .map(|f| (f.id.clone(), pack::following(world, f, followers)))
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Reply::Json(Value::Array(paginate(items, &page))))
}

/// Runs one user endpoint.
pub fn handle(world: &mut World, endpoint: &str, call: Call<'_>) -> Result<Reply, ApiError> {
    match endpoint {
        "i" => {
            let me = call.me()?;
            let user = world.user(me).ok_or_else(ApiError::authentication_failed)?;
            Ok(Reply::Json(pack::me_detailed(world, user)))
        }
        "users/show" => show(world, call),
        "users/followers" => relations(world, call, true),
        "users/following" => relations(world, call, false),
        "following/create" | "following/delete" => {
            let me = call.me()?.to_string();
            let target = call.params.req_id("userId")?;
            if endpoint == "following/create" {
                ops::follow(world, &me, &target)?;
            } else {
                ops::unfollow(world, &me, &target)?;
            }
            let user = world
                .user(&target)
                .map(|user| pack::user_lite(world, user))
                .unwrap_or(Value::Null);
            Ok(Reply::Json(user))
        }
        "i/notifications" => {
            let me = call.me()?.to_string();
            let page = call.params.page()?;
            let mark_as_read = call.params.flag("markAsRead", true)?;
            let include: Vec<String> = string_list(call, "includeTypes")?;
            let exclude: Vec<String> = string_list(call, "excludeTypes")?;
            let items: Vec<(String, Value)> = world
                .notifications
                .values()
                .filter(|n| n.owner_id == me)
                .filter(|n| include.is_empty() || include.contains(&n.kind))
                .filter(|n| !exclude.contains(&n.kind))
                .map(|n| (n.id.clone(), pack::notification(world, n)))
                .collect();
            let page = paginate(items, &page);
            if mark_as_read {
                ops::read_all_notifications(world, &me);
            }
            Ok(Reply::Json(Value::Array(page)))
        }
        "drive/files" => {
            let me = call.me()?.to_string();
            let page = call.params.page()?;
            let mime = call.params.opt_str("type")?;
            let items: Vec<(String, Value)> = world
                .files
                .values()
                .filter(|f| f.user_id == me)
                .filter(|f| {
                    mime.as_deref()
                        .is_none_or(|pattern| mime_matches(pattern, &f.mime))
                })
                .map(|f| (f.id.clone(), pack::drive_file(world, f)))
                .collect();
            Ok(Reply::Json(Value::Array(paginate(items, &page))))
        }
        "i/update" => {
            let me = call.me()?.to_string();
            let name = call.params.opt_str("name")?;
            let description = call.params.opt_str("description")?;
            profile::update_me(world, &me, name, description)?;
            let user = world
                .user(&me)
                .ok_or_else(ApiError::authentication_failed)?;
            Ok(Reply::Json(pack::me_detailed(world, user)))
        }
        "drive/files/update" => {
            let me = call.me()?.to_string();
            let file_id = call.params.req_id("fileId")?;
            if let Some(name) = call.params.opt_str("name")? {
                profile::rename_file(world, &me, &file_id, &name)?;
            }
            let file = world.files.get(&file_id).ok_or(OpError::NoSuchFile)?;
            Ok(Reply::Json(pack::drive_file(world, file)))
        }
        "drive/files/delete" => {
            let me = call.me()?.to_string();
            let file_id = call.params.req_id("fileId")?;
            profile::delete_file(world, &me, &file_id)?;
            Ok(Reply::NoContent)
        }
        _ => Err(ApiError::unknown_endpoint()),
    }
}

/// A list of strings (absent → empty).
fn string_list(call: Call<'_>, name: &str) -> Result<Vec<String>, ApiError> {
    let values = call.params.opt_strings(name)?;
    Ok(values.unwrap_or_default())
}

/// `image/*`-style MIME pattern matching.
fn mime_matches(pattern: &str, mime: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => mime.starts_with(prefix),
        None => pattern == mime,
    }
}
