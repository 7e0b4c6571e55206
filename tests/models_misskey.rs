//! Wire-model tests for `pnutkey::misskey`: streaming messages, entities and error bodies.

use pnutkey::misskey::{
    ApiErrorBody, ChannelMessageBody, ClientMessage, ConnectBody, CreatedNote, ErrorKind,
    InstanceMeta, MeDetailed, Note, NoteCreateRequest, NoteIdRequest, NoteUpdatedEvent,
    Notification, NotificationType, ParseError, ReactedBody, ServerMessage, UserLite, Visibility,
    parse_client_message,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/models/misskey/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("read {path}: {err}"))
}

fn as_value(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

// ---------- client → server ----------

#[test]
fn every_client_frame_form_parses_and_round_trips() {
    let text = fixture("client_frames.jsonl");
    let parsed: Vec<ClientMessage> = text
        .lines()
        .map(|line| parse_client_message(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    assert_eq!(parsed.len(), 13);
    for (line, message) in text.lines().zip(&parsed) {
        let again = parse_client_message(&message.to_json()).expect("reparse");
        assert_eq!(&again, message, "round trip of {line}");
        // serde impls agree with the explicit functions
        let via_serde: ClientMessage = serde_json::from_str(line).expect("serde");
        assert_eq!(&via_serde, message);
        assert_eq!(
            serde_json::to_value(message).expect("ser"),
            message.to_value()
        );
    }
    assert_eq!(
        parsed[0],
        ClientMessage::Connect(ConnectBody {
            channel: "main".into(),
            id: "1".into(),
            params: None,
            pong: None,
        })
    );
    let ClientMessage::Connect(ref with_params) = parsed[1] else {
        panic!("expected connect: {:?}", parsed[1]);
    };
    assert_eq!(
        with_params
            .params
            .as_ref()
            .map(|p| p["withRenotes"].clone()),
        Some(json!(true))
    );
    assert!(matches!(
        parsed[2],
        ClientMessage::Connect(ConnectBody {
            pong: Some(true),
            ..
        })
    ));
    assert_eq!(parsed[3], ClientMessage::Disconnect { id: "1".into() });
    assert_eq!(
        parsed[4],
        ClientMessage::Channel(ChannelMessageBody {
            id: "3".into(),
            kind: "read".into(),
            body: json!({"id": "x"}),
        })
    );
    assert!(matches!(
        parsed[5],
        ClientMessage::Channel(ChannelMessageBody {
            body: Value::Null,
            ..
        })
    ));
    let note = "aa0b1c2d3e4f0001".to_owned();
    assert_eq!(parsed[6], ClientMessage::SubNote { id: note.clone() });
    assert_eq!(parsed[7], ClientMessage::SubNote { id: note.clone() });
    assert_eq!(parsed[8], ClientMessage::SubNoteRead { id: note.clone() });
    assert_eq!(parsed[9], ClientMessage::UnsubNote { id: note.clone() });
    assert_eq!(parsed[10], ClientMessage::UnsubNote { id: note });
    assert_eq!(parsed[11], ClientMessage::ReadNotification);
    assert_eq!(
        parsed[12],
        ClientMessage::Unknown {
            kind: "somethingNew".into(),
            body: Some(json!({"x": 1})),
        }
    );
}

#[test]
fn connect_without_params_serializes_without_params_or_pong_keys() {
    let message = ClientMessage::Connect(ConnectBody {
        channel: "main".into(),
        id: "1".into(),
        params: None,
        pong: None,
    });
    assert_eq!(
        message.to_value(),
        json!({"type": "connect", "body": {"channel": "main", "id": "1"}})
    );
    let channel = ClientMessage::Channel(ChannelMessageBody {
        id: "3".into(),
        kind: "read".into(),
        body: Value::Null,
    });
    assert_eq!(
        channel.to_value(),
        json!({"type": "ch", "body": {"id": "3", "type": "read", "body": null}})
    );
}

fn invalid_body(text: &str) -> bool {
    matches!(
        parse_client_message(text),
        Err(ParseError::InvalidBody { .. })
    )
}

#[test]
fn malformed_client_frames_are_typed_errors() {
    for text in ["h", "ping", "", "{", "{\"type\":", "\u{0}"] {
        assert!(
            matches!(parse_client_message(text), Err(ParseError::InvalidJson(_))),
            "{text:?}"
        );
    }
    for text in ["[]", "1", "\"connect\"", "null"] {
        assert_eq!(
            parse_client_message(text),
            Err(ParseError::NotAnObject),
            "{text}"
        );
    }
    for text in [
        r#"{"body":{}}"#,
        r#"{"type":1,"body":{}}"#,
        r#"{"type":null}"#,
    ] {
        assert_eq!(
            parse_client_message(text),
            Err(ParseError::MissingType),
            "{text}"
        );
    }
    let cases = fixture("client_frames_invalid_body.jsonl");
    for text in cases.lines() {
        assert!(
            invalid_body(text),
            "{text} → {:?}",
            parse_client_message(text)
        );
    }
}

#[test]
fn connect_with_null_pong_is_accepted_as_absent() {
    let message = parse_client_message(
        r#"{"type":"connect","body":{"channel":"main","id":"1","pong":null}}"#,
    )
    .expect("parse");
    assert!(matches!(
        message,
        ClientMessage::Connect(ConnectBody { pong: None, .. })
    ));
}

#[test]
fn unknown_type_without_body_is_kept() {
    let message = parse_client_message(r#"{"type":"futureThing"}"#).expect("parse");
    assert_eq!(
        message,
        ClientMessage::Unknown {
            kind: "futureThing".into(),
            body: None,
        }
    );
    assert_eq!(message.to_value(), json!({"type": "futureThing"}));
}

proptest! {
    #[test]
    fn parse_client_message_never_panics_on_any_text(text in ".*") {
        let _ = parse_client_message(&text);
    }

    #[test]
    fn parse_client_message_never_panics_on_frame_like_json(
        kind in prop_oneof![
            Just("connect"), Just("disconnect"), Just("channel"), Just("ch"), Just("subNote"),
            Just("s"), Just("sr"), Just("unsubNote"), Just("un"), Just("readNotification"), Just("x")
        ],
        id in prop_oneof![Just(json!("1")), Just(json!(1)), Just(Value::Null), Just(json!([]))],
        body_kind in 0u8..4,
    ) {
        let body = match body_kind {
            0 => json!({"id": id, "channel": id, "type": id, "body": id, "params": id, "pong": id}),
            1 => json!({"id": id}),
            2 => id.clone(),
            _ => json!([id]),
        };
        let text = json!({"type": kind, "body": body}).to_string();
        if let Ok(message) = parse_client_message(&text) {
            prop_assert_eq!(parse_client_message(&message.to_json()), Ok(message));
        }
    }
}

// ---------- server → client ----------

#[test]
fn spec_server_frames_round_trip_exactly() {
    let text = fixture("server_frames.jsonl");
    let frames: Vec<ServerMessage> = text
        .lines()
        .map(|line| ServerMessage::parse(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    for (line, frame) in text.lines().zip(&frames) {
        assert_eq!(frame.to_value(), as_value(line));
        let via_serde: ServerMessage = serde_json::from_str(line).expect("serde");
        assert_eq!(&via_serde, frame);
    }
    assert!(
        matches!(&frames[0], ServerMessage::Channel { id, kind, .. } if id == "1" && kind == "note")
    );
    assert!(matches!(
        &frames[1],
        ServerMessage::Channel {
            body: Value::Null,
            ..
        }
    ));
    assert_eq!(frames[3], ServerMessage::Connected { id: "a".into() });
    let ServerMessage::NoteUpdated { id, kind, body } = &frames[2] else {
        panic!("expected noteUpdated: {:?}", frames[2]);
    };
    let event = NoteUpdatedEvent::from_parts(kind, body).expect("typed");
    let expected = NoteUpdatedEvent::Reacted(ReactedBody {
        reaction: "👍".into(),
        emoji: None,
        user_id: "9zzz0000abcd0001".into(),
    });
    assert_eq!(event, expected);
    assert_eq!(ServerMessage::note_updated(id.clone(), &event), frames[2]);
}

#[test]
fn broadcasts_are_kept_generic_and_payloadless_events_write_null() {
    let line = r#"{"type":"emojiAdded","body":{"emoji":{"id":"e1","name":"blob"}}}"#;
    let frame = ServerMessage::parse(line).expect("parse");
    assert_eq!(frame.type_name(), "emojiAdded");
    assert_eq!(frame.to_value(), as_value(line));
    let read_all =
        ServerMessage::channel_event("2", "readAllNotifications", &Value::Null).expect("build");
    assert_eq!(
        read_all.to_value(),
        json!({"type": "channel", "body": {"id": "2", "type": "readAllNotifications", "body": null}})
    );
    for bad in [
        "h",
        "[1]",
        r#"{"type":"channel","body":{"type":"note"}}"#,
        r#"{"type":"connected","body":null}"#,
    ] {
        assert!(ServerMessage::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn note_updated_deleted_and_poll_voted_decode() {
    let deleted =
        NoteUpdatedEvent::from_parts("deleted", &json!({"deletedAt": "2026-05-06T10:00:00.000Z"}))
            .expect("deleted");
    assert_eq!(deleted.type_name(), "deleted");
    assert_eq!(
        deleted.body_value(),
        json!({"deletedAt": "2026-05-06T10:00:00.000Z"})
    );
    let voted = NoteUpdatedEvent::from_parts("pollVoted", &json!({"choice": 1, "userId": "u"}))
        .expect("voted");
    assert_eq!(voted.body_value(), json!({"choice": 1, "userId": "u"}));
    assert!(NoteUpdatedEvent::from_parts("reacted", &json!({"nope": 1})).is_err());
    assert!(NoteUpdatedEvent::from_parts("exploded", &json!({})).is_err());
}

// ---------- entities ----------

#[test]
fn spec_minimal_note_round_trips() {
    let text = fixture("note_minimal.json");
    let note: Note = serde_json::from_str(&text).expect("parse");
    let written = serde_json::to_value(&note).expect("serialize");
    // The spec example omits isBot/isCat, which the server always sends (misskey.md §6.3).
    let mut expected = as_value(&text);
    expected["user"]["isBot"] = json!(false);
    expected["user"]["isCat"] = json!(false);
    assert_eq!(written, expected);
    let reparsed: Note = serde_json::from_value(written).expect("reparse");
    assert_eq!(reparsed, note);
    assert_eq!(note.visibility, Visibility::Public);
    assert!(!note.is_pure_renote());
}

/// Key lists from misskey.md §6.2/§6.3, kept in a fixture.
fn keys(group: &str) -> Vec<String> {
    let all = as_value(&fixture("required_keys.json"));
    serde_json::from_value(all[group].clone()).expect("key list")
}

#[test]
fn default_built_note_writes_every_required_key() {
    let note = Note {
        id: "aa0b1c2d3e4f0002".into(),
        user: UserLite {
            id: "u1".into(),
            username: "bob".into(),
            ..UserLite::default()
        },
        renote_id: Some("aa0b1c2d3e4f0001".into()),
        ..Note::default()
    };
    assert!(note.is_pure_renote());
    let written = serde_json::to_value(&note).expect("serialize");
    let object = written.as_object().expect("object");
    for key in keys("note") {
        assert!(object.contains_key(&key), "missing {key}");
    }
    for key in ["text", "cw", "replyId", "reactionAcceptance"] {
        assert_eq!(object[key], Value::Null, "{key} must be null");
    }
    for key in keys("note_absent_when_unset") {
        assert!(!object.contains_key(&key), "{key} must be absent");
    }
    let user = object["user"].as_object().expect("user");
    for key in keys("user_lite") {
        assert!(user.contains_key(&key), "user missing {key}");
    }
    assert_eq!(user["onlineStatus"], json!("unknown"));
    assert_eq!(object["visibility"], json!("public"));
}

#[test]
fn me_detailed_writes_all_required_keys_and_round_trips() {
    let mut me = MeDetailed::default();
    me.user.lite.id = "u1".into();
    me.user.lite.username = "alice".into();
    let written = serde_json::to_value(&me).expect("serialize");
    let object = written.as_object().expect("object");
    let me_only = keys("me_detailed_only");
    assert_eq!(me_only.len(), 38);
    let all = [keys("user_lite"), keys("user_detailed"), me_only].concat();
    for key in all {
        assert!(object.contains_key(&key), "MeDetailed missing {key}");
    }
    assert_eq!(object["policies"]["ltlAvailable"], json!(true));
    assert_eq!(object["policies"]["gtlAvailable"], json!(true));
    assert!(!object.contains_key("isFollowing"));
    let reparsed: MeDetailed = serde_json::from_value(written).expect("reparse");
    assert_eq!(reparsed, me);
}

#[test]
fn notification_types_round_trip_including_unknown() {
    let follow = Notification::new("n1", "2026-05-06T10:00:00.000Z", NotificationType::Follow)
        .with_user(UserLite {
            id: "u2".into(),
            username: "carol".into(),
            ..UserLite::default()
        });
    let written = serde_json::to_value(&follow).expect("serialize");
    assert_eq!(written["type"], json!("follow"));
    assert_eq!(written["userId"], json!("u2"));
    assert!(written.get("note").is_none());
    let reparsed: Notification = serde_json::from_value(written).expect("reparse");
    assert_eq!(reparsed, follow);

    let grouped: Notification = serde_json::from_value(json!({
        "id": "n2", "createdAt": "2026-05-06T10:00:00.000Z", "type": "reaction:grouped",
        "reactions": []
    }))
    .expect("grouped");
    assert_eq!(grouped.kind, NotificationType::ReactionGrouped);

    let future: Notification = serde_json::from_value(json!({
        "id": "n3", "createdAt": "2026-05-06T10:00:00.000Z", "type": "brandNewType", "extra": 1
    }))
    .expect("unknown type");
    assert_eq!(future.kind, NotificationType::Other("brandNewType".into()));
    assert_eq!(
        serde_json::to_value(&future).expect("ser")["type"],
        json!("brandNewType")
    );
}

#[test]
fn error_body_round_trips_exactly_and_maps_status() {
    let text = fixture("error_no_such_note.json");
    let body: ApiErrorBody = serde_json::from_str(&text).expect("parse");
    assert_eq!(serde_json::to_value(&body).expect("ser"), as_value(&text));
    assert_eq!(body, ApiErrorBody::no_such_note());
    assert_eq!(body.http_status(), 400);
    assert_eq!(ApiErrorBody::authentication_failed().http_status(), 401);
    assert_eq!(ApiErrorBody::credential_required().http_status(), 401);
    assert_eq!(ApiErrorBody::permission_denied().http_status(), 403);
    assert_eq!(ApiErrorBody::rate_limit_exceeded(None).http_status(), 429);
    assert_eq!(ApiErrorBody::internal_error().http_status(), 500);
    let invalid = serde_json::to_value(ApiErrorBody::invalid_param(
        "#/properties/limit",
        "must be <= 100",
    ))
    .expect("ser");
    assert_eq!(
        invalid["error"]["info"]["param"],
        json!("#/properties/limit")
    );
    assert_eq!(invalid["error"]["kind"], json!("client"));
    // kind defaults to client when absent on input
    let no_kind: ApiErrorBody =
        serde_json::from_value(json!({"error": {"message": "m", "code": "C", "id": "i"}}))
            .expect("parse");
    assert_eq!(no_kind.error.kind, ErrorKind::Client);
    assert!(
        serde_json::to_value(&no_kind).expect("ser")["error"]
            .get("info")
            .is_none()
    );
}

#[test]
fn instance_meta_keeps_version_string_and_extra_keys() {
    let meta: InstanceMeta = serde_json::from_value(json!({
        "version": "2026.5.1", "name": "pnutkey", "uri": "http://127.0.0.1",
        "maxNoteTextLength": 256, "features": {"localTimeline": true}
    }))
    .expect("parse");
    assert_eq!(meta.version, "2026.5.1");
    assert_eq!(meta.max_note_text_length, 256);
    let written = serde_json::to_value(&meta).expect("ser");
    assert_eq!(written["features"], json!({"localTimeline": true}));
    assert_eq!(written["policies"]["ltlAvailable"], json!(true));
    assert!(written["version"].is_string());
}

#[test]
fn request_bodies_ignore_the_token_and_keep_absent_keys_absent() {
    let create: NoteCreateRequest = serde_json::from_value(json!({
        "i": "secret", "text": "hi", "replyId": "aa0b1c2d3e4f0001", "visibility": "home"
    }))
    .expect("parse");
    assert_eq!(create.visibility, Some(Visibility::Home));
    assert_eq!(create.reply_id.as_deref(), Some("aa0b1c2d3e4f0001"));
    let written = serde_json::to_value(&create).expect("ser");
    assert_eq!(
        written,
        json!({"text": "hi", "visibility": "home", "replyId": "aa0b1c2d3e4f0001"})
    );
    let list: NoteIdRequest =
        serde_json::from_value(json!({"noteId": "n", "sinceId": "a", "limit": 5})).expect("parse");
    assert_eq!(list.pagination.since_id.as_deref(), Some("a"));
    assert_eq!(list.pagination.limit, Some(5));
    assert!(serde_json::from_value::<NoteIdRequest>(json!({"limit": 5})).is_err());
    let created = serde_json::to_value(CreatedNote::default()).expect("ser");
    assert!(created.get("createdNote").is_some());
}

#[test]
fn following_item_parses_with_nested_user_detailed() {
    let item: pnutkey::misskey::Following = serde_json::from_value(json!({
        "id": "f1", "createdAt": "2026-05-06T10:00:00.000Z", "followeeId": "u2", "followerId": "u1",
        "followee": {"id": "u2", "username": "bob", "name": null, "host": null,
                     "avatarUrl": "https://x/a", "createdAt": "2026-01-01T00:00:00.000Z",
                     "followersCount": 3, "unknownKey": true}
    }))
    .expect("parse");
    let followee = item.followee.as_ref().expect("followee");
    assert_eq!(followee.lite.username, "bob");
    assert_eq!(followee.detail.followers_count, 3);
    let written = serde_json::to_value(&item).expect("ser");
    assert!(written.get("follower").is_none());
    assert_eq!(written["followee"]["followersCount"], json!(3));
    assert!(written["followee"].get("unknownKey").is_none());
}
