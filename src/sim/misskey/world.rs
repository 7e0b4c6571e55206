//! The in-memory world of the simulated Misskey server: records, lookups and the
//! deterministic seed (demo users `alice`, `bob`, `carol`, follows, threads, channels, files).

use std::collections::BTreeMap;

use super::aidx::{AidxGenerator, SplitMix64};
use super::hub::Hub;
use super::ratelimit::CallGate;

/// Milliseconds of 2025-01-01T00:00:00Z: the fixed time of the seeded records.
const SEED_BASE_MS: i64 = 1_735_689_600_000;

/// A local user and its fixed demo token.
#[derive(Debug, Clone)]
pub struct UserRecord {
    /// aidx id.
    pub id: String,
    /// `@username` (local, so `host` is null).
    pub username: String,
    /// Display name.
    pub name: Option<String>,
    /// Profile text.
    pub description: Option<String>,
    /// The user's (fake) API token.
    pub token: String,
}

/// A note (post), including pure renotes.
#[derive(Debug, Clone, Default)]
pub struct NoteRecord {
    /// aidx id (creation time encoded).
    pub id: String,
    /// Author id.
    pub user_id: String,
    /// Body text; `None` for pure renotes and file-only notes.
    pub text: Option<String>,
    /// Content warning.
    pub cw: Option<String>,
    /// `public`, `home`, `followers` or `specified`.
    pub visibility: String,
    /// Recipients of a `specified` note.
    pub visible_user_ids: Vec<String>,
    /// Parent note.
    pub reply_id: Option<String>,
    /// Renoted / quoted note.
    pub renote_id: Option<String>,
    /// Misskey-channel the note was posted in.
    pub channel_id: Option<String>,
    /// Attached drive files.
    pub file_ids: Vec<String>,
    /// Mentioned local user ids.
    pub mentions: Vec<String>,
    /// Reactions: user id → reaction.
    pub reactions: BTreeMap<String, String>,
}

impl NoteRecord {
    /// A pure renote: renote without text, cw, reply or files (misskey.md §6.2).
    pub fn is_pure_renote(&self) -> bool {
        self.renote_id.is_some()
            && self.text.is_none()
            && self.cw.is_none()
            && self.reply_id.is_none()
            && self.file_ids.is_empty()
    }
}

/// A follow relation.
#[derive(Debug, Clone)]
pub struct FollowRecord {
    /// aidx id (pagination key of users/followers|following).
    pub id: String,
    /// Who follows.
    pub follower_id: String,
    /// Who is followed.
    pub followee_id: String,
    /// Per-follow `withReplies`.
    pub with_replies: bool,
}

/// A Misskey-channel (topic room).
#[derive(Debug, Clone)]
pub struct ChannelRecord {
    /// aidx id.
    pub id: String,
    /// Channel name.
    pub name: String,
    /// Channel description.
    pub description: Option<String>,
    /// Owner id.
    pub user_id: String,
    /// Theme colour (`#rrggbb`).
    pub color: String,
}

/// A drive file.
#[derive(Debug, Clone, Default)]
pub struct DriveFileRecord {
    /// aidx id.
    pub id: String,
    /// Owner id.
    pub user_id: String,
    /// File name.
    pub name: String,
    /// MIME type.
    pub mime: String,
    /// Size in bytes.
    pub size: u64,
    /// Caption (`comment`).
    pub comment: Option<String>,
    /// Marked sensitive (`isSensitive`).
    pub sensitive: bool,
    /// The uploaded bytes (`drive/files/create`); `None` for seeded and control-made files.
    pub content: Option<bytes::Bytes>,
}

/// A notification of one user.
#[derive(Debug, Clone)]
pub struct NotificationRecord {
    /// aidx id.
    pub id: String,
    /// Who receives it.
    pub owner_id: String,
    /// Notification type (`mention`, `reply`, `renote`, `quote`, `reaction`, `follow`).
    pub kind: String,
    /// Who caused it.
    pub notifier_id: String,
    /// The note concerned, if any.
    pub note_id: Option<String>,
    /// The reaction, for `reaction`.
    pub reaction: Option<String>,
    /// Whether it was read.
    pub read: bool,
}

/// A favorite (bookmark).
#[derive(Debug, Clone)]
pub struct FavoriteRecord {
    /// Who favorited.
    pub user_id: String,
    /// The note.
    pub note_id: String,
}

/// A local custom emoji.
#[derive(Debug, Clone)]
pub struct EmojiRecord {
    /// Shortcode without colons.
    pub name: String,
    /// Category.
    pub category: Option<String>,
}

/// The whole simulated server state; one per server, guarded by a mutex in `Shared`.
#[derive(Debug)]
pub struct World {
    /// Public base URL (`http://127.0.0.1:PORT`) used in generated URLs.
    pub base_url: String,
    /// Id generator.
    pub ids: AidxGenerator,
    /// Users by id.
    pub users: BTreeMap<String, UserRecord>,
    /// Notes by id (string order = time order).
    pub notes: BTreeMap<String, NoteRecord>,
    /// Follow relations.
    pub follows: Vec<FollowRecord>,
    /// Misskey-channels by id.
    pub channels: BTreeMap<String, ChannelRecord>,
    /// Channel follows: (user id, channel id).
    pub channel_follows: Vec<(String, String)>,
    /// Drive files by id.
    pub files: BTreeMap<String, DriveFileRecord>,
    /// Notifications by id.
    pub notifications: BTreeMap<String, NotificationRecord>,
    /// Favorites.
    pub favorites: Vec<FavoriteRecord>,
    /// Mutes: (muter, mutee, record id).
    pub mutes: Vec<(String, String, String)>,
    /// Blocks: (blocker, blockee, record id).
    pub blocks: Vec<(String, String, String)>,
    /// Custom emoji.
    pub emojis: Vec<EmojiRecord>,
    /// Live streaming connections.
    pub hub: Hub,
    /// Rate limits and forced failures.
    pub gate: CallGate,
    /// The next this many channel `connect`s are ignored silently (as Misskey ignores a
    /// channel the token may not use).
    pub ignored_connects: u32,
    /// REST calls per endpoint name.
    pub calls: BTreeMap<String, u64>,
    /// REST calls being held (their token is stalled), per endpoint name.
    pub held_calls: BTreeMap<String, u64>,
    /// Random source of the activity generator.
    pub rng: SplitMix64,
}

impl World {
    /// The user with this id.
    pub fn user(&self, id: &str) -> Option<&UserRecord> {
        self.users.get(id)
    }

    /// The user with this username (case-insensitive).
    pub fn user_by_name(&self, username: &str) -> Option<&UserRecord> {
        let wanted = username.trim_start_matches('@');
        self.users
            .values()
            .find(|user| user.username.eq_ignore_ascii_case(wanted))
    }

    /// The user owning this token.
    pub fn user_by_token(&self, token: &str) -> Option<&UserRecord> {
        self.users.values().find(|user| user.token == token)
    }

    /// Adds `count` plain users `user1` … `user{count}` (tokens `demo-user1` …), following
    /// nobody.
    pub fn add_numbered_users(&mut self, count: usize) {
        for n in 1..=count {
            let id = self.ids.next_at(SEED_BASE_MS);
            let username = format!("user{n}");
            self.users.insert(
                id.clone(),
                UserRecord {
                    id,
                    token: format!("demo-{username}"),
                    name: Some(format!("User {n}")),
                    description: None,
                    username,
                },
            );
        }
    }

    /// The follow record `follower → followee`.
    pub fn follow(&self, follower_id: &str, followee_id: &str) -> Option<&FollowRecord> {
        self.follows
            .iter()
            .find(|f| f.follower_id == follower_id && f.followee_id == followee_id)
    }

    /// Whether `follower` follows `followee`.
    pub fn is_following(&self, follower_id: &str, followee_id: &str) -> bool {
        self.follow(follower_id, followee_id).is_some()
    }

    /// Ids of local users mentioned as `@name` in `text`.
    pub fn extract_mentions(&self, text: &str) -> Vec<String> {
        let mut found = Vec::new();
        for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '@')) {
            let Some(name) = word.strip_prefix('@') else {
                continue;
            };
            if let Some(user) = self.user_by_name(name)
                && !found.contains(&user.id)
            {
                found.push(user.id.clone());
            }
        }
        found
    }

    /// A new, empty world (no users) with the given base URL and seed.
    fn empty(base_url: String, seed: u64, gate: CallGate, queue_capacity: usize) -> Self {
        Self {
            base_url,
            ids: AidxGenerator::new(seed),
            users: BTreeMap::new(),
            notes: BTreeMap::new(),
            follows: Vec::new(),
            channels: BTreeMap::new(),
            channel_follows: Vec::new(),
            files: BTreeMap::new(),
            notifications: BTreeMap::new(),
            favorites: Vec::new(),
            mutes: Vec::new(),
            blocks: Vec::new(),
            emojis: Vec::new(),
            hub: Hub::new(queue_capacity),
            gate,
            ignored_connects: 0,
            calls: BTreeMap::new(),
            held_calls: BTreeMap::new(),
            rng: SplitMix64::new(seed),
        }
    }

    /// The deterministic demo world: same seed → same ids and content.
    pub fn seeded(base_url: String, seed: u64, gate: CallGate, queue_capacity: usize) -> Self {
        let mut world = Self::empty(base_url, seed, gate, queue_capacity);
        let mut clock = SEED_BASE_MS;
        let mut tick = |minutes: i64| {
            clock += minutes * 60_000;
            clock
        };
        let add_user = |world: &mut World, username: &str, name: &str, at: i64| {
            let id = world.ids.next_at(at);
            world.users.insert(
                id.clone(),
                UserRecord {
                    id: id.clone(),
                    username: username.to_string(),
                    name: Some(name.to_string()),
                    description: Some(format!("{name}, a demo account of the simulated server.")),
                    token: format!("demo-{username}"),
                },
            );
            id
        };
        let alice = add_user(&mut world, "alice", "Alice", tick(1));
        let bob = add_user(&mut world, "bob", "Bob", tick(1));
        let carol = add_user(&mut world, "carol", "Carol", tick(1));
        for (follower, followee) in [
            (&alice, &bob),
            (&alice, &carol),
            (&bob, &alice),
            (&carol, &bob),
        ] {
            let id = world.ids.next_at(tick(1));
            world.follows.push(FollowRecord {
                id,
                follower_id: follower.clone(),
                followee_id: followee.clone(),
                with_replies: false,
            });
        }
        for (name, description, owner, color) in [
            ("general", "Talk about anything.", &alice, "#86b300"),
            ("pnutkey-dev", "Bridge development.", &bob, "#3f7fbf"),
        ] {
            let id = world.ids.next_at(tick(1));
            world.channels.insert(
                id.clone(),
                ChannelRecord {
                    id,
                    name: name.to_string(),
                    description: Some(description.to_string()),
                    user_id: owner.clone(),
                    color: color.to_string(),
                },
            );
        }
        world.emojis = ["blobcat", "pnut"]
            .iter()
            .map(|name| EmojiRecord {
                name: (*name).to_string(),
                category: Some("demo".to_string()),
            })
            .collect();
        let file_id = world.ids.next_at(tick(1));
        world.files.insert(
            file_id.clone(),
            DriveFileRecord {
                id: file_id.clone(),
                user_id: alice.clone(),
                name: "peanut.png".to_string(),
                mime: "image/png".to_string(),
                size: 2048,
                ..DriveFileRecord::default()
            },
        );
        let channel_ids: Vec<String> = world.channels.keys().cloned().collect();
        if let Some(general) = channel_ids.first() {
            world.channel_follows.push((alice.clone(), general.clone()));
        }
        let seed_note = |world: &mut World, author: &str, text: &str, at: i64| {
            let id = world.ids.next_at(at);
            let mentions = world.extract_mentions(text);
            let note = NoteRecord {
                id: id.clone(),
                user_id: author.to_string(),
                text: Some(text.to_string()),
                visibility: "public".to_string(),
                mentions,
                ..NoteRecord::default()
            };
            world.notes.insert(id.clone(), note);
            id
        };
        let root = seed_note(
            &mut world,
            &alice,
            "Hello from the simulated Misskey!",
            tick(5),
        );
        let reply = seed_note(&mut world, &bob, "@alice welcome aboard", tick(2));
        let nested = seed_note(&mut world, &carol, "@bob agreed, nice bridge.", tick(2));
        let photo = seed_note(&mut world, &alice, "A peanut picture.", tick(3));
        let _ = seed_note(&mut world, &carol, "Good morning, fediverse.", tick(4));
        let in_channel = seed_note(&mut world, &bob, "First post in #general.", tick(2));
        if let Some(note) = world.notes.get_mut(&reply) {
            note.reply_id = Some(root.clone());
        }
        if let Some(note) = world.notes.get_mut(&nested) {
            note.reply_id = Some(reply.clone());
        }
        if let Some(note) = world.notes.get_mut(&photo) {
            note.file_ids = vec![file_id];
        }
        if let (Some(note), Some(channel)) = (world.notes.get_mut(&in_channel), channel_ids.first())
        {
            note.channel_id = Some(channel.clone());
        }
        if let Some(note) = world.notes.get_mut(&root) {
            note.reactions.insert(bob.clone(), "👍".to_string());
        }
        let renote_id = world.ids.next_at(tick(3));
        world.notes.insert(
            renote_id.clone(),
            NoteRecord {
                id: renote_id,
                user_id: carol.clone(),
                visibility: "public".to_string(),
                renote_id: Some(root),
                ..NoteRecord::default()
            },
        );
        world
    }
}
