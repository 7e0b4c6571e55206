//! `POST /files` as pnut documents it: multipart with the `content` part and pnut's fields
//! (`type`, `name`, `kind`, `is_public`), the bytes kept, a 201 File in its envelope, a file
//! event on the owner's `/users/me/files` subscription, and pnut's errors.

use pnutkey::sim::pnut::{SimPnut, SimPnutOptions};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::support::{Reply, get, next_json, open, start, start_with, subscribe};

const BYTES: &[u8] = b"GIF89a\x00\x01\x02binary\xff\xfe\r\n--not-a-boundary";

fn content() -> Part {
    Part::bytes(BYTES.to_vec())
        .file_name("anim.gif")
        .mime_str("image/gif")
        .expect("mime")
}

async fn upload(sim: &SimPnut, token: Option<&str>, form: Form) -> Reply {
    let mut request = reqwest::Client::new()
        .post(format!("{}/v1/files", sim.base_url()))
        .multipart(form);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let body = serde_json::from_slice(&response.bytes().await.expect("body")).expect("json");
    Reply {
        status,
        headers,
        body,
    }
}

#[tokio::test]
async fn multipart_upload_keeps_bytes_and_fields_and_emits_a_file_event() {
    let sim = start().await;
    let (mut ws, cid) = open(&sim, "demo-alice").await;
    let files = subscribe(&sim, "/v1/users/me/files", "demo-alice", &cid).await;
    let form = Form::new()
        .text("type", "com.example.upload")
        .text("name", "party.gif")
        .text("kind", "image")
        .text("is_public", "1")
        .part("content", content());
    let reply = upload(&sim, Some("demo-alice"), form).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["meta"]["code"], 201);
    let file: pnutkey::pnut::File =
        serde_json::from_value(reply.body["data"].clone()).expect("a pnut File");
    assert_eq!(file.kind, "com.example.upload");
    assert_eq!(file.media_kind, "image");
    assert_eq!(file.name, "party.gif");
    assert_eq!(file.mime_type.as_deref(), Some("image/gif"));
    assert_eq!(file.size, Some(BYTES.len() as u64));
    assert!(file.is_public);
    assert!(file.is_complete);
    assert_eq!(file.sha256.as_ref().map(String::len), Some(64));
    let (stored, bytes) = sim.control().file_content(&file.id).await.expect("stored");
    assert_eq!(stored.id, file.id);
    assert_eq!(bytes.as_deref(), Some(BYTES));
    // The owner's file subscription hears of it.
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["meta"]["subscription_ids"], json!([files]));
    assert_eq!(frame["data"]["id"], file.id.as_str());
    assert_eq!(frame["data"]["name"], "party.gif");
}

#[tokio::test]
async fn the_part_file_name_names_the_file_and_kind_follows_the_mime_type() {
    let sim = start().await;
    let part = Part::bytes(b"ID3 audio".to_vec())
        .file_name("song.mp3")
        .mime_str("audio/mpeg")
        .expect("mime");
    let form = Form::new()
        .text("type", "io.pnut.core.file")
        .part("content", part);
    let reply = upload(&sim, Some("demo-bob"), form).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["data"]["name"], "song.mp3");
    assert_eq!(reply.body["data"]["kind"], "audio");
    assert_eq!(reply.body["data"]["is_public"], false);
}

#[tokio::test]
async fn upload_errors_are_pnut_envelopes() {
    let sim = start_with(SimPnutOptions {
        max_upload_size: 8,
        ..Default::default()
    })
    .await;
    let cases = [
        (
            Some("demo-alice"),
            Form::new().text("type", "io.pnut.core.file"),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some("demo-alice"),
            Form::new().part("content", Part::bytes(b"tiny".to_vec()).file_name("t")),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some("demo-alice"),
            Form::new()
                .text("type", "io.pnut.core.file")
                .part("content", content()),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            Some("demo-alice"),
            Form::new()
                .text("type", "io.pnut.core.file")
                .text("kind", "sculpture")
                .part("content", Part::bytes(b"tiny".to_vec()).file_name("t")),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some("wrong-token"),
            Form::new()
                .text("type", "io.pnut.core.file")
                .part("content", Part::bytes(b"tiny".to_vec()).file_name("t")),
            StatusCode::UNAUTHORIZED,
        ),
        (
            None,
            Form::new()
                .text("type", "io.pnut.core.file")
                .part("content", Part::bytes(b"tiny".to_vec()).file_name("t")),
            StatusCode::UNAUTHORIZED,
        ),
    ];
    for (index, (token, form, status)) in cases.into_iter().enumerate() {
        let reply = upload(&sim, token, form).await;
        assert_eq!(reply.status, status, "case {index}: {}", reply.body);
        assert_eq!(reply.body["meta"]["code"], status.as_u16(), "case {index}");
        assert!(reply.body["meta"]["error_message"].is_string());
        assert!(reply.body.get("data").is_none_or(Value::is_null));
    }
    let mine = get(&sim, "/v1/users/me/files", "demo-alice").await;
    assert!(
        mine.body["data"]
            .as_array()
            .expect("files")
            .iter()
            .all(|f| f["name"] != "anim.gif" && f["name"] != "t")
    );
}
