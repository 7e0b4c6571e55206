//! The translation of one upstream event into the facts every matching subscription shares,
//! and the per-subscription filters on them (mapping.md §4.2). Which event types a
//! subscription takes at all comes from its [`SubSpec`] (the mapping table).

use serde_json::Value;

use super::spec::SubSpec;
use crate::front::pnut::CHAT_CHANNEL_TYPE;
use crate::misskey::{Note, NoteUpdatedEvent};
use crate::pnut::{EventData, EventKind, Token, User};
use crate::translate::{
    Options, PnutEvent, Translated, misskey_event_to_pnut, note_to_message, note_updated_to_pnut,
};

/// One translated upstream event plus what subscription filters look at.
#[derive(Debug, Clone)]
pub struct EventFacts {
    /// The pnut event (kind, `meta.id`, data, flags).
    pub event: PnutEvent,
    /// Identifies the event for deduplication (same object, same change).
    pub dedup_key: String,
    /// `meta.channel_type` (messages).
    pub channel_type: Option<String>,
    /// Post author's pnut id (posts).
    pub author_id: Option<String>,
    /// Post id, thread id and parent id (posts), for thread subscriptions.
    pub post_ids: Vec<String>,
}

impl EventFacts {
    fn new(event: PnutEvent, channel_type: Option<String>) -> Self {
        let dedup_key = format!(
            "{:?}/{}/{}/{:?}",
            event.kind, event.object_id, event.is_deleted, event.revision
        );
        let (author_id, post_ids) = match (&event.kind, &event.data) {
            (EventKind::Post, EventData::List(_)) => match event.data.posts() {
                Ok(posts) => {
                    let author = posts
                        .first()
                        .and_then(|p| p.user.as_ref().map(|u| u.id.clone()).or(p.user_id.clone()));
                    let ids = posts
                        .iter()
                        .flat_map(|p| {
                            [
                                Some(p.id.clone()),
                                Some(p.thread_id.clone()),
                                p.reply_to.clone(),
                            ]
                        })
                        .flatten()
                        .collect();
                    (author, ids)
                }
                Err(_) => (None, Vec::new()),
            },
            _ => (None, Vec::new()),
        };
        Self {
            event,
            dedup_key,
            channel_type,
            author_id,
            post_ids,
        }
    }

    /// Whether the subscription's own filters let this event through.
    pub fn passes(&self, spec: &SubSpec, me: &User) -> bool {
        if spec.own_only && self.author_id.as_deref() != Some(me.id.as_str()) {
            return false;
        }
        match (&spec.capture_pnut, self.event.kind) {
            (Some(root), EventKind::Post) => self.post_ids.iter().any(|id| id == root),
            _ => true,
        }
    }
}

/// A `channel` event of Misskey channel `channel` → facts; `None` when it has no pnut form.
pub fn translate_channel_event(
    channel: &str,
    kind: &str,
    body: &Value,
    me: &User,
    token: &Token,
    opts: &Options,
) -> Option<EventFacts> {
    if channel == "channel" {
        if kind != "note" {
            return None;
        }
        let note: Note = serde_json::from_value(body.clone()).ok()?;
        let message = note_to_message(&note, opts).ok()?;
        let event = PnutEvent {
            kind: EventKind::Message,
            object_id: message.id.clone(),
            data: EventData::list(&[message]).ok()?,
            is_deleted: false,
            revision: None,
        };
        return Some(EventFacts::new(event, Some(CHAT_CHANNEL_TYPE.to_owned())));
    }
    match misskey_event_to_pnut(kind, body, me, token, opts) {
        Ok(Translated::Done(event)) => Some(EventFacts::new(event, None)),
        Ok(Translated::Skipped(_)) => None,
        Err(error) => {
            tracing::debug!(channel, kind, %error, "pnut hub: untranslatable event dropped");
            None
        }
    }
}

/// A `noteUpdated` of captured note `note_id` → facts; `None` when it has no pnut form
/// (reactions, poll votes).
pub fn translate_note_updated(
    note_id: &str,
    kind: &str,
    body: &Value,
    opts: &Options,
) -> Option<EventFacts> {
    let event = NoteUpdatedEvent::from_parts(kind, body).ok()?;
    match note_updated_to_pnut(note_id, &event, None, opts) {
        Ok(Translated::Done(event)) => Some(EventFacts::new(event, None)),
        _ => None,
    }
}
