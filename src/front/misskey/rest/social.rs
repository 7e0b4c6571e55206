//! Follow relations over pnut: `users/followers`, `users/following` (Following items,
//! paginated by pnut's follow pagination ids) and `users/relation` (from the
//! `follows_you`/`you_follow`/`you_blocked`/`you_muted` flags of `GET /users?ids=`).

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::call::{Call, Reply};
use super::error::{Missing, RestError};
use super::params::borrow_query;
use super::users::{client_id, to_json};
use crate::ids::pnut_id_from_misskey;
use crate::misskey::Following;
use crate::pnut::User;
use crate::translate::{pnut_date_to_misskey, pnut_user_to_detailed};

/// The user a followers/following call is about: `userId`, or `username` (local: no `host`).
fn subject(call: &Call<'_>) -> Result<String, RestError> {
    let params = &call.params;
    let no_such_user = || RestError::no_such_user(StatusCode::BAD_REQUEST);
    if let Some(id) = params.pnut_id("userId", no_such_user)? {
        return Ok(id);
    }
    match params.string("username")? {
        Some(_) if params.string("host")?.is_some() => Err(no_such_user()),
        Some(name)
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Ok(format!("@{name}"))
        }
        Some(_) => Err(no_such_user()),
        None => Err(RestError::invalid_param(
            "userId",
            "must have required property",
        )),
    }
}

/// `users/followers` (`followers`) / `users/following`: `GET /users/{id}/followers|following`
/// → Following items whose id is pnut's pagination id (so `untilId` pages on) and whose
/// `createdAt` is the other user's account creation (pnut keeps no follow time).
async fn relations(call: &Call<'_>, followers: bool) -> Result<Reply, RestError> {
    let id = subject(call)?;
    let page = call.params.page()?;
    let query = page.pnut_query();
    let path = if followers { "followers" } else { "following" };
    let users: Vec<User> = call
        .get(
            &format!("/users/{id}/{path}"),
            &borrow_query(&query),
            Missing::User,
        )
        .await?;
    let opts = &call.ctx.translate;
    // The subject's Misskey id: from the path id, or looked up for a username.
    let subject_id = if let Some(name) = id.strip_prefix('@') {
        let user: User = call
            .get(&format!("/users/@{name}"), &[], Missing::User)
            .await?;
        user.id
    } else {
        id
    };
    let subject_id = client_id(call, &subject_id)?;
    let mut items = Vec::new();
    for user in &users {
        let Ok(detailed) = pnut_user_to_detailed(user, opts) else {
            continue;
        };
        let key = user.pagination_id.as_deref().unwrap_or(&user.id);
        let other = client_id(call, &user.id)?;
        let mut relation = Following {
            id: client_id(call, key)?,
            created_at: pnut_date_to_misskey(&user.created_at).unwrap_or_default(),
            ..Following::default()
        };
        if followers {
            relation.follower_id = other;
            relation.followee_id = subject_id.clone();
            relation.follower = Some(Box::new(detailed));
        } else {
            relation.follower_id = subject_id.clone();
            relation.followee_id = other;
            relation.followee = Some(Box::new(detailed));
        }
        items.push(to_json(&relation)?);
    }
    Ok(Reply::Json(Value::Array(page.order(items))))
}

/// `users/followers`.
pub async fn followers(call: &Call<'_>) -> Result<Reply, RestError> {
    relations(call, true).await
}

/// `users/following`.
pub async fn following(call: &Call<'_>) -> Result<Reply, RestError> {
    relations(call, false).await
}

/// `users/relation` (`userId`: one id or a list): one relation per known user, always as a
/// list (as Misskey 2025.11.1 answers). pnut says nothing of being blocked, follow requests
/// or renote mutes: false.
pub async fn relation(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    let ids: Vec<String> = match call.params.strings("userId") {
        Ok(Some(ids)) => ids.into_iter().map(str::to_owned).collect(),
        Ok(None) => {
            return Err(RestError::invalid_param(
                "userId",
                "must have required property",
            ));
        }
        Err(_) => vec![call.params.required_string("userId")?.to_owned()],
    };
    let pnut_ids: Vec<String> = ids
        .iter()
        .filter_map(|id| pnut_id_from_misskey(id).ok())
        .collect();
    if pnut_ids.is_empty() {
        return Ok(Reply::Json(Value::Array(Vec::new())));
    }
    let joined = pnut_ids.join(",");
    let users: Vec<User> = call
        .get("/users", &[("ids", joined.as_str())], Missing::Other)
        .await?;
    let items = users
        .iter()
        .map(|user| {
            Ok(json!({
                "id": client_id(call, &user.id)?,
                "isFollowing": user.you_follow == Some(true),
                "hasPendingFollowRequestFromYou": false,
                "hasPendingFollowRequestToYou": false,
                "isFollowed": user.follows_you == Some(true),
                "isBlocking": user.you_blocked == Some(true),
                "isBlocked": false,
                "isMuted": user.you_muted == Some(true),
                "isRenoteMuted": false,
            }))
        })
        .collect::<Result<Vec<_>, RestError>>()?;
    Ok(Reply::Json(Value::Array(items)))
}
