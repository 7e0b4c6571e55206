//! Turning one pnut stream event into Misskey channel frames for its targets: the payload is
//! serialised once per event and the per-client channel id spliced in.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use crate::front::outbound::ClientSink;
use crate::mapping::{EventKind, NoteFilters, PnutData};
use crate::misskey::Note;
use crate::pnut::{Post, StreamEvent};
use crate::translate::{
    self, ChannelEvent, NoteUpdate, Options, PollsByPost, TranslateError, Translated,
};

/// One channel connection an event goes to.
pub(super) struct Target<'a> {
    /// The client's channel connection id.
    pub id: &'a str,
    /// Its outbound queue.
    pub sink: &'a ClientSink,
    /// Its note filters.
    pub filters: NoteFilters,
    /// How the channel presents the matched endpoint's items (its `events` mapping).
    pub kind: EventKind,
    /// What the matched endpoint's items are.
    pub data: PnutData,
}

/// True when pnut id `candidate` is newer than `current` (ids are decimal strings).
pub(super) fn newer(candidate: &str, current: Option<&str>) -> bool {
    current.is_none_or(|current| (candidate.len(), candidate) > (current.len(), current))
}

/// A `channel` frame with the already-serialised `body_json` spliced in.
fn channel_frame(id: &str, kind: &str, body_json: &str) -> Arc<str> {
    let id = serde_json::Value::String(id.to_owned());
    let kind = serde_json::Value::String(kind.to_owned());
    Arc::from(format!(
        r#"{{"type":"channel","body":{{"id":{id},"type":{kind},"body":{body_json}}}}}"#
    ))
}

/// The `channel` frames of one serialised event body, built once per distinct channel id:
/// clients number their connections alike (misskey-js: "1", "2", ...), so most targets share
/// one frame instead of each getting a copy.
struct Frames<'a> {
    kind: &'a str,
    body_json: &'a str,
    by_id: HashMap<&'a str, Arc<str>>,
}

impl<'a> Frames<'a> {
    fn new(kind: &'a str, body_json: &'a str) -> Self {
        Self {
            kind,
            body_json,
            by_id: HashMap::new(),
        }
    }

    fn for_id(&mut self, id: &'a str) -> Arc<str> {
        let (kind, body_json) = (self.kind, self.body_json);
        Arc::clone(
            self.by_id
                .entry(id)
                .or_insert_with(|| channel_frame(id, kind, body_json)),
        )
    }
}

fn to_json<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}

/// Delivers `event` to `targets`, its notes with the polls in `polls` (by pnut post id);
/// returns the newest post/message id it carried.
pub(super) fn deliver_event(
    event: &StreamEvent,
    targets: &[Target<'_>],
    me_id: &str,
    authors: &HashMap<String, Option<String>>,
    polls: &PollsByPost,
    opts: &Options,
) -> Delivered {
    let mut delivered = Delivered::default();
    let Some(payload) = event.data.as_ref() else {
        return delivered;
    };
    let deleted = event.meta.is_deleted == Some(true);
    let revised = event.meta.revision.is_some();
    let timestamp = event.meta.timestamp.unwrap_or_default();
    let mut newest: Option<String> = None;
    let notified = &mut delivered.notified;
    let mut groups: Vec<((EventKind, PnutData), Vec<&Target<'_>>)> = Vec::new();
    for target in targets {
        let family = (target.kind, target.data);
        match groups.iter_mut().find(|(of, _)| *of == family) {
            Some((_, group)) => group.push(target),
            None => groups.push((family, vec![target])),
        }
    }
    for ((kind, data), group) in groups {
        match (kind, data) {
            (EventKind::Note | EventKind::Mention, PnutData::Posts) => {
                let Ok(posts) = payload.posts() else { continue };
                for post in &posts {
                    if newer(&post.id, newest.as_deref()) {
                        newest = Some(post.id.clone());
                    }
                    // Deletions and revisions are `noteUpdated` (subNote), never a new `note`.
                    if deleted || revised || post.deleted() {
                        continue;
                    }
                    if kind == EventKind::Note {
                        deliver_note(post, &group, polls, opts);
                    } else {
                        let mut events =
                            or_log(translate::mention_to_main_events(post, None, me_id, opts));
                        let parent_is_mine = post.reply_to.as_ref().is_some_and(|parent| {
                            authors.get(parent).and_then(Option::as_deref) == Some(me_id)
                        });
                        if parent_is_mine {
                            as_reply(&mut events);
                        }
                        for event in &mut events {
                            translate::attach_event_polls(&event.kind, &mut event.body, polls);
                        }
                        *notified |= send_events(&events, &group);
                    }
                }
            }
            (EventKind::Note, PnutData::Messages) => {
                let Ok(messages) = payload.messages() else {
                    continue;
                };
                for message in &messages {
                    if newer(&message.id, newest.as_deref()) {
                        newest = Some(message.id.clone());
                    }
                    if deleted {
                        continue;
                    }
                    let channel_name = event.meta.channel_name.as_deref();
                    if let Some(json) = translate::message_to_note(message, channel_name, opts)
                        .ok()
                        .and_then(|note| to_json(&note))
                    {
                        let mut frames = Frames::new("note", &json);
                        for target in &group {
                            target.sink.push(frames.for_id(target.id));
                        }
                    }
                }
            }
            (EventKind::Follow, PnutData::Follows) => {
                let Ok(follow) = payload.follow() else {
                    continue;
                };
                let events = or_log(translate::follow_to_main_events(
                    &follow, deleted, me_id, timestamp, opts,
                ));
                *notified |= send_events(&events, &group);
            }
            (EventKind::MeUpdated, PnutData::Token) => {
                let Ok(token) = payload.token() else { continue };
                if let Ok(Translated::Done(event)) = translate::token_to_me_updated(&token, opts) {
                    send_events(&[event], &group);
                }
            }
            (EventKind::Drive, PnutData::Files) => {
                let Ok(file) = payload.file() else { continue };
                if let Ok(Translated::Done(event)) =
                    translate::file_to_drive_event(&file, deleted, timestamp, opts)
                {
                    send_events(&[event], &group);
                }
            }
            (EventKind::DriveFileCreated, PnutData::Files) => {
                let Ok(file) = payload.file() else { continue };
                if let Ok(Translated::Done(mut event)) =
                    translate::file_to_drive_event(&file, deleted, timestamp, opts)
                    && event.kind == "fileCreated"
                {
                    event.kind = "driveFileCreated".to_owned();
                    send_events(&[event], &group);
                }
            }
            _ => {}
        }
    }
    delivered.newest = newest;
    delivered
}

/// Mention events of a post replying to my post: `reply` after `mention`, and the
/// notification typed `reply` (its id suffix `r`), as `mention_to_main_events` gives them
/// when it knows the parent.
fn as_reply(events: &mut Vec<ChannelEvent>) {
    let mut out = Vec::with_capacity(events.len() + 1);
    for mut event in events.drain(..) {
        match event.kind.as_str() {
            "mention" => {
                let reply = ChannelEvent {
                    kind: "reply".to_owned(),
                    body: event.body.clone(),
                };
                out.push(event);
                out.push(reply);
            }
            "notification" => {
                event.body["type"] = serde_json::Value::from("reply");
                if let Some(id) = event.body["id"].as_str()
                    && let Some(base) = id.strip_suffix('m')
                {
                    event.body["id"] = serde_json::Value::from(format!("{base}r"));
                }
                out.push(event);
            }
            _ => out.push(event),
        }
    }
    *events = out;
}

/// What [`deliver_event`] did: the newest item id it saw, and whether it sent a
/// `notification` (the token then has an unread notification).
#[derive(Debug, Default)]
pub(super) struct Delivered {
    /// The newest item id of the event.
    pub newest: Option<String>,
    /// A `notification` went out.
    pub notified: bool,
}

/// One post → `note` on every target whose filters let it pass (serialised once).
fn deliver_note(post: &Post, targets: &[&Target<'_>], polls: &PollsByPost, opts: &Options) {
    let mut note: Note = match translate::post_to_note(post, None, opts) {
        Ok(note) => note,
        Err(error) => {
            tracing::debug!(%error, "post not translatable; dropped");
            return;
        }
    };
    translate::attach_note_polls(&mut note, polls);
    let Some(json) = to_json(&note) else { return };
    let is_renote = post.repost_of.is_some();
    let has_files = !note.files.is_empty();
    let mut frames = Frames::new("note", &json);
    for target in targets {
        if is_renote && !target.filters.with_renotes {
            continue;
        }
        if target.filters.with_files && !has_files {
            continue;
        }
        target.sink.push(frames.for_id(target.id));
    }
}

/// Sends `events` to every target; a `notification` is followed by `unreadNotification` with
/// the same body (it is unread when created, real-servers.md §1). True when a notification
/// went out.
fn send_events(events: &[ChannelEvent], targets: &[&Target<'_>]) -> bool {
    let mut notified = false;
    for event in events {
        let Some(json) = to_json(&event.body) else {
            continue;
        };
        let mut frames = Frames::new(&event.kind, &json);
        let is_notification = event.kind == "notification";
        let mut unread = Frames::new("unreadNotification", &json);
        for target in targets {
            target.sink.push(frames.for_id(target.id));
            if is_notification {
                target.sink.push(unread.for_id(target.id));
            }
        }
        notified |= is_notification && !targets.is_empty();
    }
    notified
}

/// One bridge-made event (`kind`, `body`) to every `(id, sink)` `main` connection.
pub(super) fn deliver_main_event(
    kind: &str,
    body: &serde_json::Value,
    mains: &[(&str, &ClientSink)],
) {
    let json = body.to_string();
    let mut frames = Frames::new(kind, &json);
    for (id, sink) in mains {
        sink.push(frames.for_id(id));
    }
}

fn or_log(result: Result<Vec<ChannelEvent>, TranslateError>) -> Vec<ChannelEvent> {
    result.unwrap_or_else(|error| {
        tracing::debug!(%error, "event not translatable; dropped");
        Vec::new()
    })
}

/// The `noteUpdated` changes (deletions, revisions) a post event carries.
pub(super) fn note_updates(event: &StreamEvent, opts: &Options) -> Vec<NoteUpdate> {
    let Some(Ok(posts)) = event.data.as_ref().map(|data| data.posts()) else {
        return Vec::new();
    };
    let deleted = event.meta.is_deleted == Some(true);
    let timestamp = event.meta.timestamp.unwrap_or_default();
    posts
        .iter()
        .filter_map(|post| {
            translate::post_change_to_note_updated(
                post,
                deleted,
                event.meta.revision,
                timestamp,
                opts,
            )
            .ok()
            .flatten()
        })
        .collect()
}

/// `renote` + `notification` on every `main` channel (`(id, sink)`) for reposts of my posts in
/// a post event, whatever subscription carried it.
/// True when a `notification` went out (followed by `unreadNotification`).
pub(super) fn deliver_renotes_of_mine(
    event: &StreamEvent,
    mains: &[(&str, &ClientSink)],
    me_id: &str,
    polls: &PollsByPost,
    opts: &Options,
) -> bool {
    if mains.is_empty() || event.meta.is_deleted == Some(true) {
        return false;
    }
    let Some(Ok(posts)) = event.data.as_ref().map(|data| data.posts()) else {
        return false;
    };
    let mut notified = false;
    for post in posts.iter().filter(|post| post.repost_of.is_some()) {
        for mut event in or_log(translate::repost_to_main_events(post, me_id, opts)) {
            translate::attach_event_polls(&event.kind, &mut event.body, polls);
            let Some(json) = to_json(&event.body) else {
                continue;
            };
            let is_notification = event.kind == "notification";
            for (id, sink) in mains {
                sink.push(channel_frame(id, &event.kind, &json));
                if is_notification {
                    sink.push(channel_frame(id, "unreadNotification", &json));
                }
            }
            notified |= is_notification;
        }
    }
    notified
}

/// Every frame a pool would send for `event`: to one channel connection per event family
/// (note, mention, message note, follow, meUpdated, drive; default filters), renotes of
/// `me_id`'s posts to `main`, and `noteUpdated` for every post it carries. The entry point of
/// the `pnut_upstream_frame` fuzz target (`crate::fuzzing`).
#[cfg(feature = "fuzzing")]
pub(crate) fn frames_for_every_target(
    event: &StreamEvent,
    me_id: &str,
    opts: &Options,
) -> Vec<Arc<str>> {
    use futures_util::FutureExt;

    let (sink, mut queue) = crate::front::outbound::client_queue(usize::MAX);
    // One target per event family the default tables produce.
    let families = [
        (EventKind::Note, PnutData::Posts),
        (EventKind::Mention, PnutData::Posts),
        (EventKind::Note, PnutData::Messages),
        (EventKind::Follow, PnutData::Follows),
        (EventKind::MeUpdated, PnutData::Token),
        (EventKind::Drive, PnutData::Files),
    ];
    let targets: Vec<Target<'_>> = families
        .iter()
        .map(|&(kind, data)| Target {
            id: "fuzz",
            sink: &sink,
            filters: NoteFilters::default(),
            kind,
            data,
        })
        .collect();
    let polls = PollsByPost::new();
    deliver_event(event, &targets, me_id, &HashMap::new(), &polls, opts);
    deliver_renotes_of_mine(event, &[("main", &sink)], me_id, &polls, opts);
    for update in note_updates(event, opts) {
        sink.push(Arc::from(
            crate::misskey::ServerMessage::note_updated(update.note_id, &update.event).to_json(),
        ));
    }
    drop(targets);
    drop(sink);
    let mut frames = Vec::new();
    while let Some(Some(frame)) = queue.next().now_or_never() {
        frames.push(frame);
    }
    frames
}
