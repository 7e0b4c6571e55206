//! The fuzz targets' entry points (`pnutkey::fuzzing`, run by `fuzz/fuzz_targets/*.rs`) on
//! their committed seed corpora and on every input a fuzzer found crashing (regressions; the
//! inputs live under tests/fixtures/fuzz/TARGET/). Also checks that each entry point reaches
//! the logic it is meant to fuzz, so a target cannot silently fuzz nothing.

use std::path::{Path, PathBuf};

use pnutkey::fuzzing;

fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(PathBuf, Vec<u8>)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && path.extension().is_none_or(|ext| ext != "md"))
        .map(|path| {
            let bytes = std::fs::read(&path).expect("readable input");
            (path, bytes)
        })
        .collect();
    files.sort();
    files
}

/// The seed corpus of `target` (fuzz/seeds/TARGET), which must not be empty.
fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let files = files_under(&dir);
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
}

/// Crashing inputs found by fuzzing `target` (tests/fixtures/fuzz/TARGET), possibly none.
fn crashes(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    files_under(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fuzz")
            .join(target),
    )
}

fn is_json_object(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|value| value.is_object())
}

#[test]
fn misskey_client_frames_round_trip() {
    let mut parsed = 0;
    for (path, input) in seeds("misskey_client_frame")
        .into_iter()
        .chain(crashes("misskey_client_frame"))
    {
        if let Some(json) = fuzzing::misskey_client_frame(&input) {
            assert!(
                pnutkey::misskey::parse_client_message(&json).is_ok(),
                "{}: {json}",
                path.display()
            );
            parsed += 1;
        }
    }
    assert!(parsed >= 5, "only {parsed} seeds parsed");
    assert_eq!(fuzzing::misskey_client_frame(b"\xff{not json"), None);
}

#[test]
fn pnut_upstream_frames_become_misskey_channel_frames() {
    let mut notes = 0;
    let mut note_updates = 0;
    for (path, input) in seeds("pnut_upstream_frame")
        .into_iter()
        .chain(crashes("pnut_upstream_frame"))
    {
        for frame in fuzzing::pnut_upstream_frame(&input) {
            assert!(is_json_object(&frame), "{}: {frame}", path.display());
            notes += usize::from(frame.contains(r#""type":"note""#));
            note_updates += usize::from(frame.contains(r#""type":"noteUpdated""#));
        }
    }
    assert!(notes >= 5, "only {notes} note frames");
    assert!(note_updates >= 1, "no noteUpdated frame");
}

#[test]
fn pnut_stream_frames_without_data_deliver_nothing() {
    assert!(fuzzing::pnut_upstream_frame(br#"{"meta":{"connection_id":"c"}}"#).is_empty());
    assert!(fuzzing::pnut_upstream_frame(b"[1,2").is_empty());
}

#[test]
fn misskey_upstream_frames_become_pnut_event_data() {
    let mut events = 0;
    for (path, input) in seeds("misskey_upstream_frame")
        .into_iter()
        .chain(crashes("misskey_upstream_frame"))
    {
        for data in fuzzing::misskey_upstream_frame(&input) {
            assert!(
                serde_json::from_str::<serde_json::Value>(&data).is_ok(),
                "{}: {data}",
                path.display()
            );
            events += 1;
        }
    }
    assert!(events >= 5, "only {events} pnut events");
}

#[test]
fn misskey_rest_bodies_reach_the_parameters() {
    for (_, input) in seeds("misskey_rest_body")
        .into_iter()
        .chain(crashes("misskey_rest_body"))
    {
        let _ = fuzzing::misskey_rest_body(&input);
    }
    // Every parameter read of a well-formed call succeeds but the required ones it lacks.
    let all = br#"
{"noteId":"0000000000000064","reaction":"x","limit":5,"withRenotes":false,"userIds":["1"]}"#;
    let read = fuzzing::misskey_rest_body(all);
    assert!(read >= 15, "{read} parameters read");
    // A refused token or a body that is no object stops at the call's parsing.
    assert_eq!(fuzzing::misskey_rest_body(b"\n[1]"), 0);
    assert_eq!(fuzzing::misskey_rest_body(b"\n{\"limit\":"), 0);
}

#[test]
fn pnut_rest_queries_map_their_ids() {
    for (_, input) in seeds("pnut_rest_query")
        .into_iter()
        .chain(crashes("pnut_rest_query"))
    {
        let _ = fuzzing::pnut_rest_query(&input);
    }
    assert_eq!(fuzzing::pnut_rest_query(b"posts/100/thread?count=5"), 1);
    assert_eq!(fuzzing::pnut_rest_query(b"posts/abc"), 0);
}

#[test]
fn pnut_rest_bodies_decode_post_text() {
    for (_, input) in seeds("pnut_rest_body")
        .into_iter()
        .chain(crashes("pnut_rest_body"))
    {
        let _ = fuzzing::pnut_rest_body(&input);
    }
    assert_eq!(
        fuzzing::pnut_rest_body(b"application/x-www-form-urlencoded\ntext=a+b&reply_to=7")
            .as_deref(),
        Some("a b")
    );
    assert_eq!(
        fuzzing::pnut_rest_body(b"\n{\"text\":\"hi\",\"reply_to\":42}").as_deref(),
        Some("hi")
    );
}

#[test]
fn config_texts_validate_and_masked_prints_reparse() {
    let mut valid = 0;
    for (path, input) in seeds("config").into_iter().chain(crashes("config")) {
        if let Some(masked) = fuzzing::config(&input) {
            assert!(
                pnutkey::config::parse_str(&masked).is_ok(),
                "{}: {masked}",
                path.display()
            );
            valid += 1;
        }
    }
    assert!(valid >= 2, "only {valid} valid configs");
}

#[test]
fn pnut_upstream_responses_become_notes_and_users() {
    let mut translated = 0;
    for (_, input) in seeds("pnut_upstream_response")
        .into_iter()
        .chain(crashes("pnut_upstream_response"))
    {
        translated += fuzzing::pnut_upstream_response(&input);
    }
    assert!(translated >= 10, "only {translated} objects translated");
    // An error status is never read as data.
    assert_eq!(
        fuzzing::pnut_upstream_response(br#"{"meta":{"code":200},"data":{"id":"1"}}"#),
        0
    );
}

#[test]
fn misskey_upstream_responses_become_posts_users_and_files() {
    let mut translated = 0;
    for (_, input) in seeds("misskey_upstream_response")
        .into_iter()
        .chain(crashes("misskey_upstream_response"))
    {
        translated += fuzzing::misskey_upstream_response(&input);
    }
    assert!(translated >= 10, "only {translated} objects translated");
    // An error status is never read as data.
    assert_eq!(fuzzing::misskey_upstream_response(b"\x01[]"), 0);
}
