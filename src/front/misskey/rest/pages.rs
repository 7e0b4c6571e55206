//! Filtered pages filled up to `limit`: a filter (`withRenotes: false`, `withFiles: true`,
//! …) applied to a pnut page may leave it short, so further upstream pages are read — at
//! most [`MAX_UPSTREAM_PAGES`] — until `limit` items passed or pnut has no more.

use std::cmp::Ordering;

use serde::de::DeserializeOwned;

use super::call::Call;
use super::error::{Missing, RestError};
use super::params::{Page, borrow_query};
use crate::ids::cmp_decimal;

/// Upstream pages one filtered Misskey page reads at most.
pub const MAX_UPSTREAM_PAGES: usize = 5;

/// Reads `path` page by page (`extra` query parameters on each), keeping the items `keep`
/// accepts, until `page.limit` are kept, pnut says there is no more, or
/// [`MAX_UPSTREAM_PAGES`] were read. The result is newest first (as pnut answers), at most
/// `limit` items: the newest ones, or — a `sinceId`-only page — the oldest ones.
pub async fn filled<T, F>(
    call: &Call<'_>,
    path: &str,
    page: &Page,
    extra: &[(&'static str, String)],
    missing: Missing,
    id_of: fn(&T) -> &str,
    keep: F,
) -> Result<Vec<T>, RestError>
where
    T: DeserializeOwned,
    F: Fn(&T) -> bool,
{
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    let mut cursor = page.clone();
    let mut kept: Vec<T> = Vec::new();
    for _ in 0..MAX_UPSTREAM_PAGES {
        let mut query = cursor.pnut_query();
        query.extend(extra.iter().cloned());
        let (items, meta) = call
            .get_page::<Vec<T>>(path, &borrow_query(&query), missing)
            .await?;
        let read = items.len();
        // The next page's bound: past the oldest item (newest first) or the newest one.
        let next = if page.oldest_first() {
            meta.max_id
                .or_else(|| items.first().map(|i| id_of(i).to_owned()))
        } else {
            meta.min_id
                .or_else(|| items.last().map(|i| id_of(i).to_owned()))
        };
        kept.extend(items.into_iter().filter(|item| keep(item)));
        let exhausted = read == 0 || meta.more.map_or(read < limit, |more| !more);
        if kept.len() >= limit || exhausted {
            break;
        }
        let Some(next) = next else { break };
        if page.oldest_first() {
            cursor.since = Some(next);
        } else {
            cursor.until = Some(next);
        }
    }
    kept.sort_by(|a, b| cmp_decimal(id_of(b), id_of(a)).unwrap_or(Ordering::Equal));
    if page.oldest_first() {
        let skip = kept.len().saturating_sub(limit);
        kept.drain(..skip);
    } else {
        kept.truncate(limit);
    }
    Ok(kept)
}
