//! The frames a relay moves: a pool's frames for virtual channels, re-spliced for each local
//! client's own channel id (the same splicing the pool does: one frame per distinct id), and
//! the fleet's own small messages.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The start of a `channel` frame the pool builds (`deliver.rs`), up to the id's value.
const CHANNEL_PREFIX: &str = r#"{"type":"channel","body":{"id":"#;

/// The virtual channel id of a Misskey connect: the same on every instance for the same
/// channel and params, so one upstream channel connection serves the whole fleet.
pub(super) fn virtual_id(channel: &str, params: &Value) -> String {
    let digest = Sha256::digest(format!("{channel}\n{params}").as_bytes());
    let mut id = hex::encode(digest);
    id.truncate(20);
    format!("v{id}")
}

/// What one frame of the owner's pool is.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Frame<'a> {
    /// A `channel` frame of virtual channel `vid`; `rest` follows its id (`,"type":…`).
    Channel { vid: &'a str, rest: &'a str },
    /// `connected` for virtual channel `vid`.
    Connected { vid: String },
    /// `noteUpdated` of note `note_id`.
    NoteUpdated { note_id: String },
    /// The fleet's "a new owner is here: tell it what you need".
    OwnerHello,
    /// Anything else (ignored).
    Other,
}

/// The fleet's own frame announcing a new owner.
pub(super) fn owner_hello(instance: &str) -> String {
    serde_json::json!({ "type": "fleet:owner", "body": { "instance": instance } }).to_string()
}

/// Reads what `frame` is (the channel case without parsing the event body).
pub(super) fn classify(frame: &str) -> Frame<'_> {
    if let Some(after) = frame.strip_prefix(CHANNEL_PREFIX)
        && let Some(after) = after.strip_prefix('"')
        && let Some((vid, rest)) = after.split_once('"')
        && !vid.contains('\\')
    {
        return Frame::Channel { vid, rest };
    }
    let Ok(value) = serde_json::from_str::<Value>(frame) else {
        return Frame::Other;
    };
    let id = value["body"]["id"].as_str().map(str::to_owned);
    match (value["type"].as_str(), id) {
        (Some("connected"), Some(vid)) => Frame::Connected { vid },
        (Some("noteUpdated"), Some(note_id)) => Frame::NoteUpdated { note_id },
        (Some("fleet:owner"), _) => Frame::OwnerHello,
        _ => Frame::Other,
    }
}

/// The Misskey note id a `channel` frame's `rest` carries, when it is a `note` event.
pub(super) fn note_id(rest: &str) -> Option<String> {
    let rest = rest.strip_prefix(r#","type":"note","body":"#)?;
    let body = rest.strip_suffix("}}")?;
    let value: Value = serde_json::from_str(body).ok()?;
    value["id"].as_str().map(str::to_owned)
}

/// Builds the `channel` frame for each local channel id from one virtual frame's `rest`,
/// once per distinct id.
pub(super) struct Splicer<'a> {
    rest: &'a str,
    by_id: HashMap<&'a str, Arc<str>>,
}

impl<'a> Splicer<'a> {
    pub(super) fn new(rest: &'a str) -> Self {
        Self {
            rest,
            by_id: HashMap::new(),
        }
    }

    pub(super) fn for_id(&mut self, id: &'a str) -> Arc<str> {
        let rest = self.rest;
        Arc::clone(self.by_id.entry(id).or_insert_with(|| {
            let id = Value::String(id.to_owned());
            Arc::from(format!("{CHANNEL_PREFIX}{id}{rest}"))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_frames_are_respliced_per_client_id() {
        let vid = virtual_id("homeTimeline", &Value::Null);
        assert_eq!(vid, virtual_id("homeTimeline", &Value::Null));
        assert_ne!(vid, virtual_id("localTimeline", &Value::Null));
        let frame = format!(
            r#"{{"type":"channel","body":{{"id":"{vid}","type":"note","body":{{"id":"abc","text":"x"}}}}}}"#
        );
        let Frame::Channel { vid: read, rest } = classify(&frame) else {
            panic!("a channel frame");
        };
        assert_eq!(read, vid);
        assert_eq!(note_id(rest).as_deref(), Some("abc"));
        let mut splicer = Splicer::new(rest);
        let spliced = splicer.for_id("1");
        let value: Value = serde_json::from_str(&spliced).expect("json");
        assert_eq!(value["body"]["id"], "1");
        assert_eq!(value["body"]["body"]["text"], "x");
        assert!(Arc::ptr_eq(&spliced, &splicer.for_id("1")));
        assert_eq!(
            classify(r#"{"type":"connected","body":{"id":"v1"}}"#),
            Frame::Connected {
                vid: "v1".to_owned()
            }
        );
        assert_eq!(classify(&owner_hello("a")), Frame::OwnerHello);
        assert_eq!(classify("not json"), Frame::Other);
    }
}
