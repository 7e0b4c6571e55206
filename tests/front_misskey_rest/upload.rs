//! `drive/files/create` through the production routes: a multipart upload (misskey-js's
//! shape: `i` as a form field, or a bearer header) reaches the simulated pnut as
//! `POST /v1/files` with the same bytes, name and type; the answer is a Misskey DriveFile; the
//! file then goes into a note with `fileIds`; Misskey's errors for a too large file, no file and
//! a wrong token.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::support::{Answer, Bridge, start, start_with};

const JPEG: &[u8] = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01 not really \r\n--boundary\r\n\xff\xd9";

fn jpeg() -> Part {
    Part::bytes(JPEG.to_vec())
        .file_name("beach.jpg")
        .mime_str("image/jpeg")
        .unwrap()
}

impl Bridge {
    async fn upload(&self, bearer: Option<&str>, form: Form) -> Answer {
        let mut request = self
            .http
            .post(format!(
                "http://{}/api/drive/files/create",
                self.running.addr
            ))
            .multipart(form);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }
}

#[tokio::test]
async fn upload_reaches_pnut_whole_and_the_file_goes_into_a_note() {
    let bridge = start().await;
    let form = Form::new()
        .text("i", "demo-alice")
        .text("name", "holiday.jpg")
        .text("isSensitive", "false")
        .text("force", "false")
        .part("file", jpeg());
    let answer = bridge.upload(None, form).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let file: pnutkey::misskey::DriveFile =
        serde_json::from_value(answer.body.clone()).expect("a Misskey DriveFile");
    assert_eq!(file.name, "holiday.jpg");
    assert_eq!(file.mime_type, "image/jpeg");
    assert_eq!(file.size, JPEG.len() as u64);
    assert_eq!(file.id.len(), 16, "a padded pnut id: {}", file.id);
    let pnut_id = file.id.trim_start_matches('0');
    let (stored, bytes) = bridge.control().file_content(pnut_id).await.unwrap();
    assert_eq!(bytes.as_deref(), Some(JPEG));
    assert_eq!(stored.name, "holiday.jpg");
    assert_eq!(stored.mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(stored.media_kind, "image");
    assert_eq!(stored.kind, "io.pnut.core.file");
    assert_eq!(bridge.upstream_calls("POST /v1/files").await, 1);
    // The uploaded file is usable: notes/create carries it to pnut as a file raw.
    let created = bridge
        .ok(
            "demo-alice",
            "notes/create",
            json!({"text": "at the beach", "fileIds": [file.id]}),
        )
        .await;
    let note = &created["createdNote"];
    assert_eq!(note["files"][0]["name"], "holiday.jpg", "{note}");
    let note_id = note["id"].as_str().unwrap().trim_start_matches('0');
    let upstream = bridge
        .upstream_post("demo-alice", &format!("{note_id}?include_post_raw=1"))
        .await;
    let oembed = &upstream["data"]["raw"]["io.pnut.core.oembed"][0];
    assert_eq!(oembed["type"], "photo", "{upstream}");
    assert_eq!(oembed["file_id"], pnut_id);
    // And it is listed in the drive.
    let listed = bridge.ok("demo-alice", "drive/files", json!({})).await;
    assert_eq!(listed[0]["id"], file.id.as_str());
    bridge.running.stop(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn upload_with_a_bearer_token_names_the_file_after_its_part() {
    let bridge = start().await;
    let answer = bridge
        .upload(Some("demo-bob"), Form::new().part("file", jpeg()))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["name"], "beach.jpg");
    let pnut_id = answer.body["id"].as_str().unwrap().trim_start_matches('0');
    let (stored, bytes) = bridge.control().file_content(pnut_id).await.unwrap();
    assert_eq!(bytes.as_deref(), Some(JPEG));
    assert_eq!(
        stored.user_id.as_deref(),
        Some("2"),
        "bob's file: {stored:?}"
    );
    bridge.running.stop(Duration::from_secs(2)).await;
}

/// `limits.max_upload_size` bounds the file, not `limits.max_request_body`: a file bigger
/// than the request body limit passes; one over the upload limit is `FILE_SIZE_TOO_LARGE`
/// (413), whether it is found out while reading or from its declared length, and reaches
/// nobody.
#[tokio::test]
async fn upload_size_is_bounded_by_max_upload_size() {
    let bridge = start_with(|config| {
        config.limits.max_request_body = bytesize::ByteSize::kib(1);
        config.limits.max_upload_size = bytesize::ByteSize::kib(16);
    })
    .await;
    let big = vec![7u8; 8 * 1024];
    let part = Part::bytes(big.clone()).file_name("big.bin");
    let form = Form::new().text("i", "demo-alice").part("file", part);
    let answer = bridge.upload(None, form).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let pnut_id = answer.body["id"].as_str().unwrap().trim_start_matches('0');
    let (stored, bytes) = bridge.control().file_content(pnut_id).await.unwrap();
    assert_eq!(bytes.as_deref(), Some(big.as_slice()));
    assert_eq!(
        stored.mime_type.as_deref(),
        Some("application/octet-stream")
    );

    // Over max_upload_size, within the body limit (found out while reading the part).
    let part = Part::bytes(vec![1u8; 16 * 1024 + 1]).file_name("huge.bin");
    let form = Form::new().text("i", "demo-alice").part("file", part);
    let answer = bridge.upload(None, form).await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.body
    );
    assert_eq!(answer.code(), "FILE_SIZE_TOO_LARGE");
    assert_eq!(
        answer.body["error"]["id"],
        "ff827ce8-9b4b-4808-8511-422222a3362f"
    );
    // Over the whole upload body limit (declared length).
    let part = Part::bytes(vec![1u8; 64 * 1024]).file_name("huger.bin");
    let form = Form::new().text("i", "demo-alice").part("file", part);
    let answer = bridge.upload(None, form).await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.body
    );
    assert_eq!(answer.code(), "FILE_SIZE_TOO_LARGE");
    assert_eq!(bridge.upstream_calls("POST /v1/files").await, 1);
    bridge.running.stop(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn upload_errors_are_misskeys() {
    let bridge = start().await;
    // No file part, and a JSON call: FILE_REQUIRED.
    let answer = bridge
        .upload(None, Form::new().text("i", "demo-alice"))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "FILE_REQUIRED", "{}", answer.body);
    let answer = bridge
        .api("demo-alice", "drive/files/create", json!({}))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "FILE_REQUIRED", "{}", answer.body);
    // Wrong and missing tokens.
    let form = Form::new().text("i", "not-a-token").part("file", jpeg());
    let answer = bridge.upload(None, form).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.code(), "AUTHENTICATION_FAILED", "{}", answer.body);
    let answer = bridge.upload(None, Form::new().part("file", jpeg())).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.code(), "CREDENTIAL_REQUIRED", "{}", answer.body);
    // What pnut cannot keep is refused by name, not dropped.
    for (name, value) in [
        ("isSensitive", "true"),
        ("comment", "a caption"),
        ("folderId", "9abc"),
    ] {
        let form = Form::new()
            .text("i", "demo-alice")
            .text(name, value)
            .part("file", jpeg());
        let answer = bridge.upload(None, form).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(answer.code(), "INVALID_PARAM", "{name}: {}", answer.body);
        assert_eq!(answer.body["error"]["info"]["param"], name);
    }
    let form = Form::new()
        .text("i", "demo-alice")
        .text("isSensitive", "maybe")
        .part("file", jpeg());
    let answer = bridge.upload(None, form).await;
    assert_eq!(answer.code(), "INVALID_PARAM", "{}", answer.body);
    assert_eq!(
        answer.body["error"]["id"],
        "0b5f1631-7c1a-41a6-b399-cce335f34d85"
    );
    // Only the unknown token reached pnut (passed through, refused there); every other
    // refusal was the bridge's own.
    assert_eq!(bridge.upstream_calls("POST /v1/files").await, 1);
    bridge.running.stop(Duration::from_secs(2)).await;
}

/// An upload whose body stops inside the file part: the socket stays open, so the bridge keeps
/// waiting for the rest of the file (and holds its upload slot) until it is dropped.
async fn stalled_upload(bridge: &Bridge) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let body = "--X\r\nContent-Disposition: form-data; name=\"i\"\r\n\r\ndemo-alice\r\n\
                --X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.jpg\"\r\n\
                Content-Type: image/jpeg\r\n\r\nthe first bytes";
    let head = format!(
        "POST /api/drive/files/create HTTP/1.1\r\nHost: {}\r\n\
         Content-Type: multipart/form-data; boundary=X\r\nContent-Length: 100000\r\n\r\n",
        bridge.running.addr
    );
    let mut socket = tokio::net::TcpStream::connect(bridge.running.addr)
        .await
        .expect("bridge listens");
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(body.as_bytes()).await.unwrap();
    socket
}

/// `limits.max_concurrent_uploads`: while that many uploads are being read, one more gets
/// `RATE_LIMIT_EXCEEDED` (429, `Retry-After`); an abandoned upload frees
/// its place.
#[tokio::test]
async fn uploads_over_max_concurrent_uploads_are_refused_with_429() {
    let bridge = start_with(|config| config.limits.max_concurrent_uploads = 1).await;
    let form = || Form::new().text("i", "demo-alice").part("file", jpeg());
    let stalled = stalled_upload(&bridge).await;
    // The stalled upload takes the only place once its token is checked; an upload that
    // completes before that is served (and the loop tries again).
    let refused = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let answer = bridge.upload(None, form()).await;
            if answer.status != StatusCode::OK {
                return answer;
            }
        }
    })
    .await
    .expect("the stalled upload holds the only place");
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert_eq!(refused.body["error"]["code"], "RATE_LIMIT_EXCEEDED");
    assert!(refused.headers.contains_key("retry-after"));
    drop(stalled);
    let answer = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let answer = bridge.upload(None, form()).await;
            if answer.status != StatusCode::TOO_MANY_REQUESTS {
                return answer;
            }
        }
    })
    .await
    .expect("the abandoned upload frees its place");
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    bridge.running.stop(Duration::from_secs(2)).await;
}
