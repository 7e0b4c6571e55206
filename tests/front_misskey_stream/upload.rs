//! An upload through the bridge's own `drive/files/create` reaches the uploader's streams as
//! Misskey sends it: `driveFileCreated` on `main`, `fileCreated` on `drive`, the same file the
//! call answered.

use super::support::{connect, open, start};
use crate::common::ws::next_json;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

#[tokio::test]
async fn an_upload_through_drive_files_create_reaches_main_and_drive() {
    let (running, _control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "main", "m", json!({})).await;
    connect(&mut ws, "drive", "d", json!({})).await;
    let part = Part::bytes(b"GIF89a tiny".to_vec())
        .file_name("wave.gif")
        .mime_str("image/gif")
        .unwrap();
    let form = Form::new().text("i", "demo-alice").part("file", part);
    let response = reqwest::Client::new()
        .post(format!("http://{}/api/drive/files/create", running.addr))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let uploaded: Value = response.json().await.unwrap();
    let (first, second) = (next_json(&mut ws).await, next_json(&mut ws).await);
    let mut frames = [first["body"].clone(), second["body"].clone()];
    frames.sort_by_key(|frame| frame["id"].as_str().map(str::to_owned));
    let [on_drive, on_main] = frames;
    assert_eq!(on_main["id"], "m");
    assert_eq!(on_main["type"], "driveFileCreated", "{on_main}");
    assert_eq!(on_main["body"]["id"], uploaded["id"], "{on_main}");
    assert_eq!(on_main["body"]["name"], "wave.gif");
    assert_eq!(on_drive["id"], "d");
    assert_eq!(on_drive["type"], "fileCreated", "{on_drive}");
    assert_eq!(on_drive["body"]["id"], uploaded["id"]);
}
