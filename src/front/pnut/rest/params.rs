//! Request inputs of the pnut REST front: the token, query parameters, pnut ids → Misskey ids,
//! pagination (`since_id`, `before_id`, `count`) and post bodies (JSON or form).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value, json};

use super::reply::RestError;
use crate::front::BridgeContext;
pub use crate::front::pnut::PNUT_TOKEN_SOURCES;
use crate::front::token;
use crate::ids::{cmp_decimal, pnut_to_misskey};

/// Query parameters by name (the last value of a repeated name wins).
pub type Query = BTreeMap<String, String>;

/// Parses a raw query string.
pub fn parse_query(raw: Option<&str>) -> Query {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// The upstream Misskey token for the request (`Authorization: Bearer` first, then
/// `?access_token=`), or a 401 (none, malformed, or refused by `[tokens]`).
pub fn upstream_token(
    ctx: &BridgeContext,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<String, RestError> {
    let presented = token::presented(headers, query, PNUT_TOKEN_SOURCES)
        .map_err(|_| RestError::Unauthorized("Invalid token".to_owned()))?
        .ok_or_else(|| RestError::Unauthorized("Call requires authentication".to_owned()))?;
    ctx.upstream_token(&presented)
        .ok_or_else(|| RestError::Unauthorized("Invalid token".to_owned()))
}

/// A pnut (decimal) id from a path or query → the Misskey id, or a 400 naming `what`.
pub fn misskey_id(ctx: &BridgeContext, decimal: &str, what: &str) -> Result<String, RestError> {
    pnut_to_misskey(decimal, ctx.translate.id_format)
        .map_err(|_| RestError::BadRequest(format!("invalid {what}: {decimal}")))
}

/// Misskey's largest `limit`.
const MISSKEY_MAX_LIMIT: i64 = 100;

/// pnut pagination translated to a Misskey list body.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Items the tool asked for (1..=100; pnut's 200 is capped by Misskey's 100).
    pub count: usize,
    /// The Misskey body: `limit` (one more than `count` when possible, to know `more`),
    /// `sinceId`, `untilId`.
    pub body: Map<String, Value>,
    /// `since_id` as the tool sent it (decimal), for lists filtered by the bridge.
    pub since_id: Option<String>,
    /// `before_id` as the tool sent it (decimal).
    pub before_id: Option<String>,
}

impl Page {
    /// Reads `count` (default 20; sign ignored; invalid ignored), `since_id`, `before_id`.
    pub fn from_query(ctx: &BridgeContext, query: &Query) -> Result<Self, RestError> {
        let count = query
            .get("count")
            .and_then(|c| c.parse::<i64>().ok())
            .map(i64::abs)
            .filter(|c| *c >= 1)
            .unwrap_or(20)
            .min(MISSKEY_MAX_LIMIT);
        let mut body = Map::new();
        body.insert("limit".into(), json!((count + 1).min(MISSKEY_MAX_LIMIT)));
        if let Some(since) = query.get("since_id") {
            body.insert("sinceId".into(), json!(misskey_id(ctx, since, "since_id")?));
        }
        if let Some(before) = query.get("before_id") {
            body.insert(
                "untilId".into(),
                json!(misskey_id(ctx, before, "before_id")?),
            );
        }
        Ok(Page {
            count: usize::try_from(count).unwrap_or(20),
            body,
            since_id: query.get("since_id").cloned(),
            before_id: query.get("before_id").cloned(),
        })
    }

    /// The Misskey body plus `extra` keys.
    pub fn body_with(&self, extra: &[(&str, Value)]) -> Map<String, Value> {
        let mut body = self.body.clone();
        for (key, value) in extra {
            body.insert((*key).to_owned(), value.clone());
        }
        body
    }

    /// Whether the decimal `id` lies inside `since_id` / `before_id` (both exclusive).
    pub fn admits(&self, id: &str) -> bool {
        let newer = self
            .since_id
            .as_deref()
            .is_none_or(|since| cmp_decimal(id, since) == Some(Ordering::Greater));
        let older = self
            .before_id
            .as_deref()
            .is_none_or(|before| cmp_decimal(id, before) == Some(Ordering::Less));
        newer && older
    }

    /// Truncates newest-first `items` to `count`; returns whether more exist.
    pub fn cut<T>(&self, items: &mut Vec<T>) -> bool {
        let more = items.len() > self.count;
        items.truncate(self.count);
        more
    }
}

/// Fields of `POST /posts` (pnut-api.md §7).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewPost {
    /// Post text.
    pub text: Option<String>,
    /// pnut id of the parent.
    pub reply_to: Option<String>,
    /// NSFW flag (becomes a `cw`).
    pub is_nsfw: bool,
    /// pnut ids of the files attached with `+io.pnut.core.file` replacement values in the
    /// `io.pnut.core.oembed` raw (JSON bodies only).
    pub file_ids: Vec<String>,
}

/// The `file_id`s of the `+io.pnut.core.file` replacement values of a post's
/// `io.pnut.core.oembed` raw (pnut-api.md §6.10); a malformed one is 400.
fn raw_file_ids(raw: Option<&Value>) -> Result<Vec<String>, RestError> {
    let Some(items) = raw
        .and_then(|raw| raw.get(crate::pnut::OEMBED_RAW_TYPE))
        .and_then(Value::as_array)
    else {
        return Ok(Vec::new());
    };
    let mut ids = Vec::new();
    for item in items {
        let Some(file) = item.get("+io.pnut.core.file") else {
            continue;
        };
        let id = match file.get("file_id") {
            Some(Value::String(id)) => id.clone(),
            Some(Value::Number(id)) => id.to_string(),
            _ => {
                return Err(RestError::BadRequest(
                    "+io.pnut.core.file needs a file_id".to_owned(),
                ));
            }
        };
        ids.push(id);
    }
    Ok(ids)
}

/// Decodes a post body: JSON when the content type says so (or the body looks like an
/// object), else `application/x-www-form-urlencoded`.
pub fn new_post(headers: &HeaderMap, body: &[u8]) -> Result<NewPost, RestError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let looks_json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if content_type.contains("json") || (!content_type.contains("form") && looks_json) {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| RestError::BadRequest(format!("invalid JSON body: {e}")))?;
        let object = value
            .as_object()
            .ok_or_else(|| RestError::BadRequest("JSON body must be an object".to_owned()))?;
        let text = match object.get("text") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(RestError::BadRequest("text must be a string".to_owned())),
        };
        let reply_to = match object.get("reply_to") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => return Err(RestError::BadRequest("reply_to must be an id".to_owned())),
        };
        let is_nsfw = object
            .get("is_nsfw")
            .is_some_and(|v| v.as_bool() == Some(true) || v.as_i64() == Some(1));
        Ok(NewPost {
            text,
            reply_to,
            is_nsfw,
            file_ids: raw_file_ids(object.get("raw"))?,
        })
    } else {
        if std::str::from_utf8(body).is_err() {
            return Err(RestError::BadRequest("form body is not UTF-8".to_owned()));
        }
        let form: Query = url::form_urlencoded::parse(body).into_owned().collect();
        Ok(NewPost {
            text: form.get("text").cloned(),
            reply_to: form.get("reply_to").filter(|r| !r.is_empty()).cloned(),
            is_nsfw: form
                .get("is_nsfw")
                .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
            file_ids: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = content_type.parse() {
            headers.insert(header::CONTENT_TYPE, value);
        }
        headers
    }

    #[test]
    fn post_bodies_decode_from_json_and_form() {
        let json = new_post(
            &headers("application/json"),
            br#"{"text":"hi","reply_to":42,"is_nsfw":true}"#,
        );
        assert_eq!(
            json.ok(),
            Some(NewPost {
                text: Some("hi".into()),
                reply_to: Some("42".into()),
                is_nsfw: true,
                file_ids: Vec::new(),
            })
        );
        let form = new_post(
            &headers("application/x-www-form-urlencoded"),
            b"text=a+b%21&reply_to=7",
        );
        assert_eq!(
            form.ok(),
            Some(NewPost {
                text: Some("a b!".into()),
                reply_to: Some("7".into()),
                is_nsfw: false,
                file_ids: Vec::new(),
            })
        );
        assert!(new_post(&headers("application/json"), b"{oops").is_err());
        assert!(new_post(&headers("application/json"), b"[1]").is_err());
        assert!(new_post(&headers("application/json"), br#"{"text":5}"#).is_err());
    }

    #[test]
    fn file_raws_name_the_attached_files() {
        let body = br#"{"text":"pic","raw":{"io.pnut.core.oembed":[
            {"+io.pnut.core.file":{"file_id":"12","file_token":"t","format":"oembed"}},
            {"type":"link","url":"https://example.com"},
            {"+io.pnut.core.file":{"file_id":34,"format":"oembed"}}]}}"#;
        let post = new_post(&headers("application/json"), body).expect("decodes");
        assert_eq!(post.file_ids, ["12", "34"]);
        let bad = br#"{"text":"x","raw":{"io.pnut.core.oembed":[{"+io.pnut.core.file":{}}]}}"#;
        assert!(new_post(&headers("application/json"), bad).is_err());
    }

    #[test]
    fn bearer_wins_over_access_token() {
        let mut with_bearer = HeaderMap::new();
        with_bearer.insert(header::AUTHORIZATION, "Bearer abc".parse().expect("value"));
        let query = Some("access_token=xyz");
        let presented = |headers: &HeaderMap, query| {
            token::presented(headers, query, PNUT_TOKEN_SOURCES).expect("well-formed")
        };
        assert_eq!(presented(&with_bearer, query).as_deref(), Some("abc"));
        assert_eq!(presented(&HeaderMap::new(), query).as_deref(), Some("xyz"));
        assert_eq!(presented(&HeaderMap::new(), None), None);
    }
}
