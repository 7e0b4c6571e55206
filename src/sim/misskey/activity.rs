//! The activity generator: every interval one seeded-random action (post, reply, mention,
//! renote, revise, delete, react, follow/unfollow, channel message, upload) so a client sees
//! live events of every kind.

use std::sync::Arc;
use std::time::Duration;

use super::Shared;
use super::ops::{self, NewNote};
use super::world::World;

/// Phrases the generator posts.
const PHRASES: [&str; 8] = [
    "Just had a peanut.",
    "Streaming is fun.",
    "Anyone around?",
    "Testing the bridge.",
    "Coffee time.",
    "What a day.",
    "Shipping it.",
    "Reading the spec again.",
];

/// Runs forever, one action per `interval`.
pub async fn run(shared: Arc<Shared>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval.max(Duration::from_millis(10)));
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let mut world = shared.world.lock().await;
        act(&mut world);
    }
}

/// Performs one random action; refused actions are simply skipped.
pub fn act(world: &mut World) {
    let users: Vec<String> = world.users.keys().cloned().collect();
    let Some(actor) = world.rng.pick(&users).cloned() else {
        return;
    };
    let other = users
        .iter()
        .filter(|id| **id != actor)
        .nth(world.rng.below(users.len().saturating_sub(1)))
        .cloned()
        .unwrap_or_else(|| actor.clone());
    let notes: Vec<String> = world
        .notes
        .values()
        .rev()
        .take(20)
        .filter(|n| !n.is_pure_renote())
        .map(|n| n.id.clone())
        .collect();
    let recent = world.rng.pick(&notes).cloned();
    let phrase = world.rng.pick(&PHRASES).copied().unwrap_or("hello");
    let choice = world.rng.below(10);
    let result = match (choice, recent) {
        (1, Some(note)) => ops::create_note(
            world,
            &actor,
            NewNote {
                text: Some(phrase.to_string()),
                reply_id: Some(note),
                ..NewNote::default()
            },
        )
        .map(drop),
        (2, _) => {
            let name = world
                .user(&other)
                .map(|u| u.username.clone())
                .unwrap_or_default();
            ops::create_note(world, &actor, text_note(format!("@{name} {phrase}"))).map(drop)
        }
        (3, Some(note)) => ops::create_note(
            world,
            &actor,
            NewNote {
                renote_id: Some(note),
                ..NewNote::default()
            },
        )
        .map(drop),
        (4, Some(note)) => {
            let mine = world.notes.get(&note).is_some_and(|n| n.user_id == actor);
            if mine {
                ops::revise_note(world, &note, format!("{phrase} (edited)"), None)
            } else {
                ops::react(world, &actor, &note, "👍")
            }
        }
        (5, Some(note)) => {
            let mine = world.notes.get(&note).is_some_and(|n| n.user_id == actor);
            if mine {
                ops::delete_note(world, &note, Some(&actor))
            } else {
                ops::react(world, &actor, &note, "🎉")
            }
        }
        (6, _) => {
            if world.is_following(&actor, &other) {
                ops::unfollow(world, &actor, &other)
            } else {
                ops::follow(world, &actor, &other)
            }
        }
        (7, _) => {
            let channels: Vec<String> = world.channels.keys().cloned().collect();
            let channel = world.rng.pick(&channels).cloned();
            let mut note = text_note(phrase.to_string());
            note.channel_id = channel;
            ops::create_note(world, &actor, note).map(drop)
        }
        (8, _) => {
            let n = world.rng.below(1000);
            ops::upload_file(
                world,
                &actor,
                &format!("photo-{n}.png"),
                "image/png",
                1024 + n as u64,
            )
            .map(drop)
        }
        _ => ops::create_note(world, &actor, text_note(phrase.to_string())).map(drop),
    };
    if let Err(error) = result {
        tracing::debug!(%error, "simulated activity skipped");
    }
}

/// A public note with `text`.
fn text_note(text: String) -> NewNote {
    NewNote {
        text: Some(text),
        ..NewNote::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::misskey::ratelimit::CallGate;

    fn texts(seed: u64) -> Vec<Option<String>> {
        let mut world = World::seeded("http://sim".into(), seed, CallGate::new(None), 4);
        for _ in 0..30 {
            act(&mut world);
        }
        world.notes.values().map(|n| n.text.clone()).collect()
    }

    #[test]
    fn same_seed_same_activity() {
        let first = texts(5);
        assert_eq!(first, texts(5));
        assert!(first.len() > 8, "the generator adds notes");
    }
}
