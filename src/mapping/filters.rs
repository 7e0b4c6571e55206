//! Note filters a Misskey channel connect asks for, applied by the bridge (not upstream).

use serde_json::Value;

use super::tables::MappingTables;

/// The bridge-side note filters of one channel connection (misskey.md §4 defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteFilters {
    /// `withRenotes` (default true): `false` drops pure renotes.
    pub with_renotes: bool,
    /// `withFiles` (default false): `true` keeps only notes with files.
    pub with_files: bool,
    /// `withReplies` (default false): `true` keeps replies to third parties.
    pub with_replies: bool,
}

impl Default for NoteFilters {
    fn default() -> Self {
        Self {
            with_renotes: true,
            with_files: false,
            with_replies: false,
        }
    }
}

/// The filters of a connect: only params listed in the channel's `filters` count, and only when
/// they are booleans; anything else keeps the Misskey default.
pub fn connect_filters(tables: &MappingTables, channel: &str, params: &Value) -> NoteFilters {
    let mut filters = NoteFilters::default();
    let Some(mapping) = tables.misskey_channels.get(channel) else {
        return filters;
    };
    for name in &mapping.filters {
        let Some(value) = params.get(name).and_then(Value::as_bool) else {
            continue;
        };
        match name.as_str() {
            "withRenotes" => filters.with_renotes = value,
            "withFiles" => filters.with_files = value,
            "withReplies" => filters.with_replies = value,
            _ => {}
        }
    }
    filters
}
