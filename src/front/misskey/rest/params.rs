//! Request parsing of the Misskey REST front: the JSON body, the token (body `i` or
//! `Authorization: Bearer`, misskey.md §7.1), typed parameters and pagination (§7.4).

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use super::error::RestError;
use crate::front::token;
use crate::ids::pnut_id_from_misskey;

/// Misskey's default list `limit`.
pub const DEFAULT_LIMIT: u32 = 10;
/// Misskey's largest list `limit`.
pub const MAX_LIMIT: u32 = 100;

/// The parsed parameters of one call: a JSON object body, or (`GET` of an `allowGet`
/// endpoint) the query string, whose boolean and number values arrive as strings and are cast
/// when read, as Misskey casts them.
#[derive(Debug, Clone, Default)]
pub struct Params {
    body: Map<String, Value>,
    cast: bool,
}

/// The token a client presented: `Authorization: Bearer` first, else body `i`.
/// A non-string, non-null `i` is `INVALID_PARAM`; an empty token counts as none; a malformed
/// one (control characters, white space) is `AUTHENTICATION_FAILED`, as a wrong token is.
pub fn presented_token(headers: &HeaderMap, params: &Params) -> Result<Option<String>, RestError> {
    let malformed = |_| RestError::authentication_failed();
    if let Some(token) = token::bearer(headers).map_err(malformed)? {
        return token::from_text(&token).map_err(malformed);
    }
    match params.string("i")? {
        Some(text) => token::from_text(text).map_err(malformed),
        None => Ok(None),
    }
}

impl Params {
    /// Parses a request body: empty → `{}`; anything but a JSON object → `INVALID_PARAM`.
    pub fn parse(bytes: &[u8]) -> Result<Self, RestError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(body)) => Ok(Self { body, cast: false }),
            Ok(_) => Err(RestError::invalid_param("body", "must be object")),
            Err(_) => Err(RestError::invalid_param("body", "malformed JSON")),
        }
    }

    /// The query string of a `GET` call: each key a string, a repeated key a list of strings.
    pub fn from_query(query: &str) -> Self {
        let mut body = Map::new();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let value = Value::String(value.into_owned());
            match body.get_mut(key.as_ref()) {
                None => {
                    body.insert(key.into_owned(), value);
                }
                Some(Value::Array(items)) => items.push(value),
                Some(first) => *first = Value::Array(vec![first.take(), value]),
            }
        }
        Self { body, cast: true }
    }

    /// A value, with a query string's text cast to JSON (`"true"`, `"5"`) as Misskey does
    /// for boolean and number parameters of `GET` calls.
    fn typed(&self, name: &str) -> Option<Value> {
        let value = self.body.get(name)?;
        match value {
            Value::String(text) if self.cast => {
                Some(serde_json::from_str(text).unwrap_or_else(|_| value.clone()))
            }
            _ => Some(value.clone()),
        }
    }

    /// An optional string (`null` or absent → `None`; another type → `INVALID_PARAM`).
    pub fn string(&self, name: &str) -> Result<Option<&str>, RestError> {
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(RestError::invalid_param(name, "must be string")),
        }
    }

    /// A required string.
    pub fn required_string(&self, name: &str) -> Result<&str, RestError> {
        self.string(name)?
            .ok_or_else(|| RestError::invalid_param(name, "must have required property"))
    }

    /// The raw JSON of parameter `name`, if present (any type, `null` included).
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.body.get(name)
    }

    /// An optional boolean with a default.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, RestError> {
        match self.typed(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(value)) => Ok(value),
            Some(_) => Err(RestError::invalid_param(name, "must be boolean")),
        }
    }

    /// An optional list of strings (one query-string value counts as a list of one).
    pub fn strings(&self, name: &str) -> Result<Option<Vec<&str>>, RestError> {
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(one)) if self.cast => Ok(Some(vec![one.as_str()])),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .ok_or_else(|| RestError::invalid_param(name, "must be array of string"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(RestError::invalid_param(name, "must be array")),
        }
    }

    /// An optional list of lists of strings (`[["a", "b"], ["c"]]`); absent → empty.
    pub fn nested_strings(&self, name: &str) -> Result<Vec<Vec<String>>, RestError> {
        let bad = || RestError::invalid_param(name, "must be array of array of string");
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(outer)) => outer
                .iter()
                .map(|inner| {
                    inner
                        .as_array()
                        .ok_or_else(bad)?
                        .iter()
                        .map(|item| item.as_str().map(str::to_owned).ok_or_else(bad))
                        .collect()
                })
                .collect(),
            Some(_) => Err(bad()),
        }
    }

    /// A required note id as a pnut post id; an id that cannot be a pnut id names no note
    /// (`NO_SUCH_NOTE`).
    pub fn note_id(&self, name: &str) -> Result<String, RestError> {
        let id = self.required_string(name)?;
        pnut_id_from_misskey(id).map_err(|_| RestError::no_such_note())
    }

    /// An optional id parameter as a pnut id; `unknown` is the error for an id that cannot
    /// be a pnut id.
    pub fn pnut_id(
        &self,
        name: &str,
        unknown: impl FnOnce() -> RestError,
    ) -> Result<Option<String>, RestError> {
        match self.string(name)? {
            None => Ok(None),
            Some(id) => pnut_id_from_misskey(id).map(Some).map_err(|_| unknown()),
        }
    }

    /// Misskey pagination (`sinceId`, `untilId`, `limit` 1–100, default 10).
    pub fn page(&self) -> Result<Page, RestError> {
        let limit = match self.typed("limit").as_ref() {
            None | Some(Value::Null) => DEFAULT_LIMIT,
            Some(value) => value
                .as_u64()
                .filter(|n| (1..=u64::from(MAX_LIMIT)).contains(n))
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| RestError::invalid_param("limit", "must be integer 1-100"))?,
        };
        Ok(Page {
            since: self.page_id("sinceId")?,
            until: self.page_id("untilId")?,
            limit,
        })
    }

    /// A page bound: any id the bridge hands out — a note, user, file or channel id (a
    /// zero-padded pnut id) or a notification id (such an id plus a one-letter type suffix,
    /// whose pnut id it pages by).
    fn page_id(&self, name: &str) -> Result<Option<String>, RestError> {
        let Some(id) = self.string(name)? else {
            return Ok(None);
        };
        let digits = id
            .strip_suffix(|c: char| c.is_ascii_lowercase())
            .unwrap_or(id);
        pnut_id_from_misskey(digits)
            .map(Some)
            .map_err(|_| RestError::invalid_param(name, "must be an id"))
    }

    /// An optional integer with a default, within `range`.
    pub fn integer(
        &self,
        name: &str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<u64, RestError> {
        match self.typed(name) {
            None | Some(Value::Null) => Ok(default),
            Some(value) => value
                .as_u64()
                .filter(|n| range.contains(n))
                .ok_or_else(|| RestError::invalid_param(name, "must be an integer in range")),
        }
    }

    /// The names of the parameters given.
    pub fn names(&self) -> Vec<&str> {
        self.body.keys().map(String::as_str).collect()
    }

    /// Whether the parameter is present and not `null`.
    pub fn has(&self, name: &str) -> bool {
        !matches!(self.body.get(name), None | Some(Value::Null))
    }
}

/// A Misskey page request, already in pnut ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Exclusive lower bound (pnut id).
    pub since: Option<String>,
    /// Exclusive upper bound (pnut id).
    pub until: Option<String>,
    /// Items wanted (1–100).
    pub limit: u32,
}

impl Page {
    /// The page of `items` (newest first, all known locally): those strictly between the
    /// bounds, at most `limit` — the newest ones, or the oldest ones when
    /// [`Self::oldest_first`].
    pub fn window<T>(&self, items: Vec<T>, id_of: impl Fn(&T) -> &str) -> Vec<T> {
        let inside = |item: &T, bound: &Option<String>, wanted: std::cmp::Ordering| {
            bound
                .as_deref()
                .is_none_or(|bound| crate::ids::cmp_decimal(id_of(item), bound) == Some(wanted))
        };
        let kept: Vec<T> = items
            .into_iter()
            .filter(|item| inside(item, &self.since, std::cmp::Ordering::Greater))
            .filter(|item| inside(item, &self.until, std::cmp::Ordering::Less))
            .collect();
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        if self.oldest_first() {
            let skip = kept.len().saturating_sub(limit);
            kept.into_iter().skip(skip).collect()
        } else {
            kept.into_iter().take(limit).collect()
        }
    }

    /// `sinceId` alone: Misskey answers oldest first (misskey.md §7.4).
    pub fn oldest_first(&self) -> bool {
        self.since.is_some() && self.until.is_none()
    }

    /// The pnut query: `since_id`, `before_id`, and `count` — negative (pnut's "oldest
    /// matching items") when the page is oldest first.
    pub fn pnut_query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::with_capacity(3);
        if let Some(since) = &self.since {
            query.push(("since_id", since.clone()));
        }
        if let Some(until) = &self.until {
            query.push(("before_id", until.clone()));
        }
        let count = i64::from(self.limit);
        let count = if self.oldest_first() { -count } else { count };
        query.push(("count", count.to_string()));
        query
    }

    /// Puts a newest-first pnut page in Misskey order.
    pub fn order<T>(&self, mut items: Vec<T>) -> Vec<T> {
        if self.oldest_first() {
            items.reverse();
        }
        items
    }
}

/// Borrows an owned query as the `&[(&str, &str)]` the pnut client takes.
pub fn borrow_query<'a>(query: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    query.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_alone_asks_for_the_oldest_and_reverses() {
        let params = Params::parse(br#"{"sinceId":"0000000000000005","limit":3}"#).unwrap();
        let page = params.page().unwrap();
        assert!(page.oldest_first());
        assert_eq!(
            page.pnut_query(),
            vec![("since_id", "5".to_owned()), ("count", "-3".to_owned())]
        );
        assert_eq!(page.order(vec![3, 2, 1]), vec![1, 2, 3]);
    }

    #[test]
    fn limit_bounds_and_defaults() {
        assert_eq!(Params::parse(b"").unwrap().page().unwrap().limit, 10);
        for bad in ["0", "101", "-1", "1.5", "\"5\""] {
            let body = format!(r#"{{"limit":{bad}}}"#);
            assert!(
                Params::parse(body.as_bytes()).unwrap().page().is_err(),
                "{bad}"
            );
        }
        let page = Params::parse(br#"{"untilId":"9","sinceId":"2","limit":100}"#)
            .unwrap()
            .page()
            .unwrap();
        assert!(!page.oldest_first());
        assert_eq!(page.order(vec![2, 1]), vec![2, 1]);
    }

    #[test]
    fn query_strings_cast_like_misskey() {
        let params = Params::from_query("limit=5&withFiles=true&noteIds=1&noteIds=2&noteId=007");
        assert_eq!(params.page().unwrap().limit, 5);
        assert!(params.flag("withFiles", false).unwrap());
        assert_eq!(params.strings("noteIds").unwrap(), Some(vec!["1", "2"]));
        // Ids stay strings (no cast of a string parameter).
        assert_eq!(params.note_id("noteId").unwrap(), "7");
        for bad in ["limit=ten", "limit=0", "withFiles=yes"] {
            let params = Params::from_query(bad);
            assert!(
                params.page().is_err() || params.flag("withFiles", false).is_err(),
                "{bad}"
            );
        }
        // A JSON body is never cast.
        let body = Params::parse(br#"{"limit":"5"}"#).unwrap();
        assert!(body.page().is_err());
    }

    #[test]
    fn page_bounds_take_notification_ids() {
        let params =
            Params::parse(br#"{"untilId":"0000000000000042m","sinceId":"0000000000000007f"}"#)
                .unwrap();
        let page = params.page().unwrap();
        assert_eq!(page.until.as_deref(), Some("42"));
        assert_eq!(page.since.as_deref(), Some("7"));
        for bad in ["42mm", "m", "4a2", "0x10"] {
            let body = format!(r#"{{"untilId":"{bad}"}}"#);
            assert!(
                Params::parse(body.as_bytes()).unwrap().page().is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn malformed_bodies_are_invalid_param() {
        for body in [&b"{"[..], b"[1]", b"\"x\""] {
            let error = Params::parse(body).unwrap_err();
            assert_eq!(error.body.error.code, "INVALID_PARAM");
        }
    }
}
