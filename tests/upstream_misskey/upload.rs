//! The Misskey client's multipart call: `drive/files/create` with `i` as a form field, the file
//! arrives whole; a failed upload is never retried; a 429 pauses the token like any call.

use bytes::Bytes;
use pnutkey::upstream::Upload;

use super::*;

fn upload(bytes: &'static [u8]) -> Upload {
    Upload {
        part: "file",
        bytes: Bytes::from_static(bytes),
        file_name: "photo.jpg".into(),
        mime: "image/jpeg".into(),
        fields: vec![
            ("name".into(), "holiday.jpg".into()),
            ("isSensitive".into(), "true".into()),
        ],
    }
}

#[tokio::test]
async fn upload_sends_the_file_and_fields_as_multipart() {
    let sim = start().await;
    let client = client_with(settings(&sim), &quotas());
    let bytes: &[u8] = b"\xff\xd8\xff\xe0 jpeg \x00\x01\r\n--x\r\n";
    let file: pnutkey::misskey::DriveFile = client
        .upload("demo-alice", "drive/files/create", &upload(bytes))
        .await
        .expect("uploaded");
    assert_eq!(file.name, "holiday.jpg");
    assert_eq!(file.mime_type, "image/jpeg");
    assert!(file.is_sensitive);
    let (_, stored) = sim.control().drive_file(&file.id).await.expect("stored");
    assert_eq!(stored.as_deref(), Some(bytes));
    assert_eq!(calls(&sim, "drive/files/create").await, 1);
}

#[tokio::test]
async fn failed_uploads_are_not_retried_and_429_pauses_the_token() {
    let sim = start().await;
    let client = client_with(settings(&sim), &quotas());
    sim.control()
        .force_failures(5, 500, Some("demo-alice"), Some("drive/files/create"))
        .await;
    let error = client
        .upload::<Value>("demo-alice", "drive/files/create", &upload(b"x"))
        .await
        .expect_err("500");
    assert_eq!(error.status(), Some(500));
    assert_eq!(calls(&sim, "drive/files/create").await, 1);

    sim.control()
        .force_failures(1, 429, Some("demo-bob"), Some("drive/files/create"))
        .await;
    let limited = client
        .upload::<Value>("demo-bob", "drive/files/create", &upload(b"x"))
        .await
        .expect_err("429");
    assert_eq!(limited.side(), Side::Upstream);
    let paused = client
        .read::<Value>("demo-bob", "i", Map::new())
        .await
        .expect_err("paused");
    assert_eq!(paused.status(), Some(429));
    assert_eq!(calls(&sim, "i").await, 0);
}
