//! `i/notifications` and `i/notifications-grouped` over pnut: my actions
//! (`GET /users/me/actions`: replies → `reply`, reposts → `renote`, bookmarks → `reaction`
//! when bookmarks are reactions, follows → `follow`) merged with my mentions
//! (`GET /users/me/mentions` → `mention`, a post already there as a reply left out), newest
//! first, paged by pnut's pagination ids (mapping.md §3.3).
//!
//! A notification's id is that pagination id (zero-padded) plus a one-letter type suffix;
//! fed back as `sinceId`/`untilId` it pages both sources by that id (the suffix is dropped,
//! see [`super::params::Params::page`]). Both sources are read page by page (at most
//! [`MAX_UPSTREAM_PAGES`] rounds) until `limit` notifications passed the type filters.

use std::cmp::Ordering;
use std::collections::HashSet;

use serde_json::{Value, json};

use super::call::{Call, Reply};
use super::error::{Missing, RestError};
use super::pages::MAX_UPSTREAM_PAGES;
use super::params::borrow_query;
use super::users::{client_id, me_user, to_json};
use crate::config::BookmarkAs;
use crate::pnut::{Action, Meta, Post, User};
use crate::translate::{
    mention_to_notification, pnut_date_to_misskey, pnut_user_to_lite, post_to_note,
};

/// A notification and the pnut pagination id it sorts and pages by.
struct Item {
    key: u64,
    value: Value,
}

/// The list (`grouped`: runs merged as `i/notifications-grouped` answers), filtered by
/// `includeTypes`/`excludeTypes`, at most `limit`. `markAsRead` (default true) marks the
/// token's notifications read in its streaming session, if it has one (its `main`
/// connections then get `readAllNotifications`); pnut keeps no read state.
pub async fn list(call: &Call<'_>, grouped: bool) -> Result<Reply, RestError> {
    let me = me_user(call).await?;
    let page = call.params.page()?;
    let include = call.params.strings("includeTypes")?;
    let exclude = call.params.strings("excludeTypes")?.unwrap_or_default();
    let wanted = |item: &Item| {
        let kind = item.value["type"].as_str().unwrap_or_default();
        include.as_ref().is_none_or(|types| types.contains(&kind)) && !exclude.contains(&kind)
    };
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    let oldest_first = page.oldest_first();
    let mut cursor = page.clone();
    let mut kept: Vec<Item> = Vec::new();
    for _ in 0..MAX_UPSTREAM_PAGES {
        let query = cursor.pnut_query();
        let (actions, actions_meta): (Vec<Action>, Meta) = call
            .get_page("/users/me/actions", &borrow_query(&query), Missing::Other)
            .await?;
        let (mentions, mentions_meta): (Vec<Post>, Meta) = call
            .get_page("/users/me/mentions", &borrow_query(&query), Missing::Other)
            .await?;
        let mut round = Vec::new();
        let mut replies = HashSet::new();
        for action in &actions {
            if let Some(item) = from_action(call, action, &mut replies)? {
                round.push(item);
            }
        }
        for post in mentions.iter().filter(|post| !replies.contains(&post.id)) {
            if let Some(item) = from_mention(call, post, &me)? {
                round.push(item);
            }
        }
        // Past the oldest (newest, when oldest first) item of a source that has more, the
        // other source's items may not be complete yet: keep to that bound, page on from it.
        let bounds = [
            bound(&actions_meta, actions.len(), limit, oldest_first),
            bound(&mentions_meta, mentions.len(), limit, oldest_first),
        ];
        let bound = if oldest_first {
            bounds.into_iter().flatten().min()
        } else {
            bounds.into_iter().flatten().max()
        };
        round.retain(|item| {
            bound.is_none_or(|b| {
                if oldest_first {
                    item.key <= b
                } else {
                    item.key >= b
                }
            })
        });
        kept.extend(round.into_iter().filter(|item| wanted(item)));
        match bound {
            Some(b) if kept.len() < limit => {
                if oldest_first {
                    cursor.since = Some(b.to_string());
                } else {
                    cursor.until = Some(b.to_string());
                }
            }
            _ => break,
        }
    }
    kept.sort_by(|a, b| b.key.cmp(&a.key).then(Ordering::Equal));
    if oldest_first {
        let skip = kept.len().saturating_sub(limit);
        kept.drain(..skip);
        kept.reverse();
    } else {
        kept.truncate(limit);
    }
    let mut items: Vec<Value> = kept.into_iter().map(|item| item.value).collect();
    if grouped {
        items = group(items);
    }
    if call.params.flag("markAsRead", true)? {
        let token = call.token()?;
        match (call.ctx.pools.peek(token), &call.ctx.cluster) {
            // The local session applies it, or (a fleet's follower) forwards it to the owner.
            (Some(session), _) => {
                session.read_notifications().await;
            }
            // No session here: the owner of the token's session elsewhere in the fleet.
            (None, Some(cluster)) => {
                crate::cluster::relay::read_notifications(cluster, token);
            }
            (None, None) => {}
        }
    }
    Ok(Reply::Json(Value::Array(items)))
}

/// The page bound of a source that has more items: its oldest key (newest first) or newest
/// key (oldest first). `None` when the source is exhausted.
fn bound(meta: &Meta, read: usize, limit: usize, oldest_first: bool) -> Option<u64> {
    let more = meta.more.unwrap_or(read >= limit);
    if !more {
        return None;
    }
    let edge = if oldest_first {
        &meta.max_id
    } else {
        &meta.min_id
    };
    edge.as_deref().and_then(|id| id.parse().ok())
}

/// The shared keys of a notification.
fn base(
    call: &Call<'_>,
    key: &str,
    suffix: char,
    kind: &str,
    date: &str,
) -> Result<Value, RestError> {
    Ok(json!({
        "id": format!("{}{suffix}", client_id(call, key)?),
        "createdAt": pnut_date_to_misskey(date).unwrap_or_default(),
        "type": kind,
    }))
}

/// A pnut action as a Misskey notification (`None`: an action type without a counterpart,
/// or a bookmark while bookmarks are favorites). Reply posts are noted in `replies`.
fn from_action(
    call: &Call<'_>,
    action: &Action,
    replies: &mut HashSet<String>,
) -> Result<Option<Item>, RestError> {
    let opts = &call.ctx.translate;
    let Ok(key) = action.pagination_id.parse::<u64>() else {
        return Ok(None);
    };
    let Some(actor) = action.users.first() else {
        return Ok(None);
    };
    let user = to_json(&pnut_user_to_lite(actor, opts)?)?;
    let object_post = || {
        action
            .objects
            .first()
            .and_then(|object| serde_json::from_value::<Post>(object.clone()).ok())
    };
    let id = &action.pagination_id;
    let date = &action.event_date;
    let mut value = match action.action.as_str() {
        "reply" => {
            let Some(reply) = object_post() else {
                return Ok(None);
            };
            replies.insert(reply.id.clone());
            let mut value = base(call, id, 'r', "reply", date)?;
            value["note"] = to_json(&post_to_note(&reply, None, opts)?)?;
            value
        }
        "repost" => {
            let Some(original) = object_post() else {
                return Ok(None);
            };
            // The renote as Misskey shows it: the repost (its id is the action's) of my post.
            let repost = Post {
                id: id.clone(),
                created_at: date.clone(),
                thread_id: original.thread_id.clone(),
                user: Some(Box::new(actor.clone())),
                repost_of: Some(Box::new(original)),
                ..Post::default()
            };
            let mut value = base(call, id, 'n', "renote", date)?;
            value["note"] = to_json(&post_to_note(&repost, None, opts)?)?;
            value
        }
        "bookmark" if call.ctx.config().translate.bookmark_as == BookmarkAs::Reaction => {
            let Some(post) = object_post() else {
                return Ok(None);
            };
            let mut value = base(call, id, 'b', "reaction", date)?;
            value["note"] = to_json(&post_to_note(&post, None, opts)?)?;
            value["reaction"] = json!(opts.bookmark_reaction);
            value
        }
        "follow" => base(call, id, 'f', "follow", date)?,
        _ => return Ok(None),
    };
    value["userId"] = user["id"].clone();
    value["user"] = user;
    Ok(Some(Item { key, value }))
}

/// A post mentioning me as a `mention` notification (my own posts give none).
fn from_mention(call: &Call<'_>, post: &Post, me: &User) -> Result<Option<Item>, RestError> {
    let Ok(key) = post.id.parse::<u64>() else {
        return Ok(None);
    };
    match mention_to_notification(post, None, &me.id, &call.ctx.translate) {
        Ok(Some(notification)) => Ok(Some(Item {
            key,
            value: to_json(&notification)?,
        })),
        Ok(None) => Ok(None),
        Err(error) => {
            tracing::warn!(%error, "misskey REST: dropping a mention");
            Ok(None)
        }
    }
}

/// Merges runs of `renote`s of one note into `renote:grouped` (`users`) and runs of
/// `reaction`s to one note into `reaction:grouped` (`reactions: [{user, reaction}]`), the
/// newest one's id and time, as Misskey groups them.
fn group(items: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for item in items {
        let kind = item["type"].as_str().unwrap_or_default().to_owned();
        let subject = |n: &Value| match n["type"].as_str() {
            Some("renote" | "renote:grouped") => n["note"]["renoteId"].as_str().map(str::to_owned),
            Some("reaction" | "reaction:grouped") => n["note"]["id"].as_str().map(str::to_owned),
            _ => None,
        };
        let family = |k: &str| k.split(':').next().unwrap_or_default().to_owned();
        let same = matches!(kind.as_str(), "renote" | "reaction")
            && out.last().is_some_and(|last| {
                family(last["type"].as_str().unwrap_or_default()) == kind
                    && subject(last).is_some()
                    && subject(last) == subject(&item)
            });
        if !same {
            out.push(item);
            continue;
        }
        let Some(last) = out.last_mut() else { continue };
        let entry = |n: &Value| match kind.as_str() {
            "renote" => n["user"].clone(),
            _ => json!({"user": n["user"], "reaction": n["reaction"]}),
        };
        let list = if kind == "renote" {
            "users"
        } else {
            "reactions"
        };
        if !last["type"]
            .as_str()
            .unwrap_or_default()
            .ends_with(":grouped")
        {
            let first = entry(last);
            *last = json!({
                "id": last["id"], "createdAt": last["createdAt"],
                "type": format!("{kind}:grouped"), "note": last["note"], list: [first],
            });
        }
        if let Some(entries) = last[list].as_array_mut() {
            entries.push(entry(&item));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_one_note_are_grouped() {
        let renote = |id: &str, user: &str, of: &str| {
            json!({"id": id, "createdAt": "t", "type": "renote",
                "user": {"id": user}, "note": {"renoteId": of}})
        };
        let reaction = |id: &str, user: &str| {
            json!({"id": id, "createdAt": "t", "type": "reaction", "reaction": "⭐",
                "user": {"id": user}, "note": {"id": "5"}})
        };
        let mention = json!({"id": "m", "type": "mention", "note": {"renoteId": null}});
        let items = vec![
            renote("3n", "a", "1"),
            renote("2n", "b", "1"),
            mention.clone(),
            renote("0n", "c", "9"),
            reaction("9b", "a"),
            reaction("8b", "b"),
        ];
        let grouped = group(items);
        assert_eq!(grouped.len(), 4);
        assert_eq!(grouped[0]["type"], "renote:grouped");
        assert_eq!(grouped[0]["id"], "3n");
        assert_eq!(grouped[0]["users"], json!([{"id": "a"}, {"id": "b"}]));
        assert_eq!(grouped[1], mention);
        assert_eq!(grouped[2]["type"], "renote");
        assert_eq!(grouped[3]["type"], "reaction:grouped");
        assert_eq!(
            grouped[3]["reactions"],
            json!([{"user": {"id": "a"}, "reaction": "⭐"}, {"user": {"id": "b"}, "reaction": "⭐"}])
        );
    }
}
