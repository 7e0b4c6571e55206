//! Redaction (issue 8): the real binary at TRACE level, driven through connects, errors and
//! 401s on both fronts with known tokens, never writes a token into a log line, the metrics
//! text or an error body.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

mod common;

use common::bridge_process::BridgeProcess;

/// Bridge token mapped to the valid upstream token `demo-alice`.
const BRIDGE_OK: &str = "bridge-secret-QRS-1";
/// Bridge token mapped to an upstream token the upstreams refuse.
const BRIDGE_BAD_UPSTREAM: &str = "bridge-secret-QRS-2";
/// The refused upstream token of [`BRIDGE_BAD_UPSTREAM`].
const UPSTREAM_BAD: &str = "upstream-secret-UVW-9";
/// A token nobody knows (passthrough sends it upstream as it is).
const WRONG: &str = "secret-wrong-token-XYZ";
/// Secrets that may appear nowhere.
const SECRETS: [&str; 4] = [BRIDGE_OK, BRIDGE_BAD_UPSTREAM, UPSTREAM_BAD, WRONG];
/// The public demo tokens: allowed only in the start-up banner (banner.rs), nowhere else.
const DEMO: [&str; 3] = ["demo-alice", "demo-bob", "demo-carol"];

const LIMIT: Duration = Duration::from_secs(30);

fn config_file() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("pnutkey-redaction-{}.toml", std::process::id()));
    let text = format!(
        r#"
[listen]
addr = "127.0.0.1:0"

[sim]
activity_interval = "off"

[tokens]
passthrough = true

[[tokens.map]]
bridge = "{BRIDGE_OK}"
upstream = "demo-alice"

[[tokens.map]]
bridge = "{BRIDGE_BAD_UPSTREAM}"
upstream = "{UPSTREAM_BAD}"
"#
    );
    std::fs::write(&path, text).expect("write config");
    path
}

/// Body of a refused websocket upgrade.
async fn refused_upgrade(request: tungstenite::handshake::client::Request) -> (u16, String) {
    match connect_async(request).await {
        Err(tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let body = response
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            (status, body)
        }
        Ok(_) => panic!("upgrade unexpectedly accepted"),
        Err(other) => panic!("unexpected upgrade error {other:?}"),
    }
}

async fn text_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// Everything the test sees over the wire (error bodies, metrics), to be searched.
async fn drive(bridge: &str) -> Vec<String> {
    let ws_base = bridge.replacen("http://", "ws://", 1);
    let http = reqwest::Client::new();
    let mut seen = Vec::new();

    // Misskey front: a mapped token connects (query), a channel joins, a note arrives.
    let (mut misskey, _) = connect_async(format!("{ws_base}/streaming?i={BRIDGE_OK}"))
        .await
        .expect("misskey upgrade");
    let connect = json!({"type": "connect", "body": {"channel": "homeTimeline", "id": "h", "params": {}, "pong": true}});
    misskey
        .send(Message::text(connect.to_string()))
        .await
        .expect("connect");
    misskey
        .send(Message::text(format!("{{\"bad\": \"{WRONG}\"")))
        .await
        .expect("bad frame");
    loop {
        let frame = tokio::time::timeout(LIMIT, misskey.next())
            .await
            .expect("frame in time")
            .expect("open")
            .expect("frame");
        if let Message::Text(text) = frame
            && text.contains("connected")
        {
            break;
        }
    }
    // Misskey front 401s: query, Bearer, and a mapped token whose upstream token is refused.
    for token in [WRONG, BRIDGE_BAD_UPSTREAM] {
        let request = format!("{ws_base}/streaming?i={token}")
            .into_client_request()
            .expect("request");
        let (status, body) = refused_upgrade(request).await;
        assert_eq!(status, 401);
        seen.push(body);
    }
    let mut request = format!("{ws_base}/streaming")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {WRONG}").parse().expect("header"),
    );
    let (status, body) = refused_upgrade(request).await;
    assert_eq!(status, 401);
    seen.push(body);
    // Misskey REST: 401s and an upstream error with a valid token.
    for (endpoint, body) in [
        ("i", json!({"i": WRONG})),
        ("i", json!({"i": BRIDGE_BAD_UPSTREAM})),
        (
            "notes/show",
            json!({"i": BRIDGE_OK, "noteId": "0000000000"}),
        ),
        ("notes/create", json!({"i": WRONG, "text": "x"})),
    ] {
        let (status, text) = text_of(
            http.post(format!("{bridge}/api/{endpoint}"))
                .json(&body)
                .send()
                .await
                .expect("misskey rest"),
        )
        .await;
        assert!(status >= 400, "{endpoint}: {status} {text}");
        seen.push(text);
    }
    let (status, text) = text_of(
        http.post(format!("{bridge}/api/i"))
            .bearer_auth(WRONG)
            .json(&json!({}))
            .send()
            .await
            .expect("misskey rest bearer"),
    )
    .await;
    assert!(status >= 400, "{status} {text}");
    seen.push(text);

    // pnut front: a mapped token connects (query), subscribes (Bearer), gets events.
    let (mut tool, _) = connect_async(format!("{ws_base}/v1/user?access_token={BRIDGE_OK}"))
        .await
        .expect("pnut upgrade");
    let hello = tokio::time::timeout(LIMIT, tool.next())
        .await
        .expect("hello in time")
        .expect("open")
        .expect("frame");
    let hello: Value = serde_json::from_str(hello.to_text().expect("text")).expect("json");
    let connection_id = hello["meta"]["connection_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, text) = text_of(
        http.get(format!(
            "{bridge}/v1/posts/streams/me?connection_id={connection_id}"
        ))
        .bearer_auth(BRIDGE_OK)
        .send()
        .await
        .expect("subscribe"),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    // pnut front 401s and errors: query and Bearer, refused upstream token, a bad request.
    for token in [WRONG, BRIDGE_BAD_UPSTREAM] {
        let request = format!("{ws_base}/v1/user?access_token={token}")
            .into_client_request()
            .expect("request");
        let (status, body) = refused_upgrade(request).await;
        assert_eq!(status, 401);
        seen.push(body);
        for request in [
            http.get(format!("{bridge}/v1/users/me?access_token={token}")),
            http.get(format!("{bridge}/v1/users/me")).bearer_auth(token),
        ] {
            let (status, text) = text_of(request.send().await.expect("pnut rest")).await;
            assert_eq!(status, 401, "{text}");
            seen.push(text);
        }
    }
    let (status, text) = text_of(
        http.get(format!("{bridge}/v1/posts/not-a-post"))
            .bearer_auth(BRIDGE_OK)
            .send()
            .await
            .expect("pnut rest"),
    )
    .await;
    assert!(status >= 400, "{status} {text}");
    seen.push(text);

    let (status, metrics) = text_of(
        http.get(format!("{bridge}/metrics"))
            .send()
            .await
            .expect("metrics"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        metrics.contains("pnutkey_upstream_errors_total{upstream=\"pnut\",status=\"401\"}"),
        "{metrics}"
    );
    seen.push(metrics);
    let _ = misskey.close(None).await;
    let _ = tool.close(None).await;
    seen
}

/// Whether a log line is one of the banner's demo-token lines (their documented exception).
fn is_banner_line(line: &str) -> bool {
    line.contains("simulated upstreams: demo tokens")
        || line.contains("Misskey client over pnut:")
        || line.contains("pnut tool over Misskey:")
}

#[tokio::test]
async fn no_token_reaches_a_log_line_a_metric_or_an_error_body() {
    let config = config_file();
    let mut bridge_process = BridgeProcess::spawn(
        Some(&config),
        &[(
            "RUST_LOG",
            "trace,tungstenite=trace,tokio_tungstenite=trace",
        )],
    );
    let bridge = format!("http://{}", bridge_process.bridge_addr(LIMIT).await);

    let seen = drive(&bridge).await;

    bridge_process.signal("TERM");
    let status = bridge_process.exit(LIMIT).await;
    assert!(status.success(), "exit status {status}");
    let _ = std::fs::remove_file(&config);
    let lines = bridge_process.output_lines();
    assert!(
        lines.len() > 100,
        "TRACE logging produced only {} lines",
        lines.len()
    );
    assert!(
        lines.iter().any(|l| l.contains("\"level\":\"TRACE\"")),
        "no TRACE line at all"
    );

    if let Ok(dump) = std::env::var("PNUTKEY_REDACTION_DUMP") {
        let _ = std::fs::write(dump, lines.join("\n"));
    }
    assert_no_leaks(&lines, &seen);
}

/// Fails with the first leaks found: a secret anywhere, a demo token outside the banner.
fn assert_no_leaks(lines: &[String], seen: &[String]) {
    let mut leaks = Vec::new();
    for line in lines {
        for secret in SECRETS {
            if line.contains(secret) {
                leaks.push(format!("{secret} in log: {line}"));
            }
        }
        if !is_banner_line(line) {
            for demo in DEMO {
                if line.contains(demo) {
                    leaks.push(format!("{demo} in log: {line}"));
                }
            }
        }
    }
    for text in seen {
        for secret in SECRETS.iter().chain(DEMO.iter()) {
            if text.contains(secret) {
                leaks.push(format!("{secret} in a response: {text}"));
            }
        }
    }
    let shown: Vec<&String> = leaks.iter().take(20).collect();
    assert!(
        leaks.is_empty(),
        "{} leaks, first ones:\n{shown:#?}",
        leaks.len()
    );
}

/// Issue 16: the pnut stream token rides in the stream URL's query (`?access_token=`). When
/// that upgrade fails (the API host instead of the stream host: 404; nothing listening:
/// connection refused), neither the URL nor the token reaches a log line (at TRACE), an error
/// or the metrics.
#[tokio::test]
async fn a_stream_url_with_a_token_never_reaches_a_log_line_when_the_upgrade_fails() {
    let sim = pnutkey::sim::pnut::SimPnut::start(Default::default())
        .await
        .expect("sim pnut");
    let api_url = format!("{}/v1", sim.base_url());
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let cases = [
        (
            format!("ws://{}/v1/user", sim.addr()),
            "pnut stream refused",
        ),
        (format!("ws://{closed}/v1/user"), "pnut stream lost"),
    ];
    for (stream_url, failure) in cases {
        let config = config_file();
        let mut bridge_process = BridgeProcess::spawn(
            Some(&config),
            &[
                (
                    "RUST_LOG",
                    "trace,tungstenite=trace,tokio_tungstenite=trace",
                ),
                ("PNUTKEY__UPSTREAM__PNUT__URL", api_url.as_str()),
                ("PNUTKEY__UPSTREAM__PNUT__STREAM_URL", stream_url.as_str()),
                ("PNUTKEY__TIMEOUTS__RECONNECT_BACKOFF_MIN", "50ms"),
                ("PNUTKEY__TIMEOUTS__RECONNECT_BACKOFF_MAX", "200ms"),
            ],
        );
        let bridge = format!("http://{}", bridge_process.bridge_addr(LIMIT).await);
        let ws_base = bridge.replacen("http://", "ws://", 1);
        let (mut misskey, _) = connect_async(format!("{ws_base}/streaming?i={BRIDGE_OK}"))
            .await
            .expect("misskey upgrade");
        let connect = json!({"type": "connect", "body": {"channel": "homeTimeline", "id": "h", "params": {}}});
        misskey
            .send(Message::text(connect.to_string()))
            .await
            .expect("connect");
        bridge_process
            .log_until(LIMIT, |line| {
                (line["fields"]["message"] == failure).then_some(())
            })
            .await;
        let (status, metrics) = text_of(
            reqwest::get(format!("{bridge}/metrics"))
                .await
                .expect("metrics"),
        )
        .await;
        assert_eq!(status, 200);
        let _ = misskey.close(None).await;
        bridge_process.signal("TERM");
        let status = bridge_process.exit(LIMIT).await;
        assert!(status.success(), "exit status {status}");
        let _ = std::fs::remove_file(&config);
        let lines = bridge_process.output_lines();
        assert!(
            lines.iter().any(|l| l.contains("\"level\":\"TRACE\"")),
            "no TRACE line at all"
        );
        assert!(
            !lines.iter().any(|l| l.contains("access_token")),
            "a stream URL with its query reached the log"
        );
        assert_no_leaks(&lines, &[metrics]);
    }
}
