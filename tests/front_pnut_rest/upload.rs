//! `POST /v1/files` through the production routes: pnut's multipart upload (pnutpy's shape:
//! `content` part, `type`, `name`, `kind`, `is_public`) reaches the simulated Misskey as
//! `drive/files/create` with the same bytes, name and type; the answer is a pnut File in its
//! envelope (201) that `GET /files/{id}` then finds; pnut errors for a too large file, no
//! content, no type and a wrong token.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use super::support::{Bridge, start, start_with};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR binary \xff\x00\r\n--b\r\n";

fn png() -> Part {
    Part::bytes(PNG.to_vec())
        .file_name("peanut.png")
        .mime_str("image/png")
        .unwrap()
}

impl Bridge {
    async fn upload(&self, token: Option<&str>, form: Form) -> (StatusCode, Value) {
        let mut request = self.http.post(self.url("/files")).multipart(form);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("bridge answers");
        let status = response.status();
        let body: Value = response.json().await.expect("JSON body");
        assert_eq!(
            body["meta"]["code"].as_u64(),
            Some(u64::from(status.as_u16())),
            "meta.code mirrors the HTTP status: {body}"
        );
        if !status.is_success() {
            assert!(body.get("data").is_none(), "errors carry no data: {body}");
        }
        (status, body)
    }

    async fn uploads_upstream(&self) -> u64 {
        self.control()
            .counts()
            .await
            .calls
            .get("drive/files/create")
            .copied()
            .unwrap_or(0)
    }
}

#[tokio::test]
async fn upload_reaches_misskey_whole_and_answers_a_pnut_file() {
    let bridge = start().await;
    let form = Form::new()
        .text("type", "io.pnut.core.file")
        .text("name", "logo.png")
        .text("kind", "image")
        .text("is_public", "1")
        .part("content", png());
    let (status, body) = bridge.upload(Some("demo-alice"), form).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let file: pnutkey::pnut::File =
        serde_json::from_value(body["data"].clone()).expect("a pnut File");
    assert_eq!(file.name, "logo.png");
    assert_eq!(file.mime_type.as_deref(), Some("image/png"));
    assert_eq!(file.size, Some(PNG.len() as u64));
    assert_eq!(file.media_kind, "image");
    assert!(file.is_complete);
    assert!(file.id.bytes().all(|b| b.is_ascii_digit()), "{}", file.id);
    let misskey_id = Bridge::misskey_id(&file.id);
    let (stored, bytes) = bridge
        .control()
        .drive_file(&misskey_id)
        .await
        .expect("stored");
    assert_eq!(bytes.as_deref(), Some(PNG));
    assert_eq!(stored["name"], "logo.png");
    assert_eq!(stored["type"], "image/png");
    assert_eq!(bridge.uploads_upstream().await, 1);
    // The file is found again.
    let (status, got) = bridge
        .get(&format!("/files/{}", file.id), "demo-alice")
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["data"]["name"], "logo.png");
    // The part's file name names the file when `name` is absent.
    let form = Form::new()
        .text("type", "com.example.photo")
        .part("content", png());
    let (status, body) = bridge.upload(Some("demo-bob"), form).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"]["name"], "peanut.png");
    bridge.running.stop(std::time::Duration::from_secs(2)).await;
}

/// pnutpy's way to attach an upload: `POST /posts` with a `+io.pnut.core.file` value in the
/// `io.pnut.core.oembed` raw (its `file_id` and `file_token` from the upload's answer) becomes
/// `notes/create` with `fileIds`.
#[tokio::test]
async fn an_uploaded_file_is_attached_to_a_post_by_its_file_raw() {
    let bridge = start().await;
    let form = Form::new()
        .text("type", "io.pnut.core.file")
        .part("content", png());
    let (status, uploaded) = bridge.upload(Some("demo-alice"), form).await;
    assert_eq!(status, StatusCode::CREATED, "{uploaded}");
    let file = &uploaded["data"];
    assert!(file["file_token"].is_string(), "{file}");
    let body = serde_json::json!({
        "text": "look at this",
        "raw": {"io.pnut.core.oembed": [{"+io.pnut.core.file": {
            "file_id": file["id"], "file_token": file["file_token"], "format": "oembed",
        }}]},
    });
    let (status, _, post) = bridge
        .call(
            reqwest::Method::POST,
            "/posts",
            Some("demo-alice"),
            Some(("application/json", body.to_string())),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    let note_id = Bridge::misskey_id(post["data"]["id"].as_str().unwrap());
    let (status, note) = bridge.upstream_note("demo-alice", &note_id).await;
    assert_eq!(status, StatusCode::OK, "{note}");
    let misskey_file = Bridge::misskey_id(file["id"].as_str().unwrap());
    assert_eq!(note["fileIds"], serde_json::json!([misskey_file]), "{note}");
    assert_eq!(note["files"][0]["name"], "peanut.png");
    // A file id that names no file is refused, nothing is posted.
    let bad = serde_json::json!({
        "text": "ghost",
        "raw": {"io.pnut.core.oembed": [{"+io.pnut.core.file": {"file_id": "999999999", "file_token": "x"}}]},
    });
    let (status, _, refused) = bridge
        .call(
            reqwest::Method::POST,
            "/posts",
            Some("demo-alice"),
            Some(("application/json", bad.to_string())),
        )
        .await;
    assert!(status.is_client_error(), "{status}: {refused}");
    bridge.running.stop(std::time::Duration::from_secs(2)).await;
}

/// `limits.max_upload_size` bounds the content, not `limits.max_request_body`.
#[tokio::test]
async fn upload_size_is_bounded_by_max_upload_size() {
    let bridge = start_with(|config| {
        config.limits.max_request_body = bytesize::ByteSize::kib(1);
        config.limits.max_upload_size = bytesize::ByteSize::kib(16);
    })
    .await;
    let big = vec![9u8; 8 * 1024];
    let form = Form::new()
        .text("type", "io.pnut.core.file")
        .part("content", Part::bytes(big.clone()).file_name("big.bin"));
    let (status, body) = bridge.upload(Some("demo-alice"), form).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let misskey_id = Bridge::misskey_id(body["data"]["id"].as_str().unwrap());
    let (_, bytes) = bridge
        .control()
        .drive_file(&misskey_id)
        .await
        .expect("stored");
    assert_eq!(bytes.as_deref(), Some(big.as_slice()));
    for size in [16 * 1024 + 1, 64 * 1024] {
        let form = Form::new().text("type", "io.pnut.core.file").part(
            "content",
            Part::bytes(vec![1u8; size]).file_name("huge.bin"),
        );
        let (status, body) = bridge.upload(Some("demo-alice"), form).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{size}: {body}");
    }
    assert_eq!(bridge.uploads_upstream().await, 1);
    bridge.running.stop(std::time::Duration::from_secs(2)).await;
}

#[tokio::test]
async fn upload_errors_are_pnut_envelopes() {
    let bridge = start().await;
    let cases = [
        (
            Form::new().text("type", "io.pnut.core.file"),
            StatusCode::BAD_REQUEST,
        ),
        (Form::new().part("content", png()), StatusCode::BAD_REQUEST),
        (
            Form::new()
                .text("type", "io.pnut.core.file")
                .text("kind", "sculpture")
                .part("content", png()),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (index, (form, want)) in cases.into_iter().enumerate() {
        let (status, body) = bridge.upload(Some("demo-alice"), form).await;
        assert_eq!(status, want, "case {index}: {body}");
    }
    // Not multipart: Misskey has no placeholder files to create.
    let (status, _, body) = bridge
        .call(
            reqwest::Method::POST,
            "/files",
            Some("demo-alice"),
            Some(("application/json", "{\"name\": \"x\"}".to_owned())),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(bridge.uploads_upstream().await, 0);
    let form = || {
        Form::new()
            .text("type", "io.pnut.core.file")
            .part("content", png())
    };
    let (status, body) = bridge.upload(Some("not-a-token"), form()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = bridge.upload(None, form()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    bridge.running.stop(std::time::Duration::from_secs(2)).await;
}

/// An upload whose body stops inside the `content` part: the socket stays open, so the bridge
/// keeps waiting for the rest of the file (and holds its upload slot) until it is dropped.
async fn stalled_upload(bridge: &Bridge) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let body = "--X\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nio.pnut.core.file\r\n\
                --X\r\nContent-Disposition: form-data; name=\"content\"; filename=\"slow.bin\"\r\n\
                Content-Type: application/octet-stream\r\n\r\nthe first bytes";
    let head = format!(
        "POST /v1/files HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer demo-alice\r\n\
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

/// `limits.max_concurrent_uploads`: while that many uploads are being read, one more is
/// refused with 429 and `retry_in` (nothing reaches Misskey); a finished or abandoned upload
/// frees its place.
#[tokio::test]
async fn uploads_over_max_concurrent_uploads_are_refused_with_429() {
    let bridge = start_with(|config| config.limits.max_concurrent_uploads = 1).await;
    let form = || {
        Form::new()
            .text("type", "io.pnut.core.file")
            .part("content", png())
    };
    let stalled = stalled_upload(&bridge).await;
    // The stalled upload takes the only place as soon as its headers are read; until then an
    // upload that completes first is served (and the loop tries again).
    let (status, body) = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let (status, body) = bridge.upload(Some("demo-alice"), form()).await;
            if status != StatusCode::CREATED {
                return (status, body);
            }
        }
    })
    .await
    .expect("the stalled upload holds the only place");
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["meta"]["retry_in"], 1, "{body}");
    let served = bridge.uploads_upstream().await;
    drop(stalled);
    let (status, body) = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let (status, body) = bridge.upload(Some("demo-alice"), form()).await;
            if status != StatusCode::TOO_MANY_REQUESTS {
                return (status, body);
            }
        }
    })
    .await
    .expect("the abandoned upload frees its place");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(bridge.uploads_upstream().await, served + 1);
    bridge.running.stop(std::time::Duration::from_secs(2)).await;
}
