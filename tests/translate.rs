//! Golden tests: every `tests/golden/*.json` file `{"rule", "input", "expected"}` is run through
//! the translation function named by `rule` and the JSON values compared.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use pnutkey::translate::{self, Options, PnutEvent, TranslateError, Translated};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Every rule the golden files must cover (mapping.md §5 plus the entity/date helpers).
const REQUIRED_RULES: &[&str] = &[
    "content_from_text",
    "pnut_date_to_misskey",
    "misskey_date_to_pnut",
    "misskey_id_to_pnut",
    "pnut_id_to_misskey",
    "post_to_note",
    "note_to_post",
    "message_to_note",
    "note_to_message",
    "pnut_user_to_lite",
    "pnut_user_to_detailed",
    "pnut_user_to_me",
    "misskey_user_to_pnut",
    "misskey_detailed_to_pnut",
    "file_to_drive_file",
    "drive_file_to_file",
    "follow_to_main_events",
    "mention_to_main_events",
    "repost_to_main_events",
    "mention_to_notification",
    "follower_to_notification",
    "token_to_me_updated",
    "file_to_drive_event",
    "post_change_to_note_updated",
    "misskey_event_to_pnut",
    "note_updated_to_pnut",
];

/// Runs one rule on its input; a translation error becomes `{"error": "<message>"}`.
fn run_rule(rule: &str, input: &Value) -> Result<Value, String> {
    let out = match rule {
        "content_from_text" => {
            let text = input["text"].as_str().ok_or("input.text missing")?;
            let ids: HashMap<String, String> =
                serde_json::from_value(input.get("mention_ids").cloned().unwrap_or(json!({})))
                    .map_err(|e| e.to_string())?;
            let content = translate::content_from_text(text, &|name| ids.get(name).cloned());
            serde_json::to_value(content).map_err(|e| e.to_string())?
        }
        "pnut_date_to_misskey" => string_rule(input, translate::pnut_date_to_misskey)?,
        "misskey_date_to_pnut" => string_rule(input, translate::misskey_date_to_pnut)?,
        "misskey_id_to_pnut" => {
            let format =
                serde_json::from_value(input["format"].clone()).map_err(|e| e.to_string())?;
            string_rule(&input["id"], |id| pnutkey::ids::misskey_to_pnut(id, format))?
        }
        "pnut_id_to_misskey" => {
            let format =
                serde_json::from_value(input["format"].clone()).map_err(|e| e.to_string())?;
            string_rule(&input["id"], |id| pnutkey::ids::pnut_to_misskey(id, format))?
        }
        other => return run_model_rule(other, input),
    };
    Ok(out)
}

/// Reads `input[key]` as `T` (a missing key reads as `null`).
fn field<T: DeserializeOwned>(input: &Value, key: &str) -> Result<T, String> {
    serde_json::from_value(input.get(key).cloned().unwrap_or(Value::Null))
        .map_err(|e| format!("input.{key}: {e}"))
}

/// `input.options` merged over the defaults.
fn options(input: &Value) -> Result<Options, String> {
    match input.get("options") {
        Some(value) => {
            serde_json::from_value(value.clone()).map_err(|e| format!("input.options: {e}"))
        }
        None => Ok(Options::default()),
    }
}

/// A translation result as JSON: the value, `{"skipped": reason}` or `{"error": message}`.
fn to_json<T: Serialize>(result: Result<T, TranslateError>) -> Result<Value, String> {
    match result {
        Ok(value) => serde_json::to_value(value).map_err(|e| e.to_string()),
        Err(err) => Ok(json!({"error": err.to_string()})),
    }
}

fn translated_json<T>(
    result: Result<Translated<T>, TranslateError>,
    render: impl Fn(T) -> Result<Value, String>,
) -> Result<Value, String> {
    match result {
        Ok(Translated::Done(value)) => render(value),
        Ok(Translated::Skipped(reason)) => Ok(json!({"skipped": format!("{reason:?}")})),
        Err(err) => Ok(json!({"error": err.to_string()})),
    }
}

fn pnut_event_json(event: PnutEvent) -> Result<Value, String> {
    Ok(json!({
        "kind": format!("{:?}", event.kind),
        "object_id": event.object_id,
        "data": serde_json::to_value(&event.data).map_err(|e| e.to_string())?,
        "is_deleted": event.is_deleted,
        "revision": event.revision,
    }))
}

/// The rules over the wire models.
fn run_model_rule(rule: &str, input: &Value) -> Result<Value, String> {
    let opts = options(input)?;
    match rule {
        "post_to_note" => {
            let post = field(input, "post")?;
            let reply: Option<pnutkey::pnut::Post> = field(input, "reply")?;
            to_json(translate::post_to_note(&post, reply.as_ref(), &opts))
        }
        "note_to_post" => {
            let note = field(input, "note")?;
            let root: Option<String> = field(input, "thread_root")?;
            translated_json(
                translate::note_to_post(&note, root.as_deref(), &opts),
                |post| serde_json::to_value(post).map_err(|e| e.to_string()),
            )
        }
        "message_to_note" => {
            let message = field(input, "message")?;
            let name: Option<String> = field(input, "channel_name")?;
            to_json(translate::message_to_note(&message, name.as_deref(), &opts))
        }
        "note_to_message" => to_json(translate::note_to_message(&field(input, "note")?, &opts)),
        "pnut_user_to_lite" => to_json(translate::pnut_user_to_lite(&field(input, "user")?, &opts)),
        "pnut_user_to_detailed" => to_json(translate::pnut_user_to_detailed(
            &field(input, "user")?,
            &opts,
        )),
        "pnut_user_to_me" => to_json(translate::pnut_user_to_me(&field(input, "user")?, &opts)),
        "misskey_user_to_pnut" => to_json(translate::misskey_user_to_pnut(
            &field(input, "user")?,
            &opts,
        )),
        "misskey_detailed_to_pnut" => to_json(translate::misskey_detailed_to_pnut(
            &field(input, "user")?,
            &opts,
        )),
        "file_to_drive_file" => {
            to_json(translate::file_to_drive_file(&field(input, "file")?, &opts))
        }
        "drive_file_to_file" => {
            to_json(translate::drive_file_to_file(&field(input, "file")?, &opts))
        }
        "follow_to_main_events" => to_json(translate::follow_to_main_events(
            &field(input, "event")?,
            field(input, "is_deleted")?,
            &field::<String>(input, "me_id")?,
            field(input, "timestamp")?,
            &opts,
        )),
        "mention_to_main_events" => {
            let parent: Option<pnutkey::pnut::Post> = field(input, "parent")?;
            to_json(translate::mention_to_main_events(
                &field(input, "post")?,
                parent.as_ref(),
                &field::<String>(input, "me_id")?,
                &opts,
            ))
        }
        "mention_to_notification" => {
            let parent: Option<pnutkey::pnut::Post> = field(input, "parent")?;
            to_json(translate::mention_to_notification(
                &field(input, "post")?,
                parent.as_ref(),
                &field::<String>(input, "me_id")?,
                &opts,
            ))
        }
        "follower_to_notification" => to_json(translate::follower_to_notification(
            &field(input, "user")?,
            &field::<String>(input, "created_at")?,
            &opts,
        )),
        "repost_to_main_events" => to_json(translate::repost_to_main_events(
            &field(input, "post")?,
            &field::<String>(input, "me_id")?,
            &opts,
        )),
        "token_to_me_updated" => translated_json(
            translate::token_to_me_updated(&field(input, "token")?, &opts),
            |event| serde_json::to_value(event).map_err(|e| e.to_string()),
        ),
        "file_to_drive_event" => translated_json(
            translate::file_to_drive_event(
                &field(input, "file")?,
                field(input, "is_deleted")?,
                field(input, "timestamp")?,
                &opts,
            ),
            |event| serde_json::to_value(event).map_err(|e| e.to_string()),
        ),
        "post_change_to_note_updated" => {
            let result = translate::post_change_to_note_updated(
                &field(input, "post")?,
                field(input, "is_deleted")?,
                field(input, "revision")?,
                field(input, "timestamp")?,
                &opts,
            );
            match result {
                Ok(Some(update)) => Ok(pnutkey::misskey::ServerMessage::note_updated(
                    update.note_id,
                    &update.event,
                )
                .to_value()),
                Ok(None) => Ok(Value::Null),
                Err(err) => Ok(json!({"error": err.to_string()})),
            }
        }
        "misskey_event_to_pnut" => translated_json(
            translate::misskey_event_to_pnut(
                &field::<String>(input, "kind")?,
                &input["body"],
                &field(input, "me")?,
                &field(input, "token")?,
                &opts,
            ),
            pnut_event_json,
        ),
        "note_updated_to_pnut" => {
            let known: Option<pnutkey::misskey::Note> = field(input, "known")?;
            translated_json(
                translate::note_updated_to_pnut(
                    &field::<String>(input, "note_id")?,
                    &field(input, "event")?,
                    known.as_ref(),
                    &opts,
                ),
                pnut_event_json,
            )
        }
        other => Err(format!("unknown rule {other:?}")),
    }
}

/// Whether `actual` contains everything in `expected` (objects: every expected key, recursively;
/// arrays: same length, element-wise; anything else: equal). Used by cases with `expected_subset` for very large outputs.
fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e
            .iter()
            .all(|(key, value)| a.get(key).is_some_and(|got| contains(got, value))),
        (Value::Array(a), Value::Array(e)) => {
            a.len() == e.len() && a.iter().zip(e).all(|(got, want)| contains(got, want))
        }
        _ => actual == expected,
    }
}

/// Applies a string → Result<String> function to a JSON string input.
fn string_rule<E: std::fmt::Display>(
    input: &Value,
    f: impl Fn(&str) -> Result<String, E>,
) -> Result<Value, String> {
    let text = input.as_str().ok_or("input is not a string")?;
    Ok(match f(text) {
        Ok(out) => Value::String(out),
        Err(err) => json!({"error": err.to_string()}),
    })
}

fn golden_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn golden_files_match() {
    let files = golden_files();
    assert!(!files.is_empty(), "no golden files");
    let mut failures = Vec::new();
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let case: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let rule = case["rule"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no rule"));
        let (expected, matches): (&Value, fn(&Value, &Value) -> bool) =
            match case.get("expected_subset") {
                Some(subset) => (subset, contains),
                None => (&case["expected"], |a, e| a == e),
            };
        match run_rule(rule, &case["input"]) {
            Ok(actual) if matches(&actual, expected) => {}
            Ok(actual) => failures.push(format!(
                "{name} ({rule}):\n  expected {expected}\n  actual   {actual}"
            )),
            Err(err) => failures.push(format!("{name} ({rule}): {err}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rule_has_a_golden_case() {
    let covered: BTreeSet<String> = golden_files()
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .filter_map(|text| serde_json::from_str::<Value>(&text).ok())
        .filter_map(|case| case["rule"].as_str().map(str::to_owned))
        .collect();
    let missing: Vec<&&str> = REQUIRED_RULES
        .iter()
        .filter(|r| !covered.contains(**r))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a golden case: {missing:?}"
    );
}

#[test]
fn unknown_rule_is_reported() {
    assert!(run_rule("no_such_rule", &Value::Null).is_err());
}

mod entity_properties {
    use pnutkey::translate::{content_from_text, entities_from_text};
    use proptest::prelude::*;

    proptest! {
        /// Every entity's pos/len (in code points) points at exactly the text it names.
        #[test]
        fn entity_offsets_point_at_their_text(
            text in "([a-z@#/ .:()]|https://|日本|🎉|👩‍💻|\n){0,40}"
        ) {
            let chars: Vec<char> = text.chars().collect();
            let slice = |pos: u32, len: u32| -> String {
                chars.iter().skip(pos as usize).take(len as usize).collect()
            };
            let entities = entities_from_text(&text, &|_| None);
            for link in &entities.links {
                prop_assert_eq!(slice(link.pos, link.len), link.text.clone());
            }
            for mention in &entities.mentions {
                prop_assert_eq!(slice(mention.pos, mention.len), format!("@{}", mention.text));
            }
            for tag in &entities.tags {
                prop_assert_eq!(slice(tag.pos, tag.len), format!("#{}", tag.text));
            }
            let html = content_from_text(&text, &|_| None).html.unwrap_or_default();
            prop_assert!(html.starts_with("<span itemscope="));
            prop_assert!(html.ends_with("</span>"));
            prop_assert!(!html.contains('\n'));
        }
    }
}

mod no_panic_properties {
    use pnutkey::misskey::Note;
    use pnutkey::pnut::Post;
    use pnutkey::translate::{Options, note_to_post, post_to_note};
    use proptest::prelude::*;
    use serde_json::json;

    proptest! {
        /// Odd ids, dates and texts give a value or a typed error, never a panic.
        #[test]
        fn odd_fields_never_panic(
            id in "\\PC{0,30}",
            date in "\\PC{0,30}",
            text in "\\PC{0,60}",
            nsfw in any::<bool>(),
        ) {
            let opts = Options::default();
            let post: Post = serde_json::from_value(json!({
                "id": id, "created_at": date, "thread_id": id, "reply_to": id, "user_id": id,
                "is_nsfw": nsfw, "content": {"text": text, "entities": {}},
                "raw": {"io.pnut.core.oembed": [{"type": "photo", "url": text, "width": -1}]}
            })).unwrap();
            let _ = post_to_note(&post, Some(&post), &opts);
            let note: Note = serde_json::from_value(json!({
                "id": id, "createdAt": date, "userId": id, "text": text, "cw": if nsfw { Some(&text) } else { None },
                "replyId": id, "renoteId": id,
                "user": {"id": id, "username": text, "host": text, "avatarUrl": ""}
            })).unwrap();
            let _ = note_to_post(&note, Some(&id), &opts);
        }

        /// A well-formed post with any text translates, keeping the text (or splitting the CW
        /// line off an NSFW one).
        #[test]
        fn any_text_survives_post_to_note(text in "\\PC{0,80}", nsfw in any::<bool>()) {
            let opts = Options::default();
            let post: Post = serde_json::from_value(json!({
                "id": "42", "created_at": "2026-05-06T10:00:00Z", "thread_id": "42", "user_id": "7",
                "is_nsfw": nsfw, "content": {"text": text, "entities": {}}
            })).unwrap();
            let note = post_to_note(&post, None, &opts).unwrap();
            let joined = match note.cw.as_deref() {
                Some(cw) if text.contains('\n') => format!("{cw}\n{}", note.text.clone().unwrap_or_default()),
                _ => note.text.clone().unwrap_or_default(),
            };
            prop_assert_eq!(joined, text.clone());
            prop_assert_eq!(note.cw.is_some(), nsfw);
        }
    }
}
