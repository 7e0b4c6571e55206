//! The in-memory pnut world: records, the deterministic seed, and lookups.
//!
//! Mutations live in `ops.rs`; rendering to wire models in `render.rs`; live stream
//! connections in `hub.rs` (owned here so every mutation can fan out under one lock).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration as ChronoDuration, TimeZone, Utc};

use super::hub::Hub;
use crate::pnut::Raw;

/// Usernames of the seeded demo accounts; each has the token `demo-<name>`.
pub const DEMO_USERS: [&str; 3] = ["alice", "bob", "carol"];

/// A small deterministic pseudo-random generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct SimRng(u64);

impl SimRng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// A random element of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let index = self.below(items.len());
        items.get(index)
    }

    /// A 32-char id of `[A-Za-z0-9_-]` (connection and subscription ids).
    pub fn url_safe_id(&mut self) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        (0..32)
            .map(|_| char::from(ALPHABET[(self.next_u64() % 64) as usize]))
            .collect()
    }
}

/// A user account.
#[derive(Debug, Clone)]
pub struct UserRec {
    /// Numeric id.
    pub id: u64,
    /// Username (no `@`).
    pub username: String,
    /// Display name.
    pub name: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// The account's (fake) access token.
    pub token: String,
}

/// A post (also a repost, when `repost_of` is set).
#[derive(Debug, Clone)]
pub struct PostRec {
    /// Numeric id (also its pagination id).
    pub id: u64,
    /// Author id.
    pub user_id: u64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Text (empty for reposts).
    pub text: String,
    /// Parent post id.
    pub reply_to: Option<u64>,
    /// Root post id.
    pub thread_id: u64,
    /// Reposted post id.
    pub repost_of: Option<u64>,
    /// NSFW flag.
    pub is_nsfw: bool,
    /// Deleted flag.
    pub deleted: bool,
    /// Number of revisions (0 = never revised).
    pub revision: i64,
    /// Raw annotations.
    pub raw: Option<Raw>,
    /// Users who bookmarked it.
    pub bookmarked_by: BTreeSet<u64>,
}

/// A channel (PM or chat).
#[derive(Debug, Clone)]
pub struct ChannelRec {
    /// Numeric id.
    pub id: u64,
    /// `io.pnut.core.pm` or `io.pnut.core.chat`.
    pub kind: String,
    /// Chat room name (`io.pnut.core.chat-settings`), if any.
    pub name: Option<String>,
    /// Owner (absent for PMs).
    pub owner: Option<u64>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Members (read/write ACL) — also its subscribers.
    pub members: BTreeSet<u64>,
}

/// A message in a channel.
#[derive(Debug, Clone)]
pub struct MessageRec {
    /// Numeric id.
    pub id: u64,
    /// Channel id.
    pub channel_id: u64,
    /// Author id.
    pub user_id: u64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Text.
    pub text: String,
    /// Parent message id.
    pub reply_to: Option<u64>,
    /// Root message id.
    pub thread_id: u64,
    /// Deleted flag.
    pub deleted: bool,
}

/// An uploaded file.
#[derive(Debug, Clone, Default)]
pub struct FileRec {
    /// Numeric id.
    pub id: u64,
    /// Owner id.
    pub user_id: u64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// File name.
    pub name: String,
    /// MIME type.
    pub mime_type: String,
    /// Size in bytes.
    pub size: u64,
    /// Deleted flag.
    pub deleted: bool,
    /// The file's `type` (reverse domain; `None`: `io.pnut.core.file`).
    pub file_type: Option<String>,
    /// The file's `kind` as uploaded (`None`: from the MIME type).
    pub kind: Option<String>,
    /// `is_public`.
    pub is_public: bool,
    /// The uploaded bytes (multipart `POST /files`); `None` for files made otherwise.
    pub content: Option<bytes::Bytes>,
}

/// One active follow; `seq` is its pagination id in follower/following lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowRec {
    /// Monotonic sequence (pagination id).
    pub seq: u64,
    /// Who follows.
    pub follower: u64,
    /// Who is followed.
    pub followed: u64,
}

/// The whole simulated pnut world.
#[derive(Debug)]
pub struct World {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Accounts by id.
    pub users: BTreeMap<u64, UserRec>,
    /// Posts by id.
    pub posts: BTreeMap<u64, PostRec>,
    /// Channels by id.
    pub channels: BTreeMap<u64, ChannelRec>,
    /// Messages by id.
    pub messages: BTreeMap<u64, MessageRec>,
    /// Files by id.
    pub files: BTreeMap<u64, FileRec>,
    /// Polls by id.
    pub polls: BTreeMap<u64, super::polls::PollRec>,
    /// Active follows.
    pub follows: Vec<FollowRec>,
    /// When follows made after the seed happened, by sequence (the `follow` action's
    /// `event_date`; seeded follows date from the seed epoch).
    pub follow_times: BTreeMap<u64, DateTime<Utc>>,
    /// Mutes: (muter, muted) → sequence (pagination id of `GET /users/me/muted`).
    pub mutes: BTreeMap<(u64, u64), u64>,
    /// Blocks: (blocker, blocked) → sequence (pagination id of `GET /users/me/blocked`).
    pub blocks: BTreeMap<(u64, u64), u64>,
    /// Live bookmarks: (post, user) → (sequence, time), the `bookmark` actions.
    pub bookmarks_at: BTreeMap<(u64, u64), (u64, DateTime<Utc>)>,
    /// Live stream connections and subscriptions.
    pub hub: Hub,
    /// Deterministic randomness (ids, activity).
    pub rng: SimRng,
    /// Next id to hand out (shared by every object kind, so ids never collide).
    next_id: u64,
    /// Fixed clock origin of the seed data.
    seed_epoch: DateTime<Utc>,
}

impl World {
    /// A seeded world: alice, bob, carol; follows; a few threads; a PM and a chat channel.
    pub fn seeded(base_url: String, seed: u64, hub: Hub) -> Self {
        let seed_epoch = Utc
            .with_ymd_and_hms(2026, 1, 1, 12, 0, 0)
            .single()
            .unwrap_or_else(Utc::now);
        let mut world = World {
            base_url,
            users: BTreeMap::new(),
            posts: BTreeMap::new(),
            channels: BTreeMap::new(),
            messages: BTreeMap::new(),
            files: BTreeMap::new(),
            polls: BTreeMap::new(),
            follows: Vec::new(),
            bookmarks_at: BTreeMap::new(),
            mutes: BTreeMap::new(),
            blocks: BTreeMap::new(),
            follow_times: BTreeMap::new(),
            hub,
            rng: SimRng::new(seed),
            next_id: 1,
            seed_epoch,
        };
        world.seed();
        world
    }

    fn seed(&mut self) {
        for (index, username) in DEMO_USERS.iter().enumerate() {
            let id = self.next_id();
            let mut name = username.to_string();
            if let Some(first) = name.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            self.users.insert(
                id,
                UserRec {
                    id,
                    username: username.to_string(),
                    name,
                    created_at: self.seed_epoch - ChronoDuration::days(30 - index as i64),
                    token: format!("demo-{username}"),
                },
            );
        }
        let (alice, bob, carol) = (1, 2, 3);
        for (follower, followed) in [(alice, bob), (bob, alice), (carol, alice), (alice, carol)] {
            let seq = self.next_id();
            self.follows.push(FollowRec {
                seq,
                follower,
                followed,
            });
        }
        let hello = self.seed_post(alice, "Hello pnut! First post from @bob's friend.", None);
        let reply = self.seed_post(bob, "@alice welcome back #pnutkey", Some(hello));
        self.seed_post(carol, "@bob @alice count me in", Some(reply));
        self.seed_post(carol, "Coffee thoughts #coffee", None);
        self.seed_post(bob, "Working on the bridge today #pnutkey", None);
        let pm = self.next_id();
        self.channels.insert(
            pm,
            ChannelRec {
                id: pm,
                kind: "io.pnut.core.pm".into(),
                name: None,
                owner: None,
                created_at: self.seed_epoch,
                members: [alice, bob].into_iter().collect(),
            },
        );
        let chat = self.next_id();
        self.channels.insert(
            chat,
            ChannelRec {
                id: chat,
                kind: "io.pnut.core.chat".into(),
                name: Some("pnutkey lounge".into()),
                owner: Some(alice),
                created_at: self.seed_epoch,
                members: [alice, bob, carol].into_iter().collect(),
            },
        );
        self.seed_message(pm, bob, "hey alice, got a minute?");
        self.seed_message(pm, alice, "sure, what's up?");
        self.seed_message(chat, carol, "welcome to the lounge");
    }

    fn seed_post(&mut self, user_id: u64, text: &str, reply_to: Option<u64>) -> u64 {
        let id = self.next_id();
        let thread_id = reply_to
            .and_then(|parent| self.posts.get(&parent))
            .map_or(id, |parent| parent.thread_id);
        let created_at = self.seed_epoch + ChronoDuration::minutes(id as i64);
        self.posts.insert(
            id,
            PostRec {
                id,
                user_id,
                created_at,
                text: text.into(),
                reply_to,
                thread_id,
                repost_of: None,
                is_nsfw: false,
                deleted: false,
                revision: 0,
                raw: None,
                bookmarked_by: BTreeSet::new(),
            },
        );
        id
    }

    fn seed_message(&mut self, channel_id: u64, user_id: u64, text: &str) {
        let id = self.next_id();
        let created_at = self.seed_epoch + ChronoDuration::minutes(id as i64);
        self.messages.insert(
            id,
            MessageRec {
                id,
                channel_id,
                user_id,
                created_at,
                text: text.into(),
                reply_to: None,
                thread_id: id,
                deleted: false,
            },
        );
    }

    /// Hands out the next object id.
    pub fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Adds `count` load-test accounts `load-<i>` (token `load-<i>`), each following `load-0`.
    pub fn seed_load_users(&mut self, count: usize) {
        let mut first = None;
        for index in 0..count {
            let id = self.next_id();
            let username = format!("load-{index}");
            self.users.insert(
                id,
                UserRec {
                    id,
                    username: username.clone(),
                    name: format!("Load {index}"),
                    created_at: self.seed_epoch,
                    token: username,
                },
            );
            let followed = *first.get_or_insert(id);
            if followed != id {
                let seq = self.next_id();
                self.follows.push(FollowRec {
                    seq,
                    follower: id,
                    followed,
                });
            }
        }
    }

    /// The user owning `token`.
    pub fn user_by_token(&self, token: &str) -> Option<u64> {
        self.users
            .values()
            .find(|user| user.token == token)
            .map(|user| user.id)
    }

    /// The user named `username` (case-insensitive, optional leading `@`).
    pub fn user_by_name(&self, username: &str) -> Option<u64> {
        let wanted = username.trim_start_matches('@');
        self.users
            .values()
            .find(|user| user.username.eq_ignore_ascii_case(wanted))
            .map(|user| user.id)
    }

    /// Resolves a path user reference: `me`, `@username` or a numeric id.
    pub fn resolve_user(&self, reference: &str, me: Option<u64>) -> Option<u64> {
        if reference == "me" {
            return me;
        }
        if reference.starts_with('@') {
            return self.user_by_name(reference);
        }
        let id = reference.parse::<u64>().ok()?;
        self.users.contains_key(&id).then_some(id)
    }

    /// When the follow `seq` happened (the seed epoch for seeded follows).
    pub fn follow_time(&self, seq: u64) -> DateTime<Utc> {
        self.follow_times
            .get(&seq)
            .copied()
            .unwrap_or(self.seed_epoch)
    }

    /// Whether `follower` follows `followed`.
    pub fn follows(&self, follower: u64, followed: u64) -> bool {
        self.follows
            .iter()
            .any(|f| f.follower == follower && f.followed == followed)
    }

    /// User ids mentioned (`@name`) in `text`.
    pub fn mentioned_ids(&self, text: &str) -> Vec<u64> {
        let mut ids = Vec::new();
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '@')) {
            if let Some(name) = word.strip_prefix('@')
                && let Some(id) = self.user_by_name(name)
                && !ids.contains(&id)
            {
                ids.push(id);
            }
        }
        ids
    }

    /// Whether the post `post` mentions `user`.
    pub fn post_mentions(&self, post: &PostRec, user: u64) -> bool {
        self.mentioned_ids(&post.text).contains(&user)
    }

    /// Whether `viewer` may see messages of `channel`.
    pub fn can_read_channel(&self, channel: &ChannelRec, viewer: Option<u64>) -> bool {
        channel.kind == "io.pnut.core.chat"
            || viewer.is_some_and(|viewer| channel.members.contains(&viewer))
    }
}

/// Formats a time as pnut writes it: `YYYY-MM-DDTHH:MM:SSZ`.
pub fn pnut_time(time: &DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
