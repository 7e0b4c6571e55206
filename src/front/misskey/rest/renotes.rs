//! `notes/renotes`: the renotes of a note. pnut tells who reposted a post
//! (`GET /posts/{id}?include_reposted_by=1`, a sample of users) but lists no repost posts, so
//! the bridge looks each reposter's repost up among their posts after the original
//! (`GET /users/{id}/posts?since_id={post}&count=200`, at most [`MAX_REPOSTERS`] reposters)
//! and answers the reposts it found as renote notes: real pnut posts, whose ids every endpoint
//! takes back. A repost older than the reposter's 200 newest posts since the original is not
//! found and left out (mapping.md §3.3).

use std::cmp::Ordering;

use futures_util::future::join_all;

use super::call::{Call, Reply};
use super::error::{Missing, RestError};
use super::notes::notes_with_polls;
use crate::ids::cmp_decimal;
use crate::pnut::Post;

/// Reposters whose reposts one call looks up (one upstream call each).
pub const MAX_REPOSTERS: usize = 20;
/// Posts read per reposter.
const POSTS_PER_REPOSTER: &str = "200";

/// `notes/renotes` (`noteId`, optional `userId`, `sinceId`/`untilId`/`limit`).
pub async fn renotes(call: &Call<'_>) -> Result<Reply, RestError> {
    let id = call.params.note_id("noteId")?;
    let page = call.params.page()?;
    let only_user = call.params.pnut_id("userId", || {
        RestError::invalid_param("userId", "must be an id")
    })?;
    let post: Post = call
        .get(
            &format!("/posts/{id}"),
            &[("include_reposted_by", "1")],
            Missing::Note,
        )
        .await?;
    if post.deleted() {
        return Err(RestError::no_such_note());
    }
    let reposters: Vec<String> = post
        .reposted_by
        .unwrap_or_default()
        .into_iter()
        .map(|user| user.id)
        .filter(|user| only_user.as_deref().is_none_or(|only| same_id(user, only)))
        .take(MAX_REPOSTERS)
        .collect();
    let lookups = reposters.iter().map(|user| repost_of(call, user, &id));
    let mut found: Vec<Post> = join_all(lookups).await.into_iter().flatten().collect();
    found.sort_by(|a, b| cmp_decimal(&b.id, &a.id).unwrap_or(Ordering::Equal));
    let chosen = page.window(found, |post| &post.id);
    Ok(Reply::Json(notes_with_polls(call, chosen, &page).await))
}

/// `user`'s repost of post `id`, when found among their posts after it (an upstream error
/// counts as not found: the other reposts still answer).
async fn repost_of(call: &Call<'_>, user: &str, id: &str) -> Option<Post> {
    let posts: Vec<Post> = call
        .get(
            &format!("/users/{user}/posts"),
            &[
                ("since_id", id),
                ("count", POSTS_PER_REPOSTER),
                ("include_deleted", "0"),
                ("include_post_raw", "1"),
            ],
            Missing::Other,
        )
        .await
        .ok()?;
    posts.into_iter().find(|post| {
        !post.deleted()
            && post
                .repost_of
                .as_deref()
                .is_some_and(|original| same_id(&original.id, id))
    })
}

/// Two pnut ids naming the same item (zero padding aside).
fn same_id(a: &str, b: &str) -> bool {
    cmp_decimal(a, b) == Some(Ordering::Equal)
}
