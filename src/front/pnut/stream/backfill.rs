//! Gap backfill after the upstream Misskey stream reconnects (mapping.md §4.2): for every
//! joined note channel, the REST first-page call with `sinceId` = the newest note seen on it,
//! bounded by `limits.backfill_count`; the hub feeds the results through its normal event
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

/// Fetches the notes newer than `since_id` in the background and sends them to `results`
/// (waits while the hub's bounded queue is full; gives up silently when the hub is gone).
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
        let limit = ctx
            .config()
            .limits
            .backfill_count
            .clamp(1, MISSKEY_MAX_LIMIT);
        body.insert("sinceId".to_owned(), json!(since_id));
        body.insert("limit".to_owned(), json!(limit));
        match ctx.misskey.read::<Vec<Value>>(&token, endpoint, body).await {
            Ok(mut notes) => {
                if u32::try_from(notes.len()).unwrap_or(u32::MAX) >= limit {
                    // A full page: the gap may be larger, the rest is not fetched.
                    ctx.metrics
                        .front(crate::metrics::Front::Pnut)
                        .gaps_skipped
                        .inc();
                }
                notes.sort_by(|a, b| note_id(a).cmp(note_id(b)));
                let _ = results
                    .send(Backfilled {
                        upstream_id,
                        kind,
                        notes,
                    })
                    .await;
            }
            Err(error) => {
                tracing::warn!(token = %token_hash(&token), endpoint, %error, "pnut hub: backfill failed");
            }
        }
    });
}

/// A note's id (`""` when absent).
pub fn note_id(note: &Value) -> &str {
    note.get("id").and_then(Value::as_str).unwrap_or_default()
}
