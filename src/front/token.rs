//! The token a client presented, for both fronts (mapping.md §2): the one place that reads
//! `Authorization: Bearer …` (scheme case-insensitive, as RFC 7235 says) and token query
//! parameters (`?i=` on the Misskey front, `?access_token=` on the pnut front), and the one
//! rule of what a token may look like.
//!
//! A token with a control character or white space inside (e.g. `?i=X%0AY`) is not a token
//! any upstream issues: it is refused at the front like a wrong token (HTTP 401), never sent
//! upstream (where it would fail as a malformed request).

use axum::http::{HeaderMap, header};

/// The client presented something in a token's place that cannot be a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed access token")]
pub struct MalformedToken;

/// Where a front looks for the token, in its order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource<'a> {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// The query parameter of this name.
    Query(&'a str),
}

/// The token of a request: the first of `sources` that is present and non-empty.
/// `Ok(None)` when there is none; `Err` when the first one present is malformed.
pub fn presented(
    headers: &HeaderMap,
    query: Option<&str>,
    sources: &[TokenSource<'_>],
) -> Result<Option<String>, MalformedToken> {
    for source in sources {
        let found = match source {
            TokenSource::Bearer => bearer(headers)?,
            TokenSource::Query(name) => query_param(query, name),
        };
        if let Some(token) = found {
            return checked(token).map(Some);
        }
    }
    Ok(None)
}

/// The token of an `Authorization: Bearer` header (scheme in any case); `Ok(None)` without
/// one or with another scheme, `Err` for a header that is not text.
pub fn bearer(headers: &HeaderMap) -> Result<Option<String>, MalformedToken> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| MalformedToken)?;
    let Some((scheme, token)) = value.split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = token.trim();
    Ok((!token.is_empty()).then(|| token.to_owned()))
}

/// A token that came some other way (e.g. Misskey's body `i`), checked like the others;
/// `Ok(None)` when empty.
pub fn from_text(text: &str) -> Result<Option<String>, MalformedToken> {
    if text.is_empty() {
        return Ok(None);
    }
    checked(text.to_owned()).map(Some)
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.into_owned())
}

fn checked(token: String) -> Result<String, MalformedToken> {
    if token.chars().any(|c| c.is_control() || c.is_whitespace()) {
        Err(MalformedToken)
    } else {
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value.parse().expect("header value"));
        headers
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        for value in ["Bearer abc", "bearer abc", "BEARER  abc "] {
            assert_eq!(
                bearer(&with_auth(value)),
                Ok(Some("abc".to_owned())),
                "{value}"
            );
        }
        assert_eq!(bearer(&with_auth("Basic abc")), Ok(None));
        assert_eq!(bearer(&with_auth("Bearer ")), Ok(None));
    }

    #[test]
    fn sources_are_tried_in_order() {
        let sources = [TokenSource::Query("i"), TokenSource::Bearer];
        let headers = with_auth("Bearer header");
        assert_eq!(
            presented(&headers, Some("i=query"), &sources),
            Ok(Some("query".to_owned()))
        );
        assert_eq!(
            presented(&headers, Some("i="), &sources),
            Ok(Some("header".to_owned()))
        );
        assert_eq!(presented(&HeaderMap::new(), None, &sources), Ok(None));
    }

    #[test]
    fn control_characters_and_spaces_are_malformed() {
        let sources = [TokenSource::Query("access_token")];
        for query in [
            "access_token=X%0AY",
            "access_token=a%00b",
            "access_token=a+b",
        ] {
            assert_eq!(
                presented(&HeaderMap::new(), Some(query), &sources),
                Err(MalformedToken),
                "{query}"
            );
        }
        assert_eq!(from_text("a\tb"), Err(MalformedToken));
        assert_eq!(from_text(""), Ok(None));
    }
}
