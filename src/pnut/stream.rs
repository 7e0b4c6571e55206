//! User-stream frames (pnut-api.md §3): the hello frame and event frames.
//!
//! `data` is a list for post, message and presence events and a single object for follow,
//! channel-subscription, token and file events (§3.2), so [`EventData`] keeps either shape
//! verbatim and offers typed accessors.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::channel::{Channel, Message};
use super::envelope::{Envelope, Meta, StreamInfo};
use super::file::File;
use super::post::Post;
use super::token::Token;
use super::user::{Presence, User};

/// The first frame of a stream: `{"meta": {"stream": {"endpoint"}, "connection_id"}}`.
pub type StreamHello = Envelope<Value>;

/// An event frame: `meta` {timestamp, id, subscription_ids, ...} plus list-or-object `data`.
pub type StreamEvent = Envelope<EventData>;

/// Builds the hello frame sent right after a user-stream connection opens.
pub fn hello_frame(endpoint: impl Into<String>, connection_id: impl Into<String>) -> StreamHello {
    Envelope {
        meta: Meta {
            stream: Some(StreamInfo {
                endpoint: endpoint.into(),
                ..StreamInfo::default()
            }),
            connection_id: Some(connection_id.into()),
            ..Meta::default()
        },
        data: None,
    }
}

/// The `data` of an event frame: a JSON list or a single JSON object, kept as-is so it
/// round-trips exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EventData {
    /// A list (post, message, user_presence, user_channel_presence events).
    List(Vec<Value>),
    /// A single object (follow, channel subscription, token, file events).
    Object(Value),
}

/// Kind of a user-stream event (§3.3). User streams carry no `meta.type`; the kind is known
/// from the subscription that produced the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// Post created, reposted, revised or deleted; data `[Post]`.
    Post,
    /// Message created or deleted; data `[Message]`.
    Message,
    /// Follow or unfollow; data `{user, followed_user}`.
    Follow,
    /// Channel subscription change; data `Channel`.
    ChannelSubscription,
    /// New token or profile update; data `Token`.
    Token,
    /// File change; data `File`.
    File,
    /// Presence change of a followed user; data `[Presence]`.
    UserPresence,
    /// Presence change in a channel; data `[Presence]`.
    UserChannelPresence,
}

impl EventKind {
    /// Whether this kind's `data` is a list (otherwise a single object).
    pub fn data_is_list(self) -> bool {
        matches!(
            self,
            EventKind::Post
                | EventKind::Message
                | EventKind::UserPresence
                | EventKind::UserChannelPresence
        )
    }
}

/// Data of a follow event; both users' streams get the same frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FollowEvent {
    /// The actor (who followed or unfollowed).
    pub user: User,
    /// The user who was (un)followed.
    pub followed_user: User,
}

impl EventData {
    /// Wraps typed items as list data.
    pub fn list<T: Serialize>(items: &[T]) -> Result<Self, serde_json::Error> {
        items
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<Vec<_>, _>>()
            .map(EventData::List)
    }

    /// Wraps one typed object as object data.
    pub fn object<T: Serialize>(item: &T) -> Result<Self, serde_json::Error> {
        serde_json::to_value(item).map(EventData::Object)
    }

    /// Decodes list data into typed items; single-object data yields a one-item list
    /// (the pre-1.0 shape of post/message events).
    pub fn items<T: DeserializeOwned>(&self) -> Result<Vec<T>, serde_json::Error> {
        match self {
            EventData::List(items) => items.iter().map(|item| T::deserialize(item)).collect(),
            EventData::Object(item) => T::deserialize(item).map(|one| vec![one]),
        }
    }

    /// Decodes object data into a typed value; fails on list data.
    pub fn single<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        match self {
            EventData::Object(item) => T::deserialize(item),
            EventData::List(_) => Err(serde::de::Error::custom(
                "expected single-object event data, found a list",
            )),
        }
    }

    /// Posts of a post event.
    pub fn posts(&self) -> Result<Vec<Post>, serde_json::Error> {
        self.items()
    }

    /// Messages of a message event.
    pub fn messages(&self) -> Result<Vec<Message>, serde_json::Error> {
        self.items()
    }

    /// Presence entries of a presence event.
    pub fn presences(&self) -> Result<Vec<Presence>, serde_json::Error> {
        self.items()
    }

    /// The pair of a follow event.
    pub fn follow(&self) -> Result<FollowEvent, serde_json::Error> {
        self.single()
    }

    /// The channel of a channel-subscription event.
    pub fn channel(&self) -> Result<Channel, serde_json::Error> {
        self.single()
    }

    /// The token of a token event.
    pub fn token(&self) -> Result<Token, serde_json::Error> {
        self.single()
    }

    /// The file of a file event.
    pub fn file(&self) -> Result<File, serde_json::Error> {
        self.single()
    }
}

impl Envelope<EventData> {
    /// Builds an event frame for `subscription_ids` about object `id` at unix `timestamp`.
    pub fn event(
        id: impl Into<String>,
        timestamp: i64,
        subscription_ids: Vec<String>,
        data: EventData,
    ) -> Self {
        Envelope {
            meta: Meta {
                id: Some(id.into()),
                timestamp: Some(timestamp),
                subscription_ids: Some(subscription_ids),
                ..Meta::default()
            },
            data: Some(data),
        }
    }
}

impl<T> Envelope<T> {
    /// True for a stream hello frame (`meta.connection_id` present, no `data`).
    pub fn is_hello(&self) -> bool {
        self.meta.connection_id.is_some() && self.data.is_none()
    }
}
