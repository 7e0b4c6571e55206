//! An upload through the bridge's own `POST /v1/files` reaches the uploader's
//! `/users/me/files` subscription as a file frame of the same file.

use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::support::{next_json, start};

#[tokio::test]
async fn an_upload_through_post_files_reaches_the_files_subscription() {
    let env = start().await;
    let (mut ws, _, body) = env
        .open_subscribed("demo-alice", "/v1/users/me/files")
        .await;
    let part = Part::bytes(b"%PDF-1.7 tiny".to_vec())
        .file_name("paper.pdf")
        .mime_str("application/pdf")
        .unwrap();
    let form = Form::new()
        .text("type", "io.pnut.core.file")
        .part("content", part);
    let response = env
        .http
        .post(env.url("/v1/files"))
        .bearer_auth("demo-alice")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
    let uploaded: Value = response.json().await.unwrap();
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["data"]["id"], uploaded["data"]["id"], "{frame}");
    assert_eq!(frame["data"]["name"], "paper.pdf");
    assert_eq!(
        frame["meta"]["subscription_ids"],
        serde_json::json!([body["meta"]["subscription_id"]])
    );
}
