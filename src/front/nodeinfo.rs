//! nodeinfo, as Misskey serves it (apps detect the server with it): `/.well-known/nodeinfo`
//! links the 2.1 and 2.0 documents, whose `software` is `misskey` at `[misskey_meta] version`
//! and whose `metadata` names the bridge and its pnut upstream. Usage counts are left out.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::front::BridgeContext;

const SCHEMA_21: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";
const SCHEMA_20: &str = "http://nodeinfo.diaspora.software/ns/schema/2.0";

/// The nodeinfo routes.
pub fn routes(ctx: Arc<BridgeContext>) -> Router {
    Router::new()
        .route("/.well-known/nodeinfo", get(links))
        .route("/nodeinfo/2.1", get(document_21))
        .route("/nodeinfo/2.0", get(document_20))
        .with_state(ctx)
}

fn base_url(ctx: &BridgeContext) -> String {
    let uri = &ctx.config().misskey_meta.uri;
    let base = if uri.is_empty() { &ctx.bridge_url } else { uri };
    base.trim_end_matches('/').to_owned()
}

async fn links(State(ctx): State<Arc<BridgeContext>>) -> Json<Value> {
    let base = base_url(&ctx);
    Json(json!({"links": [
        {"rel": SCHEMA_21, "href": format!("{base}/nodeinfo/2.1")},
        {"rel": SCHEMA_20, "href": format!("{base}/nodeinfo/2.0")},
    ]}))
}

/// The nodeinfo document of `version` (`"2.1"` or `"2.0"`).
pub fn document(ctx: &BridgeContext, version: &str) -> Value {
    let config = ctx.config();
    let meta = &config.misskey_meta;
    let mut software = json!({"name": "misskey", "version": meta.version});
    if version == "2.1" {
        software["homepage"] = json!("https://misskey-hub.net/");
        software["repository"] = json!("https://github.com/misskey-dev/misskey");
    }
    json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": false,
        "usage": {"users": {}},
        "metadata": {
            "nodeName": meta.name,
            "nodeDescription": meta.description,
            "maintainer": {"name": null, "email": null},
            "langs": [],
            "disableRegistration": true,
            "disableLocalTimeline": false,
            "disableGlobalTimeline": false,
            "emailRequiredForSignup": false,
            "enableEmail": false,
            "enableServiceWorker": false,
            "maxNoteTextLength": 256,
            "themeColor": "#86b300",
            "bridge": {
                "name": "pnutkey",
                "version": env!("CARGO_PKG_VERSION"),
                "upstream": {"software": "pnut", "url": config.upstream.pnut.url.masked()},
            },
        },
    })
}

fn answer(ctx: &BridgeContext, version: &str) -> Response {
    let mut response = Json(document(ctx, version)).into_response();
    let profile = format!(
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\""
    );
    if let Ok(value) = HeaderValue::from_str(&profile) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=600"),
    );
    response
}

async fn document_21(State(ctx): State<Arc<BridgeContext>>) -> Response {
    answer(&ctx, "2.1")
}

async fn document_20(State(ctx): State<Arc<BridgeContext>>) -> Response {
    answer(&ctx, "2.0")
}
