//! Pure translation between pnut and Misskey models (mapping.md §5).

pub mod content;
pub mod dates;
pub mod entities;
pub mod error;
pub mod html;
pub mod options;

pub use content::content_from_text;
pub use dates::{DateError, misskey_date_to_pnut, pnut_date_to_misskey};
pub use entities::{UNKNOWN_MENTION_ID, entities_from_text};
pub use error::{SkipReason, TranslateError, Translated};
pub use html::html_from_entities;
pub use options::Options;
