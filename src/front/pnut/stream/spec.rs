//! One subscription as the hub sees it, derived once from its resolved mapping plan
//! (`[mapping.pnut_endpoints]`, mapping.md §4.2): the Misskey channels it joins, the note it
//! captures, and which upstream events it takes.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::ids::{IdFormat, pnut_to_misskey};
use crate::mapping::SubscribePlan;

/// What one subscription joins upstream and which events it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct SubSpec {
    /// Misskey channels to join: (channel name, connect params with Misskey ids).
    pub joins: Vec<(String, Map<String, Value>)>,
    /// Misskey id of a note to capture (`subNote`), if any.
    pub capture: Option<String>,
    /// pnut id of the captured post (thread subscriptions match on it).
    pub capture_pnut: Option<String>,
    /// Misskey channel → the event types of it taken (a channel not listed: every event).
    pub events: BTreeMap<String, Vec<String>>,
    /// Only the token owner's own notes pass.
    pub own_only: bool,
}

impl SubSpec {
    /// The spec of `plan`: pnut ids in connect params (`…Id` keys holding a decimal) and the
    /// capture become Misskey ids of `format`.
    pub fn from_plan(plan: &SubscribePlan, format: IdFormat) -> Self {
        let to_misskey =
            |value: &str| pnut_to_misskey(value, format).unwrap_or_else(|_| value.to_owned());
        let joins = plan
            .joins
            .iter()
            .map(|join| {
                let mut params = match &join.params {
                    Value::Object(map) => map.clone(),
                    _ => Map::new(),
                };
                for (key, value) in params.iter_mut() {
                    if let Value::String(text) = value
                        && key.ends_with("Id")
                        && !text.is_empty()
                        && text.bytes().all(|b| b.is_ascii_digit())
                    {
                        *text = to_misskey(text);
                    }
                }
                (join.channel.clone(), params)
            })
            .collect();
        Self {
            joins,
            capture: plan.capture.as_deref().map(to_misskey),
            capture_pnut: plan.capture.clone(),
            events: plan.events.clone(),
            own_only: plan.own_only,
        }
    }

    /// Whether event `kind` of joined Misskey channel `channel` is taken: the channel's
    /// `events` list names it, or the list is empty or absent.
    pub fn takes(&self, channel: &str, kind: &str) -> bool {
        self.events
            .get(channel)
            .is_none_or(|kinds| kinds.is_empty() || kinds.iter().any(|k| k == kind))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::mapping::{MappingTables, resolve_subscribe};

    fn spec(path: &str) -> SubSpec {
        let plan = resolve_subscribe(&MappingTables::default(), path, &BTreeMap::new())
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        SubSpec::from_plan(&plan, IdFormat::Aidx)
    }

    /// The default table's filters are the rules the hub applied before the table had them.
    #[test]
    fn default_rows_take_what_the_hub_always_took() {
        let unified = spec("/posts/streams/unified");
        assert!(unified.takes("homeTimeline", "note"));
        assert!(unified.takes("main", "mention"));
        assert!(!unified.takes("main", "followed"));
        let following = spec("/users/me/following");
        assert!(following.takes("main", "follow") && following.takes("main", "unfollow"));
        assert!(!following.takes("main", "mention"));
        let thread = spec("/posts/1/thread");
        assert!(thread.takes("main", "reply") && !thread.takes("main", "renote"));
        assert!(spec("/users/me/files").takes("drive", "fileDeleted"));
        assert!(!spec("/token").takes("main", "followed"));
    }

    #[test]
    fn an_empty_or_missing_event_list_takes_every_event() {
        let mut me = spec("/posts/streams/me");
        me.events.insert("homeTimeline".into(), Vec::new());
        assert!(me.takes("homeTimeline", "anything"));
        me.events.clear();
        assert!(me.takes("homeTimeline", "anything"));
    }
}
