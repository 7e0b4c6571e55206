//! Misskey REST calls: `POST /api/<endpoint>` with `i`, typed results and errors, limiter,
//! 429 pauses, bounded retries of reads.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tokio::time::Instant;

use super::MisskeyClientSettings;
use super::stream::MisskeyStream;
use crate::misskey::ApiErrorBody;
use crate::ratelimit::{LimiterSlot, MISSKEY_ANY, RetryBudget, UpstreamLimiter, token_hash};
use crate::upstream::{Side, Upload, UpstreamError, UpstreamKind, pause_from_429};

const KIND: UpstreamKind = UpstreamKind::Misskey;

/// A Misskey REST client. Cheap to clone; clones share the limiter and retry budget.
#[derive(Debug, Clone)]
pub struct MisskeyClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    settings: MisskeyClientSettings,
    /// Swapped by a config reload (`replace_limiter`).
    limiter: LimiterSlot,
    budget: RetryBudget,
}

impl MisskeyClient {
    /// A client for `settings.base_url` whose calls all go through `limiter`
    /// (built with [`crate::ratelimit::misskey_limiter`]).
    pub fn new(
        settings: MisskeyClientSettings,
        limiter: Arc<UpstreamLimiter>,
    ) -> Result<Self, UpstreamError> {
        let http = crate::upstream::rest_client_builder(settings.request_timeout)
            .build()
            .map_err(|error| UpstreamError::transport(KIND, &error))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                settings,
                limiter: LimiterSlot::new(limiter),
                budget: RetryBudget::default(),
            }),
        })
    }

    /// The settings of this client.
    pub fn settings(&self) -> &MisskeyClientSettings {
        &self.inner.settings
    }

    /// The limiter calls go through now (a call keeps the one it started with).
    pub fn limiter(&self) -> Arc<UpstreamLimiter> {
        self.inner.limiter.current()
    }

    /// Replaces the limiter (config reload): later calls use `limiter`, whose buckets start
    /// full; the old limiter's running 429 pauses and counts are carried over.
    pub fn replace_limiter(&self, limiter: Arc<UpstreamLimiter>) {
        self.inner.limiter.replace(limiter);
    }

    /// A read-only call (`i`, `notes/timeline`, `notes/show`, ...): retried after a 5xx or
    /// transport error while the retry budget allows; never after a 429. The attempts share
    /// one deadline, `request_timeout` after the first permit (a silent upstream costs one
    /// timeout, not one per attempt). A 204 decodes as JSON `null`.
    pub async fn read<T: DeserializeOwned>(
        &self,
        token: &str,
        endpoint: &str,
        body: Map<String, Value>,
    ) -> Result<T, UpstreamError> {
        self.inner.budget.deposit();
        let mut delay = self.inner.settings.retry_delay;
        let mut retries = 0;
        let mut deadline = None;
        loop {
            match self
                .call(token, endpoint, Payload::Json(body.clone()), &mut deadline)
                .await
            {
                Err(error)
                    if error.is_retryable()
                        && !matches!(error, UpstreamError::RateLimited { .. })
                        && retries < self.inner.settings.read_retries
                        && deadline.is_some_and(|at| Instant::now() + delay < at)
                        && self.inner.budget.withdraw() =>
                {
                    retries += 1;
                    tracing::debug!(token = %token_hash(token), endpoint, %error, retries, "retrying misskey read");
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                }
                other => return other,
            }
        }
    }

    /// A call with side effects (`notes/create`, `following/create`, ...). Never retried.
    pub async fn write<T: DeserializeOwned>(
        &self,
        token: &str,
        endpoint: &str,
        body: Map<String, Value>,
    ) -> Result<T, UpstreamError> {
        self.call(token, endpoint, Payload::Json(body), &mut None)
            .await
    }

    /// A multipart upload (`drive/files/create`): `i` and `upload`'s fields as form fields,
    /// its file as a part. A write: never retried (the body may have reached Misskey).
    pub async fn upload<T: DeserializeOwned>(
        &self,
        token: &str,
        endpoint: &str,
        upload: &Upload,
    ) -> Result<T, UpstreamError> {
        self.call(token, endpoint, Payload::Multipart(upload), &mut None)
            .await
    }

    /// Opens the streaming connection of `token` in its own task (see [`MisskeyStream`]).
    pub fn open_stream(&self, token: &str) -> MisskeyStream {
        MisskeyStream::open(self.inner.settings.clone(), token.to_string())
    }

    /// One attempt: a permit, then the exchange, bounded by `deadline` (set to
    /// `request_timeout` from now when the first permit is granted).
    async fn call<T: DeserializeOwned>(
        &self,
        token: &str,
        endpoint: &str,
        body: Payload<'_>,
        deadline: &mut Option<Instant>,
    ) -> Result<T, UpstreamError> {
        let limiter = self.limiter();
        let buckets: &[&str] = if limiter.has_bucket(endpoint) {
            &[MISSKEY_ANY, endpoint]
        } else {
            &[MISSKEY_ANY]
        };
        limiter
            .acquire(buckets, token)
            .await
            .map_err(|limited| UpstreamError::local_rate_limit(KIND, limited))?;
        let deadline =
            *deadline.get_or_insert_with(|| Instant::now() + body.timeout(&self.inner.settings));
        let result =
            tokio::time::timeout_at(deadline, self.exchange(&limiter, token, endpoint, body))
                .await
                .unwrap_or_else(|_| {
                    Err(UpstreamError::Transport {
                        upstream: KIND,
                        message: "timed out".to_owned(),
                    })
                });
        if let Err(error) = &result {
            self.inner.settings.metrics.record_error(error);
        }
        result
    }

    /// The request and its decoding, after the permit; a 429 pauses the token.
    async fn exchange<T: DeserializeOwned>(
        &self,
        limiter: &UpstreamLimiter,
        token: &str,
        endpoint: &str,
        body: Payload<'_>,
    ) -> Result<T, UpstreamError> {
        let url = format!("{}/api/{endpoint}", self.inner.settings.base_url);
        let request = self.inner.http.post(url);
        let request = match body {
            Payload::Json(mut body) => {
                body.insert("i".to_string(), Value::String(token.to_string()));
                request.json(&body)
            }
            Payload::Multipart(upload) => request
                .multipart(upload.form(&[("i", token)]))
                .timeout(upload.timeout(self.inner.settings.request_timeout)),
        };
        let response = request
            .send()
            .await
            .map_err(|error| UpstreamError::transport(KIND, &error))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| UpstreamError::transport(KIND, &error))?;
        if status == 429 {
            let error_body = serde_json::from_slice::<ApiErrorBody>(&bytes).ok();
            let now_ms = chrono::Utc::now().timestamp_millis();
            let reset_in = error_body
                .as_ref()
                .and_then(|b| b.error.info.as_ref())
                .and_then(|info| info.get("resetMs"))
                .and_then(Value::as_i64)
                .map(|reset_ms| (reset_ms - now_ms).max(0))
                .and_then(|ms| u64::try_from(ms).ok())
                .map(|ms| ms.div_ceil(1000));
            let now_unix = u64::try_from(now_ms / 1000).unwrap_or(0);
            let pause = pause_from_429(
                &headers,
                reset_in,
                limiter.settings().default_pause,
                now_unix,
            );
            limiter.pause_everywhere(token, pause).await;
            return Err(UpstreamError::RateLimited {
                upstream: KIND,
                side: Side::Upstream,
                retry_in: pause,
            });
        }
        decode_response(status, &bytes)
    }
}

/// The body of a call.
#[derive(Debug)]
enum Payload<'a> {
    /// A JSON object (`i` is added).
    Json(Map<String, Value>),
    /// A multipart upload (`i` is added as a field).
    Multipart(&'a Upload),
}

impl Payload<'_> {
    /// How long the call may take: `request_timeout`, longer for a big upload.
    fn timeout(&self, settings: &MisskeyClientSettings) -> std::time::Duration {
        match self {
            Payload::Json(_) => settings.request_timeout,
            Payload::Multipart(upload) => upload.timeout(settings.request_timeout),
        }
    }
}

/// Decodes a non-429 response: `T` from a 2xx body (an empty body is `null`), a typed status
/// error (with Misskey's error `code` when the body has one) otherwise.
pub fn decode_response<T: DeserializeOwned>(status: u16, bytes: &[u8]) -> Result<T, UpstreamError> {
    if !(200..300).contains(&status) {
        let error_body = serde_json::from_slice::<ApiErrorBody>(bytes).ok();
        let (message, code) = error_body.map_or_else(
            || (format!("HTTP {status}"), None),
            |b| (b.error.message, Some(b.error.code)),
        );
        return Err(UpstreamError::Status {
            upstream: KIND,
            status,
            message,
            code,
        });
    }
    let value = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        serde_json::from_slice(bytes).map_err(|error| UpstreamError::Decode {
            upstream: KIND,
            message: error.to_string(),
        })?
    };
    T::deserialize(value).map_err(|error| UpstreamError::Decode {
        upstream: KIND,
        message: error.to_string(),
    })
}
