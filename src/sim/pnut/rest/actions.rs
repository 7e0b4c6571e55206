//! `GET /users/me/actions`: actions others took on my content (pnut's interactions), newest
//! first, paginated by their pagination id: replies to my posts (`objects`: the reply),
//! reposts of my posts and bookmarks of them (`objects`: my post), follows of me
//! (`objects`: me). One user per action (pnut may group several; the bridge reads `users` as
//! a list either way). Which object pnut puts in `objects` for a reply is INFERRED.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use serde_json::Value;

use super::super::Shared;
use super::super::render;
use super::super::world::{World, pnut_time};
use super::{ApiError, Caller, Params, paginate, respond};
use crate::pnut::Action;

/// One action before rendering: pagination id, type, actor, object (post id, or `None`: me).
struct Raw {
    id: u64,
    kind: &'static str,
    actor: u64,
    object: Option<u64>,
    at: chrono::DateTime<chrono::Utc>,
}

fn collect(world: &World, me: u64) -> Vec<Raw> {
    let mine = |post: u64| {
        world
            .posts
            .get(&post)
            .is_some_and(|p| p.user_id == me && !p.deleted)
    };
    let mut out = Vec::new();
    for post in world
        .posts
        .values()
        .filter(|p| !p.deleted && p.user_id != me)
    {
        if post.reply_to.is_some_and(mine) {
            out.push(Raw {
                id: post.id,
                kind: "reply",
                actor: post.user_id,
                object: Some(post.id),
                at: post.created_at,
            });
        }
        if let Some(original) = post.repost_of.filter(|o| mine(*o)) {
            out.push(Raw {
                id: post.id,
                kind: "repost",
                actor: post.user_id,
                object: Some(original),
                at: post.created_at,
            });
        }
    }
    for (&(post, user), &(seq, at)) in &world.bookmarks_at {
        if user != me && mine(post) {
            out.push(Raw {
                id: seq,
                kind: "bookmark",
                actor: user,
                object: Some(post),
                at,
            });
        }
    }
    for follow in world.follows.iter().filter(|f| f.followed == me) {
        out.push(Raw {
            id: follow.seq,
            kind: "follow",
            actor: follow.follower,
            object: None,
            at: world.follow_time(follow.seq),
        });
    }
    out
}

/// `GET /users/me/actions`.
pub async fn actions(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let world = shared.world.lock().await;
    let keyed = collect(&world, me)
        .into_iter()
        .map(|raw| (raw.id, raw))
        .collect();
    let (page, meta) = paginate(keyed, &params);
    let actions: Vec<Action> = page
        .into_iter()
        .map(|(id, raw)| {
            let users = render::user(&world, raw.actor, Some(me))
                .into_iter()
                .collect();
            let object = match raw.object {
                Some(post) => world
                    .posts
                    .get(&post)
                    .map(|rec| serde_json::to_value(render::post(&world, rec, Some(me)))),
                None => render::user(&world, me, Some(me)).map(serde_json::to_value),
            };
            Action {
                pagination_id: id.to_string(),
                event_date: pnut_time(&raw.at),
                action: raw.kind.to_owned(),
                users,
                objects: object
                    .and_then(Result::ok)
                    .into_iter()
                    .collect::<Vec<Value>>(),
            }
        })
        .collect();
    Ok(respond(200, meta, actions))
}
