//! `i/registry/*` over the bridge's store, through the running bridge: Misskey's answers and
//! errors, data kept across a restart on the same file, `registryUpdated` on `main`, and a
//! full or unwritable store failing cleanly.

use std::path::Path;
use std::time::Duration;

use futures_util::SinkExt;
use pnutkey::app::Running;
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

mod common;

use common::api::{post, scratch_dir};
use common::ws::next_json;

const ALICE: &str = "demo-alice";
const BOB: &str = "demo-bob";

async fn start_on(path: &Path, max_size: Option<&str>) -> Running {
    let path = path.display().to_string();
    let max_size = max_size.map(|size| size.parse().expect("size"));
    common::app::start(move |config| {
        config.storage.path = path;
        config.storage.max_size = max_size;
    })
    .await
}

fn base(running: &Running) -> String {
    format!("http://{}", running.addr)
}

#[tokio::test]
async fn set_get_and_get_all_answer_as_misskey_and_survive_a_restart() {
    let file = scratch_dir("registry").join("store.sqlite");
    let running = start_on(&file, None).await;
    let url = base(&running);
    let scope = json!(["client", "base"]);
    let set = |key: &str, value: Value| json!({"scope": scope, "key": key, "value": value});
    for (key, value) in [
        ("theme", json!("dark")),
        ("count", json!(3)),
        ("list", json!([1, 2])),
    ] {
        assert_eq!(
            post(&url, "i/registry/set", Some(ALICE), set(key, value)).await,
            (204, Value::Null)
        );
    }
    let get = json!({"scope": scope, "key": "theme"});
    assert_eq!(
        post(&url, "i/registry/get", Some(ALICE), get.clone()).await,
        (200, json!("dark"))
    );
    let (status, detail) = post(&url, "i/registry/get-detail", Some(ALICE), get.clone()).await;
    assert_eq!((status, &detail["value"]), (200, &json!("dark")));
    assert!(
        detail["updatedAt"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z')),
        "{detail}"
    );
    let in_scope = json!({"scope": scope});
    assert_eq!(
        post(&url, "i/registry/get-all", Some(ALICE), in_scope.clone()).await,
        (200, json!({"count": 3, "list": [1, 2], "theme": "dark"}))
    );
    assert_eq!(
        post(&url, "i/registry/keys", Some(ALICE), in_scope.clone()).await,
        (200, json!(["count", "list", "theme"]))
    );
    assert_eq!(
        post(
            &url,
            "i/registry/keys-with-type",
            Some(ALICE),
            in_scope.clone()
        )
        .await,
        (
            200,
            json!({"count": "number", "list": "array", "theme": "string"})
        )
    );
    assert_eq!(
        post(
            &url,
            "i/registry/scopes-with-domain",
            Some(ALICE),
            json!({})
        )
        .await,
        (
            200,
            json!([{"domain": null, "scopes": [["client", "base"]]}])
        )
    );
    // Per user: bob sees nothing of alice's.
    assert_eq!(
        post(&url, "i/registry/get-all", Some(BOB), in_scope.clone()).await,
        (200, json!({}))
    );
    running.stop(Duration::from_secs(5)).await;

    let running = start_on(&file, None).await;
    let url = base(&running);
    assert_eq!(
        post(&url, "i/registry/get", Some(ALICE), get).await,
        (200, json!("dark"))
    );
    assert_eq!(
        post(
            &url,
            "i/registry/remove",
            Some(ALICE),
            json!({"scope": scope, "key": "count"})
        )
        .await,
        (204, Value::Null)
    );
    assert_eq!(
        post(&url, "i/registry/keys", Some(ALICE), in_scope).await,
        (200, json!(["list", "theme"]))
    );
    running.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn registry_errors_are_misskeys() {
    let running = start_on(Path::new(":memory:"), None).await;
    let url = base(&running);
    let (status, body) = post(
        &url,
        "i/registry/get",
        Some(ALICE),
        json!({"scope": [], "key": "nope"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("NO_SUCH_KEY"))
    );
    assert_eq!(body["error"]["id"], "ac3ed68a-62f0-422b-a7bc-d5e09e8f6a6a");
    let (status, body) = post(
        &url,
        "i/registry/get-detail",
        Some(ALICE),
        json!({"scope": [], "key": "nope"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("NO_SUCH_KEY"))
    );
    for bad in [
        json!({"scope": ["a.b"], "key": "k", "value": 1}),
        json!({"scope": [], "key": "k"}),
        json!({"scope": [], "key": "", "value": 1}),
        json!({"scope": "client", "key": "k", "value": 1}),
    ] {
        let (status, body) = post(&url, "i/registry/set", Some(ALICE), bad.clone()).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("INVALID_PARAM")),
            "{bad}"
        );
    }
    let (status, body) = post(&url, "i/registry/get-all", None, json!({"scope": []})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("CREDENTIAL_REQUIRED"))
    );
    let (status, body) = post(
        &url,
        "i/registry/get-all",
        Some("wrong"),
        json!({"scope": []}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("AUTHENTICATION_FAILED"))
    );
    // `null` is a value like any other.
    assert_eq!(
        post(
            &url,
            "i/registry/set",
            Some(ALICE),
            json!({"scope": [], "key": "n", "value": null})
        )
        .await
        .0,
        204
    );
    assert_eq!(
        post(
            &url,
            "i/registry/keys-with-type",
            Some(ALICE),
            json!({"scope": []})
        )
        .await,
        (200, json!({"n": "null"}))
    );
    running.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn set_reaches_the_users_main_sockets_as_registry_updated() {
    let running = start_on(Path::new(":memory:"), None).await;
    let url = base(&running);
    let mut ws = connect_async(format!("ws://{}/streaming?i={ALICE}", running.addr))
        .await
        .expect("upgrade")
        .0;
    let connect = json!({"type": "connect", "body": {"channel": "main", "id": "m1", "params": {}, "pong": true}});
    ws.send(Message::text(connect.to_string()))
        .await
        .expect("send");
    loop {
        let frame = next_json(&mut ws).await;
        if frame["type"] == "connected" {
            break;
        }
    }
    // Bob's set is not alice's business; alice's own set reaches her socket.
    let body = json!({"scope": ["client"], "key": "k", "value": {"a": 1}});
    assert_eq!(
        post(
            &url,
            "i/registry/set",
            Some(BOB),
            json!({"scope": ["x"], "key": "bob", "value": 0})
        )
        .await
        .0,
        204
    );
    assert_eq!(post(&url, "i/registry/set", Some(ALICE), body).await.0, 204);
    let frame = next_json(&mut ws).await;
    assert_eq!(
        frame,
        json!({"type": "channel", "body": {"id": "m1", "type": "registryUpdated",
            "body": {"scope": ["client"], "key": "k", "value": {"a": 1}}}})
    );
    drop(ws);
    running.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_full_store_fails_the_write_clearly_and_keeps_the_file_whole() {
    let file = scratch_dir("full").join("store.sqlite");
    let running = start_on(&file, Some("96KiB")).await;
    let url = base(&running);
    let big = "x".repeat(8 * 1024);
    let mut stored = Vec::new();
    let failure = loop {
        let key = format!("k{}", stored.len());
        let (status, body) = post(
            &url,
            "i/registry/set",
            Some(ALICE),
            json!({"scope": [], "key": key, "value": big}),
        )
        .await;
        if status != 204 {
            break (status, body);
        }
        stored.push(key);
        assert!(stored.len() < 100, "the store never filled up");
    };
    assert!(!stored.is_empty(), "nothing fitted");
    let (status, body) = failure;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (500, Some("INTERNAL_ERROR"))
    );
    let message = body["error"]["info"]["e"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("store is full"), "{body}");
    // What was written before is still there, on this run and the next.
    assert_eq!(
        post(
            &url,
            "i/registry/get",
            Some(ALICE),
            json!({"scope": [], "key": stored[0]})
        )
        .await
        .0,
        200
    );
    running.stop(Duration::from_secs(5)).await;
    let conn = rusqlite::Connection::open(&file).expect("open");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok");
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM registry", [], |row| row.get(0))
        .expect("count");
    assert_eq!(rows, stored.len() as i64);
    drop(conn);
    let running = start_on(&file, Some("96KiB")).await;
    let last = stored.last().expect("one");
    let (status, value) = post(
        &base(&running),
        "i/registry/get",
        Some(ALICE),
        json!({"scope": [], "key": last}),
    )
    .await;
    assert_eq!(
        (status, value.as_str().map(str::len)),
        (200, Some(big.len()))
    );
    running.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn an_unwritable_store_path_stops_the_start_with_a_clear_error() {
    let dir = scratch_dir("unwritable");
    let not_a_dir = dir.join("file");
    std::fs::write(&not_a_dir, b"not a directory").expect("file");
    let mut config = pnutkey::config::Config::default();
    config.listen.addr = "127.0.0.1:0".parse().expect("addr");
    config.storage.path = not_a_dir.join("store.sqlite").display().to_string();
    let error = pnutkey::app::start(&pnutkey::app::RunPlan::from_config(&config))
        .await
        .err()
        .expect("the start fails");
    let message = error.to_string();
    assert!(message.contains("cannot open the store at"), "{message}");
    assert!(message.contains("store.sqlite"), "{message}");
}
