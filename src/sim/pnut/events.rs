//! Stream fan-out: which subscriptions an event matches and the frame each connection gets
//! (pnut-api.md §3.2, §3.3): one frame per event per connection, naming every matching
//! subscription in `meta.subscription_ids`.

use chrono::Utc;

use super::hub::{RawFlags, SubTarget};
use super::render;
use super::world::World;
use crate::pnut::{Envelope, EventData, FollowEvent, StreamEvent};

/// Something that happened in the world and may reach user streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A post was created, reposted, revised (`revised`) or deleted (flag on the record).
    Post {
        /// The post (or repost) id.
        post_id: u64,
        /// True when this event is a revision.
        revised: bool,
    },
    /// `follower` followed (or, with `deleted`, unfollowed) `followed`.
    Follow {
        /// The actor.
        follower: u64,
        /// The target.
        followed: u64,
        /// True for an unfollow.
        deleted: bool,
    },
    /// A message was created or deleted (flag on the record).
    Message {
        /// The message id.
        message_id: u64,
    },
    /// Someone (un)subscribed to a channel.
    ChannelSubscription {
        /// The channel id.
        channel_id: u64,
    },
    /// A user's token/profile changed.
    Token {
        /// The user id.
        user_id: u64,
    },
    /// A file was created, updated or deleted (flag on the record).
    File {
        /// The file id.
        file_id: u64,
    },
}

impl World {
    /// Whether `target` (of a connection of `viewer`) matches `event`.
    fn matches(&self, viewer: u64, target: &SubTarget, event: &Event) -> bool {
        match event {
            Event::Post { post_id, .. } => {
                let Some(post) = self.posts.get(post_id) else {
                    return false;
                };
                let author = post.user_id;
                let personal = author == viewer || self.follows(viewer, author);
                match target {
                    SubTarget::UserPosts(user) => author == *user,
                    SubTarget::UserMentions(user) => self.post_mentions(post, *user),
                    SubTarget::Thread(thread) => {
                        post.thread_id == *thread && post.repost_of.is_none()
                    }
                    SubTarget::StreamMe => personal,
                    SubTarget::StreamUnified => personal || self.post_mentions(post, viewer),
                    _ => false,
                }
            }
            Event::Follow {
                follower, followed, ..
            } => match target {
                SubTarget::Following(user) => follower == user,
                SubTarget::Followers(user) => followed == user,
                _ => false,
            },
            Event::Message { message_id } => {
                let Some(message) = self.messages.get(message_id) else {
                    return false;
                };
                let channel_id = message.channel_id;
                match target {
                    SubTarget::ChannelMessages(channel) => *channel == channel_id,
                    SubTarget::SubscribedChannels => self
                        .channels
                        .get(&channel_id)
                        .is_some_and(|c| c.members.contains(&viewer)),
                    _ => false,
                }
            }
            Event::ChannelSubscription { channel_id } => match target {
                SubTarget::ChannelSubscribers(channel) => channel == channel_id,
                SubTarget::SubscribedChannels => self
                    .channels
                    .get(channel_id)
                    .is_some_and(|c| c.members.contains(&viewer)),
                _ => false,
            },
            Event::Token { user_id } => matches!(target, SubTarget::Token) && *user_id == viewer,
            Event::File { file_id } => {
                matches!(target, SubTarget::Files)
                    && self.files.get(file_id).is_some_and(|f| f.user_id == viewer)
            }
        }
    }

    /// The frame of `event` for a connection of `viewer` (without subscription ids).
    fn frame(&self, viewer: u64, event: &Event, raw: RawFlags) -> Option<StreamEvent> {
        let mut parts = match event {
            Event::Post { post_id, revised } => {
                let rec = self.posts.get(post_id)?;
                let post = render::post_raw(render::post(self, rec, Some(viewer)), raw.post);
                FrameParts::new(
                    *post_id,
                    EventData::List(vec![serde_json::to_value(post).ok()?]),
                )
                .deleted(rec.deleted)
                .revision((*revised).then_some(rec.revision))
            }
            Event::Follow {
                follower,
                followed,
                deleted,
            } => {
                let pair = FollowEvent {
                    user: render::user(self, *follower, Some(viewer))?,
                    followed_user: render::user(self, *followed, Some(viewer))?,
                };
                FrameParts::new(
                    *followed,
                    EventData::Object(serde_json::to_value(pair).ok()?),
                )
                .deleted(*deleted)
            }
            Event::Message { message_id } => {
                let rec = self.messages.get(message_id)?;
                let channel = self.channels.get(&rec.channel_id)?;
                let message = render::message(self, rec, Some(viewer));
                let mut parts = FrameParts::new(
                    *message_id,
                    EventData::List(vec![serde_json::to_value(message).ok()?]),
                )
                .deleted(rec.deleted);
                parts.channel_type = Some(channel.kind.clone());
                parts.channel_name = channel.name.clone();
                parts
            }
            Event::ChannelSubscription { channel_id } => {
                let rec = self.channels.get(channel_id)?;
                let channel =
                    render::channel_raw(render::channel(self, rec, Some(viewer)), raw.channel);
                FrameParts::new(
                    *channel_id,
                    EventData::Object(serde_json::to_value(channel).ok()?),
                )
            }
            Event::Token { user_id } => FrameParts::new(
                *user_id,
                EventData::Object(serde_json::to_value(render::token(self, *user_id)).ok()?),
            ),
            Event::File { file_id } => {
                let rec = self.files.get(file_id)?;
                FrameParts::new(
                    *file_id,
                    EventData::Object(serde_json::to_value(render::file(self, rec)).ok()?),
                )
                .deleted(rec.deleted)
            }
        };
        let data = std::mem::replace(&mut parts.data, EventData::List(Vec::new()));
        let mut frame = Envelope::event(
            parts.id.to_string(),
            Utc::now().timestamp(),
            Vec::new(),
            data,
        );
        frame.meta.is_deleted = parts.is_deleted.then_some(true);
        frame.meta.revision = parts.revision;
        frame.meta.channel_type = parts.channel_type;
        frame.meta.channel_name = parts.channel_name;
        Some(frame)
    }

    /// Sends `event` to every connection with at least one matching subscription.
    pub fn emit(&mut self, event: Event) {
        let mut outgoing: Vec<(String, String)> = Vec::new();
        for (connection_id, conn) in self.hub.connections() {
            let matching: Vec<_> = conn
                .subscriptions
                .iter()
                .filter(|sub| self.matches(conn.user_id, &sub.target, &event))
                .collect();
            if matching.is_empty() {
                continue;
            }
            let raw = matching
                .iter()
                .fold(conn.raw, |flags, sub| flags.union(sub.raw));
            let subscription_ids = matching.iter().map(|sub| sub.id.clone()).collect();
            let Some(mut frame) = self.frame(conn.user_id, &event, raw) else {
                continue;
            };
            frame.meta.subscription_ids = Some(subscription_ids);
            if let Ok(text) = serde_json::to_string(&frame) {
                outgoing.push((connection_id.clone(), text));
            }
        }
        for (connection_id, text) in outgoing {
            self.hub.deliver(&connection_id, text);
        }
    }
}

/// The pieces of one event frame before the subscription ids are known.
struct FrameParts {
    id: u64,
    data: EventData,
    is_deleted: bool,
    revision: Option<i64>,
    channel_type: Option<String>,
    channel_name: Option<String>,
}

impl FrameParts {
    fn new(id: u64, data: EventData) -> Self {
        Self {
            id,
            data,
            is_deleted: false,
            revision: None,
            channel_type: None,
            channel_name: None,
        }
    }

    fn deleted(mut self, is_deleted: bool) -> Self {
        self.is_deleted = is_deleted;
        self
    }

    fn revision(mut self, revision: Option<i64>) -> Self {
        self.revision = revision;
        self
    }
}
