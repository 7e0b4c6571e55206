//! Shared harness of `tests/front_misskey_rest.rs`: the bridge on the embedded sims, Misskey
//! REST calls and upstream observations.

use pnutkey::app::{self, RunPlan, Running};
use pnutkey::config::Config;
use pnutkey::sim::pnut::SimPnutControl;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

pub struct Bridge {
    pub running: Running,
    pub http: reqwest::Client,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

pub async fn start() -> Bridge {
    start_with(|_| {}).await
}

/// The bridge on the embedded sims, with `edit` applied to the test config.
pub async fn start_with(edit: impl FnOnce(&mut Config)) -> Bridge {
    let mut config = Config::default();
    config.listen.addr = "127.0.0.1:0".parse().unwrap();
    config.sim.activity_interval = None;
    config.ratelimit.get_retries = 0;
    edit(&mut config);
    let plan = RunPlan::from_config(&config);
    let running = app::start(&plan).await.unwrap();
    Bridge {
        running,
        http: reqwest::Client::new(),
    }
}

/// A pnut id as the bridge shows it to Misskey clients (zero-padded to 16).
pub fn padded(id: &str) -> String {
    format!("{id:0>16}")
}

impl Bridge {
    pub fn control(&self) -> SimPnutControl {
        self.running.sim_pnut.as_ref().unwrap().control()
    }

    pub async fn raw(&self, endpoint: &str, body: Vec<u8>, bearer: Option<&str>) -> Answer {
        let mut request = self
            .http
            .post(format!("http://{}/api/{endpoint}", self.running.addr))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    /// `POST /api/{endpoint}` with `body` plus `"i": token`.
    pub async fn api(&self, token: &str, endpoint: &str, mut body: Value) -> Answer {
        body["i"] = json!(token);
        self.raw(endpoint, serde_json::to_vec(&body).unwrap(), None)
            .await
    }

    /// `GET /api/{endpoint}?{query}` (no token).
    pub async fn get(&self, endpoint: &str, query: &str) -> Answer {
        let response = self
            .http
            .get(format!(
                "http://{}/api/{endpoint}?{query}",
                self.running.addr
            ))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    /// `api` that must answer 200; its body.
    pub async fn ok(&self, token: &str, endpoint: &str, body: Value) -> Value {
        let answer = self.api(token, endpoint, body).await;
        assert_eq!(answer.status, StatusCode::OK, "{endpoint}: {}", answer.body);
        answer.body
    }

    /// A post read straight from the sim pnut, as `token`.
    pub async fn upstream_post(&self, token: &str, id: &str) -> Value {
        let base = self.running.sim_pnut.as_ref().unwrap().base_url();
        let response = self
            .http
            .get(format!("{base}/v1/posts/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        response.json::<Value>().await.unwrap()
    }

    /// Creates a post straight on the sim pnut (as `token`, with `body` as the JSON
    /// request); its pnut id.
    pub async fn upstream_create(&self, token: &str, body: Value) -> String {
        let base = self.running.sim_pnut.as_ref().unwrap().base_url();
        let response = self
            .http
            .post(format!("{base}/v1/posts"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let created = response.json::<Value>().await.unwrap();
        created["data"]["id"].as_str().unwrap().to_owned()
    }

    pub async fn upstream_calls(&self, key: &str) -> u64 {
        self.control()
            .counts()
            .await
            .calls
            .get(key)
            .copied()
            .unwrap_or(0)
    }

    pub async fn total_upstream_calls(&self) -> u64 {
        self.control().counts().await.calls.values().sum()
    }
}

pub fn ids(answer: &Answer) -> Vec<&str> {
    answer
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|note| note["id"].as_str().unwrap())
        .collect()
}
