//! A note's files are the drive files behind them: an upload through `drive/files/create` put
//! into a note with `fileIds` comes back in the note's `files` as that DriveFile (same id, so
//! `drive/files/show` takes it back; its type from the file, not guessed from its URL).

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::support::{Bridge, start};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR not really";

/// Uploads `PNG` as `name` through `drive/files/create` as alice: the DriveFile answered.
async fn upload_png(bridge: &Bridge, name: &str) -> Value {
    let part = Part::bytes(PNG.to_vec())
        .file_name("blob.png")
        .mime_str("image/png")
        .unwrap();
    let form = Form::new()
        .text("i", "demo-alice")
        .text("name", name.to_owned())
        .part("file", part);
    let response = bridge
        .http
        .post(format!(
            "http://{}/api/drive/files/create",
            bridge.running.addr
        ))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_note_file_is_the_uploaded_drive_file() {
    let bridge = start().await;
    let uploaded = upload_png(&bridge, "chart.png").await;
    assert_eq!(uploaded["type"], "image/png", "{uploaded}");
    let created = bridge
        .ok(
            "demo-alice",
            "notes/create",
            json!({"text": "the chart", "fileIds": [uploaded["id"]]}),
        )
        .await;
    let note_id = created["createdNote"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created["createdNote"]["files"][0]["id"], uploaded["id"],
        "{created}"
    );
    let shown = bridge
        .ok("demo-alice", "notes/show", json!({"noteId": note_id}))
        .await;
    let file = &shown["files"][0];
    assert_eq!(file["id"], uploaded["id"], "{shown}");
    assert_eq!(shown["fileIds"], json!([uploaded["id"]]), "{shown}");
    assert_eq!(file["name"], "chart.png", "{file}");
    assert_eq!(file["type"], "image/png", "{file}");
    assert_eq!(file["url"], uploaded["url"], "{file}");
    assert!(
        file["createdAt"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z')),
        "{file}"
    );
    // The id is the drive's: drive/files/show answers that file.
    let again = bridge
        .ok(
            "demo-alice",
            "drive/files/show",
            json!({"fileId": file["id"]}),
        )
        .await;
    assert_eq!(again["id"], uploaded["id"], "{again}");
    assert_eq!(again["name"], "chart.png");
    assert_eq!(again["type"], "image/png");
    // A note's files seen by another user are the same ids.
    let as_bob = bridge
        .ok("demo-bob", "notes/show", json!({"noteId": note_id}))
        .await;
    assert_eq!(as_bob["files"][0]["id"], uploaded["id"], "{as_bob}");
}

#[tokio::test]
async fn an_oembed_with_no_pnut_file_keeps_its_note_scoped_id() {
    let bridge = start().await;
    let raw = json!({"io.pnut.core.oembed": [{
        "type": "photo", "version": "1.0", "url": "https://img.example/sunset.webp",
        "width": 10, "height": 10, "title": "sunset"}]});
    let id = bridge
        .upstream_create("demo-alice", json!({"text": "outside", "raw": raw}))
        .await;
    let shown = bridge
        .ok(
            "demo-alice",
            "notes/show",
            json!({"noteId": format!("{id:0>16}")}),
        )
        .await;
    let file = &shown["files"][0];
    assert_eq!(file["id"], format!("{id:0>16}f0"), "{shown}");
    assert_eq!(file["type"], "image/webp", "{file}");
    assert_eq!(file["url"], "https://img.example/sunset.webp");
}
