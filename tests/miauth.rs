//! MiAuth over the simulated pnut's OAuth, through the running bridge over HTTP: the page, the
//! round trip through pnut's authorize page, the callback, `check` once, expiry, a refused
//! approval, revocation, and the paste-a-token page without a pnut client.

use std::time::Duration;

use pnutkey::app::Running;
use pnutkey::config::{Config, UpstreamTarget};
use pnutkey::sim::pnut::{SimPnut, SimPnutOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod common;

use common::api::post;

const APP_CALLBACK: &str = "http://127.0.0.1:9/app-callback";

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn start(tweak: impl FnOnce(&mut Config)) -> Running {
    common::app::start(|config| {
        config.storage.path = ":memory:".to_owned();
        tweak(config);
    })
    .await
}

/// A browser's form post: `pairs` form-encoded.
trait FormPairs {
    fn form_pairs(self, pairs: &[(&str, &str)]) -> Self;
}

impl FormPairs for reqwest::RequestBuilder {
    fn form_pairs(self, pairs: &[(&str, &str)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body)
    }
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .expect("a Location")
        .to_owned()
}

fn query_of(url: &str) -> Vec<(String, String)> {
    let url = url::Url::parse(url).expect("URL");
    url.query_pairs().into_owned().collect()
}

fn param(url: &str, name: &str) -> Option<String> {
    query_of(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Opens the MiAuth page of `session`, approves, and follows the browser to pnut's authorize
/// page; returns that page's URL.
async fn to_pnut(base: &str, session: &str) -> String {
    let client = browser();
    let page = client
        .get(format!(
            "{base}/miauth/{session}?name=Test%20App&callback={APP_CALLBACK}&permission=read:account,write:notes"
        ))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("Test App</span> wants to use your pnut account"),
        "{html}"
    );
    assert!(
        html.contains(&format!("action=\"/miauth/{session}/start\"")),
        "{html}"
    );
    let started = client
        .post(format!("{base}/miauth/{session}/start"))
        .form_pairs(&[
            ("name", "Test App"),
            ("callback", APP_CALLBACK),
            ("permission", "read:account,write:notes"),
        ])
        .send()
        .await
        .expect("start");
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    location(&started)
}

/// At pnut's authorize page `authorize`: picks `username` and `decision` ("allow" / "deny");
/// returns where pnut sends the browser (the bridge's callback).
async fn at_pnut(authorize: &str, username: &str, decision: &str) -> String {
    let client = browser();
    let page = client.get(authorize).send().await.expect("authorize page");
    assert_eq!(page.status(), StatusCode::OK);
    let action = url::Url::parse(authorize)
        .expect("URL")
        .join("/oauth/authenticate")
        .expect("join");
    let redirect_uri = param(authorize, "redirect_uri").expect("redirect_uri");
    let state = param(authorize, "state").expect("state");
    let answer = client
        .post(action)
        .form_pairs(&[
            ("username", username),
            ("redirect_uri", redirect_uri.as_str()),
            ("state", state.as_str()),
            ("decision", decision),
        ])
        .send()
        .await
        .expect("decide");
    assert_eq!(answer.status(), StatusCode::FOUND);
    location(&answer)
}

async fn check(base: &str, session: &str) -> Value {
    let (status, body) = post(base, &format!("miauth/{session}/check"), None, json!({})).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn streaming_status(running: &Running, token: &str) -> u16 {
    match tokio_tungstenite::connect_async(format!("ws://{}/streaming?i={token}", running.addr))
        .await
    {
        Ok((ws, response)) => {
            drop(ws);
            response.status().as_u16()
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("upgrade: {other}"),
    }
}

#[tokio::test]
async fn the_whole_flow_gives_a_bridge_token_once_that_works_until_revoked() {
    let running = start(|_| {}).await;
    let base = format!("http://{}", running.addr);
    let authorize = to_pnut(&base, "session-1").await;
    assert_eq!(
        param(&authorize, "client_id").as_deref(),
        Some("pnutkey-sim")
    );
    assert_eq!(
        param(&authorize, "scope").as_deref(),
        Some("basic,stream,write_post")
    );
    assert_eq!(
        param(&authorize, "redirect_uri"),
        Some(format!("{base}/oauth/pnut/callback"))
    );
    // Before approval, check has nothing to give.
    assert_eq!(check(&base, "session-1").await, json!({"ok": false}));
    let back = at_pnut(&authorize, "alice", "allow").await;
    assert!(
        back.starts_with(&format!("{base}/oauth/pnut/callback?")),
        "{back}"
    );
    let landed = browser().get(&back).send().await.expect("callback");
    assert_eq!(landed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&landed),
        format!("{APP_CALLBACK}?session=session-1")
    );

    let answer = check(&base, "session-1").await;
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["user"]["username"], "alice", "{answer}");
    let token = answer["token"].as_str().expect("token").to_owned();
    assert!(
        token.starts_with("pnutkey_") && !token.contains("demo-alice"),
        "{token}"
    );
    // Once only.
    assert_eq!(check(&base, "session-1").await, json!({"ok": false}));

    let (status, me) = post(&base, "i", Some(&token), json!({})).await;
    assert_eq!((status, me["username"].as_str()), (200, Some("alice")));
    let (status, _) = post(&base, "i", None, json!({"i": token})).await;
    assert_eq!(status, 200);
    assert_eq!(streaming_status(&running, &token).await, 101);
    // The raw pnut token still works beside it.
    assert_eq!(post(&base, "i", Some("demo-alice"), json!({})).await.0, 200);

    assert_eq!(
        post(
            &base,
            "i/revoke-token",
            Some(&token),
            json!({"token": token})
        )
        .await,
        (204, Value::Null)
    );
    let (status, body) = post(&base, "i", Some(&token), json!({})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("AUTHENTICATION_FAILED"))
    );
    assert_eq!(streaming_status(&running, &token).await, 401);
    running.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_refused_approval_gives_the_app_nothing() {
    let running = start(|_| {}).await;
    let base = format!("http://{}", running.addr);
    let authorize = to_pnut(&base, "refused").await;
    let back = at_pnut(&authorize, "alice", "deny").await;
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    let landed = browser().get(&back).send().await.expect("callback");
    assert_eq!(landed.status(), StatusCode::OK);
    let html = landed.text().await.expect("html");
    assert!(
        html.contains("Login refused: Test App was not given access"),
        "{html}"
    );
    assert_eq!(check(&base, "refused").await, json!({"ok": false}));
    running.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn an_expired_session_gives_the_app_nothing() {
    let running = start(|_| {}).await;
    let base = format!("http://{}", running.addr);
    let authorize = to_pnut(&base, "late").await;
    let back = at_pnut(&authorize, "bob", "allow").await;
    assert_eq!(
        browser()
            .get(&back)
            .send()
            .await
            .expect("callback")
            .status(),
        StatusCode::SEE_OTHER
    );
    // The operator shortens the lifetime to nothing: the approved session is now expired.
    let mut shorter = running.config().as_ref().clone();
    shorter.oauth.miauth_lifetime = Duration::ZERO;
    running.reload(shorter);
    assert_eq!(check(&base, "late").await, json!({"ok": false}));
    // And an approval arriving after expiry is refused too.
    let authorize = to_pnut(&base, "later").await;
    let back = at_pnut(&authorize, "bob", "allow").await;
    let landed = browser().get(&back).send().await.expect("callback");
    assert_eq!(landed.status(), StatusCode::BAD_REQUEST);
    running.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn logins_under_way_are_bounded() {
    let running = start(|config| config.oauth.max_pending = 1).await;
    let base = format!("http://{}", running.addr);
    to_pnut(&base, "first").await;
    let second = browser()
        .post(format!("{base}/miauth/second/start"))
        .form_pairs(&[("name", "Second")])
        .send()
        .await
        .expect("start");
    assert_eq!(second.status(), StatusCode::SERVICE_UNAVAILABLE);
    // Restarting the same login is no new one.
    to_pnut(&base, "first").await;
    running.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn unknown_sessions_and_bad_links_are_refused() {
    let running = start(|_| {}).await;
    let base = format!("http://{}", running.addr);
    assert_eq!(check(&base, "never-started").await, json!({"ok": false}));
    let by_get = reqwest::get(format!("{base}/api/miauth/never-started/check"))
        .await
        .expect("GET");
    assert_eq!(by_get.status(), StatusCode::NOT_FOUND);
    let body: Value = by_get.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "UNKNOWN_API_ENDPOINT");
    let bad = browser()
        .get(format!("{base}/miauth/bad%20session?name=x"))
        .send()
        .await
        .expect("page");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    // A script callback is dropped: the user is told it is done instead of being sent there.
    let page = browser()
        .get(format!(
            "{base}/miauth/s?name=%3Cb%3Ex&callback=javascript:alert(1)"
        ))
        .send()
        .await
        .expect("page");
    let html = page.text().await.expect("html");
    assert!(
        html.contains("&lt;b&gt;x") && !html.contains("javascript:"),
        "{html}"
    );
    running.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn without_a_pnut_client_the_page_takes_a_pasted_token() {
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("sim pnut");
    let endpoints = sim.endpoints();
    let running = start(|config| {
        config.upstream.pnut.url = UpstreamTarget::Url(endpoints.api_url.parse().expect("url"));
        config.upstream.pnut.stream_url =
            Some(serde_json::from_value(json!(endpoints.stream_url)).expect("stream url"));
    })
    .await;
    let base = format!("http://{}", running.addr);
    let html = browser()
        .get(format!(
            "{base}/miauth/paste?name=Paster&callback={APP_CALLBACK}"
        ))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("action=\"/miauth/paste/token\"") && !html.contains("/start\""),
        "{html}"
    );
    let paste = |token: &'static str| {
        browser()
            .post(format!("{base}/miauth/paste/token"))
            .form_pairs(&[
                ("name", "Paster"),
                ("callback", APP_CALLBACK),
                ("token", token),
            ])
            .send()
    };
    assert_eq!(
        paste("not-a-token").await.expect("paste").status(),
        StatusCode::UNAUTHORIZED
    );
    let pasted = paste("demo-bob").await.expect("paste");
    assert_eq!(pasted.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&pasted), format!("{APP_CALLBACK}?session=paste"));
    let answer = check(&base, "paste").await;
    assert_eq!(
        (answer["ok"].as_bool(), answer["user"]["username"].as_str()),
        (Some(true), Some("bob"))
    );
    let token = answer["token"].as_str().expect("token");
    assert_eq!(
        post(&base, "i", Some(token), json!({})).await.1["username"],
        "bob"
    );
    // No pnut login here: the OAuth start is refused.
    let start = browser()
        .post(format!("{base}/miauth/x/start"))
        .form_pairs(&[("name", "x")])
        .send()
        .await
        .expect("start");
    assert_eq!(start.status(), StatusCode::NOT_FOUND);
    running.stop(Duration::from_secs(5)).await;
}
