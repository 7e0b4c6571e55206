//! Calling the Misskey REST front over HTTP, and scratch directories for store files.

use std::path::PathBuf;

use serde_json::Value;

/// `POST {base}/api/{endpoint}` with `body` (and `Authorization: Bearer token` when given);
/// the status and the JSON body (`null` when empty).
pub async fn post(base: &str, endpoint: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client.post(format!("{base}/api/{endpoint}")).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON body")
    };
    (status, json)
}

/// A fresh, empty directory under the system's temp dir, unique to this call.
pub fn scratch_dir(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir =
        std::env::temp_dir().join(format!("pnutkey-{name}-{}-{nanos}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}
