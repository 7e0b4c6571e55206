//! pnut wire models (serde, pure, no IO).
//!
//! Shapes follow `docs/pnut-api.md` §2 (envelope), §3 (user streams) and §6 (objects).
//! Every optional field is skipped when `None`, so a value built here serializes exactly
//! like pnut writes it; unknown input fields are ignored everywhere.

mod action;
mod channel;
mod entities;
mod envelope;
mod file;
mod ids;
mod poll;
mod post;
mod raw;
mod request;
mod stream;
mod token;
mod user;

pub use action::Action;
pub use channel::{
    Acl, AclFull, AclRead, AclWrite, Channel, ChannelCounts, LimitedUser, Message, MessageCounts,
};
pub use entities::{Entities, Link, Mention, Tag};
pub use envelope::{Envelope, ErrorEnvelope, Marker, Meta, StreamInfo};
pub use file::{AttachedTo, AudioInfo, File, ImageInfo, UploadParameters, VideoInfo};
pub use poll::{
    GENERAL_POLL_TYPE, POLL_NOTICE_RAW_TYPE, Poll, PollNotice, PollOption, PollRequest,
    poll_notice, poll_notice_request,
};
pub use post::{Content, Post, PostCounts, Source};
pub use raw::{LANGUAGE_RAW_TYPE, OEMBED_RAW_TYPE, OEmbed, Raw, language, oembeds, push_oembeds};
pub use request::{EntityOptions, MarkerUpdate, MessageRequest, PostRequest};
pub use stream::{EventData, EventKind, FollowEvent, StreamEvent, StreamHello, hello_frame};
pub use token::{AccessTokenResponse, Token, TokenApp, TokenStorage};
pub use user::{Badge, Image, Presence, User, UserContent, UserCounts, Verified};
