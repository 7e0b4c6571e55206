//! pnut polls as Misskey note polls (mapping.md §5): choices by position with their
//! respondents as votes and the viewer's response as `isVoted`, `multiple` when a response
//! may choose more than one option, `expiresAt` = `closed_at`.

use std::collections::HashMap;

use serde_json::Value;

use crate::ids::pnut_id_from_misskey;
use crate::misskey::{Note, Poll, PollChoice};
use crate::pnut;

use super::dates::pnut_date_to_misskey;

/// A pnut poll as a Misskey note's `poll`.
pub fn pnut_poll_to_misskey(poll: &pnut::Poll) -> Poll {
    let mut options: Vec<&pnut::PollOption> = poll.options.iter().collect();
    options.sort_by_key(|option| option.position);
    Poll {
        expires_at: poll
            .closed_at
            .as_deref()
            .and_then(|date| pnut_date_to_misskey(date).ok()),
        multiple: poll.max_options > 1,
        choices: options
            .into_iter()
            .map(|option| PollChoice {
                text: option.text.clone(),
                votes: option.respondents,
                is_voted: option.is_your_response == Some(true),
            })
            .collect(),
    }
}

/// Misskey polls by the pnut id of the post announcing them (a note's id read back).
pub type PollsByPost = HashMap<String, Poll>;

fn poll_of<'a>(note_id: &str, polls: &'a PollsByPost) -> Option<&'a Poll> {
    polls.get(&pnut_id_from_misskey(note_id).ok()?)
}

/// Sets `poll` on a note (and its `renote`) whose post is in `polls`.
pub fn attach_note_polls(note: &mut Note, polls: &PollsByPost) {
    if polls.is_empty() {
        return;
    }
    if let Some(renote) = note.renote.as_deref_mut() {
        attach_note_polls(renote, polls);
    }
    if let Some(poll) = poll_of(&note.id, polls) {
        note.poll = Some(poll.clone());
    }
}

/// Sets `poll` on the note a `main` channel event of type `kind` carries (and on its
/// `renote`): a `mention`/`reply`/`renote` body is a note, a `notification` holds one as `note`.
pub fn attach_event_polls(kind: &str, body: &mut Value, polls: &PollsByPost) {
    if polls.is_empty() {
        return;
    }
    let note = match kind {
        "mention" | "reply" | "renote" | "note" => body,
        "notification" => &mut body["note"],
        _ => return,
    };
    if !note.is_object() {
        return;
    }
    let set = |note: &mut Value| {
        let poll = note["id"].as_str().and_then(|id| poll_of(id, polls));
        if let Some(poll) = poll.and_then(|poll| serde_json::to_value(poll).ok()) {
            note["poll"] = poll;
        }
    };
    if note["renote"].is_object() {
        set(&mut note["renote"]);
    }
    set(note);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_by_position_with_votes_and_my_response() {
        let poll = pnut::Poll {
            id: "7".into(),
            closed_at: Some("2026-03-01T10:00:00Z".into()),
            max_options: 2,
            options: vec![
                pnut::PollOption {
                    text: "b".into(),
                    position: 2,
                    respondents: 3,
                    is_your_response: Some(true),
                    ..Default::default()
                },
                pnut::PollOption {
                    text: "a".into(),
                    position: 1,
                    respondents: 1,
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let misskey = pnut_poll_to_misskey(&poll);
        assert!(misskey.multiple);
        assert_eq!(
            misskey.expires_at.as_deref(),
            Some("2026-03-01T10:00:00.000Z")
        );
        let texts: Vec<(&str, u64, bool)> = misskey
            .choices
            .iter()
            .map(|c| (c.text.as_str(), c.votes, c.is_voted))
            .collect();
        assert_eq!(texts, [("a", 1, false), ("b", 3, true)]);
    }
}
