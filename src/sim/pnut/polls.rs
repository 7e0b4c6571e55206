//! Polls of the simulated pnut (pnut's polls resource): records, creation, responses, and
//! their rendering relative to a viewer. A response replaces the responder's earlier one
//! while the poll is open (the sim's reading of pnut's docs, which let a response be
//! re-sent); a closed poll takes none.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::ops::OpError;
use super::render;
use super::world::{World, pnut_time};
use crate::pnut::{Poll, PollOption};

/// Longest poll duration accepted, in minutes (14 days).
pub const MAX_DURATION_MINUTES: u64 = 20_160;
/// Most options a poll may have.
pub const MAX_OPTIONS: usize = 10;

/// A stored poll.
#[derive(Debug, Clone)]
pub struct PollRec {
    /// Numeric id.
    pub id: u64,
    /// Creator.
    pub user_id: u64,
    /// `type`.
    pub kind: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Closing time.
    pub closed_at: DateTime<Utc>,
    /// Question.
    pub prompt: String,
    /// Option texts, position 1 first.
    pub options: Vec<String>,
    /// Options one response may choose.
    pub max_options: u32,
    /// Respondents hidden.
    pub is_anonymous: bool,
    /// Readable without the token.
    pub is_public: bool,
    /// Responses: user → chosen positions.
    pub responses: BTreeMap<u64, Vec<u32>>,
}

/// What a new poll asks for.
#[derive(Debug, Clone)]
pub struct NewPoll {
    /// `type`.
    pub kind: String,
    /// Question.
    pub prompt: String,
    /// Option texts.
    pub options: Vec<String>,
    /// Minutes until it closes.
    pub duration: u64,
    /// Options one response may choose.
    pub max_options: u32,
    /// Respondents hidden.
    pub is_anonymous: bool,
    /// Readable without the token.
    pub is_public: bool,
}

/// The token of poll `id` (handed to its creator and put in poll notices).
pub fn poll_token(id: u64) -> String {
    format!("sim-poll-token-{id}")
}

impl PollRec {
    /// Still taking responses at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        now < self.closed_at
    }

    /// Whether `viewer` may read it with `token`.
    pub fn readable(&self, viewer: Option<u64>, token: Option<&str>) -> bool {
        self.is_public
            || viewer == Some(self.user_id)
            || token == Some(poll_token(self.id).as_str())
    }
}

impl World {
    /// Creates a poll; 400 for a bad prompt, options, duration or `max_options`.
    pub fn create_poll(&mut self, user_id: u64, new: NewPoll) -> Result<u64, OpError> {
        let invalid = |why: &str| Err(OpError::Invalid(why.to_owned()));
        if new.prompt.trim().is_empty() {
            return invalid("prompt is required");
        }
        if new.options.len() < 2 || new.options.len() > MAX_OPTIONS {
            return invalid("a poll has 2 to 10 options");
        }
        if new.options.iter().any(|text| text.trim().is_empty()) {
            return invalid("option text is required");
        }
        if new.duration == 0 || new.duration > MAX_DURATION_MINUTES {
            return invalid("duration must be 1 to 20160 minutes");
        }
        if new.max_options == 0 || new.max_options as usize > new.options.len() {
            return invalid("max_options must be 1 to the number of options");
        }
        let id = self.next_id();
        let created_at = Utc::now();
        let minutes = i64::try_from(new.duration).unwrap_or(i64::MAX);
        self.polls.insert(
            id,
            PollRec {
                id,
                user_id,
                kind: new.kind,
                created_at,
                closed_at: created_at + Duration::minutes(minutes),
                prompt: new.prompt,
                options: new.options,
                max_options: new.max_options,
                is_anonymous: new.is_anonymous,
                is_public: new.is_public,
                responses: BTreeMap::new(),
            },
        );
        Ok(id)
    }

    /// `user_id` responds to poll `id` with `positions` (1-based), replacing an earlier
    /// response; 400 when closed, empty, over `max_options` or naming no option.
    pub fn respond_poll(
        &mut self,
        user_id: u64,
        id: u64,
        positions: &[u32],
    ) -> Result<(), OpError> {
        let poll = self.polls.get_mut(&id).ok_or(OpError::NotFound("poll"))?;
        if !poll.is_open(Utc::now()) {
            return Err(OpError::Invalid("poll is closed".into()));
        }
        let mut chosen = positions.to_vec();
        chosen.sort_unstable();
        chosen.dedup();
        if chosen.is_empty() || chosen.len() > poll.max_options as usize {
            return Err(OpError::Invalid(format!(
                "choose 1 to {} options",
                poll.max_options
            )));
        }
        if chosen
            .iter()
            .any(|&p| p == 0 || p as usize > poll.options.len())
        {
            return Err(OpError::Invalid("invalid position".into()));
        }
        poll.responses.insert(user_id, chosen);
        Ok(())
    }
}

/// A poll as `viewer` sees it (the token only for its creator, or when `with_token`).
pub fn render_poll(world: &World, rec: &PollRec, viewer: Option<u64>, with_token: bool) -> Poll {
    let counts: Vec<u64> = (1..=rec.options.len())
        .map(|position| {
            let position = u32::try_from(position).unwrap_or(u32::MAX);
            rec.responses
                .values()
                .filter(|chosen| chosen.contains(&position))
                .count() as u64
        })
        .collect();
    let greatest = counts.iter().copied().max().unwrap_or(0);
    let mine = viewer.and_then(|viewer| rec.responses.get(&viewer));
    let options = rec
        .options
        .iter()
        .zip(&counts)
        .enumerate()
        .map(|(index, (text, &respondents))| {
            let position = u32::try_from(index + 1).unwrap_or(u32::MAX);
            PollOption {
                text: text.clone(),
                position,
                respondents,
                is_your_response: viewer.map(|_| mine.is_some_and(|m| m.contains(&position))),
                greatest_vote: Some(respondents > 0 && respondents == greatest),
                respondent_ids: (!rec.is_anonymous).then(|| {
                    rec.responses
                        .iter()
                        .filter(|(_, chosen)| chosen.contains(&position))
                        .map(|(user, _)| user.to_string())
                        .collect()
                }),
            }
        })
        .collect();
    Poll {
        id: rec.id.to_string(),
        kind: rec.kind.clone(),
        created_at: pnut_time(&rec.created_at),
        closed_at: Some(pnut_time(&rec.closed_at)),
        prompt: rec.prompt.clone(),
        options,
        max_options: rec.max_options,
        is_anonymous: rec.is_anonymous,
        is_public: rec.is_public,
        poll_token: (with_token || viewer == Some(rec.user_id)).then(|| poll_token(rec.id)),
        you_responded: viewer.map(|_| mine.is_some()),
        user: render::user(world, rec.user_id, viewer),
    }
}
