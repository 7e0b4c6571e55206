//! GET endpoints of the pnut REST front (mapping.md §4.3) over Misskey reads.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::objects::{Caller, body1};
use super::params::{Page, Query, misskey_id};
use super::reply::{RestResult, newest_first, ok, page};
use crate::front::pnut::CHAT_CHANNEL_TYPE;
use crate::mapping::catalog::RestRoute;
use crate::misskey::{InstanceMeta, Note};
use crate::pnut::{Token, TokenApp, TokenStorage};
use crate::translate;

/// Scopes a bridged token reports (Misskey tokens carry no pnut scopes; UNCONFIRMED choice).
const SCOPES: &[&str] = &[
    "basic",
    "stream",
    "write_post",
    "follow",
    "update_profile",
    "presence",
    "messages",
    "files",
];

/// `GET /users/{id}` (`me`, `@username` or a decimal id).
pub async fn user(caller: Caller<'_>, reference: &str) -> RestResult {
    ok(StatusCode::OK, caller.user(reference).await?)
}

/// `GET /token`: the token's user plus the bridge as the app.
pub async fn token(caller: Caller<'_>) -> RestResult {
    let me = caller.me().await?;
    let opts = &caller.ctx.translate;
    let user = translate::misskey_me_to_pnut(&me, opts)?;
    let token = Token {
        app: TokenApp {
            id: opts.source_client_id.clone(),
            name: "pnutkey".to_owned(),
            url: caller.ctx.bridge_url.clone(),
        },
        scopes: SCOPES.iter().map(|s| (*s).to_owned()).collect(),
        user: Some(user),
        storage: Some(TokenStorage::default()),
        email: None,
    };
    ok(StatusCode::OK, token)
}

/// `GET /posts/{id}`.
pub async fn post(caller: Caller<'_>, post_id: &str) -> RestResult {
    let note_id = misskey_id(caller.ctx, post_id, "post id")?;
    ok(StatusCode::OK, caller.post(&note_id).await?)
}

/// Most `notes/children` calls one thread request makes (breadth first from the root).
const THREAD_EXPANSIONS: usize = 8;

/// `GET /posts/{id}/thread`: the whole thread of the post (its root's reply tree, explored
/// breadth first with at most [`THREAD_EXPANSIONS`] `notes/children` calls, plus the post's
/// ancestors), newest first, paginated by the bridge.
pub async fn thread(caller: Caller<'_>, post_id: &str, query: &Query) -> RestResult {
    let page_params = Page::from_query(caller.ctx, query)?;
    let note_id = misskey_id(caller.ctx, post_id, "post id")?;
    let note = caller.note(&note_id).await?;
    let mut notes: Vec<Note> = if note.reply_id.is_some() {
        let mut body = body1("noteId", json!(note_id));
        body.insert("limit".into(), json!(100));
        caller.read("notes/conversation", body).await?
    } else {
        Vec::new()
    };
    let root = notes
        .iter()
        .find(|n| n.reply_id.is_none())
        .map(|n| n.id.clone())
        .unwrap_or_else(|| note.id.clone());
    notes.push(note);
    let mut queue = std::collections::VecDeque::from([root.clone()]);
    let mut expanded = 0;
    while let Some(parent) = queue.pop_front() {
        if expanded >= THREAD_EXPANSIONS {
            break;
        }
        expanded += 1;
        let mut body = body1("noteId", json!(parent));
        body.insert("limit".into(), json!(100));
        let children: Vec<Note> = caller.read("notes/children", body).await?;
        for child in children {
            if child.reply_id.as_deref() == Some(parent.as_str()) {
                queue.push_back(child.id.clone());
            }
            notes.push(child);
        }
    }
    let mut posts = Vec::new();
    for item in &notes {
        if let translate::Translated::Done(mut post) =
            translate::note_to_post(item, Some(&root), &caller.ctx.translate)?
            && page_params.admits(&post.id)
        {
            post.pagination_id = Some(post.id.clone());
            posts.push((post.id.clone(), post));
        }
    }
    newest_first(&mut posts);
    let more = page_params.cut(&mut posts);
    page(posts, more)
}

/// A note-list route (`/posts/streams/*`, `/users/me/mentions`): the posts of the Misskey
/// calls of its `[mapping.pnut_endpoints]` row's `first_page` (the calls a subscribe answers
/// with), else of the route's own calls; merged newest first, deduplicated, paginated.
pub async fn note_list(caller: Caller<'_>, route: &RestRoute, query: &Query) -> RestResult {
    let page_params = Page::from_query(caller.ctx, query)?;
    let config = caller.ctx.config();
    let configured = config
        .mapping
        .pnut_endpoints
        .get(route.pattern)
        .filter(|row| row.bridged)
        .map(|row| row.first_page.as_slice())
        .filter(|calls| !calls.is_empty());
    let calls: Vec<(&str, Map<String, Value>)> = match configured {
        Some(calls) => calls
            .iter()
            .map(|call| (call.as_str(), page_params.body.clone()))
            .collect(),
        None => route
            .calls
            .iter()
            .map(|call| (*call, page_params.body.clone()))
            .collect(),
    };
    let (posts, more) = caller.post_list(&calls, &page_params).await?;
    page(posts, more)
}

/// `GET /users/{id}/posts`.
pub async fn user_posts(caller: Caller<'_>, reference: &str, query: &Query) -> RestResult {
    let page_params = Page::from_query(caller.ctx, query)?;
    let user_id = caller.user_id(reference).await?;
    let body = page_params.body_with(&[("userId", json!(user_id)), ("withReplies", json!(true))]);
    let (posts, more) = caller
        .post_list(&[("users/notes", body)], &page_params)
        .await?;
    page(posts, more)
}

/// `GET /users/{id}/followers` (`followers = true`) or `/users/{id}/following`.
pub async fn relations(
    caller: Caller<'_>,
    reference: &str,
    followers: bool,
    query: &Query,
) -> RestResult {
    let page_params = Page::from_query(caller.ctx, query)?;
    let user_id = caller.user_id(reference).await?;
    let (users, more) = caller.relations(&user_id, followers, &page_params).await?;
    page(users, more)
}

/// `GET /users/me/files`.
pub async fn files(caller: Caller<'_>, query: &Query) -> RestResult {
    let page_params = Page::from_query(caller.ctx, query)?;
    let (files, more) = caller.files(&page_params).await?;
    page(files, more)
}

/// `GET /channels/{id}/messages`: the Misskey-channel's notes (`channels/timeline`) as pnut
/// chat messages, newest first, with `meta.channel_type` `io.pnut.core.chat`.
pub async fn channel_messages(caller: Caller<'_>, channel_id: &str, query: &Query) -> RestResult {
    let page_params = Page::from_query(caller.ctx, query)?;
    let misskey_channel = misskey_id(caller.ctx, channel_id, "channel id")?;
    let body = page_params.body_with(&[("channelId", json!(misskey_channel))]);
    let notes: Vec<Note> = caller.read("channels/timeline", body).await?;
    let mut messages = Vec::new();
    for note in &notes {
        // An untranslatable note is dropped from the list, not the whole answer (§5).
        match translate::note_to_message(note, &caller.ctx.translate) {
            Ok(mut message) => {
                message.pagination_id = Some(message.id.clone());
                messages.push((message.id.clone(), message));
            }
            Err(error) => {
                tracing::warn!(kind = "note", %error, "dropped untranslatable channel note");
            }
        }
    }
    newest_first(&mut messages);
    let more = page_params.cut(&mut messages);
    let mut reply = page(messages, more)?;
    reply.envelope.meta.channel_type = Some(CHAT_CHANNEL_TYPE.to_owned());
    Ok(reply)
}

/// `GET /sys/config`: pnut's limits, with the post length from Misskey's `meta`.
pub async fn sys_config(caller: Caller<'_>) -> RestResult {
    let meta: InstanceMeta = caller.read("meta", body1("detail", json!(false))).await?;
    let post_max = if meta.max_note_text_length == 0 {
        256
    } else {
        meta.max_note_text_length
    };
    ok(
        StatusCode::OK,
        json!({
            "text": {"uri_template_length": {"post_id": 9, "message_id": 12}},
            "user": {"text_max_length": 256, "name_max_length": 50},
            "file": {"max_file_size": meta.max_file_size},
            "post": {"text_max_length": post_max, "max_length": post_max},
            "message": {"text_max_length": 2048, "max_length": 2048},
            "channel": {"text_max_length": 256},
            "raw": {"max_length": 8192}
        }),
    )
}
