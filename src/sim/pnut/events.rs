//! Stream fan-out: which subscriptions an event matches and the frame each connection gets
//! (pnut-api.md §3.2, §3.3): one frame per event per connection, naming every matching
//! subscription in `meta.subscription_ids`.

use chrono::Utc;

use super::hub::SubTarget;
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
                    SubTarget::Thread(thread) => post.thread_id == *thread,
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
    fn frame(&self, viewer: u64, event: &Event) -> Option<StreamEvent> {
        let now = Utc::now().timestamp();
        let (id, data, mut meta_fix): (u64, EventData, Box<dyn FnMut(&mut StreamEvent)>) =
            match event {
                Event::Post { post_id, revised } => {
                    let rec = self.posts.get(post_id)?;
                    let post = render::post(self, rec, Some(viewer));
                    let deleted = rec.deleted;
                    let revision = (*revised).then_some(rec.revision);
                    (
                        *post_id,
                        EventData::List(vec![serde_json::to_value(&post).ok()?]),
                        Box::new(move |frame: &mut StreamEvent| {
                            frame.meta.is_deleted = deleted.then_some(true);
                            frame.meta.revision = revision;
                        }),
                    )
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
                    let deleted = *deleted;
                    (
                        *followed,
                        EventData::Object(serde_json::to_value(&pair).ok()?),
                        Box::new(move |frame: &mut StreamEvent| {
                            frame.meta.is_deleted = deleted.then_some(true);
                        }),
                    )
                }
                Event::Message { message_id } => {
                    let rec = self.messages.get(message_id)?;
                    let channel = self.channels.get(&rec.channel_id)?;
                    let message = render::message(self, rec, Some(viewer));
                    let deleted = rec.deleted;
                    let channel_type = channel.kind.clone();
                    let channel_name = channel.name.clone();
                    (
                        *message_id,
                        EventData::List(vec![serde_json::to_value(&message).ok()?]),
                        Box::new(move |frame: &mut StreamEvent| {
                            frame.meta.is_deleted = deleted.then_some(true);
                            frame.meta.channel_type = Some(channel_type.clone());
                            frame.meta.channel_name = channel_name.clone();
                        }),
                    )
                }
                Event::ChannelSubscription { channel_id } => {
                    let rec = self.channels.get(channel_id)?;
                    let channel = render::channel(self, rec, Some(viewer));
                    (
                        *channel_id,
                        EventData::Object(serde_json::to_value(&channel).ok()?),
                        Box::new(|_: &mut StreamEvent| {}),
                    )
                }
                Event::Token { user_id } => (
                    *user_id,
                    EventData::Object(serde_json::to_value(&render::token(self, *user_id)).ok()?),
                    Box::new(|_: &mut StreamEvent| {}),
                ),
                Event::File { file_id } => {
                    let rec = self.files.get(file_id)?;
                    let deleted = rec.deleted;
                    (
                        *file_id,
                        EventData::Object(serde_json::to_value(&render::file(self, rec)).ok()?),
                        Box::new(move |frame: &mut StreamEvent| {
                            frame.meta.is_deleted = deleted.then_some(true);
                        }),
                    )
                }
            };
        let mut frame = Envelope::event(id.to_string(), now, Vec::new(), data);
        meta_fix(&mut frame);
        Some(frame)
    }

    /// Sends `event` to every connection with at least one matching subscription.
    pub fn emit(&mut self, event: Event) {
        let mut outgoing: Vec<(String, String)> = Vec::new();
        for (connection_id, conn) in self.hub.connections() {
            let subscription_ids: Vec<String> = conn
                .subscriptions
                .iter()
                .filter(|sub| self.matches(conn.user_id, &sub.target, &event))
                .map(|sub| sub.id.clone())
                .collect();
            if subscription_ids.is_empty() {
                continue;
            }
            let Some(mut frame) = self.frame(conn.user_id, &event) else {
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
