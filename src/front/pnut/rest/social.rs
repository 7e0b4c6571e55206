//! The user-relation REST a pnut tool calls (issue 15): mutes and blocks with their lists,
//! bookmarks and the user's actions (Misskey notifications), each over its Misskey
//! counterpart.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::objects::{Caller, body1};
use super::params::{Page, Query};
use super::reply::{RestError, RestResult, newest_first, ok, page};
use crate::config::BookmarkAs;
use crate::misskey::{Note, Notification, NotificationType, UserDetailed};
use crate::translate;

/// `PUT` / `DELETE /users/{id}/mute` (`block`: `/block`) → `mute/*` / `blocking/*`; answers
/// the user (already muted or blocked, or not: the user, 200, as pnut).
pub async fn mute_or_block(
    caller: Caller<'_>,
    reference: &str,
    block: bool,
    on: bool,
) -> RestResult {
    let user_id = caller.user_id(reference).await?;
    let (endpoint, repeat) = match (block, on) {
        (false, true) => ("mute/create", "ALREADY_MUTING"),
        (false, false) => ("mute/delete", "NOT_MUTING"),
        (true, true) => ("blocking/create", "ALREADY_BLOCKING"),
        (true, false) => ("blocking/delete", "NOT_BLOCKING"),
    };
    match caller
        .write(endpoint, body1("userId", json!(user_id)))
        .await
    {
        Err(RestError::Upstream(crate::upstream::UpstreamError::Status {
            code: Some(code),
            ..
        })) if code == repeat => {}
        other => {
            other?;
        }
    }
    let mut user = caller.user_by_id(&user_id).await?;
    if block {
        user.you_blocked = Some(on);
    } else {
        user.you_muted = Some(on);
    }
    ok(StatusCode::OK, user)
}

/// `GET /users/me/muted` (`blocked`: `/users/me/blocked`) → `mute/list` / `blocking/list`.
pub async fn muted_or_blocked(caller: Caller<'_>, blocked: bool, query: &Query) -> RestResult {
    let page_params = Page::from_query(caller.ctx, query)?;
    let (endpoint, key) = if blocked {
        ("blocking/list", "blockee")
    } else {
        ("mute/list", "mutee")
    };
    let rows: Vec<Value> = caller.read(endpoint, page_params.body.clone()).await?;
    let mut users = Vec::new();
    for row in &rows {
        let Some(other) = row.get(key).cloned() else {
            continue;
        };
        let other: UserDetailed = serde_json::from_value(other)?;
        let mut user = translate::misskey_detailed_to_pnut(&other, &caller.ctx.translate)?;
        if blocked {
            user.you_blocked = Some(true);
        } else {
            user.you_muted = Some(true);
        }
        let row_id = row.get("id").and_then(Value::as_str).unwrap_or_default();
        user.pagination_id =
            crate::ids::misskey_to_pnut(row_id, caller.ctx.translate.id_format).ok();
        users.push((user.pagination_id.clone().unwrap_or_default(), user));
    }
    newest_first(&mut users);
    let more = page_params.cut(&mut users) || rows.len() > page_params.count;
    page(users, more)
}

/// `GET /users/me/bookmarks` → `i/favorites`, or the user's reactions with the bookmark
/// reaction (`users/reactions`), as `[translate] bookmark_as` says.
pub async fn bookmarks(caller: Caller<'_>, query: &Query) -> RestResult {
    let page_params = Page::from_query(caller.ctx, query)?;
    let config = caller.ctx.config();
    let rows: Vec<Value> = match config.translate.bookmark_as {
        BookmarkAs::Favorite => caller.read("i/favorites", page_params.body.clone()).await?,
        BookmarkAs::Reaction => {
            let me = caller.me().await?.user.lite.id;
            let body = page_params.body_with(&[("userId", json!(me))]);
            let reactions: Vec<Value> = caller.read("users/reactions", body).await?;
            let wanted = &caller.ctx.translate.bookmark_reaction;
            reactions
                .into_iter()
                .filter(|r| r.get("type").and_then(Value::as_str) == Some(wanted.as_str()))
                .collect()
        }
    };
    let mut posts = Vec::new();
    for row in &rows {
        let Some(note) = row.get("note").cloned() else {
            continue;
        };
        let note: Note = serde_json::from_value(note)?;
        if let Some(mut post) = caller.note_to_post(&note)? {
            post.you_bookmarked = Some(true);
            posts.push((post.id.clone(), post));
        }
    }
    newest_first(&mut posts);
    let more = page_params.cut(&mut posts) || rows.len() > page_params.count;
    page(posts, more)
}

/// The pnut action of a Misskey notification type (`None`: no pnut counterpart).
fn action_of(kind: &NotificationType) -> Option<&'static str> {
    match kind {
        NotificationType::Reply | NotificationType::Mention | NotificationType::Quote => {
            Some("reply")
        }
        NotificationType::Renote => Some("repost"),
        NotificationType::Reaction => Some("bookmark"),
        NotificationType::Follow => Some("follow"),
        _ => None,
    }
}

/// `GET /users/me/actions` → `i/notifications` (not marked read) as pnut actions:
/// `{action, event_date, objects, users, pagination_id}`.
pub async fn actions(caller: Caller<'_>, query: &Query) -> RestResult {
    let page_params = Page::from_query(caller.ctx, query)?;
    let body = page_params.body_with(&[("markAsRead", json!(false))]);
    let rows: Vec<Notification> = caller.read("i/notifications", body).await?;
    let opts = &caller.ctx.translate;
    let mut items = Vec::new();
    for row in &rows {
        let Some(action) = action_of(&row.kind) else {
            continue;
        };
        let users = match &row.user {
            Some(user) => vec![serde_json::to_value(translate::misskey_user_to_pnut(
                user, opts,
            )?)?],
            None => Vec::new(),
        };
        let objects = match (&row.note, action) {
            (_, "follow") | (None, _) => Vec::new(),
            (Some(note), _) => match caller.note_to_post(note)? {
                Some(post) => vec![serde_json::to_value(post)?],
                None => Vec::new(),
            },
        };
        let id = crate::ids::misskey_to_pnut(&row.id, opts.id_format).unwrap_or_default();
        let mut item = Map::new();
        item.insert("action".into(), json!(action));
        item.insert(
            "event_date".into(),
            json!(translate::misskey_date_to_pnut(&row.created_at).unwrap_or_default()),
        );
        item.insert("objects".into(), Value::Array(objects));
        item.insert("users".into(), Value::Array(users));
        item.insert("pagination_id".into(), json!(id));
        items.push((id, Value::Object(item)));
    }
    newest_first(&mut items);
    let more = page_params.cut(&mut items) || rows.len() > page_params.count;
    page(items, more)
}
