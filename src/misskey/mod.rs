//! Misskey wire models (serde, pure, no IO).
//!
//! Shapes follow `docs/misskey.md` §2–§7 (Misskey 2026.5.1). Keys the server always writes
//! are always serialized (`null` where nullable); keys it omits are skipped when `None`.
//! Unknown input keys are ignored everywhere.

mod channel;
mod client_message;
mod drive;
mod emoji;
mod error;
mod following;
mod me;
mod meta;
mod meta_build;
mod note;
mod note_updated;
mod notification;
mod request;
mod server_message;
mod user;

pub use channel::Channel;
pub use client_message::{
    ChannelMessageBody, ClientMessage, ConnectBody, ParseError, parse_client_message,
};
pub use drive::{DriveFile, DriveFileProperties, DriveFolder};
pub use emoji::{Announcement, Emoji};
pub use error::{ApiError, ApiErrorBody, ErrorKind};
pub use following::Following;
pub use me::{MeDetailed, MeDetailedFields, default_role_policies};
pub use meta::InstanceMeta;
pub use meta_build::{MetaFields, instance_meta_json};
pub use note::{Note, NoteChannel, Poll, PollChoice, Visibility};
pub use note_updated::{
    DeletedBody, NoteUpdatedEvent, PollVotedBody, ReactedBody, ReactionEmoji, UnreactedBody,
    UpdatedBody,
};
pub use notification::{Notification, NotificationType};
pub use request::{
    CreatedNote, EmojisResponse, NoteCreateRequest, NoteIdRequest, Pagination, PollRequest,
    ReactionRequest, UserRequest,
};
pub use server_message::ServerMessage;
pub use user::{
    AvatarDecoration, OnlineStatus, ProfileField, RoleLite, UserDetailed, UserDetailedFields,
    UserLite,
};
