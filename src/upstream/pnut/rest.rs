//! pnut REST calls: limiter, pacing by the server's reported budget, envelope decoding, typed
//! errors, 429 pauses, GET retries.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;

use super::PnutClientSettings;
use super::stream::PnutStream;
use crate::pnut::{Envelope, ErrorEnvelope};
use crate::ratelimit::{
    LimiterSlot, PNUT_GET, PNUT_POLL, PNUT_WRITE, RateLimited, RetryBudget, ServerBudgets,
    UpstreamLimiter, token_hash,
};
use crate::upstream::{Side, Upload, UpstreamError, UpstreamKind, budget_report, pause_from_429};

const KIND: UpstreamKind = UpstreamKind::Pnut;

/// A pnut REST client. Cheap to clone; every clone shares the limiter and retry budget.
#[derive(Debug, Clone)]
pub struct PnutClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    settings: PnutClientSettings,
    /// Swapped by a config reload (`replace_limiter`).
    limiter: LimiterSlot,
    budget: RetryBudget,
    /// The budgets pnut reported (kept across limiter swaps: they are the server's).
    server_budgets: ServerBudgets,
}

fn now_unix() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

impl PnutClient {
    /// A client for `settings.base_url` whose calls all go through `limiter`
    /// (built with [`crate::ratelimit::pnut_limiter`]).
    pub fn new(
        settings: PnutClientSettings,
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
                server_budgets: ServerBudgets::new(),
            }),
        })
    }

    /// The settings of this client.
    pub fn settings(&self) -> &PnutClientSettings {
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

    /// An idempotent `GET /v1{path}`; retried after a 5xx or transport error while the retry
    /// budget allows (never after a 429: the token is paused instead). The attempts share one
    /// deadline, `request_timeout` after the first permit (a silent upstream costs one
    /// timeout, not one per attempt).
    pub async fn get<T: DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Envelope<T>, UpstreamError> {
        self.inner.budget.deposit();
        let mut delay = self.inner.settings.retry_delay;
        let mut retries = 0;
        let mut deadline = None;
        loop {
            match self
                .call(
                    token,
                    Method::GET,
                    path,
                    query,
                    Payload::None,
                    Draw::Wait,
                    &mut deadline,
                )
                .await
            {
                Err(error)
                    if error.is_retryable()
                        && !matches!(error, UpstreamError::RateLimited { .. })
                        && retries < self.inner.settings.get_retries
                        && deadline.is_some_and(|at| Instant::now() + delay < at)
                        && self.inner.budget.withdraw() =>
                {
                    retries += 1;
                    tracing::debug!(token = %token_hash(token), path, %error, retries, "retrying pnut GET");
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                }
                other => return other,
            }
        }
    }

    /// Subscribes the stream `connection_id` to `GET /v1{path}`; the response is the first
    /// page with `meta.subscription_id`. Not retried (a retry could subscribe twice).
    pub async fn subscribe<T: DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        connection_id: &str,
        query: &[(&str, &str)],
    ) -> Result<Envelope<T>, UpstreamError> {
        let mut query = query.to_vec();
        query.push(("connection_id", connection_id));
        self.call(
            token,
            Method::GET,
            path,
            &query,
            Payload::None,
            Draw::Wait,
            &mut None,
        )
        .await
    }

    /// A poll (`GET /v1{path}` of an unsubscribable stream, e.g. `/posts/streams/global`):
    /// drawn from the polls' share of the token's GET quota (`ratelimit.pnut.poll_percent`)
    /// and never waiting — with no permit free now, or pnut's reported budget low, it fails
    /// at once (a local rate limit) and the poll skips its round. Never retried.
    pub async fn poll<T: DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Envelope<T>, UpstreamError> {
        self.call(
            token,
            Method::GET,
            path,
            query,
            Payload::None,
            Draw::Now,
            &mut None,
        )
        .await
    }

    /// A write (`POST`/`PUT`/`PATCH`/`DELETE /v1{path}`, optional JSON body). Never retried.
    pub async fn write<T: DeserializeOwned>(
        &self,
        token: &str,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Envelope<T>, UpstreamError> {
        let body = body.map_or(Payload::None, Payload::Json);
        self.call(token, method, path, query, body, Draw::Wait, &mut None)
            .await
    }

    /// A multipart upload (`POST /v1/files`): `upload`'s fields and its file part. A write
    /// (pnut's write quota): never retried, the body may have reached pnut.
    pub async fn upload<T: DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        upload: &Upload,
    ) -> Result<Envelope<T>, UpstreamError> {
        let body = Payload::Multipart(upload);
        self.call(token, Method::POST, path, &[], body, Draw::Wait, &mut None)
            .await
    }

    /// `DELETE /v1/users/me/streams/{connection_id}/{subscription_id}`.
    pub async fn delete_subscription(
        &self,
        token: &str,
        connection_id: &str,
        subscription_id: &str,
    ) -> Result<(), UpstreamError> {
        let path = format!("/users/me/streams/{connection_id}/{subscription_id}");
        self.write::<Value>(token, Method::DELETE, &path, &[], None)
            .await
            .map(|_| ())
    }

    /// `DELETE /v1/users/me/streams/{connection_id}` (ends the stream and its subscriptions).
    pub async fn delete_stream(
        &self,
        token: &str,
        connection_id: &str,
    ) -> Result<(), UpstreamError> {
        let path = format!("/users/me/streams/{connection_id}");
        self.write::<Value>(token, Method::DELETE, &path, &[], None)
            .await
            .map(|_| ())
    }

    /// Opens the user stream of `token` in its own task (see [`PnutStream`]).
    pub fn open_stream(&self, token: &str) -> PnutStream {
        PnutStream::open(self.inner.settings.clone(), token.to_string())
    }

    /// One call: permit, request, decoding; a 429 pauses the token for every caller. The
    /// request is bounded by `deadline` (set to `request_timeout` from now when the first
    /// permit is granted).
    #[allow(clippy::too_many_arguments)]
    async fn call<T: DeserializeOwned>(
        &self,
        token: &str,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Payload<'_>,
        draw: Draw,
        deadline: &mut Option<Instant>,
    ) -> Result<Envelope<T>, UpstreamError> {
        let bucket = if method == Method::GET || method == Method::HEAD {
            PNUT_GET
        } else {
            PNUT_WRITE
        };
        let limiter = self.limiter();
        let permit = match draw {
            Draw::Wait => {
                self.pace(&limiter, bucket, token).await?;
                limiter.acquire(&[bucket], token).await
            }
            Draw::Now => {
                if self.inner.server_budgets.is_low(bucket, token) {
                    // pnut's own budget is low: a poll leaves it to interactive calls.
                    return Err(UpstreamError::local_rate_limit(
                        KIND,
                        RateLimited {
                            retry_in: Duration::ZERO,
                            paused_by_upstream: true,
                        },
                    ));
                }
                let permit = limiter.acquire_now(&[PNUT_POLL, bucket], token).await;
                if permit.is_ok() {
                    // Not low: this only counts the call against pnut's estimate.
                    let _ = self.inner.server_budgets.reserve_call(bucket, token);
                }
                permit
            }
        };
        permit.map_err(|limited| UpstreamError::local_rate_limit(KIND, limited))?;
        let deadline =
            *deadline.get_or_insert_with(|| Instant::now() + body.timeout(&self.inner.settings));
        let exchange = self.exchange(&limiter, bucket, token, method, path, query, body);
        let result = tokio::time::timeout_at(deadline, exchange)
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

    /// Waits as long as the budget pnut reported for `bucket` and `token` requires (nothing
    /// while it is not low); a wait past the limiter's `max_wait` fails fast instead.
    async fn pace(
        &self,
        limiter: &UpstreamLimiter,
        bucket: &'static str,
        token: &str,
    ) -> Result<(), UpstreamError> {
        if limiter.paused_for(token).is_some() {
            // A 429 pause is the stronger word: the limiter waits for it (or refuses).
            return Ok(());
        }
        let wait = self.inner.server_budgets.reserve_call(bucket, token);
        if wait.is_zero() {
            return Ok(());
        }
        let refused = wait > limiter.settings().max_wait;
        limiter.count_external(refused);
        if refused {
            let limited = RateLimited {
                retry_in: wait,
                paused_by_upstream: true,
            };
            return Err(UpstreamError::local_rate_limit(KIND, limited));
        }
        tracing::debug!(
            token = %token_hash(token),
            bucket,
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "pacing by pnut's reported budget"
        );
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// The request and its decoding, after the permit; the reported budget is noted and a
    /// 429 pauses the token.
    #[allow(clippy::too_many_arguments)]
    async fn exchange<T: DeserializeOwned>(
        &self,
        limiter: &UpstreamLimiter,
        bucket: &'static str,
        token: &str,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Payload<'_>,
    ) -> Result<Envelope<T>, UpstreamError> {
        let mut url = url::Url::parse(&format!("{}/v1{path}", self.inner.settings.base_url))
            .map_err(|error| UpstreamError::Transport {
                upstream: KIND,
                message: format!("bad url: {error}"),
            })?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut request = self.inner.http.request(method, url).bearer_auth(token);
        match body {
            Payload::None => {}
            Payload::Json(body) => request = request.json(body),
            Payload::Multipart(upload) => {
                request = request
                    .multipart(upload.form(&[]))
                    .timeout(upload.timeout(self.inner.settings.request_timeout));
            }
        }
        let response = request
            .send()
            .await
            .map_err(|error| UpstreamError::transport(KIND, &error))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if let Some(report) = budget_report(&headers, now_unix()) {
            let remaining = self.inner.server_budgets.observe(bucket, token, report);
            self.inner.settings.metrics.record_budget(remaining);
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|error| UpstreamError::transport(KIND, &error))?;
        if status == 429 {
            let retry_in = serde_json::from_slice::<ErrorEnvelope>(&bytes)
                .ok()
                .and_then(|envelope| envelope.meta.retry_in)
                .and_then(|secs| u64::try_from(secs).ok());
            let default = limiter.settings().default_pause;
            let pause = pause_from_429(&headers, retry_in, default, now_unix());
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

/// Decodes a non-429 response: the envelope on success, a typed status error otherwise.
pub fn decode_response<T: DeserializeOwned>(
    status: u16,
    bytes: &[u8],
) -> Result<Envelope<T>, UpstreamError> {
    let success = (200..300).contains(&status);
    if success && bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Envelope {
            meta: crate::pnut::Meta {
                code: Some(status),
                ..Default::default()
            },
            data: None,
        });
    }
    if !success {
        let envelope = serde_json::from_slice::<ErrorEnvelope>(bytes).ok();
        let message = envelope
            .as_ref()
            .and_then(|e| e.meta.error_message.clone())
            .unwrap_or_else(|| format!("HTTP {status}"));
        return Err(UpstreamError::Status {
            upstream: KIND,
            status,
            message,
            code: None,
        });
    }
    let envelope: Envelope<T> =
        serde_json::from_slice(bytes).map_err(|error| UpstreamError::Decode {
            upstream: KIND,
            message: error.to_string(),
        })?;
    if envelope.is_error() {
        return Err(UpstreamError::Status {
            upstream: KIND,
            status: envelope.meta.code.unwrap_or(status),
            message: envelope.meta.error_message.clone().unwrap_or_default(),
            code: None,
        });
    }
    Ok(envelope)
}

/// The body of a call.
#[derive(Debug, Clone, Copy)]
enum Payload<'a> {
    /// None.
    None,
    /// JSON.
    Json(&'a Value),
    /// A multipart upload.
    Multipart(&'a Upload),
}

impl Payload<'_> {
    /// How long the call may take: `request_timeout`, longer for a big upload.
    fn timeout(&self, settings: &PnutClientSettings) -> Duration {
        match self {
            Payload::Multipart(upload) => upload.timeout(settings.request_timeout),
            Payload::None | Payload::Json(_) => settings.request_timeout,
        }
    }
}

/// How a call draws its permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Draw {
    /// Wait for it (bounded by `max_wait`), after pacing by pnut's reported budget.
    Wait,
    /// Take one from the polls' share now, or fail at once.
    Now,
}
