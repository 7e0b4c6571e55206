//! nodeinfo and CORS through the running bridge: the documents Misskey apps detect the server
//! with, and browsers' preflights and `Access-Control-Allow-Origin` on every `/api` answer.

use std::time::Duration;

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

mod common;

async fn get_json(url: &str) -> (reqwest::header::HeaderMap, Value) {
    let response = reqwest::get(url).await.expect("GET");
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    let headers = response.headers().clone();
    (headers, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn nodeinfo_links_both_documents_which_say_misskey_and_name_the_bridge() {
    let running = common::app::start(|config| {
        config.storage.path = ":memory:".to_owned();
        config.misskey_meta.version = "2025.10.0".to_owned();
    })
    .await;
    let base = format!("http://{}", running.addr);
    let (headers, links) = get_json(&format!("{base}/.well-known/nodeinfo")).await;
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert_eq!(
        links,
        json!({"links": [
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": format!("{base}/nodeinfo/2.1")},
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": format!("{base}/nodeinfo/2.0")},
        ]})
    );
    for (version, has_homepage) in [("2.1", true), ("2.0", false)] {
        let (headers, doc) = get_json(&format!("{base}/nodeinfo/{version}")).await;
        let content_type = headers[header::CONTENT_TYPE].to_str().expect("text");
        assert!(
            content_type.contains(&format!("schema/{version}#")),
            "{content_type}"
        );
        assert_eq!(doc["version"], version);
        assert_eq!(doc["software"]["name"], "misskey");
        assert_eq!(doc["software"]["version"], "2025.10.0");
        assert_eq!(
            doc["software"].get("homepage").is_some(),
            has_homepage,
            "{doc}"
        );
        assert_eq!(doc["metadata"]["nodeName"], "pnutkey");
        assert_eq!(doc["metadata"]["bridge"]["name"], "pnutkey");
        assert_eq!(
            doc["metadata"]["bridge"]["upstream"],
            json!({"software": "pnut", "url": "sim"})
        );
        // No usage counts.
        assert_eq!(doc["usage"], json!({"users": {}}), "{doc}");
    }
    running.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn preflights_are_answered_and_every_api_answer_allows_any_origin() {
    let running = common::app::start(|config| {
        config.storage.path = ":memory:".to_owned();
    })
    .await;
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::new();
    for path in [
        "/api/i",
        "/api/notes/create",
        "/api/miauth/abc/check",
        "/streaming",
    ] {
        let preflight = client
            .request(Method::OPTIONS, format!("{base}{path}"))
            .header(header::ORIGIN, "https://app.example")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "content-type,authorization",
            )
            .send()
            .await
            .expect("preflight");
        assert_eq!(preflight.status(), StatusCode::NO_CONTENT, "{path}");
        let headers = preflight.headers();
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*", "{path}");
        let methods = headers[header::ACCESS_CONTROL_ALLOW_METHODS]
            .to_str()
            .expect("text");
        assert!(
            methods.contains("POST") && methods.contains("GET"),
            "{methods}"
        );
        assert_eq!(
            headers[header::ACCESS_CONTROL_ALLOW_HEADERS],
            "content-type,authorization"
        );
    }
    // Answers, errors included.
    let answers = [
        client.post(format!("{base}/api/meta")).json(&json!({})),
        client.post(format!("{base}/api/i")).json(&json!({})),
        client
            .post(format!("{base}/api/i"))
            .bearer_auth("wrong")
            .json(&json!({})),
        client
            .post(format!("{base}/api/no/such/endpoint"))
            .json(&json!({})),
        client.get(format!("{base}/api/notes/show")),
        client.post(format!("{base}/api/i")).body("not json"),
        client.post(format!("{base}/api/miauth/abc/check")),
        client.get(format!("{base}/streaming")),
    ];
    let mut statuses = Vec::new();
    for request in answers {
        let response = request.send().await.expect("answer");
        statuses.push(response.status().as_u16());
        assert_eq!(
            response
                .headers()
                .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                .map(|v| v.as_bytes()),
            Some(&b"*"[..]),
            "{} {:?}",
            response.status(),
            response.url().path()
        );
    }
    assert_eq!(statuses, vec![200, 401, 401, 404, 405, 400, 200, 400]);
    running.stop(Duration::from_secs(5)).await;
}
