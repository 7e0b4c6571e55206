//! `drive/files/create` as Misskey serves it (misskey.md §7.1): multipart, the token as the
//! `i` form field or a bearer header, the file kept with its bytes, `main:driveFileCreated` and
//! `drive:fileCreated`, and Misskey's answers for no file, a too large file and a bad field.

use pnutkey::sim::misskey::{SimMisskey, SimMisskeyOptions};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::support::{ApiAnswer, api, assert_error, ids, join, next_json, open, start, start_with};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x01binary\xff\xfe";

fn png_part() -> Part {
    Part::bytes(PNG.to_vec())
        .file_name("cat.png")
        .mime_str("image/png")
        .expect("mime")
}

async fn upload(sim: &SimMisskey, bearer: Option<&str>, form: Form) -> ApiAnswer {
    let mut request = reqwest::Client::new()
        .post(format!("{}/api/drive/files/create", sim.base_url()))
        .multipart(form);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("http");
    ApiAnswer {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("body").to_vec(),
    }
}

#[tokio::test]
async fn upload_with_i_field_stores_the_bytes_and_tells_the_streams() {
    let sim = start().await;
    let mut ws = open(&sim, "demo-alice").await;
    join(&mut ws, "main", "m", None).await;
    join(&mut ws, "drive", "d", None).await;
    let form = Form::new()
        .text("i", "demo-alice")
        .text("name", "kitten.png")
        .text("comment", "a cat")
        .text("isSensitive", "true")
        .text("force", "false")
        .part("file", png_part());
    let answer = upload(&sim, None, form).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json());
    let file = answer.json();
    let model: pnutkey::misskey::DriveFile =
        serde_json::from_value(file.clone()).expect("a DriveFile");
    assert_eq!(model.name, "kitten.png");
    assert_eq!(model.mime_type, "image/png");
    assert_eq!(model.size, PNG.len() as u64);
    assert!(model.is_sensitive);
    assert_eq!(model.comment.as_deref(), Some("a cat"));
    let id = model.id.clone();
    let (stored, bytes) = sim.control().drive_file(&id).await.expect("stored");
    assert_eq!(stored, file);
    assert_eq!(bytes.as_deref(), Some(PNG));
    let mut seen = Vec::new();
    for _ in 0..2 {
        let frame = next_json(&mut ws).await;
        assert_eq!(frame["body"]["body"]["id"], id.as_str());
        seen.push((
            frame["body"]["id"].as_str().unwrap_or_default().to_owned(),
            frame["body"]["type"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ));
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            ("d".to_owned(), "fileCreated".to_owned()),
            ("m".to_owned(), "driveFileCreated".to_owned())
        ]
    );
    // The file is in the drive listing.
    let listed = api(&sim, "drive/files", json!({"i": "demo-alice"})).await;
    assert_eq!(ids(&listed.json()).first(), Some(&id));
}

#[tokio::test]
async fn upload_with_bearer_and_the_file_name_of_the_part() {
    let sim = start().await;
    let answer = upload(&sim, Some("demo-bob"), Form::new().part("file", png_part())).await;
    assert_eq!(answer.status, StatusCode::OK);
    let file = answer.json();
    assert_eq!(file["name"], "cat.png");
    assert_eq!(file["isSensitive"], false);
    assert_eq!(file["comment"], Value::Null);
    let (_, bytes) = sim
        .control()
        .drive_file(file["id"].as_str().expect("id"))
        .await
        .expect("stored");
    assert_eq!(bytes.as_deref(), Some(PNG));
}

#[tokio::test]
async fn upload_errors_are_misskeys() {
    let sim = start_with(SimMisskeyOptions {
        rate_limit: None,
        max_upload_size: 8,
        ..Default::default()
    })
    .await;
    // No file part: 400 with no body.
    let answer = upload(&sim, None, Form::new().text("i", "demo-alice")).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.is_empty());
    // A JSON call: FILE_REQUIRED.
    let answer = api(&sim, "drive/files/create", json!({"i": "demo-alice"})).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "FILE_REQUIRED");
    // Over maxFileSize: FILE_SIZE_TOO_LARGE, 413.
    let form = Form::new().text("i", "demo-alice").part("file", png_part());
    let answer = upload(&sim, None, form).await;
    assert_error(
        &answer,
        StatusCode::PAYLOAD_TOO_LARGE,
        "FILE_SIZE_TOO_LARGE",
    );
    // A boolean field that does not cast.
    let small = Part::bytes(b"tiny".to_vec()).file_name("t.txt");
    let form = Form::new()
        .text("i", "demo-alice")
        .text("isSensitive", "maybe")
        .part("file", small);
    let answer = upload(&sim, None, form).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "INVALID_PARAM");
    assert_eq!(
        answer.json()["error"]["id"],
        "0b5f1631-7c1a-41a6-b399-cce335f34d85"
    );
    // Wrong and missing tokens.
    let small = || Part::bytes(b"tiny".to_vec()).file_name("t.txt");
    let form = Form::new().text("i", "nope").part("file", small());
    let answer = upload(&sim, None, form).await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "AUTHENTICATION_FAILED");
    let answer = upload(&sim, None, Form::new().part("file", small())).await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "CREDENTIAL_REQUIRED");
    // Nothing was stored.
    let listed = api(&sim, "drive/files", json!({"i": "demo-alice"})).await;
    assert!(
        listed
            .json()
            .as_array()
            .expect("array")
            .iter()
            .all(|f| f["name"] != "t.txt" && f["name"] != "cat.png")
    );
}
