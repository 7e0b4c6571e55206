//! pnut User ⇄ Misskey UserLite / UserDetailed / MeDetailed (mapping.md §5 "Users").

use crate::ids::misskey_id_time;
use crate::misskey::{
    MeDetailed, MeDetailedFields, OnlineStatus, UserDetailed, UserDetailedFields, UserLite,
};
use crate::pnut::{Image, User, UserContent, UserCounts};

use super::content::content_from_text;
use super::dates::{format_pnut_date, pnut_date_to_misskey};
use super::error::{TranslateError, date_err};
use super::ids::{misskey_to_tool, pnut_to_client};
use super::options::Options;

/// pnut user `type` of bots.
const BOT_TYPE: &str = "bot";
/// pnut user `type` of everyone else.
const HUMAN_TYPE: &str = "human";
/// Username shown for a pnut author the upstream omitted (deleted account, `user_id` only).
pub const UNKNOWN_USERNAME: &str = "unknown";

// ---------- pnut → Misskey (Misskey front) ----------

/// pnut User → Misskey UserLite. A user without avatar gets `Options::default_avatar_url`.
pub fn pnut_user_to_lite(user: &User, opts: &Options) -> Result<UserLite, TranslateError> {
    let avatar = user
        .content
        .as_ref()
        .and_then(|content| content.avatar_image.as_ref())
        .map(|image| image.url.clone())
        .filter(|url| !url.is_empty());
    Ok(UserLite {
        id: pnut_to_client(&user.id, "user.id", opts)?,
        name: user.name.clone(),
        username: user.username.clone(),
        host: opts.pnut_host.clone(),
        avatar_url: avatar.unwrap_or_else(|| opts.default_avatar_url.clone()),
        online_status: OnlineStatus::Unknown,
        is_bot: user.kind.as_deref() == Some(BOT_TYPE),
        ..UserLite::default()
    })
}

/// A UserLite for a pnut author known only by id (`user_id`, e.g. a deleted account).
pub fn placeholder_user_lite(
    pnut_user_id: &str,
    opts: &Options,
) -> Result<UserLite, TranslateError> {
    Ok(UserLite {
        id: pnut_to_client(pnut_user_id, "user_id", opts)?,
        username: UNKNOWN_USERNAME.to_owned(),
        host: opts.pnut_host.clone(),
        avatar_url: opts.default_avatar_url.clone(),
        ..UserLite::default()
    })
}

/// The Misskey author of a pnut object: its `user`, or a placeholder when only `user_id` is
/// known (deleted account).
pub(crate) fn author_lite(
    user: Option<&User>,
    user_id: Option<&str>,
    opts: &Options,
) -> Result<UserLite, TranslateError> {
    match (user, user_id) {
        (Some(user), _) => pnut_user_to_lite(user, opts),
        (None, Some(user_id)) => placeholder_user_lite(user_id, opts),
        (None, None) => Err(TranslateError::Missing("user")),
    }
}

/// pnut User → Misskey UserDetailed (counts, createdAt, description, relation flags).
pub fn pnut_user_to_detailed(user: &User, opts: &Options) -> Result<UserDetailed, TranslateError> {
    let counts = user.counts.clone().unwrap_or_default();
    let cover = user.content.as_ref().and_then(|c| c.cover_image.as_ref());
    let detail = UserDetailedFields {
        created_at: pnut_date_to_misskey(&user.created_at).map_err(date_err("user.created_at"))?,
        description: user.content.as_ref().and_then(|c| c.text.clone()),
        banner_url: cover
            .filter(|image| !image.is_default)
            .map(|image| image.url.clone()),
        followers_count: counts.followers,
        following_count: counts.following,
        notes_count: counts.posts,
        lang: user.locale.clone(),
        is_following: user.you_follow,
        is_followed: user.follows_you,
        is_blocking: user.you_blocked,
        is_muted: user.you_muted,
        ..UserDetailedFields::default()
    };
    Ok(UserDetailed {
        lite: pnut_user_to_lite(user, opts)?,
        detail,
    })
}

/// pnut User (the token's own user) → Misskey MeDetailed, every required key present.
pub fn pnut_user_to_me(user: &User, opts: &Options) -> Result<MeDetailed, TranslateError> {
    Ok(MeDetailed {
        user: pnut_user_to_detailed(user, opts)?,
        me: MeDetailedFields::default(),
    })
}

// ---------- Misskey → pnut (pnut front) ----------

/// Misskey UserLite → pnut User. Remote users become `username@host`; `created_at` comes from
/// the id (Misskey derives it the same way); `counts` is left out: UserLite has none, and a
/// zero would be a wrong number (real-servers.md §1).
pub fn misskey_user_to_pnut(user: &UserLite, opts: &Options) -> Result<User, TranslateError> {
    let username = match user.host.as_deref() {
        Some(host) if !host.is_empty() => format!("{}@{host}", user.username),
        _ => user.username.clone(),
    };
    let created_at = misskey_id_time(&user.id, opts.id_format)
        .map(format_pnut_date)
        .unwrap_or_else(|| format_pnut_date(chrono::DateTime::UNIX_EPOCH));
    let avatar = if user.avatar_url.is_empty() {
        Image {
            url: opts.default_avatar_url.clone(),
            is_default: true,
            ..Image::default()
        }
    } else {
        Image {
            url: user.avatar_url.clone(),
            ..Image::default()
        }
    };
    Ok(User {
        id: misskey_to_tool(&user.id, "user.id", opts)?,
        username,
        created_at,
        name: user.name.clone(),
        kind: Some(if user.is_bot { BOT_TYPE } else { HUMAN_TYPE }.to_owned()),
        content: Some(UserContent {
            avatar_image: Some(avatar),
            ..UserContent::default()
        }),
        counts: None,
        ..User::default()
    })
}

/// Misskey UserDetailed → pnut User with counts, `created_at`, description and relations.
pub fn misskey_detailed_to_pnut(
    user: &UserDetailed,
    opts: &Options,
) -> Result<User, TranslateError> {
    let mut pnut = misskey_user_to_pnut(&user.lite, opts)?;
    let detail = &user.detail;
    if let Ok(date) = super::dates::misskey_date_to_pnut(&detail.created_at) {
        pnut.created_at = date;
    }
    pnut.counts = Some(UserCounts {
        followers: detail.followers_count,
        following: detail.following_count,
        posts: detail.notes_count,
        ..UserCounts::default()
    });
    if let Some(content) = pnut.content.as_mut() {
        if let Some(description) = detail.description.as_deref() {
            let rendered = content_from_text(description, &|_| None);
            content.text = Some(rendered.text);
            content.html = rendered.html;
            content.entities = Some(rendered.entities);
        }
        content.cover_image = detail.banner_url.as_ref().map(|url| Image {
            url: url.clone(),
            ..Image::default()
        });
    }
    pnut.locale = detail.lang.clone();
    pnut.you_follow = detail.is_following;
    pnut.follows_you = detail.is_followed;
    pnut.you_blocked = detail.is_blocking;
    pnut.you_muted = detail.is_muted;
    Ok(pnut)
}

/// Misskey MeDetailed → pnut User (the token's user).
pub fn misskey_me_to_pnut(me: &MeDetailed, opts: &Options) -> Result<User, TranslateError> {
    misskey_detailed_to_pnut(&me.user, opts)
}
