//! Pure translation between pnut and Misskey models (mapping.md §5).

pub mod content;
pub mod dates;
pub mod entities;
pub mod html;

pub use content::{Content, content_from_text};
pub use dates::{DateError, misskey_date_to_pnut, pnut_date_to_misskey};
pub use entities::{Entities, LinkEntity, MentionEntity, TagEntity, entities_from_text};
pub use html::html_from_entities;
