//! The translation of one upstream event into the facts every matching subscription shares,
//! and the per-subscription filters on them (mapping.md §4.2). Which event types a
//! subscription takes at all comes from its [`SubSpec`] (the mapping table).

use serde_json::Value;

use super::spec::SubSpec;
use crate::front::pnut::CHAT_CHANNEL_TYPE;
use crate::ids::misskey_to_pnut;
use crate::misskey::{Note, NoteUpdatedEvent};
use crate::pnut::{EventData, EventKind, Token, User};
use crate::translate::{
    Options, PnutEvent, Translated, misskey_event_to_pnut, note_to_message, note_updated_to_pnut,
};

/// What the hub reads off a note (pnut ids) to decide, on its first arrival, which
/// subscriptions it belongs to whichever Misskey channel brought it (mapping.md §4.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoteFacts {
    /// The note's Misskey id (what `subNote` and `noteUpdated` name).
    pub misskey_id: String,
    /// The post's id.
    pub id: String,
    /// Its author.
    pub author: String,
    /// The post it replies to.
    pub parent: Option<String>,
    /// The parent's own parent, when the embedded `reply` says.
    pub grandparent: Option<String>,
    /// Author of the parent, when the embedded `reply` says.
    pub parent_author: Option<String>,
    /// Mentioned users.
    pub mentions: Vec<String>,
}

impl NoteFacts {
    /// The facts of `note`; `None` when its ids are not of the configured format.
    fn of(note: &Note, opts: &Options) -> Option<Self> {
        let pnut = |id: &str| misskey_to_pnut(id, opts.id_format).ok();
        let reply = note.reply.as_deref();
        Some(Self {
            misskey_id: note.id.clone(),
            id: pnut(&note.id)?,
            author: pnut(&note.user_id).unwrap_or_default(),
            parent: note.reply_id.as_deref().and_then(pnut),
            grandparent: reply.and_then(|r| r.reply_id.as_deref()).and_then(pnut),
            parent_author: reply.and_then(|r| pnut(&r.user_id)),
            mentions: note
                .mentions
                .iter()
                .flatten()
                .filter_map(|id| pnut(id))
                .collect(),
        })
    }

    /// Whether the note mentions `me`, or replies to one of `me`'s posts (Misskey sends such a
    /// reply as a `mention` too, real-servers.md §1).
    pub fn concerns(&self, me: &str) -> bool {
        !me.is_empty()
            && self.author != me
            && (self.mentions.iter().any(|id| id == me)
                || self.parent_author.as_deref() == Some(me))
    }
}

/// One translated upstream event plus what subscription filters look at.
#[derive(Debug, Clone)]
pub struct EventFacts {
    /// The pnut event (kind, `meta.id`, data, flags).
    pub event: PnutEvent,
    /// `meta.channel_type` (messages).
    pub channel_type: Option<String>,
    /// The note behind a post or message event (`None` for other events).
    pub note: Option<NoteFacts>,
}

impl EventFacts {
    fn new(event: PnutEvent, channel_type: Option<String>, note: Option<NoteFacts>) -> Self {
        Self {
            event,
            channel_type,
            note,
        }
    }

    /// Whether the subscription's own filters let this event through; `in_thread` answers
    /// whether a post's reply chain reaches a thread root.
    pub fn passes(&self, spec: &SubSpec, me: &User, in_thread: impl Fn(&str) -> bool) -> bool {
        if spec.own_only && self.note.as_ref().is_none_or(|note| note.author != me.id) {
            return false;
        }
        match (&spec.capture_pnut, self.event.kind) {
            (Some(root), EventKind::Post) => self.note.as_ref().is_some_and(|_| in_thread(root)),
            _ => true,
        }
    }

    /// Whether the note itself makes it a member of `spec` whichever channel brought it: a
    /// mention of `me` (or reply to `me`) for a subscription taking `main` mentions, a post of
    /// the thread for a thread subscription, an own post for an own-posts subscription.
    pub fn member_by_note(
        &self,
        spec: &SubSpec,
        me: &User,
        in_thread: impl Fn(&str) -> bool,
    ) -> bool {
        let Some(note) = &self.note else {
            return false;
        };
        if self.event.kind != EventKind::Post {
            return false;
        }
        let takes_mentions = spec.joins.iter().any(|(channel, _)| channel == "main")
            && spec.takes("main", "mention");
        match &spec.capture_pnut {
            Some(root) => in_thread(root),
            None if spec.own_only => note.author == me.id,
            None => takes_mentions && note.concerns(&me.id),
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
        let facts = NoteFacts::of(&note, opts);
        let event = PnutEvent {
            kind: EventKind::Message,
            object_id: message.id.clone(),
            data: EventData::list(&[message]).ok()?,
            is_deleted: false,
            revision: None,
        };
        return Some(EventFacts::new(
            event,
            Some(CHAT_CHANNEL_TYPE.to_owned()),
            facts,
        ));
    }
    let note = match kind {
        "note" | "mention" | "reply" | "renote" => serde_json::from_value::<Note>(body.clone())
            .ok()
            .and_then(|note| NoteFacts::of(&note, opts)),
        _ => None,
    };
    match misskey_event_to_pnut(kind, body, me, token, opts) {
        Ok(Translated::Done(event)) => Some(EventFacts::new(event, None, note)),
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
        Ok(Translated::Done(event)) => Some(EventFacts::new(event, None, None)),
        _ => None,
    }
}
