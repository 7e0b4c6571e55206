//! Redaction of MiAuth: the real binary at TRACE level, driven through the whole MiAuth flow
//! (simulated pnut OAuth), the bridge token's use on REST and `/streaming`, its revocation and
//! its refusal afterwards, never writes the bridge token, the pnut token it stands for or the
//! authorization code into a log line.

use std::time::Duration;

use serde_json::{Value, json};

mod common;

use common::api::post;
use common::bridge_process::BridgeProcess;

const LIMIT: Duration = Duration::from_secs(30);

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[reqwest::header::LOCATION]
        .to_str()
        .expect("text")
        .to_owned()
}

fn param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .expect("URL")
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("{name} in {url}"))
}

/// Runs the flow; returns (bridge token, authorization code).
async fn log_in(bridge: &str) -> (String, String) {
    let client = no_redirects();
    let content_type = (
        reqwest::header::CONTENT_TYPE,
        "application/x-www-form-urlencoded",
    );
    let started = client
        .post(format!("{bridge}/miauth/redaction/start"))
        .header(content_type.0.clone(), content_type.1)
        .body(form(&[
            ("name", "Redaction"),
            ("callback", "http://127.0.0.1:9/cb"),
        ]))
        .send()
        .await
        .expect("start");
    let authorize = location(&started);
    let action = url::Url::parse(&authorize)
        .expect("URL")
        .join("/oauth/authenticate")
        .expect("join");
    let decided = client
        .post(action)
        .header(content_type.0.clone(), content_type.1)
        .body(form(&[
            ("username", "bob"),
            ("redirect_uri", &param(&authorize, "redirect_uri")),
            ("state", &param(&authorize, "state")),
            ("decision", "allow"),
        ]))
        .send()
        .await
        .expect("decide");
    let back = location(&decided);
    let code = param(&back, "code");
    let landed = client.get(&back).send().await.expect("callback");
    assert_eq!(landed.status().as_u16(), 303);
    let (status, answer) = post(bridge, "miauth/redaction/check", None, json!({})).await;
    assert_eq!(
        (status, answer["ok"].as_bool()),
        (200, Some(true)),
        "{answer}"
    );
    (answer["token"].as_str().expect("token").to_owned(), code)
}

#[tokio::test]
async fn no_miauth_secret_reaches_a_log_line() {
    let mut bridge_process = BridgeProcess::spawn(
        None,
        &[
            (
                "RUST_LOG",
                "trace,tungstenite=trace,tokio_tungstenite=trace",
            ),
            ("PNUTKEY__STORAGE__PATH", ":memory:"),
        ],
    );
    let bridge = format!("http://{}", bridge_process.bridge_addr(LIMIT).await);
    let (token, code) = log_in(&bridge).await;
    let (status, me) = post(&bridge, "i", Some(&token), json!({})).await;
    assert_eq!((status, me["username"].as_str()), (200, Some("bob")));
    let ws = tokio_tungstenite::connect_async(format!(
        "{}/streaming?i={token}",
        bridge.replacen("http://", "ws://", 1)
    ))
    .await
    .expect("upgrade");
    drop(ws);
    assert_eq!(
        post(
            &bridge,
            "i/revoke-token",
            Some(&token),
            json!({"token": token})
        )
        .await,
        (204, Value::Null)
    );
    assert_eq!(post(&bridge, "i", Some(&token), json!({})).await.0, 401);

    bridge_process.signal("TERM");
    let status = bridge_process.exit(LIMIT).await;
    assert!(status.success(), "exit status {status}");
    let lines = bridge_process.output_lines();
    assert!(
        lines.iter().any(|l| l.contains("\"level\":\"TRACE\"")),
        "no TRACE line"
    );
    let banner = |line: &str| {
        line.contains("simulated upstreams: demo tokens")
            || line.contains("Misskey client over pnut:")
            || line.contains("pnut tool over Misskey:")
    };
    let leaks: Vec<&String> = lines
        .iter()
        .filter(|line| {
            line.contains(&token)
                || line.contains(&code)
                || (line.contains("demo-bob") && !banner(line))
        })
        .take(10)
        .collect();
    assert!(leaks.is_empty(), "secrets in the log: {leaks:#?}");
}
