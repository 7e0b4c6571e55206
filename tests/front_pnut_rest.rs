//! The pnut REST front (`/v1/*`) through the bridge against the embedded simulated Misskey:
//! real sockets on 127.0.0.1, pnutpy-style expectations (ids `int()`-able, dates parseable,
//! `meta.code` mirrors the status), effects checked on the simulated server.

use pnutkey::app::{self, Running};
use pnutkey::config::Config;
use pnutkey::sim::misskey::SimMisskeyControl;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A running bridge with its simulated Misskey upstream.
struct Bridge {
    running: Running,
    http: reqwest::Client,
}

async fn start() -> Bridge {
    start_with(|_| {}).await
}

async fn start_with(tweak: impl FnOnce(&mut Config)) -> Bridge {
    let mut config = Config::default();
    config.listen.addr = "127.0.0.1:0".parse().expect("addr");
    config.sim.activity_interval = None;
    // Forced upstream 5xx must surface at once, not after read retries.
    config.ratelimit.get_retries = 0;
    tweak(&mut config);
    let plan = app::RunPlan::from_config(&config);
    let running = app::start(&plan).await.expect("app starts");
    Bridge {
        running,
        http: reqwest::Client::new(),
    }
}

impl Bridge {
    fn control(&self) -> SimMisskeyControl {
        self.running
            .sim_misskey
            .as_ref()
            .expect("sim misskey runs")
            .control()
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/v1{path}", self.running.addr)
    }

    /// A call with `token` as Bearer; returns status, headers and the JSON body.
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, String)>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some((content_type, body)) = body {
            request = request.header("content-type", content_type).body(body);
        }
        let response = request.send().await.expect("bridge answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body: Value = response.json().await.expect("JSON body");
        assert_eq!(
            body["meta"]["code"].as_u64(),
            Some(u64::from(status.as_u16())),
            "meta.code mirrors the HTTP status: {body}"
        );
        if !status.is_success() {
            assert!(body.get("data").is_none(), "errors carry no data: {body}");
        }
        (status, headers, body)
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let (status, _, body) = self.call(Method::GET, path, Some(token), None).await;
        (status, body)
    }

    /// The pnut (decimal) id of a Misskey note or user id.
    fn pnut_id(misskey_id: &str) -> String {
        pnutkey::ids::misskey_to_pnut(misskey_id, Config::default().ids.misskey_format)
            .expect("maps")
    }

    /// The Misskey id of a pnut id.
    fn misskey_id(pnut_id: &str) -> String {
        pnutkey::ids::pnut_to_misskey(pnut_id, Config::default().ids.misskey_format).expect("maps")
    }

    /// `notes/show` straight on the simulated upstream.
    async fn upstream_note(&self, token: &str, note_id: &str) -> (StatusCode, Value) {
        let base = self.running.sim_misskey.as_ref().expect("sim").base_url();
        let response = self
            .http
            .post(format!("{base}/api/notes/show"))
            .json(&json!({"i": token, "noteId": note_id}))
            .send()
            .await
            .expect("sim answers");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn assert_int_id(value: &Value) -> u128 {
    value
        .as_str()
        .and_then(|s| s.parse::<u128>().ok())
        .unwrap_or_else(|| panic!("id is a decimal string: {value}"))
}

fn assert_date(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("date string: {value}"));
    chrono::DateTime::parse_from_rfc3339(text).unwrap_or_else(|_| panic!("parseable: {text}"));
}

fn assert_post(post: &Value) {
    assert_int_id(&post["id"]);
    assert_int_id(&post["thread_id"]);
    assert_date(&post["created_at"]);
    assert_int_id(&post["user"]["id"]);
    assert!(post["user"]["username"].is_string(), "{post}");
}

fn ids(list: &Value) -> Vec<u128> {
    list["data"]
        .as_array()
        .expect("list")
        .iter()
        .map(|p| assert_int_id(&p["id"]))
        .collect()
}

#[tokio::test]
async fn users_me_user_by_id_and_token() {
    let bridge = start().await;
    let (status, me) = bridge.get("/users/me", "demo-alice").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["data"]["username"], "alice");
    assert_int_id(&me["data"]["id"]);
    assert_date(&me["data"]["created_at"]);
    assert!(
        me["data"]["counts"]["following"].as_u64() >= Some(2),
        "{me}"
    );

    let bob = Bridge::pnut_id(&bridge.control().user_id("bob").await.expect("bob"));
    let (status, user) = bridge.get(&format!("/users/{bob}"), "demo-alice").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["data"]["username"], "bob");
    assert_eq!(user["data"]["id"], json!(bob));
    let (_, by_name) = bridge.get("/users/@bob", "demo-alice").await;
    assert_eq!(by_name["data"]["id"], json!(bob));

    // The token from `?access_token=`.
    let response = bridge
        .http
        .get(bridge.url("/token?access_token=demo-alice"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let token: Value = response.json().await.expect("json");
    assert_eq!(token["data"]["user"]["username"], "alice");
    assert!(token["data"]["app"]["id"].is_string());
    assert!(
        token["data"]["scopes"]
            .as_array()
            .is_some_and(|s| s.contains(&json!("stream")))
    );
}

#[tokio::test]
async fn streams_me_paginates_with_min_max_more() {
    let bridge = start().await;
    let control = bridge.control();
    for i in 0..4 {
        control
            .post("bob", &format!("page note {i}"))
            .await
            .expect("note");
    }
    let (status, first) = bridge.get("/posts/streams/me?count=2", "demo-alice").await;
    assert_eq!(status, StatusCode::OK);
    let first_ids = ids(&first);
    assert_eq!(first_ids.len(), 2);
    assert!(first_ids[0] > first_ids[1], "newest first");
    assert_eq!(first["meta"]["more"], true);
    assert_eq!(assert_int_id(&first["meta"]["max_id"]), first_ids[0]);
    assert_eq!(assert_int_id(&first["meta"]["min_id"]), first_ids[1]);
    for post in first["data"].as_array().expect("list") {
        assert_post(post);
        assert_eq!(post["pagination_id"], post["id"]);
    }
    assert_eq!(first["data"][0]["content"]["text"], "page note 3");

    let min = first["meta"]["min_id"].as_str().expect("min").to_owned();
    let (_, older) = bridge
        .get(
            &format!("/posts/streams/me?count=2&before_id={min}"),
            "demo-alice",
        )
        .await;
    let older_ids = ids(&older);
    assert_eq!(older_ids.len(), 2);
    assert!(older_ids.iter().all(|id| *id < first_ids[1]), "older page");
    assert_eq!(older["data"][0]["content"]["text"], "page note 1");

    let max = first["meta"]["max_id"].as_str().expect("max").to_owned();
    let (_, newer) = bridge
        .get(&format!("/posts/streams/me?since_id={max}"), "demo-alice")
        .await;
    assert!(ids(&newer).is_empty(), "nothing newer yet: {newer}");
    assert_eq!(newer["meta"]["more"], false);
    control.post("carol", "newest").await.expect("note");
    let (_, newer) = bridge
        .get(&format!("/posts/streams/me?since_id={max}"), "demo-alice")
        .await;
    assert_eq!(newer["data"][0]["content"]["text"], "newest");
    assert_eq!(ids(&newer).len(), 1);

    let (status, bad) = bridge
        .get("/posts/streams/me?before_id=not-an-id", "demo-alice")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

    let (status, global) = bridge.get("/posts/streams/global", "demo-alice").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!ids(&global).is_empty());
    let (status, unified) = bridge.get("/posts/streams/unified", "demo-alice").await;
    assert_eq!(status, StatusCode::OK);
    let unified_ids = ids(&unified);
    let mut deduped = unified_ids.clone();
    deduped.dedup();
    assert_eq!(unified_ids, deduped, "no duplicates");
}

#[tokio::test]
async fn post_lookup_thread_and_not_found() {
    let bridge = start().await;
    let control = bridge.control();
    let root = control.post("alice", "thread root").await.expect("root");
    let root_id = root["id"].as_str().expect("id").to_owned();
    let reply = control
        .create_note(
            "bob",
            pnutkey::sim::misskey::NewNote {
                text: Some("@alice a reply".to_owned()),
                reply_id: Some(root_id.clone()),
                ..Default::default()
            },
        )
        .await
        .expect("reply");
    let reply_id = reply["id"].as_str().expect("id").to_owned();
    let (root_pnut, reply_pnut) = (Bridge::pnut_id(&root_id), Bridge::pnut_id(&reply_id));

    let (status, post) = bridge
        .get(&format!("/posts/{reply_pnut}"), "demo-alice")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_post(&post["data"]);
    assert_eq!(post["data"]["reply_to"], json!(root_pnut));
    assert_eq!(post["data"]["thread_id"], json!(root_pnut));
    assert_eq!(post["data"]["content"]["text"], "@alice a reply");

    let nested = control
        .create_note(
            "carol",
            pnutkey::sim::misskey::NewNote {
                text: Some("@bob nested".to_owned()),
                reply_id: Some(reply_id.clone()),
                ..Default::default()
            },
        )
        .await
        .expect("nested");
    let nested_pnut = Bridge::pnut_id(nested["id"].as_str().expect("id"));
    let expected: Vec<u128> = [&nested_pnut, &reply_pnut, &root_pnut]
        .iter()
        .map(|id| assert_int_id(&json!(id)))
        .collect();
    // The whole thread, whichever of its posts is asked for, newest first.
    for asked in [&root_pnut, &reply_pnut, &nested_pnut] {
        let (status, thread) = bridge
            .get(&format!("/posts/{asked}/thread"), "demo-alice")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&thread), expected, "{thread}");
        for post in thread["data"].as_array().expect("list") {
            assert_eq!(post["thread_id"], json!(root_pnut));
        }
    }
    let (_, older) = bridge
        .get(
            &format!("/posts/{root_pnut}/thread?before_id={nested_pnut}&count=1"),
            "demo-alice",
        )
        .await;
    assert_eq!(ids(&older), expected[1..2].to_vec());
    assert_eq!(older["meta"]["more"], true);

    control.delete_note(&reply_id).await.expect("deleted");
    let (status, gone) = bridge
        .get(&format!("/posts/{reply_pnut}"), "demo-alice")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{gone}");
    let (status, _) = bridge.get("/posts/xyz", "demo-alice").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn create_post_json_and_form_then_delete() {
    let bridge = start().await;
    let body = json!({"text": "hello from pnut"}).to_string();
    let (status, _, created) = bridge
        .call(
            Method::POST,
            "/posts",
            Some("demo-alice"),
            Some(("application/json", body)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_post(&created["data"]);
    assert_eq!(created["data"]["content"]["text"], "hello from pnut");
    let parent = created["data"]["id"].as_str().expect("id").to_owned();
    let (status, upstream) = bridge
        .upstream_note("demo-alice", &Bridge::misskey_id(&parent))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(upstream["text"], "hello from pnut");

    let form = format!("text=a+form+reply&reply_to={parent}");
    let (status, _, reply) = bridge
        .call(
            Method::POST,
            "/posts",
            Some("demo-bob"),
            Some(("application/x-www-form-urlencoded", form)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(reply["data"]["reply_to"], json!(parent));
    let reply_id = reply["data"]["id"].as_str().expect("id").to_owned();
    let (_, upstream) = bridge
        .upstream_note("demo-bob", &Bridge::misskey_id(&reply_id))
        .await;
    assert_eq!(upstream["text"], "a form reply");
    assert_eq!(upstream["replyId"], json!(Bridge::misskey_id(&parent)));

    let (status, _, bad) = bridge
        .call(
            Method::POST,
            "/posts",
            Some("demo-alice"),
            Some(("application/json", "{not json".to_owned())),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

    let (status, _, deleted) = bridge
        .call(
            Method::DELETE,
            &format!("/posts/{reply_id}"),
            Some("demo-bob"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["data"]["is_deleted"], true);
    let (status, _) = bridge
        .upstream_note("demo-bob", &Bridge::misskey_id(&reply_id))
        .await;
    assert_ne!(status, StatusCode::OK, "gone upstream");
}

#[tokio::test]
async fn repost_bookmark_and_follow() {
    let bridge = start().await;
    let control = bridge.control();
    let note = control.post("bob", "repost me").await.expect("note");
    let id = Bridge::pnut_id(note["id"].as_str().expect("id"));

    let (status, _, reposted) = bridge
        .call(
            Method::PUT,
            &format!("/posts/{id}/repost"),
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(reposted["data"]["id"], json!(id));
    assert_eq!(reposted["data"]["counts"]["reposts"], 1);
    let (status, _, unreposted) = bridge
        .call(
            Method::DELETE,
            &format!("/posts/{id}/repost"),
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unreposted["data"]["counts"]["reposts"], 0);

    let (status, _, bookmarked) = bridge
        .call(
            Method::PUT,
            &format!("/posts/{id}/bookmark"),
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bookmarked["data"]["you_bookmarked"], true);
    let (_, upstream) = bridge
        .upstream_note("demo-alice", note["id"].as_str().expect("id"))
        .await;
    assert_eq!(upstream["myReaction"], "⭐", "{upstream}");
    let (status, _, unbookmarked) = bridge
        .call(
            Method::DELETE,
            &format!("/posts/{id}/bookmark"),
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unbookmarked["data"]["you_bookmarked"], false);

    let bob = Bridge::pnut_id(&control.user_id("bob").await.expect("bob"));
    let alice = Bridge::pnut_id(&control.user_id("alice").await.expect("alice"));
    let follower_ids = |list: &Value| -> Vec<String> {
        list["data"]
            .as_array()
            .expect("list")
            .iter()
            .map(|u| u["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let (_, followers) = bridge
        .get(&format!("/users/{bob}/followers"), "demo-alice")
        .await;
    assert!(follower_ids(&followers).contains(&alice), "{followers}");
    assert!(followers["meta"]["more"].is_boolean());
    let (status, _, unfollowed) = bridge
        .call(
            Method::DELETE,
            &format!("/users/{bob}/follow"),
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unfollowed["data"]["you_follow"], false);
    let (_, followers) = bridge
        .get(&format!("/users/{bob}/followers"), "demo-alice")
        .await;
    assert!(!follower_ids(&followers).contains(&alice), "{followers}");
    let (status, _, followed) = bridge
        .call(
            Method::PUT,
            &format!("/users/{bob}/follow"),
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(followed["data"]["you_follow"], true);
    let (_, following) = bridge.get("/users/me/following", "demo-alice").await;
    assert!(follower_ids(&following).contains(&bob), "{following}");
}

#[tokio::test]
async fn mentions_user_posts_files_and_sys_config() {
    let bridge = start().await;
    let control = bridge.control();
    control.post("carol", "@alice ping").await.expect("note");
    let (status, mentions) = bridge.get("/users/me/mentions", "demo-alice").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mentions["data"][0]["content"]["text"], "@alice ping");
    assert!(ids(&mentions).len() >= 2, "seeded mention too: {mentions}");

    let (status, posts) = bridge.get("/users/me/posts", "demo-carol").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        posts["data"]
            .as_array()
            .expect("list")
            .iter()
            .all(|p| p["user"]["username"] == "carol")
    );
    assert_eq!(posts["data"][0]["content"]["text"], "@alice ping");

    control
        .upload_file("alice", "peanut.png", "image/png", 1234)
        .await
        .expect("file");
    let (status, files) = bridge.get("/users/me/files", "demo-alice").await;
    assert_eq!(status, StatusCode::OK);
    let first = &files["data"][0];
    assert_eq!(first["name"], "peanut.png");
    assert_int_id(&first["id"]);
    assert!(files["meta"]["max_id"].is_string());

    let (status, config) = bridge.get("/sys/config", "demo-alice").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        config["data"]["post"]["max_length"].as_u64() > Some(0),
        "{config}"
    );
}

#[tokio::test]
async fn errors_are_envelopes() {
    let bridge = start().await;
    let (status, unknown) = bridge.get("/no/such/endpoint", "demo-alice").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(unknown["meta"]["error_message"].is_string());
    let (status, _, _) = bridge.call(Method::GET, "/nothing", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = bridge.get("/users/me", "not-a-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = bridge.call(Method::GET, "/users/me", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let control = bridge.control();
    control
        .force_failures(1, 500, Some("demo-bob"), Some("i"))
        .await;
    let (status, failed) = bridge.get("/users/me", "demo-bob").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{failed}");
    let (status, _) = bridge.get("/users/me", "demo-bob").await;
    assert_eq!(status, StatusCode::OK, "only one failure was forced");

    control
        .force_failures(1, 429, Some("demo-carol"), Some("i"))
        .await;
    let (status, headers, limited) = bridge
        .call(Method::GET, "/users/me", Some("demo-carol"), None)
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry_in = limited["meta"]["retry_in"].as_u64().expect("retry_in");
    assert!(retry_in >= 1, "{limited}");
    let retry_after: u64 = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert_eq!(retry_after, retry_in);
}

#[tokio::test]
async fn first_page_is_reusable_and_connection_id_subscribes() {
    use axum::response::IntoResponse;
    let bridge = start().await;
    let sim_url = bridge.running.sim_misskey.as_ref().expect("sim").base_url();
    let ctx = pnutkey::front::BridgeContext::new(
        Config::default(),
        bridge.running.pnut_url.clone(),
        sim_url,
        format!("http://{}", bridge.running.addr),
    )
    .expect("context");
    let query = pnutkey::front::pnut::rest::parse_query(Some("count=3"));
    let reply =
        pnutkey::front::pnut::rest::first_page(&ctx, "demo-alice", "/v1/posts/streams/me", &query)
            .await
            .expect("first page");
    let (status, page) = (
        reply.status,
        serde_json::to_value(&reply.envelope).expect("JSON"),
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&page).len(), 3, "{page}");
    let (over_http, _) = bridge.get("/posts/streams/me?count=3", "demo-alice").await;
    assert_eq!(over_http, StatusCode::OK);
    // With `connection_id` the call is a subscription (mapping.md §4.1): an unknown
    // connection is refused with a 400 envelope naming it, and nothing is subscribed.
    let (refused, body) = bridge
        .get("/posts/streams/me?count=3&connection_id=abc", "demo-alice")
        .await;
    assert_eq!(refused, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["meta"]["code"], 400);
    assert!(
        body["meta"]["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("abc")),
        "{body}"
    );
    // On an endpoint with no subscription mapping, pnut ignores `connection_id`.
    let (global, listed) = bridge
        .get(
            "/posts/streams/global?count=3&connection_id=abc",
            "demo-alice",
        )
        .await;
    assert_eq!(global, StatusCode::OK, "{listed}");
    assert!(listed["meta"].get("subscription_id").is_none(), "{listed}");
    let status = match pnutkey::front::pnut::rest::first_page(
        &ctx,
        "demo-alice",
        "/posts/streams/nope",
        &query,
    )
    .await
    {
        Ok(reply) => reply.status,
        Err(error) => error.into_response().status(),
    };
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bookmark_as_favorite_when_configured() {
    let bridge = start_with(|config| {
        config.translate.bookmark_as = pnutkey::config::BookmarkAs::Favorite;
    })
    .await;
    let control = bridge.control();
    let note = control.post("bob", "favorite me").await.expect("note");
    let id = Bridge::pnut_id(note["id"].as_str().expect("id"));
    for method in [Method::PUT, Method::DELETE] {
        let (status, _, _) = bridge
            .call(
                method,
                &format!("/posts/{id}/bookmark"),
                Some("demo-alice"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let calls = control.counts().await.calls;
    assert_eq!(calls.get("notes/favorites/create"), Some(&1));
    assert_eq!(calls.get("notes/favorites/delete"), Some(&1));
    assert_eq!(calls.get("notes/reactions/create"), None);
}

#[tokio::test]
async fn refused_tokens_never_reach_the_upstream() {
    let bridge = start_with(|config| {
        config.tokens.passthrough = false;
    })
    .await;
    let (status, refused) = bridge.get("/users/me", "demo-alice").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    let (status, _, _) = bridge
        .call(
            Method::POST,
            "/posts",
            Some("demo-alice"),
            Some(("application/json", json!({"text": "no"}).to_string())),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let calls = bridge.control().counts().await.calls;
    assert_eq!(calls.get("i"), None, "{calls:?}");
    assert_eq!(calls.get("notes/create"), None, "{calls:?}");
}

#[tokio::test]
async fn specific_v1_routes_of_other_fronts_take_precedence() {
    use axum::routing::{delete, get};
    let bridge = start().await;
    let sim_url = bridge.running.sim_misskey.as_ref().expect("sim").base_url();
    let ctx = pnutkey::front::BridgeContext::new(
        Config::default(),
        bridge.running.pnut_url.clone(),
        sim_url,
        "http://127.0.0.1".to_owned(),
    )
    .expect("context");
    // What the pnut stream front registers next to this front (merging must not panic).
    let router = pnutkey::front::pnut::rest::routes(ctx)
        .route("/v1/user", get(|| async { "stream" }))
        .route("/v1/users/me/streams/{id}", delete(|| async { "deleted" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let http = reqwest::Client::new();
    let text = |path: &'static str, method: Method| {
        let http = http.clone();
        async move {
            let response = http
                .request(method, format!("http://{addr}{path}"))
                .bearer_auth("demo-alice")
                .send()
                .await
                .expect("answers");
            (response.status(), response.text().await.unwrap_or_default())
        }
    };
    assert_eq!(text("/v1/user", Method::GET).await.1, "stream");
    assert_eq!(
        text("/v1/users/me/streams/abc", Method::DELETE).await.1,
        "deleted"
    );
    let (status, body) = text("/v1/users/me", Method::GET).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"username\":\"alice\""), "{body}");
    server.abort();
}

/// Bad input never leaves the pnut envelope (mapping.md §4.3, §7): an oversized body, a
/// method a route does not allow.
#[tokio::test]
async fn oversized_bodies_and_wrong_methods_get_pnut_envelopes() {
    let bridge = start().await;
    let huge = format!("{{\"text\": \"{}\"}}", "a".repeat(3 * 1024 * 1024));
    let (status, _, body) = bridge
        .call(
            Method::POST,
            "/posts",
            Some("demo-alice"),
            Some(("application/json", huge)),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["meta"]["error_message"].is_string(), "{body}");
    let (status, _, body) = bridge
        .call(
            Method::PUT,
            "/users/me/streams/abc",
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
}
