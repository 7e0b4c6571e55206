//! The rate-limit gate middleware: counts calls, applies forced failures and pnut's buckets,
//! and writes `X-RateLimit-*` headers on every call (pnut-api.md §2.4).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use super::super::Shared;
use super::super::ratelimit::{Bucket, Quota, Refusal};
use super::{ApiError, request_token};
use crate::pnut::Envelope;

fn put_quota_headers(headers: &mut HeaderMap, quota: Quota) {
    headers.insert("X-RateLimit-Limit", HeaderValue::from(quota.limit));
    headers.insert("X-RateLimit-Remaining", HeaderValue::from(quota.remaining));
    headers.insert("X-RateLimit-Reset", HeaderValue::from(quota.reset_secs));
}

/// The 429 envelope with `meta.retry_in`, `Retry-After` and the quota headers.
fn too_many(quota: Quota) -> Response {
    let mut body: Envelope<()> = Envelope::error(429, "Rate limit exceeded");
    body.meta.retry_in = i64::try_from(quota.reset_secs).ok();
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    put_quota_headers(response.headers_mut(), quota);
    response
        .headers_mut()
        .insert("Retry-After", HeaderValue::from(quota.reset_secs));
    response
}

/// Middleware applied to every `/v1` REST route.
pub async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| request.uri().path().to_string(), |m| m.as_str().to_string());
    let endpoint = format!("{} {route}", request.method());
    let token = request_token(request.headers(), request.uri().query());
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |info| info.0.ip().to_string());
    let is_read = request.method() == Method::GET || request.method() == Method::HEAD;
    let (bucket, key) = match (&token, is_read) {
        (Some(token), true) => (Bucket::Get, token.clone()),
        (Some(token), false) => (Bucket::Write, token.clone()),
        (None, true) => (Bucket::Anonymous, ip),
        (None, false) => (Bucket::Write, ip),
    };
    let verdict =
        shared
            .gate
            .lock()
            .await
            .check(bucket, &key, token.as_deref(), &endpoint, Instant::now());
    match verdict {
        Ok(quota) => {
            let mut response = next.run(request).await;
            put_quota_headers(response.headers_mut(), quota);
            response
        }
        Err(Refusal::RateLimited(quota)) => too_many(quota),
        Err(Refusal::Forced(429)) => too_many(Quota {
            limit: 0,
            remaining: 0,
            reset_secs: 1,
        }),
        Err(Refusal::Forced(status)) => {
            let status = if (400..600).contains(&status) {
                status
            } else {
                500
            };
            let message = if status == 500 {
                "Internal Server Error".to_string()
            } else {
                format!("Simulated failure {status}")
            };
            ApiError::new(status, message).into_response()
        }
    }
}
