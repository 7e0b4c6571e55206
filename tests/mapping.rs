//! Resolution through the default mapping tables: every row of mapping.md §3.1 and §4.2.

use std::collections::BTreeMap;

use pnutkey::mapping::catalog::SUBSCRIBABLE_PNUT_ENDPOINTS;
use pnutkey::mapping::{
    ChannelJoin, MAX_NEEDS_PER_CONNECT, MappingError, MappingTables, NoteFilters, PollEntry,
    SubscriptionKey, UpstreamNeed, connect_filters, is_known_misskey_channel, resolve_connect,
    resolve_subscribe,
};
use serde_json::{Value, json};

fn sub(endpoint: &str) -> UpstreamNeed {
    UpstreamNeed::Subscribe(SubscriptionKey {
        endpoint: endpoint.to_owned(),
        params: BTreeMap::new(),
    })
}

fn poll(endpoint: &str) -> UpstreamNeed {
    UpstreamNeed::Poll(PollEntry {
        endpoint: endpoint.to_owned(),
        params: BTreeMap::new(),
    })
}

fn connect(channel: &str, params: Value) -> Result<Vec<UpstreamNeed>, MappingError> {
    resolve_connect(&MappingTables::default(), channel, &params)
}

fn needs(channel: &str, params: Value) -> Vec<UpstreamNeed> {
    connect(channel, params).unwrap_or_else(|e| panic!("{channel}: {e}"))
}

#[test]
fn timelines_subscribe_or_poll_as_the_table_says() {
    assert_eq!(
        needs("homeTimeline", json!({})),
        vec![sub("/posts/streams/me")]
    );
    assert_eq!(
        needs(
            "homeTimeline",
            json!({"withRenotes": false, "withFiles": true})
        ),
        vec![sub("/posts/streams/me")],
        "filters do not change the shared subscription key"
    );
    assert_eq!(
        needs("hybridTimeline", json!({})),
        vec![sub("/posts/streams/unified")]
    );
    assert_eq!(
        needs("localTimeline", json!({})),
        vec![poll("/posts/streams/global")]
    );
    assert_eq!(
        needs("globalTimeline", json!({})),
        vec![poll("/posts/streams/global")]
    );
}

#[test]
fn hashtag_polls_each_tag_once() {
    assert_eq!(
        needs(
            "hashtag",
            json!({"q": [["rust", "pnut"], ["rust"], ["misskey"]]})
        ),
        vec![
            poll("/posts/tags/rust"),
            poll("/posts/tags/pnut"),
            poll("/posts/tags/misskey"),
        ]
    );
    assert_eq!(
        connect("hashtag", json!({})),
        Err(MappingError::MissingParam {
            channel: "hashtag".into(),
            param: "q".into()
        })
    );
    assert!(matches!(
        connect("hashtag", json!({"q": [[]]})),
        Err(MappingError::BadParam { .. })
    ));
    assert!(matches!(
        connect("hashtag", json!({"q": [["a/b"]]})),
        Err(MappingError::BadParam { .. })
    ));
    let many: Vec<Vec<String>> = (0..=MAX_NEEDS_PER_CONNECT)
        .map(|i| vec![format!("tag{i}")])
        .collect();
    assert!(matches!(
        connect("hashtag", json!({ "q": many })),
        Err(MappingError::BadParam { .. } | MappingError::TooManyNeeds { .. })
    ));
}

#[test]
fn channel_fills_its_channel_id() {
    assert_eq!(
        needs("channel", json!({"channelId": "42"})),
        vec![sub("/channels/42/messages")]
    );
    assert_eq!(
        connect("channel", json!({})),
        Err(MappingError::MissingParam {
            channel: "channel".into(),
            param: "channelId".into()
        })
    );
    for bad in [
        json!(""),
        json!("../x"),
        json!("a?b"),
        json!(true),
        json!({"x": 1}),
    ] {
        assert!(
            matches!(
                connect("channel", json!({ "channelId": bad })),
                Err(MappingError::BadParam { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn main_and_drive_subscribe_their_endpoints() {
    assert_eq!(
        needs("main", json!({})),
        vec![
            sub("/users/me/mentions"),
            sub("/users/me/followers"),
            sub("/users/me/following"),
            sub("/token"),
            sub("/users/me/files"),
        ]
    );
    assert_eq!(needs("drive", json!({})), vec![sub("/users/me/files")]);
}

#[test]
fn unmapped_and_unknown_channels_need_nothing_and_are_told_apart() {
    for channel in [
        "userList",
        "antenna",
        "roleTimeline",
        "serverStats",
        "chatRoom",
    ] {
        assert_eq!(needs(channel, json!({"listId": "x"})), Vec::new());
        assert!(is_known_misskey_channel(channel), "{channel}");
    }
    assert_eq!(needs("nope", json!({})), Vec::new());
    assert!(!is_known_misskey_channel("nope"));
    assert!(!is_known_misskey_channel("HomeTimeline"));
}

#[test]
fn connect_filters_follow_the_params_listed_as_filters() {
    let tables = MappingTables::default();
    assert_eq!(
        connect_filters(&tables, "homeTimeline", &json!({})),
        NoteFilters::default()
    );
    let f = connect_filters(
        &tables,
        "homeTimeline",
        &json!({"withRenotes": false, "withFiles": true, "withReplies": true}),
    );
    assert!(!f.with_renotes);
    assert!(f.with_files);
    assert!(!f.with_replies, "homeTimeline does not list withReplies");
    let f = connect_filters(&tables, "hybridTimeline", &json!({"withReplies": true}));
    assert!(f.with_replies);
    let f = connect_filters(&tables, "homeTimeline", &json!({"withRenotes": "no"}));
    assert!(f.with_renotes, "a non-boolean keeps the default");
}

fn plan(path: &str) -> pnutkey::mapping::SubscribePlan {
    resolve_subscribe(&MappingTables::default(), path, &BTreeMap::new())
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn joins(names: &[&str]) -> Vec<ChannelJoin> {
    names.iter().map(|n| ChannelJoin::bare(n)).collect()
}

#[test]
fn every_bridged_endpoint_row_resolves() {
    let rows: &[(&str, &[&str], &[&str], bool)] = &[
        (
            "/posts/streams/me",
            &["homeTimeline"],
            &["notes/timeline"],
            false,
        ),
        (
            "/posts/streams/unified",
            &["homeTimeline", "main"],
            &["notes/timeline", "notes/mentions"],
            false,
        ),
        ("/users/me/posts", &["homeTimeline"], &["users/notes"], true),
        ("/users/me/mentions", &["main"], &["notes/mentions"], false),
        (
            "/users/me/followers",
            &["main"],
            &["users/followers"],
            false,
        ),
        (
            "/users/me/following",
            &["main"],
            &["users/following"],
            false,
        ),
        ("/token", &["main"], &["i"], false),
        ("/users/me/files", &["drive"], &["drive/files"], false),
    ];
    for (path, channels, first_page, own_only) in rows {
        let p = plan(path);
        assert_eq!(p.endpoint, *path);
        assert_eq!(p.joins, joins(channels), "{path}");
        assert_eq!(p.first_page, first_page.to_vec(), "{path}");
        assert_eq!(p.own_only, *own_only, "{path}");
        assert_eq!(p.capture, None, "{path}");
    }
}

#[test]
fn thread_captures_the_post_and_joins_main_and_home() {
    let p = plan("/posts/123/thread");
    assert_eq!(p.endpoint, "/posts/{post_id}/thread");
    assert_eq!(p.capture.as_deref(), Some("123"));
    // homeTimeline too: a reply to a reply in the thread comes only there (issue 15).
    assert_eq!(p.joins, joins(&["homeTimeline", "main"]));
    assert_eq!(p.first_page, vec!["notes/show", "notes/children"]);
    assert_eq!(p.captures.get("post_id").map(String::as_str), Some("123"));
}

#[test]
fn channel_messages_join_the_misskey_channel_with_its_id() {
    let p = plan("/v1/channels/77/messages");
    assert_eq!(p.endpoint, "/channels/{channel_id}/messages");
    assert_eq!(
        p.joins,
        vec![ChannelJoin {
            channel: "channel".into(),
            params: json!({"channelId": "77"})
        }]
    );
    assert_eq!(p.first_page, vec!["channels/timeline"]);
}

#[test]
fn not_bridged_rows_are_refused_naming_the_endpoint() {
    let rows = [
        (
            "/users/me/channels/subscribed",
            "/users/me/channels/subscribed",
        ),
        ("/channels", "/channels"),
        (
            "/channels/5/subscribers",
            "/channels/{channel_id}/subscribers",
        ),
        ("/presence", "/presence"),
        ("/channels/5/presence", "/channels/{channel_id}/presence"),
    ];
    for (path, pattern) in rows {
        assert_eq!(
            resolve_subscribe(&MappingTables::default(), path, &BTreeMap::new()),
            Err(MappingError::NotBridged {
                endpoint: pattern.to_owned()
            }),
            "{path}"
        );
    }
}

#[test]
fn unknown_paths_are_a_typed_error() {
    for path in [
        "/posts/streams/global",
        "/posts/1/2/thread",
        "/",
        "/posts//thread",
    ] {
        assert!(
            matches!(
                resolve_subscribe(&MappingTables::default(), path, &BTreeMap::new()),
                Err(MappingError::UnknownEndpoint { .. })
            ),
            "{path}"
        );
    }
}

#[test]
fn a_subscribable_endpoint_missing_from_the_table_is_not_bridged() {
    let mut tables = MappingTables::default();
    tables.pnut_endpoints.remove("/token");
    assert_eq!(
        resolve_subscribe(&tables, "/token", &BTreeMap::new()),
        Err(MappingError::NotBridged {
            endpoint: "/token".into()
        })
    );
}

#[test]
fn subscribe_query_keeps_filters_and_drops_connection_and_token() {
    let query: BTreeMap<String, String> = [
        ("connection_id", "abc"),
        ("access_token", "secret"),
        ("include_deleted", "0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let p = resolve_subscribe(&MappingTables::default(), "/posts/streams/me", &query)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.query.len(), 1);
    assert_eq!(
        p.query.get("include_deleted").map(String::as_str),
        Some("0")
    );
}

#[test]
fn the_default_endpoint_table_covers_every_subscribable_endpoint() {
    let tables = MappingTables::default();
    for endpoint in SUBSCRIBABLE_PNUT_ENDPOINTS {
        assert!(tables.pnut_endpoints.contains_key(*endpoint), "{endpoint}");
    }
    assert_eq!(
        tables.pnut_endpoints.len(),
        SUBSCRIBABLE_PNUT_ENDPOINTS.len()
    );
}

#[test]
fn configured_query_params_become_part_of_the_key() {
    let config = pnutkey::config::parse_str(
        "[mapping.misskey_channels.homeTimeline]\npnut = [\"/posts/streams/me\"]\nquery = { include_deleted = \"0\" }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let needs = resolve_connect(&config.mapping, "homeTimeline", &json!({}))
        .unwrap_or_else(|e| panic!("{e}"));
    let expected: BTreeMap<String, String> =
        [("include_deleted".to_owned(), "0".to_owned())].into();
    assert_eq!(
        needs,
        vec![UpstreamNeed::Subscribe(SubscriptionKey {
            endpoint: "/posts/streams/me".into(),
            params: expected
        })]
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[a-z/{}.?%]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-zA-Z]{1,10}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn resolve_subscribe_on_any_path(path in "(/[a-z0-9{}.]{0,6}){0,5}") {
            let _ = resolve_subscribe(&MappingTables::default(), &path, &BTreeMap::new());
        }

        #[test]
        fn resolve_connect_on_any_params(
            channel in prop::sample::select(vec!["hashtag", "channel", "homeTimeline", "main", "x"]),
            params in json_value(),
        ) {
            let tables = MappingTables::default();
            if let Ok(needs) = resolve_connect(&tables, channel, &params) {
                prop_assert!(needs.len() <= MAX_NEEDS_PER_CONNECT);
            }
            let _ = connect_filters(&tables, channel, &params);
        }

        #[test]
        fn parse_str_on_any_text(text in "[\\[\\]a-z_=\"0-9. \n{}/]{0,80}") {
            let _ = pnutkey::config::parse_str(&text);
        }
    }
}
