//! Pure translation between pnut and Misskey models (mapping.md §5). No IO, no config access:
//! every function takes an [`Options`].
//!
//! Id conventions: pnut → Misskey functions (the Misskey front, pnut upstream) zero-pad pnut ids
//! to `Options::pnut_id_width`; Misskey → pnut functions (the pnut front, Misskey upstream) read
//! Misskey ids as numbers in `Options::id_format` and print them in decimal (see [`crate::ids`]).
//! Results that may legitimately be dropped are [`Translated`]; failures are
//! [`TranslateError`] (the caller drops the object and counts a warning).

pub mod channel;
pub mod content;
pub mod dates;
pub mod drive_file;
pub mod entities;
pub mod error;
pub mod events_misskey;
pub mod events_pnut;
pub mod files;
pub mod html;
mod ids;
pub mod message;
pub mod options;
pub mod poll;
pub mod post_note;
pub mod user;

pub use channel::misskey_channel_to_pnut;
pub use content::content_from_text;
pub use dates::{DateError, misskey_date_to_pnut, pnut_date_to_misskey};
pub use drive_file::{drive_file_to_file, file_to_drive_file};
pub use entities::{UNKNOWN_MENTION_ID, entities_from_text};
pub use error::{SkipReason, TranslateError, Translated};
pub use events_misskey::{
    ChannelEvent, NoteUpdate, file_to_drive_event, follow_to_main_events, follower_to_notification,
    mention_to_main_events, mention_to_notification, post_change_to_note_updated,
    repost_to_main_events, token_to_me_updated,
};
pub use events_pnut::{MISSKEY_REVISION, PnutEvent, misskey_event_to_pnut, note_updated_to_pnut};
pub use html::html_from_entities;
pub use message::{message_to_note, note_to_message};
pub use options::Options;
pub use poll::{PollsByPost, attach_event_polls, attach_note_polls, pnut_poll_to_misskey};
pub use post_note::{note_to_post, note_to_post_unfiltered, post_to_note};
pub use user::{
    misskey_detailed_to_pnut, misskey_me_to_pnut, misskey_user_to_pnut, placeholder_user_lite,
    pnut_user_to_detailed, pnut_user_to_lite, pnut_user_to_me,
};
