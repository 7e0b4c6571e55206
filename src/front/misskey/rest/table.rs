//! The one table of the Misskey REST front: every endpoint the bridge serves, whether Misskey
//! lets it be called by `GET` (`allowGet`), the pnut call(s) behind it, and its handler.
//! Dispatch, `GET` handling, the `endpoints` answer and the README table all derive from it.

use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;

use super::call::{Call, Reply};
use super::error::RestError;
use super::{
    channels, drive, meta, moderation, notes, notifications, polls, registry, renotes, social,
    startup, tokens, upload, users, writes,
};

/// What a handler returns: a boxed future borrowing the call.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<Reply, RestError>> + Send + 'a>>;

/// A handler: serves one call.
pub type Handler = for<'a> fn(&'a Call<'a>) -> HandlerFuture<'a>;

/// One served endpoint.
#[derive(Clone, Copy)]
pub struct Endpoint {
    /// The Misskey endpoint name (`notes/show`).
    pub name: &'static str,
    /// Misskey flags it `allowGet` (2025.11.1): `GET` with query parameters is served.
    pub allow_get: bool,
    /// The pnut call(s) behind it, for the README (`—` when none).
    pub pnut: &'static str,
    /// Serves it.
    pub handler: Handler,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("name", &self.name)
            .field("allow_get", &self.allow_get)
            .finish_non_exhaustive()
    }
}

/// The endpoint named `name`, if served.
pub fn find(name: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|endpoint| endpoint.name == name)
}

macro_rules! ep {
    ($name:literal, $get:literal, $pnut:literal, $call:ident => $body:expr) => {
        Endpoint {
            name: $name,
            allow_get: $get,
            pnut: $pnut,
            handler: |$call| Box::pin($body),
        }
    };
}

/// Every endpoint the bridge serves (mapping.md §3.3), in the README's order.
pub static ENDPOINTS: LazyLock<Vec<Endpoint>> = LazyLock::new(table);

fn table() -> Vec<Endpoint> {
    vec![
        ep!("meta", false, "— (from `[misskey_meta]`)", c => async { Ok(meta::meta(c)) }),
        ep!("endpoints", false, "— (this table)", c => startup::endpoints(c)),
        ep!("emojis", true, "—", c => startup::emojis(c)),
        ep!("emoji", true, "— (`NO_SUCH_EMOJI`: pnut has no custom emoji)", c => startup::emoji(c)),
        ep!("ping", false, "—", c => startup::ping(c)),
        ep!("server-info", true, "—", c => startup::server_info(c)),
        ep!("stats", false, "—", c => startup::stats(c)),
        ep!("get-online-users-count", true, "—", c => startup::online_users(c)),
        ep!("announcements", false, "— (`[]`)", c => startup::empty_list(c)),
        ep!("get-avatar-decorations", false, "— (`[]`)", c => startup::empty_list(c)),
        ep!("pinned-users", false, "— (`[]`)", c => startup::empty_list(c)),
        ep!("antennas/list", false, "— (`[]`)", c => startup::empty_list_auth(c)),
        ep!("users/lists/list", false, "— (`[]`)", c => startup::empty_list_auth(c)),
        ep!("clips/list", false, "— (`[]`)", c => startup::empty_list_auth(c)),
        ep!("renote-mute/list", false, "— (`[]`)", c => startup::empty_list_auth(c)),
        ep!("following/requests/list", false, "— (`[]`: pnut has no follow requests)", c => startup::empty_list_auth(c)),
        ep!("drive/folders", false, "— (`[]`: pnut has no folders)", c => startup::empty_list_auth(c)),
        ep!("hashtags/trend", true, "— (`[]`)", c => startup::empty_list(c)),
        ep!("users/featured-notes", true, "— (`[]`)", c => startup::empty_list(c)),
        ep!("notes/featured", true, "— (`[]`)", c => startup::empty_list(c)),
        ep!("i", false, "`GET /users/me`", c => users::me(c)),
        ep!("notes/timeline", false, "`GET /posts/streams/me`", c => notes::timeline(c, "/posts/streams/me", true)),
        ep!("notes/hybrid-timeline", false, "`GET /posts/streams/unified`", c => notes::timeline(c, "/posts/streams/unified", true)),
        ep!("notes/global-timeline", false, "`GET /posts/streams/global`", c => notes::timeline(c, "/posts/streams/global", false)),
        ep!("notes/local-timeline", false, "`GET /posts/streams/global`", c => notes::timeline(c, "/posts/streams/global", false)),
        ep!("notes/mentions", false, "`GET /users/me/mentions` (`visibility` other than `public`: `[]`)", c => notes::mentions(c)),
        ep!("notes/show", false, "`GET /posts/{id}`", c => notes::show(c)),
        ep!("notes/show-partial-bulk", false, "`GET /posts?ids=`", c => notes::show_partial_bulk(c)),
        ep!("notes/state", false, "`GET /posts/{id}`", c => notes::state(c)),
        ep!("notes/children", false, "`GET /posts/{id}/thread`", c => notes::children(c)),
        ep!("notes/replies", false, "`GET /posts/{id}/thread`", c => notes::children(c)),
        ep!("notes/renotes", false, "`GET /posts/{id}` (`reposted_by`), then each reposter's repost: `GET /users/{id}/posts?since_id={id}` (≤ 20 reposters)", c => renotes::renotes(c)),
        ep!("notes/conversation", false, "`GET /posts/{id}/thread`", c => notes::conversation(c)),
        ep!("notes/reactions", true, "`GET /posts/{id}` (`bookmarked_by`)", c => notes::reactions(c)),
        ep!("notes/create", false, "`POST /posts` (`fileIds`: `GET /files/{id}`, oEmbed file raw; `poll`: `POST /polls`, poll-notice raw); `renoteId` alone: `PUT /posts/{id}/repost`; `specified` + `visibleUserIds`: `POST /channels/pm/messages`", c => writes::create(c)),
        ep!("notes/polls/vote", false, "`GET /posts/{id}`, `GET /polls/{id}`, `PUT /polls/{id}/response`", c => polls::vote(c)),
        ep!("notes/delete", false, "`DELETE /posts/{id}`", c => writes::delete(c)),
        ep!("notes/unrenote", false, "`DELETE /posts/{id}/repost`", c => writes::unrenote(c)),
        ep!("notes/reactions/create", false, "`PUT /posts/{id}/bookmark`", c => writes::bookmark(c, true)),
        ep!("notes/reactions/delete", false, "`DELETE /posts/{id}/bookmark`", c => writes::bookmark(c, false)),
        ep!("notes/favorites/create", false, "`PUT /posts/{id}/bookmark`", c => writes::favorite(c, true)),
        ep!("notes/favorites/delete", false, "`DELETE /posts/{id}/bookmark`", c => writes::favorite(c, false)),
        ep!("i/favorites", false, "`GET /users/me/bookmarks`", c => notes::favorites(c)),
        ep!("notes/search", false, "`GET /posts/search`", c => moderation::search_notes(c)),
        ep!("notes/search-by-tag", false, "`GET /posts/tags/{tag}`", c => notes::search_by_tag(c)),
        ep!("users/notes", false, "`GET /users/{id}/posts`", c => users::notes(c)),
        ep!("users/show", false, "`GET /users/{id}`, `/users/@{username}` or `/users?ids=`", c => users::show(c)),
        ep!("users/followers", false, "`GET /users/{id}/followers`", c => social::followers(c)),
        ep!("users/following", false, "`GET /users/{id}/following`", c => social::following(c)),
        ep!("users/relation", false, "`GET /users?ids=`", c => social::relation(c)),
        ep!("users/search", false, "`GET /users/search`", c => moderation::search_users(c)),
        ep!("mute/create", false, "`PUT /users/{id}/mute`", c => moderation::mute(c, true)),
        ep!("mute/delete", false, "`DELETE /users/{id}/mute`", c => moderation::mute(c, false)),
        ep!("mute/list", false, "`GET /users/me/muted`", c => moderation::list(c, false)),
        ep!("blocking/create", false, "`PUT /users/{id}/block`", c => moderation::block(c, true)),
        ep!("blocking/delete", false, "`DELETE /users/{id}/block`", c => moderation::block(c, false)),
        ep!("blocking/list", false, "`GET /users/me/blocked`", c => moderation::list(c, true)),
        ep!("i/update", false, "`PATCH /users/me`", c => moderation::update_me(c)),
        ep!("following/create", false, "`PUT /users/{id}/follow`", c => users::follow(c, true)),
        ep!("following/delete", false, "`DELETE /users/{id}/follow`", c => users::follow(c, false)),
        ep!("i/notifications", false, "`GET /users/me/actions` + `/users/me/mentions`", c => notifications::list(c, false)),
        ep!("i/notifications-grouped", false, "`GET /users/me/actions` + `/users/me/mentions`", c => notifications::list(c, true)),
        ep!("channels/followed", false, "`GET /users/me/channels/subscribed` (chat channels)", c => channels::followed(c)),
        ep!("channels/my-favorites", false, "`GET /users/me/channels/subscribed` (chat channels)", c => channels::my_favorites(c)),
        ep!("channels/show", false, "`GET /channels/{id}`", c => channels::show(c)),
        ep!("channels/timeline", false, "`GET /channels/{id}/messages`", c => channels::timeline(c)),
        ep!("drive", false, "`GET /token` (`storage`)", c => drive::usage(c)),
        ep!("drive/files", false, "`GET /users/me/files`", c => drive::files(c)),
        ep!("drive/files/create", false, "`POST /files` (multipart: the file as `content`, `type` `io.pnut.core.file`, `name`, `kind`)", c => upload::without_file(c)),
        ep!("drive/files/show", false, "`GET /files/{id}`", c => drive::show(c)),
        ep!("drive/files/update", false, "`PUT /files/{id}`", c => drive::update(c)),
        ep!("drive/files/delete", false, "`DELETE /files/{id}`", c => drive::delete(c)),
        ep!("i/registry/get", false, "— (the bridge's store)", c => registry::serve(c, "get")),
        ep!("i/registry/get-all", false, "— (the bridge's store)", c => registry::serve(c, "get-all")),
        ep!("i/registry/get-detail", false, "— (the bridge's store)", c => registry::serve(c, "get-detail")),
        ep!("i/registry/keys", false, "— (the bridge's store)", c => registry::serve(c, "keys")),
        ep!("i/registry/keys-with-type", false, "— (the bridge's store)", c => registry::serve(c, "keys-with-type")),
        ep!("i/registry/set", false, "— (the bridge's store)", c => registry::serve(c, "set")),
        ep!("i/registry/remove", false, "— (the bridge's store)", c => registry::serve(c, "remove")),
        ep!("i/registry/scopes-with-domain", false, "— (the bridge's store)", c => registry::serve(c, "scopes-with-domain")),
        ep!("i/revoke-token", false, "— (the bridge's store)", c => tokens::revoke(c)),
    ]
}
