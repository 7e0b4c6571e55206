//! Packing world records into Misskey JSON entities (misskey.md §6): every required key,
//! dates with milliseconds and `Z`, optional keys present exactly where real servers send them.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::aidx::iso_of_id;
use super::world::{
    ChannelRecord, DriveFileRecord, FollowRecord, NoteRecord, NotificationRecord, UserRecord, World,
};

/// How deep a note is packed: `Full` packs reply (shallow) and renote (one level).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// With `reply` and `renote`.
    Full,
    /// Without nested notes (what `reply` and nested renotes get).
    Shallow,
}

/// UserLite.
pub fn user_lite(world: &World, user: &UserRecord) -> Value {
    json!({
        "id": user.id,
        "name": user.name,
        "username": user.username,
        "host": null,
        "avatarUrl": format!("{}/identicon/{}", world.base_url, user.username),
        "avatarBlurhash": null,
        "avatarDecorations": [],
        "emojis": {},
        "onlineStatus": "unknown",
        "isBot": false,
        "isCat": false,
    })
}

/// UserLite of a user id; `null` when unknown.
pub fn user_lite_by_id(world: &World, user_id: &str) -> Value {
    world
        .user(user_id)
        .map(|user| user_lite(world, user))
        .unwrap_or(Value::Null)
}

/// Inserts every key of `extra` into the object `base`.
fn merge(base: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(source)) = (base.as_object_mut(), extra) {
        target.extend(source);
    }
}

/// UserDetailed (NotMe), with relation flags when a viewer is known.
pub fn user_detailed(world: &World, user: &UserRecord, viewer: Option<&str>) -> Value {
    let mut packed = user_lite(world, user);
    let notes_count = world
        .notes
        .values()
        .filter(|n| n.user_id == user.id)
        .count();
    let followers = world
        .follows
        .iter()
        .filter(|f| f.followee_id == user.id)
        .count();
    let following = world
        .follows
        .iter()
        .filter(|f| f.follower_id == user.id)
        .count();
    let created_at = iso_of_id(&user.id);
    merge(
        &mut packed,
        json!({
            "url": null, "uri": null, "movedTo": null, "alsoKnownAs": null,
            "createdAt": created_at, "updatedAt": created_at, "lastFetchedAt": null,
            "bannerUrl": null, "bannerBlurhash": null,
            "isLocked": false, "isSilenced": false, "isSuspended": false,
            "description": user.description, "location": null, "birthday": null, "lang": null,
            "fields": [], "verifiedLinks": [],
            "followersCount": followers, "followingCount": following, "notesCount": notes_count,
            "pinnedNoteIds": [], "pinnedNotes": [], "pinnedPageId": null, "pinnedPage": null,
            "publicReactions": true, "followingVisibility": "public", "followersVisibility": "public",
            "chatScope": "mutual", "canChat": true, "roles": [], "memo": null,
        }),
    );
    if let Some(me) = viewer
        && me != user.id
    {
        merge(
            &mut packed,
            json!({
                "isFollowing": world.is_following(me, &user.id),
                "isFollowed": world.is_following(&user.id, me),
                "hasPendingFollowRequestFromYou": false,
                "hasPendingFollowRequestToYou": false,
                "isBlocking": false, "isBlocked": false, "isMuted": false, "isRenoteMuted": false,
                "notify": "none",
                "withReplies": world.follow(me, &user.id).is_some_and(|f| f.with_replies),
            }),
        );
    }
    packed
}

/// RolePolicies with every timeline available and no rate-limit scaling.
pub fn policies() -> Value {
    json!({
        "gtlAvailable": true, "ltlAvailable": true, "canPublicNote": true, "mentionLimit": 20,
        "canInvite": false, "inviteLimit": 0, "inviteLimitCycle": 10080, "inviteExpirationTime": 0,
        "canManageCustomEmojis": false, "canManageAvatarDecorations": false,
        "canSearchNotes": false, "canSearchUsers": true, "canUseTranslator": false,
        "canHideAds": false, "driveCapacityMb": 100, "maxFileSizeMb": 30, "alwaysMarkNsfw": false,
        "canUpdateBioMedia": true, "pinLimit": 5, "antennaLimit": 5, "wordMuteLimit": 200,
        "webhookLimit": 3, "clipLimit": 10, "noteEachClipsLimit": 200, "userListLimit": 10,
        "userEachUserListsLimit": 50, "rateLimitFactor": 1, "avatarDecorationLimit": 1,
        "canImportAntennas": true, "canImportBlocking": true, "canImportFollowing": true,
        "canImportMuting": true, "canImportUserLists": true, "chatAvailability": "available",
        "uploadableFileTypes": ["*/*"], "noteDraftLimit": 10, "scheduledNoteLimit": 1,
        "watermarkAvailable": false, "canUseDriveFileInSoundSettings": false,
    })
}

/// MeDetailed (what `i` returns).
pub fn me_detailed(world: &World, user: &UserRecord) -> Value {
    let mut packed = user_detailed(world, user, None);
    let unread = world
        .notifications
        .values()
        .filter(|n| n.owner_id == user.id && !n.read)
        .count();
    merge(
        &mut packed,
        json!({
            "avatarId": null, "bannerId": null, "followedMessage": null,
            "isModerator": false, "isAdmin": false, "injectFeaturedNote": true,
            "receiveAnnouncementEmail": false, "alwaysMarkNsfw": false, "autoSensitive": false,
            "carefulBot": false, "autoAcceptFollowed": true, "noCrawle": false,
            "preventAiLearning": true, "isExplorable": true, "isDeleted": false,
            "twoFactorBackupCodesStock": "none", "hideOnlineStatus": false,
            "hasUnreadSpecifiedNotes": false, "hasUnreadMentions": false,
            "hasUnreadAnnouncement": false, "unreadAnnouncements": [], "hasUnreadAntenna": false,
            "hasUnreadChannel": false, "hasUnreadChatMessages": false,
            "hasUnreadNotification": unread > 0, "hasPendingReceivedFollowRequest": false,
            "unreadNotificationsCount": unread, "mutedWords": [], "hardMutedWords": [],
            "mutedInstances": [], "notificationRecieveConfig": {}, "emailNotificationTypes": [],
            "achievements": [], "loggedInDays": 1, "policies": policies(),
            "twoFactorEnabled": false, "usePasswordLessLogin": false, "securityKeys": false,
        }),
    );
    packed
}

/// DriveFile.
pub fn drive_file(world: &World, file: &DriveFileRecord) -> Value {
    let url = format!("{}/files/{}/{}", world.base_url, file.id, file.name);
    json!({
        "id": file.id, "createdAt": iso_of_id(&file.id), "name": file.name, "type": file.mime,
        "md5": format!("{:032x}", u128::from(file.size) * 0x9e37_79b9_7f4a_7c15),
        "size": file.size, "isSensitive": false, "blurhash": null, "properties": {},
        "url": url, "thumbnailUrl": null, "comment": null, "folderId": null,
        "userId": file.user_id,
    })
}

/// Channel (Misskey-channel).
pub fn channel(world: &World, record: &ChannelRecord) -> Value {
    let notes: Vec<&NoteRecord> = world
        .notes
        .values()
        .filter(|n| n.channel_id.as_deref() == Some(record.id.as_str()))
        .collect();
    let last_noted = notes.last().map(|n| iso_of_id(&n.id));
    let participants: std::collections::BTreeSet<&str> =
        notes.iter().map(|n| n.user_id.as_str()).collect();
    json!({
        "id": record.id, "createdAt": iso_of_id(&record.id), "lastNotedAt": last_noted,
        "name": record.name, "description": record.description, "userId": record.user_id,
        "bannerUrl": null, "bannerId": null, "pinnedNoteIds": [], "color": record.color,
        "isArchived": false, "usersCount": participants.len(), "notesCount": notes.len(),
        "isSensitive": false, "allowRenoteToExternal": true,
    })
}

/// Reaction counts of a note (`:name:` stored as `:name@.:`).
fn reaction_counts(note: &NoteRecord) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for reaction in note.reactions.values() {
        *counts.entry(reaction.clone()).or_insert(0) += 1;
    }
    counts
}

/// Note, packed for `viewer` (None = for nobody, as streamed timeline notes are).
pub fn note(world: &World, record: &NoteRecord, viewer: Option<&str>, depth: Depth) -> Value {
    let counts = reaction_counts(record);
    let reaction_count: u64 = counts.values().sum();
    let files: Vec<Value> = record
        .file_ids
        .iter()
        .filter_map(|id| world.files.get(id))
        .map(|file| drive_file(world, file))
        .collect();
    let renote_count = world
        .notes
        .values()
        .filter(|n| n.renote_id.as_deref() == Some(record.id.as_str()))
        .count();
    let replies_count = world
        .notes
        .values()
        .filter(|n| n.reply_id.as_deref() == Some(record.id.as_str()))
        .count();
    let mut packed = json!({
        "id": record.id, "createdAt": iso_of_id(&record.id), "userId": record.user_id,
        "user": user_lite_by_id(world, &record.user_id),
        "text": record.text, "cw": record.cw, "visibility": record.visibility,
        "localOnly": false, "reactionAcceptance": null,
        "renoteCount": renote_count, "repliesCount": replies_count,
        "reactionCount": reaction_count, "reactions": counts, "reactionEmojis": {},
        "fileIds": record.file_ids, "files": files,
        "replyId": record.reply_id, "renoteId": record.renote_id,
    });
    let mut extra = Map::new();
    if depth == Depth::Full {
        let reply = record
            .reply_id
            .as_ref()
            .and_then(|id| world.notes.get(id))
            .map(|parent| note(world, parent, viewer, Depth::Shallow));
        if let Some(reply) = reply {
            extra.insert("reply".into(), reply);
        }
        let renote = record
            .renote_id
            .as_ref()
            .and_then(|id| world.notes.get(id))
            .map(|target| note(world, target, viewer, Depth::Shallow));
        if let Some(renote) = renote {
            extra.insert("renote".into(), renote);
        }
        if let Some(me) = viewer
            && !record.reactions.is_empty()
        {
            extra.insert("myReaction".into(), json!(record.reactions.get(me)));
        }
    }
    if record.visibility == "specified" {
        extra.insert("visibleUserIds".into(), json!(record.visible_user_ids));
    }
    if !record.mentions.is_empty() {
        extra.insert("mentions".into(), json!(record.mentions));
    }
    if let Some(channel_record) = record
        .channel_id
        .as_ref()
        .and_then(|id| world.channels.get(id))
    {
        extra.insert("channelId".into(), json!(channel_record.id));
        extra.insert(
            "channel".into(),
            json!({
                "id": channel_record.id, "name": channel_record.name,
                "color": channel_record.color, "isSensitive": false,
                "allowRenoteToExternal": true, "userId": channel_record.user_id,
            }),
        );
    }
    merge(&mut packed, Value::Object(extra));
    packed
}

/// A timeline `note` event payload: packed for nobody, with `reactionAndUserPairCache`.
pub fn streamed_note(world: &World, record: &NoteRecord) -> Value {
    let mut packed = note(world, record, None, Depth::Full);
    let pairs: Vec<String> = record
        .reactions
        .iter()
        .map(|(user, reaction)| format!("{user}/{reaction}"))
        .collect();
    merge(&mut packed, json!({"reactionAndUserPairCache": pairs}));
    packed
}

/// Notification.
pub fn notification(world: &World, record: &NotificationRecord) -> Value {
    let mut packed = json!({
        "id": record.id, "createdAt": iso_of_id(&record.id), "type": record.kind,
        "userId": record.notifier_id, "user": user_lite_by_id(world, &record.notifier_id),
    });
    let mut extra = Map::new();
    if let Some(target) = record.note_id.as_ref().and_then(|id| world.notes.get(id)) {
        extra.insert(
            "note".into(),
            note(world, target, Some(&record.owner_id), Depth::Full),
        );
    }
    if let Some(reaction) = &record.reaction {
        extra.insert("reaction".into(), json!(reaction));
    }
    merge(&mut packed, Value::Object(extra));
    packed
}

/// A Following entity (`users/followers|following`), embedding the requested side.
pub fn following(world: &World, record: &FollowRecord, embed_follower: bool) -> Value {
    let mut packed = json!({
        "id": record.id, "createdAt": iso_of_id(&record.id),
        "followeeId": record.followee_id, "followerId": record.follower_id,
    });
    let (key, user_id) = if embed_follower {
        ("follower", &record.follower_id)
    } else {
        ("followee", &record.followee_id)
    };
    let user = world
        .user(user_id)
        .map(|user| user_detailed(world, user, None))
        .unwrap_or(Value::Null);
    merge(&mut packed, json!({ key: user }));
    packed
}
