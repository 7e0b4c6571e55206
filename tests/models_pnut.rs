//! Wire-model tests for `pnutkey::pnut`: every example JSON of pnut-api.md round-trips.

use pnutkey::pnut::{
    AccessTokenResponse, Channel, Content, Entities, Envelope, ErrorEnvelope, EventData, EventKind,
    FollowEvent, Mention, Message, Meta, Post, PostRequest, Raw, StreamEvent, StreamHello, Token,
    TokenApp, User, hello_frame, language, oembeds, push_oembeds,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/models/pnut/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("read {path}: {err}"))
}

/// Parses `text` as `T`, checks parse → serialize → parse is stable, and returns the value
/// plus its serialized JSON.
fn round_trip<T>(text: &str) -> (T, Value)
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let parsed: T = serde_json::from_str(text).expect("parse");
    let written = serde_json::to_value(&parsed).expect("serialize");
    let reparsed: T = serde_json::from_value(written.clone()).expect("reparse");
    assert_eq!(parsed, reparsed);
    (parsed, written)
}

fn as_value(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

#[test]
fn stream_hello_round_trips_exactly() {
    let text = fixture("stream_hello.json");
    let (hello, written) = round_trip::<StreamHello>(&text);
    assert_eq!(written, as_value(&text));
    assert!(hello.is_hello());
    assert_eq!(
        hello.meta.connection_id.as_deref(),
        Some("5AjC6sMJrR2VueG3lHmiDTTECjzMr68i")
    );
    // The endpoint as the fixture (pnut's documented hello) writes it, read from the raw JSON.
    let endpoint = as_value(&text)["meta"]["stream"]["endpoint"]
        .as_str()
        .expect("the fixture names its endpoint")
        .to_owned();
    let built = hello_frame(endpoint, "5AjC6sMJrR2VueG3lHmiDTTECjzMr68i");
    assert_eq!(built, hello);
    let built_json = serde_json::to_value(&built).expect("serialize");
    assert!(built_json.get("data").is_none(), "hello has no data key");
    assert!(
        built_json["meta"].get("code").is_none(),
        "hello has no code"
    );
}

#[test]
fn subscribe_response_round_trips_exactly() {
    let text = fixture("subscribe_response.json");
    let (envelope, written) = round_trip::<Envelope<Vec<Post>>>(&text);
    assert_eq!(written, as_value(&text));
    assert_eq!(envelope.meta.code, Some(200));
    assert_eq!(envelope.meta.more, Some(true));
    assert_eq!(envelope.meta.min_id.as_deref(), Some("2795"));
    assert_eq!(
        envelope.meta.subscription_id.as_deref(),
        Some("So2e3-W76iI8nuX1UWDer_RpzVYPhxDS")
    );
    assert_eq!(envelope.data, Some(Vec::new()));
    assert!(!envelope.is_error());
    assert!(!envelope.is_hello());
}

#[test]
fn message_event_frame_round_trips_exactly() {
    let text = fixture("event_message.json");
    let (event, written) = round_trip::<StreamEvent>(&text);
    assert_eq!(written, as_value(&text));
    assert_eq!(event.meta.timestamp, Some(1534019721));
    assert_eq!(event.meta.id.as_deref(), Some("71"));
    assert_eq!(event.meta.subscription_ids.as_ref().map(Vec::len), Some(2));
    assert_eq!(event.meta.channel_type.as_deref(), Some("io.pnut.core.pm"));
    assert!(matches!(event.data, Some(EventData::List(ref items)) if items.len() == 1));
    // The spec's placeholder is a string, not a message object: typed access must fail cleanly.
    let data = event.data.expect("data");
    assert!(data.messages().is_err());
}

#[test]
fn error_envelope_round_trips_without_data() {
    let text = fixture("error.json");
    let (error, written) = round_trip::<ErrorEnvelope>(&text);
    assert_eq!(written, as_value(&text));
    assert!(error.is_error());
    assert_eq!(error.meta.code, Some(403));
    let built = serde_json::to_value(ErrorEnvelope::error(400, "too many subscriptions"))
        .expect("serialize");
    assert_eq!(
        built,
        json!({"meta": {"code": 400, "error_message": "too many subscriptions"}})
    );
}

#[test]
fn post_example_round_trips_exactly() {
    let text = fixture("post_raw.json");
    let (post, written) = round_trip::<Post>(&text);
    assert_eq!(written, as_value(&text));
    assert_eq!(post.author_id(), Some("1"));
    assert!(!post.deleted());
    let raw = post.raw.as_ref().expect("raw");
    assert_eq!(
        raw["io.pnut.core.language"],
        vec![json!({"language": "en"})]
    );
    let user = post.user.as_ref().expect("user");
    assert_eq!(user.kind.as_deref(), Some("human"));
    assert_eq!(
        user.content
            .as_ref()
            .and_then(|c| c.avatar_image.as_ref())
            .map(|i| i.width),
        Some(200)
    );
}

#[test]
fn token_example_round_trips_exactly() {
    let text = fixture("token.json");
    let (token, written) = round_trip::<Token>(&text);
    assert_eq!(written, as_value(&text));
    assert_eq!(token.scopes, vec!["basic", "stream", "..."]);
    assert_eq!(
        token
            .user
            .and_then(|u| u.content)
            .and_then(|c| c.markdown_text),
        Some("hi".to_owned())
    );
}

fn sample_post(id: &str) -> Post {
    Post {
        id: id.to_owned(),
        created_at: "2026-05-06T10:00:00Z".to_owned(),
        thread_id: id.to_owned(),
        user: Some(Box::new(User {
            id: "7".to_owned(),
            username: "bob".to_owned(),
            created_at: "2020-01-01T00:00:00Z".to_owned(),
            ..User::default()
        })),
        content: Some(Content {
            text: "hi @alice".to_owned(),
            html: None,
            entities: Entities {
                mentions: vec![Mention {
                    pos: 3,
                    len: 6,
                    text: "alice".to_owned(),
                    id: "1".to_owned(),
                    ..Mention::default()
                }],
                ..Entities::default()
            },
        }),
        ..Post::default()
    }
}

#[test]
fn optional_post_fields_are_absent_not_null() {
    let written = serde_json::to_value(sample_post("10")).expect("serialize");
    let object = written.as_object().expect("object");
    for absent in [
        "is_deleted",
        "is_nsfw",
        "is_revised",
        "reply_to",
        "repost_of",
        "raw",
        "user_id",
        "you_bookmarked",
        "pagination_id",
    ] {
        assert!(!object.contains_key(absent), "{absent} must be absent");
    }
    assert_eq!(
        written["content"]["entities"],
        json!({"links": [], "mentions": [{"pos": 3, "len": 6, "text": "alice", "id": "1"}], "tags": []})
    );
    assert!(object.values().all(|v| !v.is_null()), "no nulls: {written}");
}

#[test]
fn post_event_data_is_a_list_and_decodes() {
    assert!(EventKind::Post.data_is_list());
    let posts = vec![sample_post("10"), sample_post("11")];
    let data = EventData::list(&posts).expect("list");
    let frame = StreamEvent::event("10", 1_700_000_000, vec!["sub-a".to_owned()], data);
    let text = serde_json::to_string(&frame).expect("serialize");
    let (parsed, written) = round_trip::<StreamEvent>(&text);
    assert!(written["data"].is_array());
    assert_eq!(written["meta"]["subscription_ids"], json!(["sub-a"]));
    assert_eq!(parsed.data.expect("data").posts().expect("posts"), posts);
}

#[test]
fn follow_event_data_is_an_object_and_decodes() {
    assert!(!EventKind::Follow.data_is_list());
    let follow = FollowEvent {
        user: User {
            id: "1".to_owned(),
            username: "alice".to_owned(),
            ..User::default()
        },
        followed_user: User {
            id: "2".to_owned(),
            username: "bob".to_owned(),
            ..User::default()
        },
    };
    let frame = StreamEvent::event(
        "2",
        1_700_000_000,
        vec!["s1".to_owned(), "s2".to_owned()],
        EventData::object(&follow).expect("object"),
    );
    let text = serde_json::to_string(&frame).expect("serialize");
    let (parsed, written) = round_trip::<StreamEvent>(&text);
    assert!(written["data"].is_object());
    assert_eq!(written["data"]["followed_user"]["username"], "bob");
    let data = parsed.data.expect("data");
    assert_eq!(data.follow().expect("follow"), follow);
    // A list accessor on single-object data of the wrong type fails instead of panicking.
    assert!(data.posts().is_err());
}

#[test]
fn object_accessor_on_list_data_fails_cleanly() {
    let data = EventData::list(&[sample_post("1")]).expect("list");
    assert!(data.token().is_err());
    assert!(data.channel().is_err());
}

#[test]
fn channel_acl_accepts_numeric_user_ids() {
    let channel: Channel = serde_json::from_value(json!({
        "id": "5", "type": "io.pnut.core.pm",
        "acl": {"full": {"immutable": true, "you": true, "user_ids": []},
                "write": {"any_user": false, "immutable": true, "you": true, "user_ids": [1, "2"]},
                "read": {"any_user": false, "immutable": true, "public": false, "you": true, "user_ids": [1, 2]}},
        "counts": {"messages": 3},
        "you_subscribed": true
    }))
    .expect("parse");
    let acl = channel.acl.expect("acl");
    assert_eq!(acl.write.user_ids, vec!["1", "2"]);
    assert_eq!(acl.read.user_ids, vec!["1", "2"]);
    assert!(channel.user.is_none());
}

#[test]
fn message_always_writes_is_sticky_and_ignores_unknown_fields() {
    let message: Message = serde_json::from_value(json!({
        "id": "9", "channel_id": "5", "created_at": "2026-01-01T00:00:00Z", "thread_id": "9",
        "content": {"text": "yo", "entities": {}}, "some_future_field": {"x": 1}
    }))
    .expect("parse");
    assert!(!message.is_sticky);
    let written = serde_json::to_value(&message).expect("serialize");
    assert_eq!(written["is_sticky"], json!(false));
    assert!(written.get("some_future_field").is_none());
    assert_eq!(
        written["content"]["entities"],
        json!({"links": [], "mentions": [], "tags": []})
    );
}

#[test]
fn stream_event_meta_flags_round_trip() {
    let frame: StreamEvent = serde_json::from_value(json!({
        "meta": {"timestamp": 1, "id": "3", "subscription_ids": ["a"], "is_deleted": true, "revision": 2},
        "data": [{"id": "3", "created_at": "2026-01-01T00:00:00Z", "thread_id": "3", "is_deleted": true}]
    }))
    .expect("parse");
    assert_eq!(frame.meta.is_deleted, Some(true));
    assert_eq!(frame.meta.revision, Some(2));
    let posts = frame.data.expect("data").posts().expect("posts");
    assert!(posts[0].deleted());
    assert!(posts[0].content.is_none());
}

#[test]
fn access_token_debug_does_not_leak_the_token() {
    let response = AccessTokenResponse {
        access_token: "secret-token-value".to_owned(),
        token: Token {
            app: TokenApp {
                id: "app".to_owned(),
                ..TokenApp::default()
            },
            ..Token::default()
        },
        user_id: "1".to_owned(),
        username: "alice".to_owned(),
    };
    let debug = format!("{response:?}");
    assert!(!debug.contains("secret-token-value"));
    assert!(debug.contains("alice"));
}

#[test]
fn envelope_meta_default_serializes_empty() {
    let envelope: Envelope<Value> = Envelope {
        meta: Meta::default(),
        data: None,
    };
    assert_eq!(
        serde_json::to_value(envelope).expect("ser"),
        json!({"meta": {}})
    );
}

#[test]
fn post_request_writes_only_set_keys() {
    let request = PostRequest {
        text: "hello".to_owned(),
        reply_to: Some("12".to_owned()),
        ..PostRequest::default()
    };
    assert_eq!(
        serde_json::to_value(&request).expect("ser"),
        json!({"text": "hello", "reply_to": "12"})
    );
    let parsed: PostRequest = serde_json::from_value(json!({
        "text": "x", "entities": {"parse_links": true}, "unknown": 1
    }))
    .expect("parse");
    assert_eq!(parsed.entities.and_then(|e| e.parse_links), Some(true));
}

#[test]
fn bare_client_id_source_is_accepted() {
    let post: Post = serde_json::from_value(json!({
        "id": "1", "created_at": "2026-01-01T00:00:00Z", "thread_id": "1", "source": "abc"
    }))
    .expect("parse");
    assert_eq!(post.source.map(|s| s.id), Some("abc".to_owned()));
    let message: Message = serde_json::from_value(json!({
        "id": "2", "channel_id": "5", "source": {"id": "x", "name": "n", "url": "u"}
    }))
    .expect("parse");
    assert_eq!(message.source.map(|s| s.name), Some("n".to_owned()));
    let bad: Result<Post, _> = serde_json::from_value(json!({
        "id": "1", "created_at": "x", "thread_id": "1", "source": 5
    }));
    assert!(bad.is_err());
}

#[test]
fn oembed_raw_helpers_read_and_write_photos() {
    let mut raw = Raw::new();
    raw.insert(
        "io.pnut.core.oembed".to_owned(),
        vec![
            json!({"type": "photo", "version": "1.0", "url": "https://x/p.png", "width": 10, "height": 20}),
            json!("not an object"),
        ],
    );
    raw.insert(
        "io.pnut.core.language".to_owned(),
        vec![json!({"language": "en"})],
    );
    let photos = oembeds(&raw);
    assert_eq!(photos.len(), 1);
    assert_eq!(photos[0].url.as_deref(), Some("https://x/p.png"));
    assert_eq!(language(&raw), Some("en".to_owned()));
    let mut fresh = Raw::new();
    push_oembeds(&mut fresh, &photos).expect("push");
    assert_eq!(
        serde_json::to_value(&fresh).expect("ser"),
        json!({"io.pnut.core.oembed": [{"type": "photo", "version": "1.0", "url": "https://x/p.png", "width": 10, "height": 20}]})
    );
    assert!(oembeds(&Raw::new()).is_empty());
    assert_eq!(language(&Raw::new()), None);
}
