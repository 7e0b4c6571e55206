//! Gap backfill after the upstream Misskey stream reconnects (mapping.md §4.2): for every
//! joined note channel, the REST first-page call with `sinceId` = the newest note seen on it,
//! paged forward (`limits.backfill_count` per page) until the gap is closed or
//! `limits.backfill_max` notes were fetched; the hub feeds the pages through its normal event
//! path, whose per-subscription deduplication drops what was already delivered.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use crate::front::BridgeContext;
use crate::mapping::catalog::MISSKEY_CHANNEL_HISTORY;
use crate::ratelimit::token_hash;

/// Misskey's maximum `limit` on timeline calls.
const MISSKEY_MAX_LIMIT: u32 = 100;

/// Notes fetched for one channel connection, oldest first, to be replayed as `kind` events.
#[derive(Debug)]
pub struct Backfilled {
    /// The hub's channel connection id the notes belong to.
    pub upstream_id: String,
    /// The event kind they replay as (`note` or `mention`).
    pub kind: &'static str,
    /// The notes (raw JSON), oldest first.
    pub notes: Vec<Value>,
}

/// The REST call that backfills a channel connection, the event kind its notes replay as, and
/// the call's body (the connect params it takes over), from the catalogue's
/// [`MISSKEY_CHANNEL_HISTORY`]; `None` for channels without note history (`drive`).
pub fn source(
    channel: &str,
    params: &Map<String, Value>,
) -> Option<(&'static str, &'static str, Map<String, Value>)> {
    let (_, endpoint, kind, takes) = MISSKEY_CHANNEL_HISTORY
        .iter()
        .find(|(name, ..)| *name == channel)?;
    let mut body = Map::new();
    for param in *takes {
        body.insert((*param).to_owned(), params.get(*param)?.clone());
    }
    Some((endpoint, kind, body))
}

/// Attempts at one page after a 5xx or transport error (a 429 waits for its pause instead).
const PAGE_ATTEMPTS: u32 = 3;

/// Fetches the notes newer than `since_id` in the background, page after page (oldest
/// first, `limits.backfill_count` per page) until the gap is closed or `limits.backfill_max`
/// notes were fetched, and sends each page to `results` as it arrives (waits while the hub's
/// bounded queue is full; gives up when the hub is gone). A 429 waits for its pause and
/// retries; a gap left open (the bound reached, or the upstream failing) is counted.
pub fn spawn(
    ctx: Arc<BridgeContext>,
    token: String,
    upstream_id: String,
    channel: String,
    params: Map<String, Value>,
    since_id: String,
    results: mpsc::Sender<Backfilled>,
) {
    let Some((endpoint, kind, mut body)) = source(&channel, &params) else {
        return;
    };
    tokio::spawn(async move {
        let limits = ctx.config().limits.clone();
        let page_size = limits.backfill_count.clamp(1, MISSKEY_MAX_LIMIT);
        let max = u64::from(limits.backfill_max);
        let mut since = since_id;
        let mut fetched: u64 = 0;
        let closed = loop {
            body.insert("sinceId".to_owned(), json!(since));
            body.insert("limit".to_owned(), json!(page_size));
            let Some(mut notes) = page(&ctx, &token, endpoint, &body).await else {
                break false;
            };
            notes.sort_by(|a, b| note_id(a).cmp(note_id(b)));
            let full = u32::try_from(notes.len()).unwrap_or(u32::MAX) >= page_size;
            fetched += notes.len() as u64;
            if let Some(last) = notes.last() {
                since = note_id(last).to_owned();
            }
            let page = Backfilled {
                upstream_id: upstream_id.clone(),
                kind,
                notes,
            };
            if results.send(page).await.is_err() {
                return;
            }
            if !full {
                break true;
            }
            if fetched >= max {
                break false;
            }
        };
        if !closed {
            tracing::warn!(token = %token_hash(&token), endpoint, fetched, "pnut hub: backfill gap left open");
            ctx.metrics
                .front(crate::metrics::Front::Pnut)
                .gaps_skipped
                .inc();
        }
    });
}

/// One backfill page; `None` when the upstream keeps failing (429s wait for their pause).
async fn page(
    ctx: &BridgeContext,
    token: &str,
    endpoint: &str,
    body: &Map<String, Value>,
) -> Option<Vec<Value>> {
    let mut failures = 0;
    loop {
        match ctx
            .misskey
            .read::<Vec<Value>>(token, endpoint, body.clone())
            .await
        {
            Ok(notes) => return Some(notes),
            Err(error) => {
                let wait = match error.retry_in() {
                    Some(pause) => pause,
                    None if error.is_retryable() && failures + 1 < PAGE_ATTEMPTS => {
                        failures += 1;
                        RETRY_DELAY * failures
                    }
                    None => {
                        tracing::warn!(token = %token_hash(token), endpoint, %error, "pnut hub: backfill failed");
                        return None;
                    }
                };
                tracing::debug!(token = %token_hash(token), endpoint, %error, ?wait, "pnut hub: backfill waits");
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// First delay before retrying a failed backfill page (grows linearly).
const RETRY_DELAY: std::time::Duration = std::time::Duration::from_millis(500);

/// A note's id (`""` when absent).
pub fn note_id(note: &Value) -> &str {
    note.get("id").and_then(Value::as_str).unwrap_or_default()
}
