//! pnut polls as Misskey note polls (mapping.md §5): choices by position with their
//! respondents as votes and the viewer's response as `isVoted`, `multiple` when a response
//! may choose more than one option, `expiresAt` = `closed_at`.

use crate::misskey::{Poll, PollChoice};
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
