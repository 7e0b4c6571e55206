//! `i/notifications` and `i/notifications-grouped` over pnut: my mentions (paginated) as
//! `mention`/`reply` notifications and, on the first page, my newest followers as `follow`
//! notifications (mapping.md §3.3).
//!
//! Notification ids are the subject's Misskey-side id plus a one-letter type suffix; fed back
//! as `sinceId`/`untilId` they page by that id (the suffix is dropped, see
//! [`super::params::Params::page`]).

use serde_json::Value;

use super::call::{Call, Reply};
use super::error::{Missing, RestError};
use super::params::borrow_query;
use super::users::{me_user, to_json};
use crate::pnut::{Post, User};
use crate::translate::{follower_to_notification, mention_to_notification, pnut_date_to_misskey};

/// The list (`grouped`: renotes of one note in a row merged into `renote:grouped`, as
/// `i/notifications-grouped` answers). Filtered by `includeTypes`/`excludeTypes`, cut to
/// `limit`. pnut follower lists carry no follow time: the follower's account creation time
/// stands in. `markAsRead` (default true) marks the token's notifications read in its
/// streaming session, if it has one (its `main` connections then get
/// `readAllNotifications`); pnut keeps no read state.
pub async fn list(call: &Call<'_>, grouped: bool) -> Result<Reply, RestError> {
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
    if grouped {
        items = group(items);
    }
    items.truncate(limit);
    if call.params.flag("markAsRead", true)?
        && let Some(session) = call.ctx.pools.peek(call.token()?)
    {
        session.read_notifications().await;
    }
    Ok(Reply::Json(Value::Array(items)))
}

/// Merges runs of `renote` notifications of the same renoted note into one
/// `renote:grouped` (`users` listed, the newest one's id and time), as Misskey groups them.
fn group(items: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for item in items {
        let renoted = |n: &Value| n["note"]["renoteId"].as_str().map(str::to_owned);
        let same = out.last().is_some_and(|last| {
            matches!(last["type"].as_str(), Some("renote" | "renote:grouped"))
                && item["type"] == "renote"
                && renoted(last).is_some()
                && renoted(last) == renoted(&item)
        });
        if !same {
            out.push(item);
            continue;
        }
        let Some(last) = out.last_mut() else { continue };
        if last["type"] == "renote" {
            let first_user = last["user"].take();
            *last = serde_json::json!({
                "id": last["id"], "createdAt": last["createdAt"], "type": "renote:grouped",
                "note": last["note"], "users": [first_user],
            });
        }
        if let Some(users) = last["users"].as_array_mut() {
            users.push(item["user"].clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renotes_of_one_note_in_a_row_are_grouped() {
        let renote = |id: &str, user: &str, of: &str| {
            json!({"id": id, "createdAt": "t", "type": "renote",
                "user": {"id": user}, "note": {"renoteId": of}})
        };
        let mention = json!({"id": "m", "type": "mention", "note": {"renoteId": null}});
        let items = vec![
            renote("3n", "a", "1"),
            renote("2n", "b", "1"),
            mention.clone(),
            renote("0n", "c", "9"),
        ];
        let grouped = group(items);
        assert_eq!(grouped.len(), 3);
        assert_eq!(grouped[0]["type"], "renote:grouped");
        assert_eq!(grouped[0]["id"], "3n");
        assert_eq!(grouped[0]["users"], json!([{"id": "a"}, {"id": "b"}]));
        assert_eq!(grouped[1], mention);
        assert_eq!(grouped[2]["type"], "renote");
    }
}
