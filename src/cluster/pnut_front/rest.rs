//! Forwarding a connection-bound pnut REST call to the instance owning the token's session
//! (reqwest): same method, path, query, headers and body, plus the peer secret; the owner's
//! status, content type and body come back as they are.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::cluster::PEER_HEADER;

/// A forward that got no answer from the owner.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// The owner could not be reached, or did not answer in time.
    #[error("the session's owner instance did not answer: {0}")]
    Owner(String),
}

/// Headers not passed on (hop-by-hop, or set by the client library).
const SKIPPED: &[&str] = &[
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
    "upgrade",
    "keep-alive",
    "te",
    "trailer",
    "proxy-authorization",
    "proxy-connection",
    PEER_HEADER,
];

/// Sends `method` `uri` (its path and query) with `headers` and `body` to the owner at `base`
/// with the peer `secret`, within `timeout`; answers the owner's answer.
pub async fn forward(
    http: &reqwest::Client,
    base: &str,
    secret: &str,
    request: (&Method, &Uri, &HeaderMap, Bytes),
    timeout: Duration,
) -> Result<Response, ForwardError> {
    let (method, uri, headers, body) = request;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut sent = HeaderMap::new();
    for (name, value) in headers {
        if !SKIPPED.contains(&name.as_str()) {
            sent.append(name.clone(), value.clone());
        }
    }
    let secret =
        HeaderValue::from_str(secret).map_err(|error| ForwardError::Owner(error.to_string()))?;
    sent.insert(PEER_HEADER, secret);
    let answer = http
        .request(method.clone(), format!("{base}{path}"))
        .headers(sent)
        .body(body)
        .timeout(timeout)
        .send()
        .await
        .map_err(|error| ForwardError::Owner(error.without_url().to_string()))?;
    let status =
        StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
    let body = answer
        .bytes()
        .await
        .map_err(|error| ForwardError::Owner(error.without_url().to_string()))?;
    let mut response = (status, Body::from(body)).into_response();
    if let Some(content_type) = content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
    }
    Ok(response)
}
