//! The start-up probe of the pnut upstream: one `GET /v1/sys/config` on the API and one
//! token-less websocket upgrade on the stream URL, each logged as ok or failed with the
//! reason, so an operator sees a wrong URL at once. No token is used (there is none at start);
//! the bridge starts either way.
//!
//! The stream check without a token: pnut refuses a user stream without a token, so an HTTP
//! 401 or 403 answer to the upgrade proves a pnut stream host at that URL (ok), as does an
//! accepted upgrade. Anything else fails: connection refused, DNS, TLS, a timeout, and any
//! other status, notably 404 (a wrong path, or the API host instead of the stream host).

use std::time::Duration;

use tokio_tungstenite::tungstenite;

use crate::upstream::pnut::PnutEndpoints;

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeResult {
    /// The endpoint answered as pnut does; what it answered.
    Ok(String),
    /// It did not; why.
    Failed(String),
}

/// Runs both checks (each bounded by `limit`) and logs one line per check: `probe` names it
/// (`pnut api` or `pnut stream`), `result` is `ok` or `failed`, `url` is the masked URL.
pub async fn probe_pnut(endpoints: &PnutEndpoints, shown_api: &str, limit: Duration) {
    let (api, stream) = tokio::join!(
        check_api(&endpoints.api_url, limit),
        check_stream(&endpoints.stream_url, limit)
    );
    log("pnut api", shown_api, &api);
    log("pnut stream", &endpoints.stream_url, &stream);
}

fn log(probe: &str, url: &str, result: &ProbeResult) {
    match result {
        ProbeResult::Ok(detail) => {
            tracing::info!(probe, %url, result = "ok", %detail, "start-up probe");
        }
        ProbeResult::Failed(reason) => {
            tracing::warn!(probe, %url, result = "failed", %reason, "start-up probe");
        }
    }
}

/// `GET {api_url}/sys/config` without a token: ok when it answers a pnut envelope with
/// `meta.code` 200.
pub async fn check_api(api_url: &str, limit: Duration) -> ProbeResult {
    let url = format!("{}/sys/config", api_url.trim_end_matches('/'));
    let client = match reqwest::Client::builder().timeout(limit).build() {
        Ok(client) => client,
        Err(error) => return ProbeResult::Failed(format!("no HTTP client: {error}")),
    };
    let response = match client.get(&url).send().await {
        Ok(response) => response,
        Err(error) => return ProbeResult::Failed(transport_reason(&error)),
    };
    let status = response.status().as_u16();
    let body: Option<serde_json::Value> = response.json().await.ok();
    let code = body
        .as_ref()
        .and_then(|b| b.get("meta")?.get("code")?.as_u64());
    match (status, code) {
        (200, Some(200)) => ProbeResult::Ok("GET /v1/sys/config answered 200".into()),
        (_, Some(_)) => ProbeResult::Failed(format!(
            "GET /v1/sys/config answered HTTP {status} (a pnut envelope, but not ok)"
        )),
        _ => ProbeResult::Failed(format!(
            "GET /v1/sys/config answered HTTP {status} without a pnut envelope: not a pnut API"
        )),
    }
}

/// Why a request failed, without its URL (reqwest's `Display` names it).
fn transport_reason(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(error);
    let mut innermost = None;
    while let Some(cause) = source {
        innermost = Some(cause.to_string());
        source = cause.source();
    }
    match innermost {
        Some(cause) => format!("{kind}: {cause}"),
        None => kind.to_owned(),
    }
}

/// A token-less upgrade on `stream_url`: ok on 401/403 (pnut's answer to a missing token) or an
/// accepted upgrade; failed otherwise.
pub async fn check_stream(stream_url: &str, limit: Duration) -> ProbeResult {
    let upgrade = tokio::time::timeout(limit, tokio_tungstenite::connect_async(stream_url)).await;
    match upgrade {
        Err(_) => ProbeResult::Failed(format!("no answer to the upgrade within {limit:?}")),
        Ok(Ok((mut ws, _))) => {
            let _ = ws.close(None).await;
            ProbeResult::Ok("the upgrade was accepted without a token".into())
        }
        Ok(Err(tungstenite::Error::Http(response))) => {
            let status = response.status().as_u16();
            let envelope = response
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
                .is_some_and(|b| b.get("meta").is_some());
            let shape = if envelope {
                "with a pnut envelope"
            } else {
                "without a pnut envelope"
            };
            match status {
                401 | 403 => ProbeResult::Ok(format!(
                    "a token-less upgrade was refused with {status} {shape}, as a pnut stream host does"
                )),
                404 => ProbeResult::Failed(format!(
                    "the upgrade answered 404 {shape}: wrong path, or not the stream host (pnut.io: stream.pnut.io)"
                )),
                _ => ProbeResult::Failed(format!(
                    "the upgrade answered HTTP {status} {shape}: not a pnut stream host"
                )),
            }
        }
        Ok(Err(tungstenite::Error::Io(error))) => {
            ProbeResult::Failed(format!("could not connect: {error}"))
        }
        Ok(Err(error)) => ProbeResult::Failed(format!("the upgrade failed: {error}")),
    }
}
