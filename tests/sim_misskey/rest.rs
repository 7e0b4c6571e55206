//! The simulated Misskey's REST API: `i`, `meta`, timelines and their pagination and rules,
//! notes, users, follows, channels and emojis.

use pnutkey::sim::misskey::NewNote;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::{api, assert_error, ids, start};

#[tokio::test]
async fn rest_i_meta_and_timeline_pagination() {
    let sim = start().await;
    let me = api(&sim, "i", json!({"i": "demo-alice"})).await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(
        me.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let me = me.json();
    assert_eq!(me["username"], "alice");
    for key in [
        "avatarUrl",
        "onlineStatus",
        "followersCount",
        "policies",
        "unreadNotificationsCount",
        "createdAt",
    ] {
        assert!(me.get(key).is_some(), "i lacks {key}");
    }
    let meta = api(&sim, "meta", json!({})).await.json();
    assert_eq!(meta["version"], "2026.5.1");
    assert_eq!(meta["policies"]["ltlAvailable"], true);

    let all = api(&sim, "notes/global-timeline", json!({"limit": 100}))
        .await
        .json();
    let all = ids(&all);
    assert!(all.len() >= 5);
    assert!(all.windows(2).all(|w| w[0] > w[1]), "newest first");
    let page = ids(&api(&sim, "notes/global-timeline", json!({"limit": 2}))
        .await
        .json());
    assert_eq!(page, all[..2].to_vec());
    let older = ids(&api(
        &sim,
        "notes/global-timeline",
        json!({"limit": 2, "untilId": page[1]}),
    )
    .await
    .json());
    assert_eq!(older, all[2..4].to_vec());
    let oldest = all.last().unwrap();
    let newer = ids(&api(
        &sim,
        "notes/global-timeline",
        json!({"limit": 2, "sinceId": oldest}),
    )
    .await
    .json());
    let n = all.len();
    assert_eq!(
        newer,
        vec![all[n - 2].clone(), all[n - 3].clone()],
        "sinceId alone: oldest first"
    );
    let home = api(&sim, "notes/timeline", json!({"i": "demo-alice"})).await;
    assert_eq!(home.status, StatusCode::OK);
    for limit in [0, 101] {
        let answer = api(
            &sim,
            "notes/timeline",
            json!({"i": "demo-alice", "limit": limit}),
        )
        .await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "INVALID_PARAM");
        assert!(
            answer.json()["error"]["info"]["param"]
                .as_str()
                .unwrap()
                .contains("limit")
        );
    }
}

#[tokio::test]
async fn notes_create_and_delete() {
    let sim = start().await;
    let created = api(
        &sim,
        "notes/create",
        json!({"i": "demo-bob", "text": "via rest", "cw": "spoiler"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK);
    let note = created.json()["createdNote"].clone();
    assert_eq!(note["text"], "via rest");
    assert_eq!(note["cw"], "spoiler");
    assert_eq!(note["user"]["username"], "bob");
    let id = note["id"].as_str().unwrap();
    let reply = api(
        &sim,
        "notes/create",
        json!({"i": "demo-alice", "text": "re", "replyId": id}),
    )
    .await
    .json();
    assert_eq!(reply["createdNote"]["replyId"], id);
    let children = api(&sim, "notes/children", json!({"noteId": id}))
        .await
        .json();
    assert_eq!(
        ids(&children),
        vec![reply["createdNote"]["id"].as_str().unwrap().to_string()]
    );
    let foreign = api(
        &sim,
        "notes/delete",
        json!({"i": "demo-alice", "noteId": id}),
    )
    .await;
    assert_error(&foreign, StatusCode::BAD_REQUEST, "ACCESS_DENIED");
    let deleted = api(&sim, "notes/delete", json!({"i": "demo-bob", "noteId": id})).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.body.is_empty());
    assert!(deleted.headers.get("content-type").is_none());
    let gone = api(&sim, "notes/show", json!({"noteId": id})).await;
    assert_error(&gone, StatusCode::BAD_REQUEST, "NO_SUCH_NOTE");
    let empty = api(&sim, "notes/create", json!({"i": "demo-bob"})).await;
    assert_error(&empty, StatusCode::BAD_REQUEST, "INVALID_PARAM");
}

#[tokio::test]
async fn rest_users_follows_channels_and_emojis() {
    let sim = start().await;
    let control = sim.control();
    let carol = control.user_id("carol").await.unwrap();
    let followers = api(&sim, "users/followers", json!({"userId": carol}))
        .await
        .json();
    assert_eq!(followers[0]["follower"]["username"], "alice");
    let followed = api(
        &sim,
        "following/create",
        json!({"i": "demo-bob", "userId": carol}),
    )
    .await;
    assert_eq!(followed.status, StatusCode::OK);
    assert_eq!(followed.json()["username"], "carol");
    let twice = api(
        &sim,
        "following/create",
        json!({"i": "demo-bob", "userId": carol}),
    )
    .await;
    assert_error(&twice, StatusCode::BAD_REQUEST, "ALREADY_FOLLOWING");
    let following = api(
        &sim,
        "users/following",
        json!({"userId": control.user_id("bob").await.unwrap()}),
    )
    .await
    .json();
    assert_eq!(
        following[0]["followee"]["username"], "carol",
        "newest follow first"
    );
    let shown = api(
        &sim,
        "users/show",
        json!({"i": "demo-bob", "userId": carol}),
    )
    .await
    .json();
    assert_eq!(shown["isFollowing"], true);
    let general = control.channel_id("general").await.unwrap();
    let channel = api(&sim, "channels/show", json!({"channelId": general}))
        .await
        .json();
    assert_eq!(channel["name"], "general");
    let timeline = api(&sim, "channels/timeline", json!({"channelId": general}))
        .await
        .json();
    assert_eq!(timeline[0]["channelId"], general.as_str());
    let missing = api(&sim, "channels/show", json!({"channelId": "zzzz"})).await;
    assert_error(&missing, StatusCode::BAD_REQUEST, "NO_SUCH_CHANNEL");
    let emojis: Value = reqwest::get(format!("{}/api/emojis", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(emojis["emojis"][0]["name"], "blobcat");
    let wrong_method = reqwest::get(format!("{}/api/meta", sim.base_url()))
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn timelines_apply_the_reply_and_renote_rules() {
    let sim = start().await;
    let control = sim.control();
    let root = control.post("bob", "root by bob").await.unwrap();
    let reply = control
        .create_note(
            "carol",
            NewNote {
                text: Some("carol answers bob".into()),
                reply_id: root["id"].as_str().map(str::to_string),
                ..NewNote::default()
            },
        )
        .await
        .unwrap();
    let renote = control
        .create_note(
            "carol",
            NewNote {
                renote_id: root["id"].as_str().map(str::to_string),
                ..NewNote::default()
            },
        )
        .await
        .unwrap();
    let reply_id = reply["id"].as_str().unwrap().to_string();
    let renote_id = renote["id"].as_str().unwrap().to_string();
    let home = ids(&api(
        &sim,
        "notes/timeline",
        json!({"i": "demo-alice", "limit": 100}),
    )
    .await
    .json());
    assert!(
        !home.contains(&reply_id),
        "reply to a third party is not on alice's home"
    );
    assert!(home.contains(&renote_id));
    let local = ids(&api(
        &sim,
        "notes/local-timeline",
        json!({"withReplies": true, "limit": 100}),
    )
    .await
    .json());
    assert!(local.contains(&reply_id));
    let no_renotes = ids(&api(
        &sim,
        "notes/global-timeline",
        json!({"withRenotes": false, "limit": 100}),
    )
    .await
    .json());
    assert!(!no_renotes.contains(&renote_id));
    let renotes = api(&sim, "notes/renotes", json!({"noteId": root["id"]}))
        .await
        .json();
    assert_eq!(ids(&renotes), vec![renote_id.clone()]);
    let conversation = api(&sim, "notes/conversation", json!({"noteId": reply_id}))
        .await
        .json();
    assert_eq!(conversation[0]["id"], root["id"]);
    let unrenoted = api(
        &sim,
        "notes/unrenote",
        json!({"i": "demo-carol", "noteId": root["id"]}),
    )
    .await;
    assert_eq!(unrenoted.status, StatusCode::NO_CONTENT);
    assert_error(
        &api(&sim, "notes/show", json!({"noteId": renote_id})).await,
        StatusCode::BAD_REQUEST,
        "NO_SUCH_NOTE",
    );
}
