//! Renders world records as pnut wire models (pnut-api.md §6), relative to a viewer.

use std::collections::BTreeMap;

use serde_json::json;

use super::world::{ChannelRec, FileRec, MessageRec, PostRec, World, pnut_time};
use crate::pnut::{
    Acl, AclFull, AclRead, AclWrite, Channel, ChannelCounts, Content, Entities, File, Image,
    Mention, Message, MessageCounts, Post, PostCounts, Source, Tag, Token, TokenApp, TokenStorage,
    User, UserContent, UserCounts,
};

/// The client every simulated object claims to come from.
fn sim_source() -> Source {
    Source {
        id: "simpnut-client-00000000000000000".into(),
        name: "pnutkey simulator".into(),
        url: "https://example.invalid/pnutkey".into(),
    }
}

/// Entities (mentions of known users, hashtags) and HTML of `text`; positions count code points.
pub fn content(world: &World, text: &str) -> Content {
    let mut entities = Entities::default();
    let chars: Vec<char> = text.chars().collect();
    let mut index = 0;
    while index < chars.len() {
        let sigil = chars.get(index).copied().unwrap_or(' ');
        let at_word_start = index == 0
            || chars
                .get(index.wrapping_sub(1))
                .is_none_or(|c| c.is_whitespace());
        if (sigil == '@' || sigil == '#') && at_word_start {
            let word: String = chars
                .iter()
                .skip(index + 1)
                .take_while(|c| c.is_alphanumeric() || **c == '_')
                .collect();
            let len = word.chars().count();
            if len > 0 {
                if sigil == '#' {
                    entities.tags.push(Tag {
                        pos: index as u32,
                        len: len as u32 + 1,
                        text: word.clone(),
                    });
                } else if let Some(id) = world.user_by_name(&word) {
                    entities.mentions.push(Mention {
                        pos: index as u32,
                        len: len as u32 + 1,
                        text: word.clone(),
                        id: id.to_string(),
                        is_leading: (index == 0).then_some(true),
                        is_copy: None,
                    });
                }
                index += len + 1;
                continue;
            }
        }
        index += 1;
    }
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    Content {
        text: text.to_string(),
        html: Some(format!(
            "<span itemscope=\"https://pnut.io/schemas/Post\">{escaped}</span>"
        )),
        entities,
    }
}

/// A user as seen by `viewer`.
pub fn user(world: &World, id: u64, viewer: Option<u64>) -> Option<User> {
    let rec = world.users.get(&id)?;
    let followers = world.follows.iter().filter(|f| f.followed == id).count() as u64;
    let following = world.follows.iter().filter(|f| f.follower == id).count() as u64;
    let posts = world
        .posts
        .values()
        .filter(|p| p.user_id == id && !p.deleted)
        .count() as u64;
    let avatar = Image {
        url: format!("{}/_sim/avatars/{}.png", world.base_url, rec.username),
        width: 200,
        height: 200,
        is_default: true,
    };
    Some(User {
        id: id.to_string(),
        username: rec.username.clone(),
        created_at: pnut_time(&rec.created_at),
        name: Some(rec.name.clone()),
        kind: Some("human".into()),
        locale: Some("en_US".into()),
        timezone: Some("UTC".into()),
        content: Some(UserContent {
            text: Some(format!("I am {} (simulated).", rec.name)),
            html: Some(format!("<span>I am {} (simulated).</span>", rec.name)),
            entities: Some(Entities::default()),
            markdown_text: None,
            avatar_image: Some(avatar.clone()),
            cover_image: Some(avatar),
        }),
        counts: Some(UserCounts {
            bookmarks: 0,
            clients: 1,
            followers,
            following,
            posts,
        }),
        follows_you: viewer.map(|v| world.follows(id, v)),
        you_follow: viewer.map(|v| world.follows(v, id)),
        you_blocked: viewer.map(|v| world.blocks.contains_key(&(v, id))),
        you_muted: viewer.map(|v| world.mutes.contains_key(&(v, id))),
        you_can_follow: viewer.map(|v| v != id),
        ..User::default()
    })
}

/// Removes `raw` from a post and the post it reposts, unless `keep`.
pub fn post_raw(mut post: Post, keep: bool) -> Post {
    if !keep {
        post.raw = None;
        if let Some(original) = post.repost_of.as_mut() {
            original.raw = None;
        }
    }
    post
}

/// Removes `raw` from a channel, unless `keep`.
pub fn channel_raw(mut channel: Channel, keep: bool) -> Channel {
    if !keep {
        channel.raw = None;
    }
    channel
}

/// A post as seen by `viewer` (with `raw`; see [`post_raw`]).
pub fn post(world: &World, rec: &PostRec, viewer: Option<u64>) -> Post {
    let replies = world
        .posts
        .values()
        .filter(|p| p.reply_to == Some(rec.id) && !p.deleted)
        .count() as u64;
    let reposts = world
        .posts
        .values()
        .filter(|p| p.repost_of == Some(rec.id) && !p.deleted)
        .count() as u64;
    let threads = world
        .posts
        .values()
        .filter(|p| p.thread_id == rec.thread_id && !p.deleted)
        .count() as u64;
    let repost_of = rec
        .repost_of
        .and_then(|original| world.posts.get(&original))
        .map(|original| Box::new(post(world, original, viewer)));
    Post {
        id: rec.id.to_string(),
        created_at: pnut_time(&rec.created_at),
        user: user(world, rec.user_id, viewer).map(Box::new),
        thread_id: rec.thread_id.to_string(),
        reply_to: rec.reply_to.map(|id| id.to_string()),
        repost_of,
        content: (!rec.deleted).then(|| content(world, &rec.text)),
        counts: Some(PostCounts {
            bookmarks: rec.bookmarked_by.len() as u64,
            replies,
            reposts,
            threads,
        }),
        source: Some(sim_source()),
        is_deleted: rec.deleted.then_some(true),
        is_nsfw: rec.is_nsfw.then_some(true),
        is_revised: (rec.revision > 0).then_some(true),
        you_bookmarked: viewer.map(|v| rec.bookmarked_by.contains(&v)),
        you_reposted: viewer.map(|v| {
            world
                .posts
                .values()
                .any(|p| p.repost_of == Some(rec.id) && p.user_id == v && !p.deleted)
        }),
        raw: rec.raw.clone(),
        ..Post::default()
    }
}

/// A message as seen by `viewer`.
pub fn message(world: &World, rec: &MessageRec, viewer: Option<u64>) -> Message {
    let replies = world
        .messages
        .values()
        .filter(|m| m.reply_to == Some(rec.id) && !m.deleted)
        .count() as u64;
    Message {
        id: rec.id.to_string(),
        channel_id: rec.channel_id.to_string(),
        created_at: pnut_time(&rec.created_at),
        thread_id: rec.thread_id.to_string(),
        reply_to: rec.reply_to.map(|id| id.to_string()),
        user: user(world, rec.user_id, viewer).map(Box::new),
        content: (!rec.deleted).then(|| content(world, &rec.text)),
        counts: Some(MessageCounts { replies }),
        source: Some(sim_source()),
        is_deleted: rec.deleted.then_some(true),
        is_sticky: false,
        ..Message::default()
    }
}

/// A channel as seen by `viewer` (with `raw`; see [`channel_raw`]).
pub fn channel(world: &World, rec: &ChannelRec, viewer: Option<u64>) -> Channel {
    let member_ids: Vec<String> = rec.members.iter().map(|id| id.to_string()).collect();
    let you = viewer.is_some_and(|v| rec.members.contains(&v));
    let is_chat = rec.kind == "io.pnut.core.chat";
    let mut messages = world
        .messages
        .values()
        .filter(|m| m.channel_id == rec.id)
        .collect::<Vec<_>>();
    messages.sort_by_key(|m| m.id);
    let recent = messages.iter().rev().find(|m| !m.deleted).map(|m| m.id);
    let raw = rec.name.as_ref().map(|name| {
        BTreeMap::from([(
            "io.pnut.core.chat-settings".to_string(),
            vec![json!({"name": name, "description": "simulated chat room"})],
        )])
    });
    Channel {
        id: rec.id.to_string(),
        kind: rec.kind.clone(),
        created_at: Some(pnut_time(&rec.created_at)),
        user: rec
            .owner
            .and_then(|owner| user(world, owner, viewer))
            .map(Box::new),
        acl: Some(Acl {
            full: AclFull {
                immutable: !is_chat,
                you: you && (!is_chat || rec.owner == viewer),
                user_ids: if is_chat {
                    Vec::new()
                } else {
                    member_ids.clone()
                },
                users: None,
            },
            write: AclWrite {
                any_user: is_chat,
                immutable: !is_chat,
                you,
                user_ids: member_ids.clone(),
                users: None,
            },
            read: AclRead {
                any_user: is_chat,
                immutable: !is_chat,
                public: is_chat,
                you: you || is_chat,
                user_ids: member_ids,
                users: None,
            },
        }),
        counts: Some(ChannelCounts {
            messages: messages.iter().filter(|m| !m.deleted).count() as u64,
            subscribers: Some(rec.members.len() as u64),
        }),
        recent_message_id: recent.map(|id| id.to_string()),
        has_unread: viewer.map(|_| false),
        you_subscribed: viewer.map(|_| you),
        you_muted: viewer.map(|_| false),
        has_sticky_messages: Some(false),
        raw,
        ..Channel::default()
    }
}

/// A file as seen by its owner.
pub fn file(world: &World, rec: &FileRec) -> File {
    File {
        id: rec.id.to_string(),
        created_at: pnut_time(&rec.created_at),
        kind: rec
            .file_type
            .clone()
            .unwrap_or_else(|| "io.pnut.core.file".into()),
        media_kind: rec.kind.clone().unwrap_or_else(|| {
            let top = rec.mime_type.split('/').next().unwrap_or_default();
            match top {
                "image" | "audio" | "video" => top.to_owned(),
                _ => "other".to_owned(),
            }
        }),
        sha256: rec.content.as_ref().map(|bytes| {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(bytes))
        }),
        name: rec.name.clone(),
        mime_type: Some(rec.mime_type.clone()),
        size: Some(rec.size),
        total_size: Some(rec.size),
        is_complete: true,
        is_public: rec.is_public,
        is_deleted: rec.deleted.then_some(true),
        url: Some(format!("{}/_sim/files/{}", world.base_url, rec.id)),
        source: Some(sim_source()),
        user_id: Some(rec.user_id.to_string()),
        file_token: Some(super::rest::file_token(rec.id)),
        ..File::default()
    }
}

/// The token object of `user_id`.
pub fn token(world: &World, user_id: u64) -> Token {
    let mut me = user(world, user_id, Some(user_id));
    if let Some(content) = me.as_mut().and_then(|u| u.content.as_mut()) {
        content.markdown_text = content.text.clone();
    }
    Token {
        app: TokenApp {
            id: sim_source().id,
            name: sim_source().name,
            url: sim_source().url,
        },
        scopes: [
            "basic",
            "stream",
            "write_post",
            "follow",
            "messages",
            "files",
            "presence",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        user: me,
        storage: Some(TokenStorage {
            available: 100_000_000,
            total: 100_000_000,
        }),
        email: None,
    }
}
