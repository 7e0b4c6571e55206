//! The running bridge (`pnutkey::app::start`) over the embedded simulated Misskey, and
//! pnutpy-style assertions on what it answers.

use pnutkey::app::{self, Running};
use pnutkey::config::Config;
use pnutkey::sim::misskey::SimMisskeyControl;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A running bridge with its simulated Misskey upstream.
pub struct Bridge {
    /// The running app.
    pub running: Running,
    /// An HTTP client.
    pub http: reqwest::Client,
}

pub async fn start() -> Bridge {
    start_with(|_| {}).await
}

pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Bridge {
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
    pub fn control(&self) -> SimMisskeyControl {
        self.running
            .sim_misskey
            .as_ref()
            .expect("sim misskey runs")
            .control()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/v1{path}", self.running.addr)
    }

    /// A call with `token` as Bearer; returns status, headers and the JSON body.
    pub async fn call(
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

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let (status, _, body) = self.call(Method::GET, path, Some(token), None).await;
        (status, body)
    }

    /// The pnut (decimal) id of a Misskey note or user id.
    pub fn pnut_id(misskey_id: &str) -> String {
        pnutkey::ids::misskey_to_pnut(misskey_id, Config::default().ids.misskey_format)
            .expect("maps")
    }

    /// The Misskey id of a pnut id.
    pub fn misskey_id(pnut_id: &str) -> String {
        pnutkey::ids::pnut_to_misskey(pnut_id, Config::default().ids.misskey_format).expect("maps")
    }

    /// `notes/show` straight on the simulated upstream.
    pub async fn upstream_note(&self, token: &str, note_id: &str) -> (StatusCode, Value) {
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

pub fn assert_int_id(value: &Value) -> u128 {
    value
        .as_str()
        .and_then(|s| s.parse::<u128>().ok())
        .unwrap_or_else(|| panic!("id is a decimal string: {value}"))
}

pub fn assert_date(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("date string: {value}"));
    chrono::DateTime::parse_from_rfc3339(text).unwrap_or_else(|_| panic!("parseable: {text}"));
}

pub fn assert_post(post: &Value) {
    assert_int_id(&post["id"]);
    assert_int_id(&post["thread_id"]);
    assert_date(&post["created_at"]);
    assert_int_id(&post["user"]["id"]);
    assert!(post["user"]["username"].is_string(), "{post}");
}

pub fn ids(list: &Value) -> Vec<u128> {
    list["data"]
        .as_array()
        .expect("list")
        .iter()
        .map(|p| assert_int_id(&p["id"]))
        .collect()
}
