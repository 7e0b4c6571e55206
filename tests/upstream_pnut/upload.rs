//! The pnut client's multipart call: `POST /v1/files` with the `content` part and pnut's
//! fields; the file arrives whole; a failed upload is never retried.

use bytes::Bytes;
use pnutkey::pnut::File;
use pnutkey::sim::pnut::ForcedFailure;
use pnutkey::upstream::Upload;

use super::*;

fn upload(bytes: &'static [u8]) -> Upload {
    Upload {
        part: "content",
        bytes: Bytes::from_static(bytes),
        file_name: "notes.txt".into(),
        mime: "text/plain".into(),
        fields: vec![
            ("type".into(), "io.pnut.core.file".into()),
            ("kind".into(), "other".into()),
        ],
    }
}

#[tokio::test]
async fn upload_sends_the_content_part_and_fields() {
    let sim = start(SimPnutOptions::default()).await;
    let client = client(&sim, Duration::ZERO);
    let bytes: &[u8] = b"line one\r\n--boundary-looking\r\n\x00\xff";
    let envelope = client
        .upload::<File>("demo-alice", "/files", &upload(bytes))
        .await
        .expect("uploaded");
    assert_eq!(envelope.meta.code, Some(201));
    let file = envelope.data.expect("file");
    assert_eq!(file.name, "notes.txt");
    assert_eq!(file.mime_type.as_deref(), Some("text/plain"));
    assert_eq!(file.media_kind, "other");
    let (_, stored) = sim.control().file_content(&file.id).await.expect("stored");
    assert_eq!(stored.as_deref(), Some(bytes));
}

#[tokio::test]
async fn failed_uploads_are_not_retried() {
    let sim = start(SimPnutOptions::default()).await;
    sim.control()
        .force_failures(ForcedFailure {
            remaining: 5,
            status: 500,
            token: Some("demo-alice".into()),
            endpoint: Some("POST /v1/files".into()),
        })
        .await;
    let client = client(&sim, Duration::ZERO);
    let error = client
        .upload::<File>("demo-alice", "/files", &upload(b"x"))
        .await
        .expect_err("500");
    assert_eq!(error.status(), Some(500));
    assert_eq!(calls(&sim, "POST /v1/files").await, 1);
}
