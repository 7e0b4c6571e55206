//! `/healthz` (mapping.md §1): 200 when both upstreams are reachable, 503 otherwise. The probe
//! is a TCP connect to each upstream's host and port, so it spends no API rate limit and
//! carries no token.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;

/// How long one reachability probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The upstream addresses `/healthz` probes.
#[derive(Debug, Clone)]
pub struct HealthTargets {
    /// `host:port` of the pnut upstream.
    pub pnut: String,
    /// `host:port` of the Misskey upstream.
    pub misskey: String,
}

impl HealthTargets {
    /// The probe targets of two upstream base URLs (`None` when a URL has no host).
    pub fn from_urls(pnut: &str, misskey: &str) -> Option<Self> {
        Some(Self {
            pnut: host_port(pnut)?,
            misskey: host_port(misskey)?,
        })
    }
}

fn host_port(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    let host = url.host_str()?;
    let port = url.port_or_known_default()?;
    Some(if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

async fn reachable(addr: &str) -> bool {
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
}

/// `GET /healthz`: `{"status", "upstreams": {"pnut", "misskey"}}` with 200 or 503.
pub async fn healthz(State(targets): State<Arc<HealthTargets>>) -> (StatusCode, Json<Value>) {
    let (pnut, misskey) = tokio::join!(reachable(&targets.pnut), reachable(&targets.misskey));
    let word = |up: bool| if up { "reachable" } else { "unreachable" };
    let status = if pnut && misskey {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if status == StatusCode::OK { "ok" } else { "degraded" },
        "upstreams": { "pnut": word(pnut), "misskey": word(misskey) },
    });
    (status, Json(body))
}
