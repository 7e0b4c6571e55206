//! Pure resolution through the mapping tables: a Misskey channel connect → pnut upstream needs,
//! and a pnut subscribe path → the Misskey channels to join.

use std::collections::BTreeMap;

use serde_json::Value;

use super::catalog::{
    self, SUBSCRIBABLE_PNUT_ENDPOINTS, TemplatePart, fits_any, literal_segment_count,
    template_parts,
};
use super::tables::{ChannelJoin, MappingTables};

/// At most this many needs come out of one connect (a hashtag `q` with many tags, say).
pub const MAX_NEEDS_PER_CONNECT: usize = 32;

/// One pnut subscription, shared by every channel connection that needs the same key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubscriptionKey {
    /// Concrete pnut path, e.g. `/channels/12/messages`.
    pub endpoint: String,
    /// Query params of the subscribe call, sorted.
    pub params: BTreeMap<String, String>,
}

/// One pnut endpoint to poll with `since_id`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PollEntry {
    /// Concrete pnut path, e.g. `/posts/tags/rust`.
    pub endpoint: String,
    /// Query params of the poll call, sorted.
    pub params: BTreeMap<String, String>,
}

/// What a Misskey channel connect needs from the pnut upstream.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UpstreamNeed {
    /// A user-stream subscription.
    Subscribe(SubscriptionKey),
    /// A periodic poll.
    Poll(PollEntry),
}

/// What a pnut subscribe call on the pnut front does upstream on Misskey.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscribePlan {
    /// The matched endpoint pattern, e.g. `/posts/{post_id}/thread`.
    pub endpoint: String,
    /// Path segments captured by the pattern's placeholders (`post_id` → `123`).
    pub captures: BTreeMap<String, String>,
    /// Misskey channels to join, params filled in.
    pub joins: Vec<ChannelJoin>,
    /// pnut id of the post to capture with `subNote`, if any.
    pub capture: Option<String>,
    /// Misskey REST endpoints whose results make the first page.
    pub first_page: Vec<String>,
    /// Only the token owner's own notes pass.
    pub own_only: bool,
    /// The subscribe call's query, without `connection_id` and `access_token`.
    pub query: BTreeMap<String, String>,
    /// Misskey channel → the event types of it the subscription takes (a joined channel not
    /// listed passes every event).
    pub events: BTreeMap<String, Vec<String>>,
}

/// Why a connect or subscribe cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// A `{param}` the mapping needs is absent from the connect params.
    #[error("channel {channel}: missing param {param}")]
    MissingParam {
        /// Misskey channel name.
        channel: String,
        /// The missing connect param.
        param: String,
    },
    /// A connect param has an unusable value.
    #[error("channel {channel}: param {param} {reason}")]
    BadParam {
        /// Misskey channel name.
        channel: String,
        /// The offending connect param.
        param: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The connect would need more than [`MAX_NEEDS_PER_CONNECT`] upstream needs.
    #[error("channel {channel}: more than {MAX_NEEDS_PER_CONNECT} upstream needs")]
    TooManyNeeds {
        /// Misskey channel name.
        channel: String,
    },
    /// A subscribable pnut endpoint that is configured as not bridged.
    #[error("{endpoint} is not bridged")]
    NotBridged {
        /// The endpoint pattern.
        endpoint: String,
    },
    /// A path that is no subscribable pnut endpoint.
    #[error("{path} is not a subscribable endpoint")]
    UnknownEndpoint {
        /// The requested path.
        path: String,
    },
    /// A template in the tables is malformed or names an uncaptured placeholder.
    #[error("mapping template {template:?} cannot be filled")]
    BadTemplate {
        /// The template text.
        template: String,
    },
}

/// Resolves a Misskey `connect` to pnut needs. A channel without a table entry (a name Misskey
/// does not have, or an unmapped one such as `userList`) resolves to no needs; tell the two apart
/// with [`super::is_known_misskey_channel`].
pub fn resolve_connect(
    tables: &MappingTables,
    channel: &str,
    params: &Value,
) -> Result<Vec<UpstreamNeed>, MappingError> {
    let Some(mapping) = tables.misskey_channels.get(channel) else {
        return Ok(Vec::new());
    };
    let mut needs: Vec<UpstreamNeed> = Vec::new();
    let mut push = |need: UpstreamNeed| {
        if !needs.contains(&need) {
            needs.push(need);
        }
    };
    for template in &mapping.pnut {
        for endpoint in expand_connect_template(channel, template, params)? {
            push(UpstreamNeed::Subscribe(SubscriptionKey {
                endpoint,
                params: mapping.query.clone(),
            }));
        }
    }
    for template in &mapping.poll {
        for endpoint in expand_connect_template(channel, template, params)? {
            push(UpstreamNeed::Poll(PollEntry {
                endpoint,
                params: mapping.query.clone(),
            }));
        }
    }
    if needs.len() > MAX_NEEDS_PER_CONNECT {
        return Err(MappingError::TooManyNeeds {
            channel: channel.to_owned(),
        });
    }
    Ok(needs)
}

/// Fills a connect template; list-valued params fan out (one path per value).
fn expand_connect_template(
    channel: &str,
    template: &str,
    params: &Value,
) -> Result<Vec<String>, MappingError> {
    let parts = template_parts(template).map_err(|_| MappingError::BadTemplate {
        template: template.to_owned(),
    })?;
    let mut paths = vec![String::new()];
    for part in parts {
        match part {
            TemplatePart::Literal(text) => paths.iter_mut().for_each(|p| p.push_str(text)),
            TemplatePart::Placeholder(name) => {
                let values = param_values(channel, name, params)?;
                if paths.len().saturating_mul(values.len()) > MAX_NEEDS_PER_CONNECT {
                    return Err(MappingError::TooManyNeeds {
                        channel: channel.to_owned(),
                    });
                }
                paths = paths
                    .iter()
                    .flat_map(|p| values.iter().map(move |v| format!("{p}{v}")))
                    .collect();
            }
        }
    }
    Ok(paths)
}

/// The path-safe values of one connect param: a string or number, or (nested) lists of them.
fn param_values(channel: &str, name: &str, params: &Value) -> Result<Vec<String>, MappingError> {
    let bad = |reason| MappingError::BadParam {
        channel: channel.to_owned(),
        param: name.to_owned(),
        reason,
    };
    let value = match params.get(name) {
        None | Some(Value::Null) => {
            return Err(MappingError::MissingParam {
                channel: channel.to_owned(),
                param: name.to_owned(),
            });
        }
        Some(value) => value,
    };
    let mut values = Vec::new();
    collect_scalars(value, &mut values, 0).map_err(bad)?;
    if values.is_empty() {
        return Err(bad("is empty"));
    }
    for value in &values {
        check_segment(value).map_err(bad)?;
    }
    values.dedup();
    Ok(values)
}

fn collect_scalars(value: &Value, out: &mut Vec<String>, depth: usize) -> Result<(), &'static str> {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) if depth < 2 => {
            for item in items {
                collect_scalars(item, out, depth + 1)?;
                if out.len() > MAX_NEEDS_PER_CONNECT {
                    return Err("has too many values");
                }
            }
        }
        _ => return Err("is not a string or a list of strings"),
    }
    Ok(())
}

/// A value must be usable as one path segment.
fn check_segment(value: &str) -> Result<(), &'static str> {
    if value.is_empty() {
        Err("is empty")
    } else if value == "." || value == ".." || value.contains(['/', '?', '#', '%', '\\']) {
        Err("is not a valid path segment")
    } else if value.chars().any(char::is_control) {
        Err("contains control characters")
    } else {
        Ok(())
    }
}

/// Resolves a pnut subscribe call (`path` like `/posts/123/thread`, `/v1` prefix allowed).
pub fn resolve_subscribe(
    tables: &MappingTables,
    path: &str,
    query: &BTreeMap<String, String>,
) -> Result<SubscribePlan, MappingError> {
    let path = path.split('?').next().unwrap_or(path);
    let path = path
        .strip_prefix("/v1")
        .filter(|p| p.starts_with('/'))
        .unwrap_or(path);
    let best = tables
        .pnut_endpoints
        .iter()
        .filter_map(|(pattern, mapping)| {
            match_path(pattern, path).map(|captures| (pattern, mapping, captures))
        })
        .max_by_key(|(pattern, _, _)| literal_segment_count(pattern));
    let Some((pattern, mapping, captures)) = best else {
        return Err(if fits_any(SUBSCRIBABLE_PNUT_ENDPOINTS, path) {
            MappingError::NotBridged {
                endpoint: path.to_owned(),
            }
        } else {
            MappingError::UnknownEndpoint {
                path: path.to_owned(),
            }
        });
    };
    if !mapping.bridged {
        return Err(MappingError::NotBridged {
            endpoint: pattern.clone(),
        });
    }
    let joins = mapping
        .channels
        .iter()
        .map(|join| {
            Ok(ChannelJoin {
                channel: join.channel.clone(),
                params: fill_json(&join.params, &captures)?,
            })
        })
        .collect::<Result<Vec<_>, MappingError>>()?;
    let capture = if mapping.capture.is_empty() {
        None
    } else {
        Some(fill_captured(&mapping.capture, &captures)?)
    };
    Ok(SubscribePlan {
        endpoint: pattern.clone(),
        captures,
        joins,
        capture,
        first_page: mapping.first_page.clone(),
        own_only: mapping.own_only,
        events: mapping.events.clone(),
        query: query
            .iter()
            .filter(|(k, _)| k.as_str() != "connection_id" && k.as_str() != "access_token")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    })
}

/// Matches a concrete path against a pattern; every captured segment must be path-safe.
fn match_path(pattern: &str, path: &str) -> Option<BTreeMap<String, String>> {
    catalog::match_path(pattern, path)
        .filter(|captures| captures.values().all(|s| check_segment(s).is_ok()))
}

fn fill_captured(
    template: &str,
    captures: &BTreeMap<String, String>,
) -> Result<String, MappingError> {
    let bad = || MappingError::BadTemplate {
        template: template.to_owned(),
    };
    let mut out = String::new();
    for part in template_parts(template).map_err(|_| bad())? {
        match part {
            TemplatePart::Literal(text) => out.push_str(text),
            TemplatePart::Placeholder(name) => out.push_str(captures.get(name).ok_or_else(bad)?),
        }
    }
    Ok(out)
}

fn fill_json(value: &Value, captures: &BTreeMap<String, String>) -> Result<Value, MappingError> {
    Ok(match value {
        Value::String(s) => Value::String(fill_captured(s, captures)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| fill_json(item, captures))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), fill_json(v, captures)?)))
                .collect::<Result<_, MappingError>>()?,
        ),
        other => other.clone(),
    })
}
