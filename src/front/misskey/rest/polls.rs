//! Misskey polls over pnut polls (mapping.md §3.3): `notes/create` with `poll` creates a pnut
//! poll (`POST /polls`) announced by the post's `io.pnut.core.poll-notice` raw; notes of posts
//! carrying a notice get `poll` from `GET /polls/{id}?poll_token=`; `notes/polls/vote` is a
//! pnut poll response (`PUT /polls/{id}/response`) after Misskey's own checks.

use std::collections::HashMap;

use chrono::Utc;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use super::call::{Call, Reply};
use super::error::{Missing, RestError};
use super::notes::fetch_post;
use crate::ids::pnut_id_from_misskey;
use crate::misskey::PollRequest;
use crate::pnut::{
    GENERAL_POLL_TYPE, Poll, PollNotice, Post, Raw, poll_notice, poll_notice_request,
};
use crate::translate::{self, pnut_poll_to_misskey};

/// pnut's longest poll, in minutes (14 days): a Misskey poll without expiry gets it.
pub const MAX_POLL_MINUTES: i64 = 20_160;
/// Polls read for one answer (one upstream call each); notes past it go without `poll`.
const MAX_POLL_LOOKUPS: usize = 20;

/// A validated Misskey `poll` parameter, ready for `POST /polls`.
#[derive(Debug, Clone)]
pub struct PollPlan {
    choices: Vec<String>,
    multiple: bool,
    minutes: i64,
}

/// The `poll` parameter of `notes/create`, validated as Misskey validates it (2–10 distinct
/// choices of 1–50 characters; `expiresAt` in the future, or `expiredAfter` ms); `None`
/// without one. An expiry past pnut's longest poll is refused naming `poll`.
pub fn plan(call: &Call<'_>) -> Result<Option<PollPlan>, RestError> {
    let Some(raw) = call.params.raw("poll").filter(|value| !value.is_null()) else {
        return Ok(None);
    };
    let request: PollRequest = serde_json::from_value(raw.clone())
        .map_err(|_| RestError::invalid_param("poll", "must be a poll object"))?;
    let choices = request.choices;
    let mut distinct = choices.clone();
    distinct.sort();
    distinct.dedup();
    if !(2..=10).contains(&choices.len()) || distinct.len() != choices.len() {
        return Err(RestError::invalid_param(
            "poll",
            "choices must have 2-10 distinct items",
        ));
    }
    if choices
        .iter()
        .any(|c| c.is_empty() || c.chars().count() > 50)
    {
        return Err(RestError::invalid_param(
            "poll",
            "each choice must be 1-50 characters",
        ));
    }
    let now = Utc::now().timestamp_millis();
    let expires_at = match (request.expires_at, request.expired_after) {
        (Some(at), _) => Some(at),
        (None, Some(after)) if after >= 1 => Some(now.saturating_add(after)),
        (None, Some(_)) => {
            return Err(RestError::invalid_param(
                "poll",
                "expiredAfter must be >= 1",
            ));
        }
        (None, None) => None,
    };
    let minutes = match expires_at {
        None => MAX_POLL_MINUTES,
        Some(at) if at <= now => {
            return Err(RestError::client(
                "CANNOT_CREATE_ALREADY_EXPIRED_POLL",
                "Poll is already expired.",
                "04da457d-b083-4055-9082-955525eda5a5",
            ));
        }
        Some(at) => (at - now + 59_999) / 60_000,
    };
    if minutes > MAX_POLL_MINUTES {
        return Err(RestError::invalid_param(
            "poll",
            "pnut polls close within 14 days: expiresAt is too far",
        ));
    }
    Ok(Some(PollPlan {
        choices,
        multiple: request.multiple == Some(true),
        minutes: minutes.max(1),
    }))
}

/// Creates the pnut poll of `plan` (prompt: the note's text) → the poll and the raw that
/// announces it on the post.
pub async fn create(
    call: &Call<'_>,
    plan: &PollPlan,
    prompt: &str,
) -> Result<(Poll, Raw), RestError> {
    let max_options = if plan.multiple { plan.choices.len() } else { 1 };
    let body = json!({
        "type": GENERAL_POLL_TYPE,
        "prompt": prompt,
        "options": plan.choices.iter().map(|text| json!({"text": text})).collect::<Vec<_>>(),
        "duration": plan.minutes,
        "max_options": max_options,
        "is_anonymous": true,
        "is_public": false,
    });
    let poll: Poll = call
        .write(Method::POST, "/polls", Some(&body), Missing::Other)
        .await?
        .ok_or_else(|| RestError::internal("pnut created no poll"))?;
    let token = poll
        .poll_token
        .clone()
        .ok_or_else(|| RestError::internal("pnut gave no poll token"))?;
    let raw = poll_notice_request(&poll.id, &token);
    Ok((poll, raw))
}

/// The poll notices of `posts` (and of the posts they repost), by canonical pnut post id.
pub fn notices(posts: &[Post]) -> HashMap<String, PollNotice> {
    posts
        .iter()
        .flat_map(|post| std::iter::once(post).chain(post.repost_of.as_deref()))
        .filter_map(|post| {
            let notice = poll_notice(post.raw.as_ref()?)?;
            Some((canonical(&post.id)?, notice))
        })
        .collect()
}

fn canonical(id: &str) -> Option<String> {
    pnut_id_from_misskey(id).ok()
}

/// `GET /polls/{id}?poll_token=` as this call's token.
async fn read(call: &Call<'_>, notice: &PollNotice) -> Result<Poll, RestError> {
    call.get(
        &format!("/polls/{}", notice.poll_id),
        &[("poll_token", notice.poll_token.as_str())],
        Missing::Other,
    )
    .await
}

/// Sets `poll` on the notes (a note, or an array of notes; their `renote`s too) whose posts
/// carry a poll notice in `notices`. A poll that cannot be read leaves its note without one.
pub async fn attach(call: &Call<'_>, notices: &HashMap<String, PollNotice>, notes: &mut Value) {
    if notices.is_empty() {
        return;
    }
    let wanted: Vec<(&String, &PollNotice)> = notices.iter().take(MAX_POLL_LOOKUPS).collect();
    let read_all = wanted.iter().map(|(_, notice)| read(call, notice));
    let polls: HashMap<&String, Value> = wanted
        .iter()
        .zip(join_all(read_all).await)
        .filter_map(|((post, _), poll)| match poll {
            Ok(poll) => serde_json::to_value(pnut_poll_to_misskey(&poll))
                .ok()
                .map(|poll| (*post, poll)),
            Err(error) => {
                tracing::debug!(%error, "misskey REST: a note's poll could not be read");
                None
            }
        })
        .collect();
    let set = |note: &mut Value| {
        let id = note["id"].as_str().and_then(canonical);
        if let Some(poll) = id.and_then(|id| polls.get(&id)) {
            note["poll"] = poll.clone();
        }
    };
    let list: Vec<&mut Value> = match notes {
        Value::Array(items) => items.iter_mut().collect(),
        note => vec![note],
    };
    for note in list {
        if note["renote"].is_object() {
            set(&mut note["renote"]);
        }
        set(note);
    }
}

/// A created note's `poll` from the poll just created (no further read).
pub fn created_poll(poll: &Poll) -> Value {
    serde_json::to_value(pnut_poll_to_misskey(poll)).unwrap_or(Value::Null)
}

/// `notes/polls/vote` (`noteId`, `choice`) → 204, checked as Misskey checks: `NO_POLL`,
/// `ALREADY_EXPIRED`, `INVALID_CHOICE`, `ALREADY_VOTED` (a single-choice poll answered, or
/// this choice of a multiple one); then the response (my earlier choices plus this one).
pub async fn vote(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    let id = call.params.note_id("noteId")?;
    let choice = call.params.integer("choice", u64::MAX, 0..=u64::MAX - 1)?;
    if choice == u64::MAX {
        return Err(RestError::invalid_param(
            "choice",
            "must have required property",
        ));
    }
    let post = fetch_post(call, &id).await?;
    let notice = post.raw.as_ref().and_then(poll_notice).ok_or_else(|| {
        RestError::client(
            "NO_POLL",
            "The note does not attach a poll.",
            "5f979967-52d9-4314-a911-1c673727f92f",
        )
    })?;
    let poll = read(call, &notice).await?;
    let closed = poll
        .closed_at
        .as_deref()
        .and_then(|at| translate::dates::parse_date(at).ok())
        .is_some_and(|at| at <= Utc::now());
    if closed {
        return Err(RestError::client(
            "ALREADY_EXPIRED",
            "The poll is already expired.",
            "1022a357-b085-4054-9083-8f8de358337e",
        ));
    }
    let mut options = poll.options.clone();
    options.sort_by_key(|option| option.position);
    let chosen = usize::try_from(choice)
        .ok()
        .and_then(|index| options.get(index))
        .ok_or_else(|| {
            RestError::client(
                "INVALID_CHOICE",
                "Choice ID is invalid.",
                "e0cc9a04-f2e8-41e4-a5f1-4127293260cc",
            )
        })?;
    let multiple = poll.max_options > 1;
    let voted = if multiple {
        chosen.is_your_response == Some(true)
    } else {
        poll.you_responded == Some(true)
    };
    if voted {
        return Err(RestError::client(
            "ALREADY_VOTED",
            "You have already voted.",
            "0963fc77-efac-419b-9424-b391608dc6d8",
        ));
    }
    let positions: Vec<u32> = options
        .iter()
        .filter(|option| {
            option.is_your_response == Some(true) || option.position == chosen.position
        })
        .map(|option| option.position)
        .collect();
    call.write_query::<Value>(
        Method::PUT,
        &format!("/polls/{}/response", notice.poll_id),
        &[("poll_token", notice.poll_token.as_str())],
        Some(&json!({"positions": positions})),
        Missing::Other,
    )
    .await?;
    Ok(Reply::NoContent)
}
