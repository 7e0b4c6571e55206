//! Entry points of the `cargo fuzz` targets (`fuzz/fuzz_targets/*.rs`) and of their regression
//! tests (`tests/fuzz_regressions.rs`): each feeds untrusted bytes to the code the bridge runs
//! on that input (the same functions, not copies) and returns what the bridge would send on,
//! so a target can check the output too. None of them does IO or panics on any input.

use std::sync::{Arc, OnceLock};

use axum::http::{HeaderMap, HeaderValue, header};

use crate::config::Config;
use crate::front::BridgeContext;
use crate::front::misskey::rest::Call;
use crate::front::pnut::rest as pnut_rest;
use crate::misskey::{ServerMessage, parse_client_message};
use crate::pnut::{Token, User};
use crate::translate::Options;

/// The pnut user id of the token's user (`me`) in the stream entries.
pub const ME_PNUT_ID: &str = "1";

/// Misskey channels the pnut front's hub joins (the channel a `channel` frame belongs to).
const HUB_CHANNELS: [&str; 5] = ["main", "homeTimeline", "channel", "drive", "hybridTimeline"];

/// Translation options of the default configuration.
fn options() -> &'static Options {
    static OPTIONS: OnceLock<Options> = OnceLock::new();
    OPTIONS.get_or_init(|| crate::front::context::translate_options(&Config::default()))
}

/// A context of the default configuration (upstream URLs that are never called).
fn context() -> Option<&'static Arc<BridgeContext>> {
    static CONTEXT: OnceLock<Option<Arc<BridgeContext>>> = OnceLock::new();
    CONTEXT
        .get_or_init(|| {
            let mut config = Config::default();
            config.storage.path = ":memory:".to_owned();
            BridgeContext::new(
                config,
                crate::upstream::pnut::PnutEndpoints {
                    api_url: "http://127.0.0.1:9/v1".to_owned(),
                    stream_url: "ws://127.0.0.1:9/v1/user".to_owned(),
                },
                "http://127.0.0.1:9".to_owned(),
                "http://127.0.0.1:9".to_owned(),
            )
            .ok()
        })
        .as_ref()
}

/// Splits `data` at the first newline: a header value (`None` when not a valid one) and the rest.
fn header_and_rest(data: &[u8]) -> (Option<HeaderValue>, &[u8]) {
    match data.iter().position(|b| *b == b'\n') {
        Some(at) => (
            data.get(..at)
                .and_then(|value| HeaderValue::from_bytes(value).ok()),
            data.get(at + 1..).unwrap_or_default(),
        ),
        None => (None, data),
    }
}

/// A Misskey client's `/streaming` text frame → the parsed message, re-serialised.
pub fn misskey_client_frame(data: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    parse_client_message(&text)
        .ok()
        .map(|message| message.to_json())
}

/// A pnut user-stream text frame → the decode of the pnut stream task, then every Misskey
/// frame the Misskey front's pool would send for it (channel events, `main` renotes,
/// `noteUpdated`).
pub fn pnut_upstream_frame(data: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(data);
    let Ok(Some(event)) = crate::upstream::pnut::decode_event_frame(&text) else {
        return Vec::new();
    };
    crate::front::misskey::stream::frames_for_every_target(&event, ME_PNUT_ID, options())
        .iter()
        .map(|frame| frame.to_string())
        .collect()
}

/// A Misskey stream text frame → the decode of the Misskey stream task, then the pnut event
/// data the pnut front's hub would deliver for it (as a `channel` event of each joined
/// channel, and as a `noteUpdated`).
pub fn misskey_upstream_frame(data: &[u8]) -> Vec<String> {
    use crate::front::pnut::stream::{translate_channel_event, translate_note_updated};

    let text = String::from_utf8_lossy(data);
    let Ok(message) = ServerMessage::parse(&text) else {
        return Vec::new();
    };
    let me = User {
        id: ME_PNUT_ID.to_owned(),
        username: "alice".to_owned(),
        ..User::default()
    };
    let token = Token {
        user: Some(me.clone()),
        ..Token::default()
    };
    let facts = match &message {
        ServerMessage::Channel { kind, body, .. } => HUB_CHANNELS
            .iter()
            .filter_map(|channel| {
                translate_channel_event(channel, kind, body, &me, &token, options())
            })
            .collect(),
        ServerMessage::NoteUpdated { id, kind, body } => {
            translate_note_updated(id, kind, body, options())
                .into_iter()
                .collect()
        }
        _ => Vec::new(),
    };
    facts
        .iter()
        .filter_map(|facts| serde_json::to_string(&facts.event.data).ok())
        .collect()
}

/// A Misskey REST call (`Authorization` header value, a newline, the body) → the front's body
/// parsing and token ([`Call::new`]) and every typed parameter the endpoints read; the number
/// of parameters read.
pub fn misskey_rest_body(data: &[u8]) -> usize {
    use crate::front::misskey::rest::RestError;

    let Some(ctx) = context() else { return 0 };
    let (authorization, body) = header_and_rest(data);
    let mut headers = HeaderMap::new();
    if let Some(value) = authorization {
        headers.insert(header::AUTHORIZATION, value);
    }
    // A bridge-token-shaped token is looked up in the (in-memory) store: run that to its end.
    static RUNTIME: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    let Some(runtime) =
        RUNTIME.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().ok())
    else {
        return 0;
    };
    let Ok(call) = runtime.block_on(Call::new(ctx, &headers, body)) else {
        return 0;
    };
    let params = &call.params;
    let mut read = 0;
    let mut count = |ok: bool| read += usize::from(ok);
    count(call.token().is_ok());
    count(
        params
            .page()
            .is_ok_and(|page| page.pnut_query().len() <= 3 && page.order(vec![1, 2]).len() == 2),
    );
    for name in ["withRenotes", "withFiles"] {
        count(params.flag(name, true).is_ok());
    }
    count(params.note_id("noteId").is_ok());
    for name in ["replyId", "renoteId", "userId"] {
        count(params.pnut_id(name, RestError::no_such_note).is_ok());
    }
    for name in ["text", "cw", "visibility", "channelId", "username", "host"] {
        count(params.string(name).is_ok());
    }
    count(params.required_string("reaction").is_ok());
    for name in ["userIds", "includeTypes", "excludeTypes"] {
        count(params.strings(name).is_ok());
    }
    read
}

/// A pnut REST request target (`path?query`) → the front's query parsing, token, pagination
/// and the id mapping of the path's and query's ids; the number of ids mapped.
pub fn pnut_rest_query(data: &[u8]) -> usize {
    let Some(ctx) = context() else { return 0 };
    let target = String::from_utf8_lossy(data);
    let (path, raw_query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target.as_ref(), None),
    };
    let query = pnut_rest::parse_query(raw_query);
    let headers = HeaderMap::new();
    let _ = crate::front::token::presented(&headers, raw_query, pnut_rest::PNUT_TOKEN_SOURCES);
    let _ = pnut_rest::upstream_token(ctx, &headers, raw_query);
    let mut mapped = 0;
    if let Ok(page) = pnut_rest::Page::from_query(ctx, &query) {
        let mut items: Vec<u8> = vec![0; 3];
        let _ = page.cut(&mut items);
        let _ = page.body_with(&[("withReplies", serde_json::Value::Bool(true))]);
        for id in path.split('/').chain(query.values().map(String::as_str)) {
            let _ = page.admits(id);
        }
    }
    for id in path.trim_matches('/').split('/') {
        mapped += usize::from(pnut_rest::misskey_id(ctx, id, "post id").is_ok());
    }
    mapped
}

/// A pnut REST write (`Content-Type` header value, a newline, the body) → the front's post body
/// decoding and the id mapping of `reply_to`; the decoded text, when there is one.
pub fn pnut_rest_body(data: &[u8]) -> Option<String> {
    let ctx = context()?;
    let (content_type, body) = header_and_rest(data);
    let mut headers = HeaderMap::new();
    if let Some(value) = content_type {
        headers.insert(header::CONTENT_TYPE, value);
    }
    let post = pnut_rest::new_post(&headers, body).ok()?;
    if let Some(reply_to) = post.reply_to.as_deref() {
        let _ = pnut_rest::misskey_id(ctx, reply_to, "reply_to");
    }
    post.text
}

/// A pnut REST response (first byte: the status, even → 200, odd → 4xx/5xx; the rest: the
/// body) → the pnut client's envelope decoding as each type the Misskey REST front reads, then
/// its translation to Misskey notes and users; the number of objects translated.
pub fn pnut_upstream_response(data: &[u8]) -> usize {
    use crate::pnut::Post;
    use crate::translate::{pnut_user_to_detailed, pnut_user_to_lite, pnut_user_to_me};
    use crate::upstream::pnut::decode_response;

    let Some((first, body)) = data.split_first() else {
        return 0;
    };
    let status = if first % 2 == 0 {
        200
    } else {
        400 + u16::from(*first)
    };
    let opts = options();
    let page = crate::front::misskey::rest::Page {
        since: Some("1".to_owned()),
        until: None,
        limit: 10,
    };
    let mut translated = 0;
    if let Ok(Some(posts)) = decode_response::<Vec<Post>>(status, body).map(|e| e.data) {
        let notes = crate::front::misskey::rest::notes_json(posts, &page, opts);
        translated += notes.as_array().map_or(0, Vec::len);
    }
    if let Ok(Some(post)) = decode_response::<Post>(status, body).map(|e| e.data) {
        translated += usize::from(crate::translate::post_to_note(&post, None, opts).is_ok());
    }
    if let Ok(Some(users)) = decode_response::<Vec<User>>(status, body).map(|e| e.data) {
        translated += users
            .iter()
            .filter(|user| pnut_user_to_detailed(user, opts).is_ok())
            .count();
    }
    if let Ok(Some(user)) = decode_response::<User>(status, body).map(|e| e.data) {
        translated += usize::from(pnut_user_to_lite(&user, opts).is_ok());
        translated += usize::from(pnut_user_to_me(&user, opts).is_ok());
    }
    translated
}

/// A Misskey REST response (first byte: the status, even → 200, odd → 4xx/5xx; the rest: the
/// body) → the Misskey client's response decoding as each type the pnut REST front reads, then
/// its translation to pnut posts, users and files; the number of objects translated.
pub fn misskey_upstream_response(data: &[u8]) -> usize {
    use crate::misskey::{DriveFile, MeDetailed, Note, UserDetailed};
    use crate::translate::{
        drive_file_to_file, misskey_detailed_to_pnut, misskey_me_to_pnut, note_to_post,
    };
    use crate::upstream::misskey::decode_response;

    let Some((first, body)) = data.split_first() else {
        return 0;
    };
    let status = if first % 2 == 0 {
        200
    } else {
        400 + u16::from(*first)
    };
    let opts = options();
    let mut translated = 0;
    if let Ok(notes) = decode_response::<Vec<Note>>(status, body) {
        let root = notes.first().map(|note| note.id.clone());
        for note in &notes {
            translated += usize::from(note_to_post(note, root.as_deref(), opts).is_ok());
        }
    }
    if let Ok(note) = decode_response::<Note>(status, body) {
        translated += usize::from(note_to_post(&note, None, opts).is_ok());
    }
    if let Ok(users) = decode_response::<Vec<UserDetailed>>(status, body) {
        translated += users
            .iter()
            .filter(|user| misskey_detailed_to_pnut(user, opts).is_ok())
            .count();
    }
    if let Ok(me) = decode_response::<MeDetailed>(status, body) {
        translated += usize::from(misskey_me_to_pnut(&me, opts).is_ok());
    }
    if let Ok(files) = decode_response::<Vec<DriveFile>>(status, body) {
        translated += files
            .iter()
            .filter(|file| drive_file_to_file(file, opts).is_ok())
            .count();
    }
    translated
}

/// `config.toml` text → the validated configuration, printed masked.
pub fn config(data: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    crate::config::parse_str(&text)
        .ok()
        .map(|config| config.to_masked_toml())
}
