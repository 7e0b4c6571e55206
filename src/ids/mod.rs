//! The reversible, order-preserving id mapping between Misskey ids and decimal pnut ids
//! (mapping.md §5 "Ids").

mod bignum;
mod error;
mod misskey_ids;
mod pnut_ids;
mod time;

use serde::{Deserialize, Serialize};

pub use error::IdError;
pub use misskey_ids::{misskey_to_pnut, pnut_to_misskey};
pub use pnut_ids::{DEFAULT_PNUT_ID_WIDTH, cmp_decimal, pnut_id_from_misskey, pnut_id_to_misskey};
pub use time::misskey_id_time;

/// The id format of a Misskey server (`id` in its config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdFormat {
    /// `aid`: 10 base36 chars (8 time + 2 random).
    Aid,
    /// `aidx`: 16 base36 chars (8 time + 4 node + 4 counter); the default.
    #[default]
    Aidx,
    /// `meid`: 24 hex chars.
    Meid,
    /// `meidg`: 24 hex chars (`g` prefix).
    Meidg,
    /// `objectid`: 24 hex chars.
    Objectid,
    /// `ulid`: 26 Crockford base32 chars.
    Ulid,
}
