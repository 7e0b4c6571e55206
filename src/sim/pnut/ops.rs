//! World mutations (posting, revising, following, messaging, files); each emits its stream
//! events. Shared by the REST handlers, the control API and the activity generator.

use std::collections::BTreeSet;

use chrono::Utc;

use super::events::Event;
use super::world::{FileRec, FollowRec, MessageRec, PostRec, World};
use crate::pnut::Raw;

/// Max post length in code points (pnut-api.md §6.1).
pub const MAX_POST_CHARS: usize = 256;
/// Max message length in code points (pnut-api.md §6.5).
pub const MAX_MESSAGE_CHARS: usize = 2048;

/// Why a mutation was refused; maps to a pnut error envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    /// 404.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 403.
    #[error("{0}")]
    Forbidden(&'static str),
    /// 400.
    #[error("{0}")]
    Invalid(String),
}

impl OpError {
    /// The HTTP status this error maps to.
    pub fn status(&self) -> u16 {
        match self {
            OpError::NotFound(_) => 404,
            OpError::Forbidden(_) => 403,
            OpError::Invalid(_) => 400,
        }
    }
}

/// A post to create.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewPost {
    /// Text (1..=256 code points).
    pub text: String,
    /// Parent post id.
    pub reply_to: Option<u64>,
    /// NSFW flag.
    pub is_nsfw: bool,
    /// Raw annotations.
    pub raw: Option<Raw>,
}

fn check_text(text: &str, max: usize) -> Result<(), OpError> {
    let len = text.chars().count();
    if text.trim().is_empty() {
        return Err(OpError::Invalid("text is required".into()));
    }
    if len > max {
        return Err(OpError::Invalid(format!(
            "text is {len} characters, the maximum is {max}"
        )));
    }
    Ok(())
}

impl World {
    fn live_post(&self, post_id: u64) -> Result<&PostRec, OpError> {
        self.posts
            .get(&post_id)
            .filter(|p| !p.deleted)
            .ok_or(OpError::NotFound("post"))
    }

    /// Creates a post by `user_id`.
    pub fn create_post(&mut self, user_id: u64, new: NewPost) -> Result<u64, OpError> {
        check_text(&new.text, MAX_POST_CHARS)?;
        let thread_id = match new.reply_to {
            Some(parent) => Some(self.live_post(parent)?.thread_id),
            None => None,
        };
        let id = self.next_id();
        self.posts.insert(
            id,
            PostRec {
                id,
                user_id,
                created_at: Utc::now(),
                text: new.text,
                reply_to: new.reply_to,
                thread_id: thread_id.unwrap_or(id),
                repost_of: None,
                is_nsfw: new.is_nsfw,
                deleted: false,
                revision: 0,
                raw: new.raw,
                bookmarked_by: BTreeSet::new(),
            },
        );
        self.emit(Event::Post {
            post_id: id,
            revised: false,
        });
        Ok(id)
    }

    /// Revises the text of `user_id`'s post.
    pub fn revise_post(&mut self, user_id: u64, post_id: u64, text: String) -> Result<(), OpError> {
        check_text(&text, MAX_POST_CHARS)?;
        let post = self.live_post(post_id)?;
        if post.user_id != user_id {
            return Err(OpError::Forbidden("you may only revise your own posts"));
        }
        if post.repost_of.is_some() {
            return Err(OpError::Invalid("a repost cannot be revised".into()));
        }
        if let Some(post) = self.posts.get_mut(&post_id) {
            post.text = text;
            post.revision += 1;
        }
        self.emit(Event::Post {
            post_id,
            revised: true,
        });
        Ok(())
    }

    /// Deletes `user_id`'s post.
    pub fn delete_post(&mut self, user_id: u64, post_id: u64) -> Result<(), OpError> {
        let post = self.live_post(post_id)?;
        if post.user_id != user_id {
            return Err(OpError::Forbidden("you may only delete your own posts"));
        }
        if let Some(post) = self.posts.get_mut(&post_id) {
            post.deleted = true;
        }
        self.emit(Event::Post {
            post_id,
            revised: false,
        });
        Ok(())
    }

    /// Reposts `post_id` as `user_id`; returns the repost's id (idempotent).
    pub fn repost(&mut self, user_id: u64, post_id: u64) -> Result<u64, OpError> {
        let original = self.live_post(post_id)?;
        let target = original.repost_of.unwrap_or(original.id);
        if let Some(existing) = self
            .posts
            .values()
            .find(|p| p.repost_of == Some(target) && p.user_id == user_id && !p.deleted)
        {
            return Ok(existing.id);
        }
        let thread_id = self.live_post(target)?.thread_id;
        let id = self.next_id();
        self.posts.insert(
            id,
            PostRec {
                id,
                user_id,
                created_at: Utc::now(),
                text: String::new(),
                reply_to: None,
                thread_id,
                repost_of: Some(target),
                is_nsfw: false,
                deleted: false,
                revision: 0,
                raw: None,
                bookmarked_by: BTreeSet::new(),
            },
        );
        self.emit(Event::Post {
            post_id: id,
            revised: false,
        });
        Ok(id)
    }

    /// Removes `user_id`'s repost of `post_id` (the deleted repost is sent on streams).
    pub fn unrepost(&mut self, user_id: u64, post_id: u64) -> Result<(), OpError> {
        self.live_post(post_id)?;
        let reposts: Vec<u64> = self
            .posts
            .values()
            .filter(|p| p.repost_of == Some(post_id) && p.user_id == user_id && !p.deleted)
            .map(|p| p.id)
            .collect();
        for id in reposts {
            if let Some(post) = self.posts.get_mut(&id) {
                post.deleted = true;
            }
            self.emit(Event::Post {
                post_id: id,
                revised: false,
            });
        }
        Ok(())
    }

    /// Bookmarks (or un-bookmarks) `post_id` for `user_id`; no stream event (pnut sends none).
    pub fn bookmark(&mut self, user_id: u64, post_id: u64, on: bool) -> Result<(), OpError> {
        self.live_post(post_id)?;
        let seq = self.next_id();
        if let Some(post) = self.posts.get_mut(&post_id) {
            if on {
                if post.bookmarked_by.insert(user_id) {
                    self.bookmarks_at
                        .insert((post_id, user_id), (seq, Utc::now()));
                }
            } else {
                post.bookmarked_by.remove(&user_id);
                self.bookmarks_at.remove(&(post_id, user_id));
            }
        }
        Ok(())
    }

    /// `follower` follows (`on`) or unfollows `followed`.
    pub fn set_follow(&mut self, follower: u64, followed: u64, on: bool) -> Result<(), OpError> {
        if !self.users.contains_key(&followed) {
            return Err(OpError::NotFound("user"));
        }
        if follower == followed {
            return Err(OpError::Invalid("you cannot follow yourself".into()));
        }
        let already = self.follows(follower, followed);
        if on && !already {
            let seq = self.next_id();
            self.follows.push(FollowRec {
                seq,
                follower,
                followed,
            });
            self.follow_times.insert(seq, Utc::now());
        } else if !on && already {
            self.follows
                .retain(|f| !(f.follower == follower && f.followed == followed));
        } else {
            return Ok(());
        }
        self.emit(Event::Follow {
            follower,
            followed,
            deleted: !on,
        });
        Ok(())
    }

    /// Creates a message in `channel_id` by `user_id`.
    pub fn create_message(
        &mut self,
        user_id: u64,
        channel_id: u64,
        text: String,
        reply_to: Option<u64>,
    ) -> Result<u64, OpError> {
        check_text(&text, MAX_MESSAGE_CHARS)?;
        let channel = self
            .channels
            .get(&channel_id)
            .ok_or(OpError::NotFound("channel"))?;
        let is_chat = channel.kind == "io.pnut.core.chat";
        if !is_chat && !channel.members.contains(&user_id) {
            return Err(OpError::Forbidden("you may not write to this channel"));
        }
        let thread_id = match reply_to {
            Some(parent) => self
                .messages
                .get(&parent)
                .filter(|m| m.channel_id == channel_id)
                .map(|m| m.thread_id)
                .ok_or(OpError::NotFound("message"))?,
            None => 0,
        };
        let joined = is_chat
            && self
                .channels
                .get_mut(&channel_id)
                .is_some_and(|c| c.members.insert(user_id));
        let id = self.next_id();
        self.messages.insert(
            id,
            MessageRec {
                id,
                channel_id,
                user_id,
                created_at: Utc::now(),
                text,
                reply_to,
                thread_id: if thread_id == 0 { id } else { thread_id },
                deleted: false,
            },
        );
        if joined {
            self.emit(Event::ChannelSubscription { channel_id });
        }
        self.emit(Event::Message { message_id: id });
        Ok(id)
    }

    /// Deletes `user_id`'s message.
    pub fn delete_message(&mut self, user_id: u64, message_id: u64) -> Result<(), OpError> {
        let message = self
            .messages
            .get_mut(&message_id)
            .filter(|m| !m.deleted)
            .ok_or(OpError::NotFound("message"))?;
        if message.user_id != user_id {
            return Err(OpError::Forbidden("you may only delete your own messages"));
        }
        message.deleted = true;
        self.emit(Event::Message { message_id });
        Ok(())
    }

    /// Stores `record` (its `id` is assigned here) as a complete file: a `file` event.
    pub fn add_file(&mut self, mut record: FileRec) -> Result<u64, OpError> {
        if record.name.trim().is_empty() {
            return Err(OpError::Invalid("name is required".into()));
        }
        let id = self.next_id();
        record.id = id;
        record.created_at = Utc::now();
        self.files.insert(id, record);
        self.emit(Event::File { file_id: id });
        Ok(id)
    }

    /// Stores a complete file for `user_id`.
    pub fn upload_file(
        &mut self,
        user_id: u64,
        name: String,
        mime_type: String,
        size: u64,
    ) -> Result<u64, OpError> {
        if name.trim().is_empty() {
            return Err(OpError::Invalid("name is required".into()));
        }
        let id = self.next_id();
        self.files.insert(
            id,
            FileRec {
                id,
                user_id,
                created_at: Utc::now(),
                name,
                mime_type,
                size,
                ..FileRec::default()
            },
        );
        self.emit(Event::File { file_id: id });
        Ok(id)
    }

    /// Deletes `user_id`'s file.
    pub fn delete_file(&mut self, user_id: u64, file_id: u64) -> Result<(), OpError> {
        let file = self
            .files
            .get_mut(&file_id)
            .filter(|f| !f.deleted && f.user_id == user_id)
            .ok_or(OpError::NotFound("file"))?;
        file.deleted = true;
        self.emit(Event::File { file_id });
        Ok(())
    }

    /// Renames `user_id`'s file (a file event: updated).
    pub fn rename_file(&mut self, user_id: u64, file_id: u64, name: String) -> Result<(), OpError> {
        if name.trim().is_empty() {
            return Err(OpError::Invalid("name is required".into()));
        }
        let file = self
            .files
            .get_mut(&file_id)
            .filter(|f| !f.deleted && f.user_id == user_id)
            .ok_or(OpError::NotFound("file"))?;
        file.name = name;
        self.emit(Event::File { file_id });
        Ok(())
    }

    /// Changes `user_id`'s display name (a token event: "your user object changed").
    pub fn update_profile(&mut self, user_id: u64, name: String) -> Result<(), OpError> {
        if name.trim().is_empty() || name.chars().count() > 50 {
            return Err(OpError::Invalid("name must be 1 to 50 characters".into()));
        }
        let user = self
            .users
            .get_mut(&user_id)
            .ok_or(OpError::NotFound("user"))?;
        user.name = name;
        self.emit(Event::Token { user_id });
        Ok(())
    }
}
