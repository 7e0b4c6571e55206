//! How a Misskey channel presents the events of the pnut endpoints it maps to (the `events`
//! column of `[mapping.misskey_channels]`, mapping.md §3.1).

use serde::{Deserialize, Serialize};

use super::catalog::{PnutData, pnut_endpoint_data, template_fits};
use super::tables::MappingTables;

/// The Misskey event family one pnut endpoint's items become on a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// `note` (posts, or channel messages).
    Note,
    /// `mention` (and `reply`) events of `main` (posts).
    Mention,
    /// `followed` / `follow` / `unfollow` events of `main` (follow relations).
    Follow,
    /// `meUpdated` (the token's user).
    MeUpdated,
    /// Drive file events (files).
    Drive,
    /// `driveFileCreated` of `main` (files): an upload only; updates and deletions are not
    /// `main` events (real-servers.md §1).
    DriveFileCreated,
}

impl EventKind {
    /// The kind an endpoint carrying `data` gets when its channel names none.
    pub fn default_for(data: PnutData) -> Option<Self> {
        match data {
            PnutData::Posts | PnutData::Messages => Some(Self::Note),
            PnutData::Follows => Some(Self::Follow),
            PnutData::Token => Some(Self::MeUpdated),
            PnutData::Files => Some(Self::Drive),
            PnutData::Other => None,
        }
    }

    /// Whether items of `data` can be presented as this kind.
    pub fn fits(self, data: PnutData) -> bool {
        match self {
            Self::Note => matches!(data, PnutData::Posts | PnutData::Messages),
            Self::Mention => data == PnutData::Posts,
            Self::Follow => data == PnutData::Follows,
            Self::MeUpdated => data == PnutData::Token,
            Self::Drive | Self::DriveFileCreated => data == PnutData::Files,
        }
    }
}

/// How Misskey channel `channel` presents the items of the concrete pnut `endpoint` (one its
/// `pnut` or `poll` templates resolved to): the channel's `events` entry for that template,
/// else the default of the endpoint's data; `None` when nothing is delivered.
pub fn event_kind(tables: &MappingTables, channel: &str, endpoint: &str) -> Option<EventKind> {
    let data = pnut_endpoint_data(endpoint);
    let configured = tables.misskey_channels.get(channel).and_then(|mapping| {
        mapping
            .pnut
            .iter()
            .chain(&mapping.poll)
            .filter(|template| template_fits(template, endpoint))
            .find_map(|template| mapping.events.get(template).copied())
    });
    configured
        .filter(|kind| kind.fits(data))
        .or_else(|| EventKind::default_for(data))
}

/// Whether Misskey channel `channel` gets reposts of the token owner's posts, from any of the
/// token's subscriptions, as `renote` + `notification` (`renotes_of_mine`).
pub fn gets_renotes_of_mine(tables: &MappingTables, channel: &str) -> bool {
    tables
        .misskey_channels
        .get(channel)
        .is_some_and(|mapping| mapping.renotes_of_mine)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::validate_tables;

    #[test]
    fn events_entries_name_a_template_of_the_channel_and_a_kind_its_data_fits() {
        let mut tables = MappingTables::default();
        let home = tables
            .misskey_channels
            .get_mut("homeTimeline")
            .expect("default channel");
        home.events
            .insert("/posts/streams/me".to_owned(), EventKind::Drive);
        home.events
            .insert("/token".to_owned(), EventKind::MeUpdated);
        let problems = validate_tables(&tables);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].starts_with(
                "mapping.misskey_channels.homeTimeline.events.\"/posts/streams/me\": "
            )
        );
        assert!(
            problems[0].contains("cannot be presented as Drive"),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with("mapping.misskey_channels.homeTimeline.events.\"/token\": ")
        );
        assert!(
            problems[1].contains("not one of this channel's"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_configured_kind_overrides_the_default_of_the_data() {
        let mut tables = MappingTables::default();
        let home = tables
            .misskey_channels
            .get_mut("homeTimeline")
            .expect("default channel");
        home.events
            .insert("/posts/streams/me".to_owned(), EventKind::Mention);
        assert_eq!(validate_tables(&tables), Vec::<String>::new());
        assert_eq!(
            event_kind(&tables, "homeTimeline", "/posts/streams/me"),
            Some(EventKind::Mention)
        );
        assert_eq!(
            event_kind(&tables, "main", "/users/me/mentions"),
            Some(EventKind::Mention)
        );
    }

    #[test]
    fn default_tables_keep_the_historic_event_families() {
        let tables = MappingTables::default();
        let kind = |channel, endpoint| event_kind(&tables, channel, endpoint);
        assert_eq!(
            kind("homeTimeline", "/posts/streams/me"),
            Some(EventKind::Note)
        );
        assert_eq!(kind("main", "/users/me/mentions"), Some(EventKind::Mention));
        assert_eq!(kind("main", "/users/me/followers"), Some(EventKind::Follow));
        assert_eq!(kind("main", "/token"), Some(EventKind::MeUpdated));
        assert_eq!(kind("drive", "/users/me/files"), Some(EventKind::Drive));
        assert_eq!(
            kind("channel", "/channels/7/messages"),
            Some(EventKind::Note)
        );
        assert_eq!(kind("hashtag", "/posts/tags/rust"), Some(EventKind::Note));
        assert_eq!(kind("main", "/posts/1/thread"), Some(EventKind::Note));
        assert_eq!(kind("main", "/presence"), None);
        assert!(gets_renotes_of_mine(&tables, "main"));
        assert!(!gets_renotes_of_mine(&tables, "homeTimeline"));
    }
}
