//! Answers that used to be wrong (issue 17): `GET` of `allowGet` endpoints, ids handed back,
//! `notes/mentions` visibility, `notes/create` with what pnut cannot take, filtered pages
//! filled up to `limit`, and `meta` saying what is served.

use std::time::Duration;

use super::support::{padded, start};
use pnutkey::front::misskey::rest::ENDPOINTS;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Misskey 2025.11.1's `allowGet` endpoints (`allowGet: true` in
/// packages/backend/src/server/api/endpoints at f01ceb0).
const MISSKEY_ALLOW_GET: [&str; 25] = [
    "bubble-game/ranking",
    "charts/active-users",
    "charts/ap-request",
    "charts/drive",
    "charts/federation",
    "charts/instance",
    "charts/notes",
    "charts/user/drive",
    "charts/user/following",
    "charts/user/notes",
    "charts/user/pv",
    "charts/user/reactions",
    "charts/users",
    "emoji",
    "emojis",
    "federation/instances",
    "federation/stats",
    "fetch-rss",
    "get-online-users-count",
    "hashtags/trend",
    "notes/featured",
    "notes/reactions",
    "retention",
    "server-info",
    "users/featured-notes",
];

#[test]
fn allow_get_flags_are_misskeys() {
    for endpoint in ENDPOINTS.iter() {
        assert_eq!(
            endpoint.allow_get,
            MISSKEY_ALLOW_GET.contains(&endpoint.name),
            "{}",
            endpoint.name
        );
    }
}

#[tokio::test]
async fn allow_get_endpoints_answer_get_with_query_params() {
    let bridge = start().await;
    let post = bridge
        .control()
        .create_post("bob", "star me", None)
        .await
        .unwrap();
    let noted = format!("noteId={}", padded(&post.id));
    for endpoint in ENDPOINTS.iter().filter(|e| e.allow_get) {
        let query = match endpoint.name {
            "notes/reactions" => noted.as_str(),
            "emoji" => "name=blobcat",
            _ => "",
        };
        let answer = bridge.get(endpoint.name, query).await;
        if endpoint.name == "emoji" {
            // No custom emoji: Misskey's own answer for an unknown one.
            assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
            continue;
        }
        assert_eq!(answer.status, StatusCode::OK, "{}", endpoint.name);
    }
    // Query values are cast as Misskey casts them: a number, a boolean…
    for token in ["demo-alice", "demo-carol"] {
        let reacted = bridge
            .api(
                token,
                "notes/reactions/create",
                json!({"noteId": padded(&post.id), "reaction": "⭐"}),
            )
            .await;
        assert_eq!(reacted.status, StatusCode::NO_CONTENT);
    }
    let all = bridge.get("notes/reactions", &noted).await;
    assert_eq!(all.body.as_array().unwrap().len(), 2, "{}", all.body);
    let one = bridge
        .get("notes/reactions", &format!("{noted}&limit=1"))
        .await;
    assert_eq!(one.body.as_array().unwrap().len(), 1, "{}", one.body);
    assert_eq!(one.body[0]["type"], "⭐");
    // …and a value that cannot be cast is INVALID_PARAM.
    let bad = bridge
        .get("notes/reactions", &format!("{noted}&limit=many"))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.code(), "INVALID_PARAM");
    let out_of_range = bridge
        .get("notes/reactions", &format!("{noted}&limit=0"))
        .await;
    assert_eq!(out_of_range.status, StatusCode::BAD_REQUEST);
    // A served endpoint without allowGet: 405; an allowGet one the bridge does not serve: 404.
    assert_eq!(
        bridge.get("notes/show", &noted).await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    let charts = bridge.get("charts/notes", "span=day").await;
    assert_eq!(charts.status, StatusCode::NOT_FOUND);
    assert_eq!(charts.code(), "UNKNOWN_API_ENDPOINT");
    bridge.running.stop(Duration::from_secs(2)).await;
}

/// Every id the bridge hands out (notes, users, notifications, files, follow relations,
/// channels) is taken back as a page bound and, where an endpoint names one, as that id.
#[tokio::test]
async fn every_id_handed_out_is_accepted_back() {
    let bridge = start().await;
    let control = bridge.control();
    for n in 0..3 {
        control
            .create_post("bob", &format!("@alice ping {n}"), None)
            .await
            .unwrap();
    }
    control.upload_file("alice", "a.png").await.unwrap();
    control.upload_file("alice", "b.png").await.unwrap();

    // Notifications: mention ids and follow ids, fed back as untilId and sinceId.
    let notes = bridge
        .ok("demo-alice", "i/notifications", json!({"limit": 30}))
        .await;
    let notifications = notes.as_array().unwrap();
    assert!(notifications.iter().any(|n| n["type"] == "follow"));
    let mentions: Vec<&Value> = notifications
        .iter()
        .filter(|n| n["type"] == "mention")
        .collect();
    assert!(mentions.len() >= 3);
    for notification in notifications {
        for bound in ["untilId", "sinceId"] {
            let answer = bridge
                .api(
                    "demo-alice",
                    "i/notifications",
                    json!({bound: notification["id"]}),
                )
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{bound} {}", answer.body);
        }
    }
    // Paging by a mention notification's id goes on past it.
    let older = bridge
        .ok(
            "demo-alice",
            "i/notifications",
            json!({"untilId": mentions[0]["id"], "includeTypes": ["mention"]}),
        )
        .await;
    let older_ids: Vec<&str> = older
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert!(!older_ids.contains(&mentions[0]["id"].as_str().unwrap()));
    assert!(older_ids.contains(&mentions[1]["id"].as_str().unwrap()));
    let grouped = bridge
        .api(
            "demo-alice",
            "i/notifications-grouped",
            json!({"untilId": mentions[0]["id"]}),
        )
        .await;
    assert_eq!(grouped.status, StatusCode::OK);

    // Notes and users.
    let timeline = bridge
        .ok("demo-alice", "notes/timeline", json!({"limit": 5}))
        .await;
    let note = &timeline[0];
    for (endpoint, body) in [
        ("notes/timeline", json!({"untilId": note["id"]})),
        ("notes/timeline", json!({"sinceId": note["id"]})),
        ("notes/show", json!({"noteId": note["id"]})),
        ("notes/children", json!({"noteId": note["id"]})),
        ("notes/state", json!({"noteId": note["id"]})),
        ("users/show", json!({"userId": note["userId"]})),
        (
            "users/notes",
            json!({"userId": note["userId"], "untilId": note["id"]}),
        ),
        ("users/followers", json!({"userId": note["userId"]})),
    ] {
        let answer = bridge.api("demo-alice", endpoint, body).await;
        assert_eq!(answer.status, StatusCode::OK, "{endpoint} {}", answer.body);
    }

    // Follow relations, drive files, channels.
    let me = bridge.ok("demo-alice", "i", json!({})).await;
    let followers = bridge
        .ok("demo-alice", "users/followers", json!({"userId": me["id"]}))
        .await;
    let relation = &followers[0];
    let after = bridge
        .ok(
            "demo-alice",
            "users/followers",
            json!({"userId": me["id"], "untilId": relation["id"]}),
        )
        .await;
    assert!(
        after
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["id"] != relation["id"])
    );
    let files = bridge.ok("demo-alice", "drive/files", json!({})).await;
    let file = &files[0];
    bridge
        .ok("demo-alice", "drive/files", json!({"untilId": file["id"]}))
        .await;
    bridge
        .ok(
            "demo-alice",
            "drive/files/show",
            json!({"fileId": file["id"]}),
        )
        .await;
    let channels = bridge
        .ok("demo-alice", "channels/followed", json!({}))
        .await;
    let channel = &channels[0];
    bridge
        .ok(
            "demo-alice",
            "channels/timeline",
            json!({"channelId": channel["id"]}),
        )
        .await;
    bridge
        .ok(
            "demo-alice",
            "channels/followed",
            json!({"untilId": channel["id"]}),
        )
        .await;
    bridge.running.stop(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn mentions_with_visibility_specified_are_direct_notes_only() {
    let bridge = start().await;
    let mention = bridge
        .control()
        .create_post("bob", "@alice public words", None)
        .await
        .unwrap();
    let public = bridge
        .ok(
            "demo-alice",
            "notes/mentions",
            json!({"visibility": "public"}),
        )
        .await;
    assert!(
        public
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == padded(&mention.id))
    );
    let calls = bridge.total_upstream_calls().await;
    let specified = bridge
        .ok(
            "demo-alice",
            "notes/mentions",
            json!({"visibility": "specified"}),
        )
        .await;
    assert_eq!(specified, json!([]), "pnut posts are all public");
    assert_eq!(bridge.total_upstream_calls().await, calls);
    let bad = bridge
        .api(
            "demo-alice",
            "notes/mentions",
            json!({"visibility": "secret"}),
        )
        .await;
    assert_eq!(bad.code(), "INVALID_PARAM");
    bridge.running.stop(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn create_never_drops_a_poll_or_files_with_a_200() {
    let bridge = start().await;
    let file = bridge
        .control()
        .upload_file("bob", "cat.png")
        .await
        .unwrap();
    let creates = bridge.upstream_calls("POST /v1/posts").await;
    let refused = bridge
        .api(
            "demo-bob",
            "notes/create",
            // A poll pnut cannot carry (it closes within 14 days) is refused, not dropped.
            json!({"text": "vote!", "poll": {"choices": ["a", "b"], "expiredAfter": 30_u64 * 86_400_000}}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert_eq!(refused.code(), "INVALID_PARAM");
    assert_eq!(refused.body["error"]["info"]["param"], "poll");
    // Someone else's file is no file of the caller's: nothing is posted.
    let foreign = bridge
        .api(
            "demo-alice",
            "notes/create",
            json!({"text": "look", "fileIds": [padded(&file.id)]}),
        )
        .await;
    assert_eq!(foreign.code(), "NO_SUCH_FILE", "{}", foreign.body);
    assert_eq!(bridge.upstream_calls("POST /v1/posts").await, creates);
    // The caller's files are carried: pnut oEmbed raws of the files, shown as the note's files.
    for name in ["fileIds", "mediaIds"] {
        let created = bridge
            .ok(
                "demo-bob",
                "notes/create",
                json!({"text": "look", name: [padded(&file.id)]}),
            )
            .await;
        let note = &created["createdNote"];
        assert_eq!(note["files"][0]["name"], "cat.png", "{note}");
        let url = note["files"][0]["url"].as_str().unwrap();
        assert!(url.ends_with(&format!("/_sim/files/{}", file.id)), "{url}");
        let id = note["id"]
            .as_str()
            .unwrap()
            .trim_start_matches('0')
            .to_owned();
        let upstream = bridge
            .upstream_post("demo-bob", &format!("{id}?include_post_raw=1"))
            .await;
        assert_eq!(
            upstream["data"]["raw"]["io.pnut.core.oembed"][0]["type"], "photo",
            "{upstream}"
        );
    }
    let empty_files = bridge
        .api(
            "demo-bob",
            "notes/create",
            json!({"text": "no files after all", "fileIds": []}),
        )
        .await;
    assert_eq!(empty_files.status, StatusCode::OK);
    bridge.running.stop(Duration::from_secs(2)).await;
}

/// `withRenotes: false` on a page full of reposts reads further upstream pages until
/// `limit` notes passed (at most 5 upstream pages).
#[tokio::test]
async fn filtered_pages_are_filled_up_to_limit() {
    let bridge = start().await;
    let control = bridge.control();
    let mut originals = Vec::new();
    for n in 0..12 {
        originals.push(
            control
                .create_post("carol", &format!("original {n}"), None)
                .await
                .unwrap(),
        );
    }
    for original in &originals {
        control.repost("bob", &original.id).await.unwrap();
    }
    let before = bridge.upstream_calls("GET /v1/posts/streams/me").await;
    let page = bridge
        .ok(
            "demo-alice",
            "notes/timeline",
            json!({"limit": 10, "withRenotes": false}),
        )
        .await;
    let notes = page.as_array().unwrap();
    assert_eq!(notes.len(), 10, "{page}");
    assert!(notes.iter().all(|n| n["renoteId"].is_null()));
    let expected: Vec<String> = originals
        .iter()
        .rev()
        .take(10)
        .map(|p| padded(&p.id))
        .collect();
    let got: Vec<String> = notes
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, expected, "the newest originals, in order");
    let calls = bridge.upstream_calls("GET /v1/posts/streams/me").await - before;
    assert!((2..=5).contains(&calls), "{calls} upstream pages");

    // A filter nothing passes reads at most 5 upstream pages and answers what it found.
    let before = bridge.upstream_calls("GET /v1/posts/streams/me").await;
    let files = bridge
        .ok(
            "demo-alice",
            "notes/timeline",
            json!({"limit": 3, "withFiles": true}),
        )
        .await;
    assert_eq!(files, json!([]));
    let calls = bridge.upstream_calls("GET /v1/posts/streams/me").await - before;
    assert!((1..=5).contains(&calls), "{calls} upstream pages");
    bridge.running.stop(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn meta_says_what_is_served() {
    let bridge = start().await;
    let meta = bridge.ok("demo-alice", "meta", json!({})).await;
    assert_eq!(meta["version"], "2025.11.1");
    let served = bridge.ok("demo-alice", "endpoints", json!({})).await;
    let served: Vec<&str> = served
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    let has = |name: &str| served.contains(&name);
    assert_eq!(
        meta["features"]["localTimeline"],
        has("notes/local-timeline")
    );
    assert_eq!(
        meta["features"]["globalTimeline"],
        has("notes/global-timeline")
    );
    let policies = &meta["policies"];
    assert_eq!(policies["ltlAvailable"], has("notes/local-timeline"));
    assert_eq!(policies["gtlAvailable"], has("notes/global-timeline"));
    assert_eq!(policies["canSearchNotes"], has("notes/search"));
    assert_eq!(policies["canSearchUsers"], has("users/search"));
    for (limit, creator) in [
        ("antennaLimit", "antennas/create"),
        ("clipLimit", "clips/create"),
        ("userListLimit", "users/lists/create"),
        ("webhookLimit", "i/webhooks/create"),
        ("pinLimit", "i/pin"),
        ("noteDraftLimit", "notes/drafts/create"),
    ] {
        assert!(!has(creator), "{creator}");
        assert_eq!(policies[limit], 0, "{limit}");
    }
    assert!(!has("notes/translate"));
    assert_eq!(policies["canUseTranslator"], false);
    assert_eq!(meta["features"]["serviceWorker"], has("sw/register"));
    assert_eq!(meta["maxNoteTextLength"], 256);
    // `i` shows the same policies; `detail: false` is MetaLite.
    let me = bridge.ok("demo-alice", "i", json!({})).await;
    assert_eq!(&me["policies"], policies);
    let lite = bridge
        .ok("demo-alice", "meta", json!({"detail": false}))
        .await;
    assert!(lite.get("features").is_none());
    assert_eq!(lite["version"], "2025.11.1");
    bridge.running.stop(Duration::from_secs(2)).await;
}
