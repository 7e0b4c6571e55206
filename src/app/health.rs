//! `/healthz` (mapping.md §1): 200 when both upstreams answer, 503 otherwise. Each upstream is
//! asked one cheap, unauthenticated request (pnut `GET /v1/sys/config`, Misskey
//! `POST /api/meta {"detail": false}`) with a short timeout: an upstream that accepts TCP and
//! never answers is down, not "reachable". The answer is cached for [`CACHE_FOR`], so scrapes
//! cost the upstreams at most one request each per period; no token is ever sent.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Longest a probe may take, whatever the upstream's request timeout.
const MAX_PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a probe's answer is reused.
pub const CACHE_FOR: Duration = Duration::from_secs(5);

/// What `/healthz` probes, and its cached last answer.
#[derive(Debug)]
pub struct HealthTargets {
    /// `GET` of the pnut upstream's `/v1/sys/config`.
    pnut: String,
    /// `POST` of the Misskey upstream's `/api/meta`.
    misskey: String,
    http: reqwest::Client,
    timeout: Duration,
    last: Mutex<Option<(Instant, Probed)>>,
    /// The fleet membership (`[cluster]`): Redis down makes the answer "degraded" (still 200:
    /// the instance serves on its local limits, so it stays in the load balancer).
    cluster: Option<Arc<crate::cluster::Cluster>>,
}

/// One probe of both upstreams.
#[derive(Debug, Clone, Copy)]
struct Probed {
    pnut: bool,
    misskey: bool,
}

impl HealthTargets {
    /// The probes of a pnut API base URL (ending in `/v1`) and a Misskey base URL, each with
    /// at most `timeout` (capped at 2 s); `None` when a URL cannot be parsed.
    pub fn from_urls(pnut_api: &str, misskey: &str, timeout: Duration) -> Option<Self> {
        let pnut =
            url::Url::parse(&format!("{}/sys/config", pnut_api.trim_end_matches('/'))).ok()?;
        let misskey =
            url::Url::parse(&format!("{}/api/meta", misskey.trim_end_matches('/'))).ok()?;
        let timeout = timeout.min(MAX_PROBE_TIMEOUT);
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .ok()?;
        Some(Self {
            pnut: pnut.into(),
            misskey: misskey.into(),
            http,
            timeout,
            last: Mutex::new(None),
            cluster: None,
        })
    }

    /// These probes, also reporting the fleet's Redis (`[cluster]`) when `cluster` is set.
    pub fn with_cluster(mut self, cluster: Option<Arc<crate::cluster::Cluster>>) -> Self {
        self.cluster = cluster;
        self
    }

    async fn probe(&self) -> Probed {
        let mut last = self.last.lock().await;
        if let Some((at, probed)) = *last
            && at.elapsed() < CACHE_FOR
        {
            return probed;
        }
        let pnut = self.http.get(&self.pnut).send();
        let misskey = self
            .http
            .post(&self.misskey)
            .json(&json!({ "detail": false }))
            .send();
        let answered = |result: Result<reqwest::Response, reqwest::Error>| {
            result.is_ok_and(|response| response.status().is_success())
        };
        let (pnut, misskey) = tokio::join!(
            tokio::time::timeout(self.timeout, pnut),
            tokio::time::timeout(self.timeout, misskey)
        );
        let probed = Probed {
            pnut: pnut.is_ok_and(answered),
            misskey: misskey.is_ok_and(answered),
        };
        *last = Some((Instant::now(), probed));
        probed
    }
}

/// `GET /healthz`: `{"status", "upstreams": {"pnut", "misskey"}}` with 200 or 503, plus
/// `"cluster": {"redis", "instance", "limits"}` in a fleet (Redis down: 200, "degraded").
pub async fn healthz(State(targets): State<Arc<HealthTargets>>) -> (StatusCode, Json<Value>) {
    let Probed { pnut, misskey } = targets.probe().await;
    let word = |up: bool| if up { "reachable" } else { "unreachable" };
    let status = if pnut && misskey {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let redis_up = targets.cluster.as_ref().map(|cluster| cluster.is_up());
    let fine = status == StatusCode::OK && redis_up != Some(false);
    let mut body = json!({
        "status": if fine { "ok" } else { "degraded" },
        "upstreams": { "pnut": word(pnut), "misskey": word(misskey) },
    });
    if let (Some(cluster), Some(up), Some(fields)) =
        (&targets.cluster, redis_up, body.as_object_mut())
    {
        fields.insert(
            "cluster".to_owned(),
            json!({
                "redis": if up { "up" } else { "down" },
                "instance": cluster.instance_id(),
                "limits": if up { "fleet" } else { "local" },
            }),
        );
    }
    (status, Json(body))
}
