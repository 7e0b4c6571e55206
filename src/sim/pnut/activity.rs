//! The activity generator: every interval one seeded-random action (post, reply, mention,
//! repost, revise, delete, follow/unfollow, channel message, file upload), so a client sees
//! live events of every kind. Refused actions are skipped.

use std::sync::Arc;
use std::time::Duration;

use super::Shared;
use super::ops::NewPost;
use super::world::World;

const PHRASES: [&str; 6] = [
    "just shipped something small",
    "coffee first, then code",
    "anyone else watching the sky tonight?",
    "reading about websockets again",
    "the bridge is holding up nicely #pnutkey",
    "lunch break",
];

/// Performs one random action in `world`.
pub fn step(world: &mut World) {
    let users: Vec<u64> = world.users.keys().copied().collect();
    let (Some(&actor), Some(&other)) = (world.rng.pick(&users), world.rng.pick(&users)) else {
        return;
    };
    let live_posts: Vec<u64> = world
        .posts
        .values()
        .filter(|p| !p.deleted && p.repost_of.is_none())
        .map(|p| p.id)
        .collect();
    let recent = world.rng.pick(&live_posts).copied();
    let phrase = world.rng.pick(&PHRASES).copied().unwrap_or("hello");
    let other_name = world
        .users
        .get(&other)
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let _ = match world.rng.below(10) {
        0 | 1 => world
            .create_post(
                actor,
                NewPost {
                    text: phrase.to_string(),
                    ..NewPost::default()
                },
            )
            .map(drop),
        2 => world
            .create_post(
                actor,
                NewPost {
                    text: format!("@{other_name} {phrase}"),
                    reply_to: recent,
                    ..NewPost::default()
                },
            )
            .map(drop),
        3 => match recent {
            Some(post) => world.repost(actor, post).map(drop),
            None => Ok(()),
        },
        4 => {
            let own: Vec<u64> = live_posts
                .iter()
                .copied()
                .filter(|id| world.posts.get(id).is_some_and(|p| p.user_id == actor))
                .collect();
            match world.rng.pick(&own).copied() {
                Some(post) => world.revise_post(actor, post, format!("{phrase} (edited)")),
                None => Ok(()),
            }
        }
        5 => {
            let own: Vec<u64> = live_posts
                .iter()
                .copied()
                .filter(|id| world.posts.get(id).is_some_and(|p| p.user_id == actor))
                .collect();
            match world.rng.pick(&own).copied() {
                Some(post) => world.delete_post(actor, post),
                None => Ok(()),
            }
        }
        6 => {
            let on = !world.follows(actor, other);
            world.set_follow(actor, other, on)
        }
        7 | 8 => {
            let channels: Vec<u64> = world
                .channels
                .values()
                .filter(|c| c.members.contains(&actor))
                .map(|c| c.id)
                .collect();
            match world.rng.pick(&channels).copied() {
                Some(channel) => world
                    .create_message(actor, channel, phrase.to_string(), None)
                    .map(drop),
                None => Ok(()),
            }
        }
        9 if world.rng.below(2) == 0 => {
            let n = world.rng.below(100);
            world.update_profile(actor, format!("{other_name} fan #{n}"))
        }
        _ => {
            let n = world.rng.below(1000);
            world
                .upload_file(actor, format!("photo-{n}.png"), "image/png".into(), 2048)
                .map(drop)
        }
    };
}

/// Runs the generator forever (the task is aborted at shutdown).
pub async fn run(shared: Arc<Shared>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval.max(Duration::from_millis(10)));
    ticker.tick().await;
    loop {
        ticker.tick().await;
        step(&mut *shared.world.lock().await);
    }
}

#[cfg(test)]
mod tests {
    use super::super::hub::Hub;
    use super::*;

    #[test]
    fn same_seed_same_world() {
        let run = |seed| {
            let mut world = World::seeded("http://x".into(), seed, Hub::new(16, 8));
            for _ in 0..50 {
                step(&mut world);
            }
            (
                world.posts.len(),
                world.messages.len(),
                world.files.len(),
                world.follows.clone(),
            )
        };
        assert_eq!(run(7), run(7));
    }
}
