//! Validation of the mapping tables; every problem names its full key path under `mapping.`.

use serde_json::Value;

use super::catalog::{
    FILTER_PARAMS, MISSKEY_REST_ENDPOINTS, NOTE_LIST_CALLS, POLL_ONLY_PNUT_ENDPOINTS, RestRoute,
    SUBSCRIBABLE_PNUT_ENDPOINTS, fits_any, misskey_channel_events, misskey_channel_params,
    path_segments, placeholder_name, pnut_endpoint_data, pnut_get_route, template_parts,
    template_placeholders,
};
use super::tables::{ChannelMapping, EndpointMapping, MappingTables};

/// A table key as it appears in a TOML key path (quoted unless it is a bare key).
pub fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}

/// Every problem in both tables, as `mapping.<path>: <what is wrong>`.
pub fn validate_tables(tables: &MappingTables) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, mapping) in &tables.misskey_channels {
        let path = format!("mapping.misskey_channels.{}", toml_key(name));
        validate_channel(&path, name, mapping, &mut problems);
    }
    for (pattern, mapping) in &tables.pnut_endpoints {
        let path = format!("mapping.pnut_endpoints.{}", toml_key(pattern));
        validate_endpoint(&path, pattern, mapping, &mut problems);
    }
    problems
}

fn validate_channel(path: &str, name: &str, mapping: &ChannelMapping, problems: &mut Vec<String>) {
    let Some(params) = misskey_channel_params(name) else {
        problems.push(format!("{path}: {name:?} is not a Misskey channel"));
        return;
    };
    let lists = [
        (
            "pnut",
            &mapping.pnut,
            SUBSCRIBABLE_PNUT_ENDPOINTS,
            "subscribable",
        ),
        ("poll", &mapping.poll, POLL_ONLY_PNUT_ENDPOINTS, "pollable"),
    ];
    for (key, templates, extra, kind) in lists {
        for (index, template) in templates.iter().enumerate() {
            let at = format!("{path}.{key}[{index}]");
            let fits = fits_any(SUBSCRIBABLE_PNUT_ENDPOINTS, template)
                || (key == "poll" && fits_any(extra, template));
            if let Err(reason) = template_parts(template) {
                problems.push(format!("{at}: {reason}"));
                continue;
            }
            if !fits {
                problems.push(format!("{at}: {template:?} is not a {kind} pnut endpoint"));
            }
            for placeholder in template_placeholders(template) {
                if !params.contains(&placeholder) {
                    problems.push(format!(
                        "{at}: placeholder {{{placeholder}}} is not a param of Misskey channel {name} (its params: {})",
                        list_or_none(params)
                    ));
                }
            }
        }
    }
    for (index, filter) in mapping.filters.iter().enumerate() {
        if !FILTER_PARAMS.contains(&filter.as_str()) || !params.contains(&filter.as_str()) {
            problems.push(format!(
                "{path}.filters[{index}]: {filter:?} is not a filter param of Misskey channel {name}"
            ));
        }
    }
    validate_channel_events(path, mapping, problems);
    for key in mapping.query.keys() {
        if key.is_empty() || key.contains(['&', '=', '?', '#']) {
            problems.push(format!(
                "{path}.query: {key:?} is not a valid query param name"
            ));
        }
    }
}

/// Every `events` entry names one of the channel's templates and a kind its data fits.
fn validate_channel_events(path: &str, mapping: &ChannelMapping, problems: &mut Vec<String>) {
    for (template, kind) in &mapping.events {
        let at = format!("{path}.events.{}", toml_key(template));
        if !mapping.pnut.contains(template) && !mapping.poll.contains(template) {
            problems.push(format!(
                "{at}: {template:?} is not one of this channel's pnut or poll endpoints"
            ));
            continue;
        }
        let data = pnut_endpoint_data(template);
        if !kind.fits(data) {
            problems.push(format!(
                "{at}: {template:?} carries {data:?}, which cannot be presented as {kind:?}"
            ));
        }
    }
}

fn validate_endpoint(
    path: &str,
    pattern: &str,
    mapping: &EndpointMapping,
    problems: &mut Vec<String>,
) {
    if !fits_any(SUBSCRIBABLE_PNUT_ENDPOINTS, pattern) {
        problems.push(format!(
            "{path}: {pattern:?} is not a subscribable pnut endpoint"
        ));
        return;
    }
    let captured: Vec<&str> = path_segments(pattern)
        .into_iter()
        .filter_map(placeholder_name)
        .collect();
    let check_template = |at: String, template: &str, problems: &mut Vec<String>| {
        if let Err(reason) = template_parts(template) {
            problems.push(format!("{at}: {reason}"));
            return;
        }
        for placeholder in template_placeholders(template) {
            if !captured.contains(&placeholder) {
                problems.push(format!(
                    "{at}: placeholder {{{placeholder}}} is not captured by {pattern:?} (it captures: {})",
                    list_or_none(&captured)
                ));
            }
        }
    };
    for (index, join) in mapping.channels.iter().enumerate() {
        let at = format!("{path}.channels[{index}]");
        let Some(params) = misskey_channel_params(&join.channel) else {
            problems.push(format!(
                "{at}.channel: {:?} is not a Misskey channel",
                join.channel
            ));
            continue;
        };
        let Value::Object(map) = &join.params else {
            problems.push(format!("{at}.params: must be a table"));
            continue;
        };
        for (key, value) in map {
            let key_at = format!("{at}.params.{}", toml_key(key));
            if !params.contains(&key.as_str()) {
                problems.push(format!(
                    "{key_at}: not a param of Misskey channel {} (its params: {})",
                    join.channel,
                    list_or_none(params)
                ));
            }
            for template in json_strings(value) {
                check_template(key_at.clone(), template, problems);
            }
        }
    }
    if !mapping.capture.is_empty() {
        check_template(format!("{path}.capture"), &mapping.capture, problems);
    }
    for (index, name) in mapping.first_page.iter().enumerate() {
        if !MISSKEY_REST_ENDPOINTS.contains(&name.as_str()) {
            problems.push(format!(
                "{path}.first_page[{index}]: {name:?} is not a Misskey REST endpoint the bridge can call"
            ));
        }
    }
    validate_events(path, mapping, problems);
    match pnut_get_route(pattern) {
        Some(route) if mapping.bridged => validate_first_page(path, route, mapping, problems),
        Some(_) => {}
        None if mapping.bridged => problems.push(format!(
            "{path}: the pnut REST front has no GET route answering {pattern:?} (set bridged = false)"
        )),
        None => {}
    }
    if mapping.bridged && mapping.channels.is_empty() && mapping.capture.is_empty() {
        problems.push(format!(
            "{path}.channels: a bridged endpoint must join at least one Misskey channel (or set bridged = false)"
        ));
    }
}

/// `first_page`: the REST route answers the subscribe, so a note-list route's calls may be
/// any of [`NOTE_LIST_CALLS`] (they replace its own), another route's only calls it makes.
fn validate_first_page(
    path: &str,
    route: &RestRoute,
    mapping: &EndpointMapping,
    problems: &mut Vec<String>,
) {
    for (index, call) in mapping.first_page.iter().enumerate() {
        let at = format!("{path}.first_page[{index}]");
        if route.note_list && !NOTE_LIST_CALLS.contains(&call.as_str()) {
            problems.push(format!(
                "{at}: {call:?} is not a note list the REST route {} can answer from (one of: {})",
                route.pattern,
                NOTE_LIST_CALLS.join(", ")
            ));
        } else if !route.note_list && !route.calls.contains(&call.as_str()) {
            problems.push(format!(
                "{at}: the REST route {} answers from {}, not {call:?}",
                route.pattern,
                route.calls.join(", ")
            ));
        }
    }
}

/// `events`: every key a Misskey channel the endpoint joins, every value one of its events.
fn validate_events(path: &str, mapping: &EndpointMapping, problems: &mut Vec<String>) {
    for (channel, events) in &mapping.events {
        let at = format!("{path}.events.{}", toml_key(channel));
        let Some(known) = misskey_channel_events(channel) else {
            problems.push(format!("{at}: {channel:?} is not a Misskey channel"));
            continue;
        };
        if !mapping.channels.iter().any(|join| &join.channel == channel) {
            problems.push(format!(
                "{at}: Misskey channel {channel} is not joined by this endpoint (see channels)"
            ));
        }
        for (index, event) in events.iter().enumerate() {
            if !known.contains(&event.as_str()) {
                problems.push(format!(
                    "{at}[{index}]: {event:?} is not an event of Misskey channel {channel} (its events: {})",
                    list_or_none(known)
                ));
            }
        }
    }
}

fn json_strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().flat_map(json_strings).collect(),
        Value::Object(map) => map.values().flat_map(json_strings).collect(),
        _ => Vec::new(),
    }
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_tables_are_valid() {
        assert_eq!(
            validate_tables(&MappingTables::default()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn unknown_event_names_and_channels_are_named_with_their_key() {
        let mut tables = MappingTables::default();
        let token = tables.pnut_endpoints.get_mut("/token").expect("row");
        token.events.insert("main".into(), vec!["meUpdatd".into()]);
        token
            .events
            .insert("drive".into(), vec!["fileCreated".into()]);
        token.events.insert("mian".into(), vec![]);
        let problems = validate_tables(&tables);
        assert_eq!(
            problems,
            vec![
                "mapping.pnut_endpoints.\"/token\".events.drive: Misskey channel drive is not joined by this endpoint (see channels)".to_owned(),
                format!(
                    "mapping.pnut_endpoints.\"/token\".events.main[0]: \"meUpdatd\" is not an event of Misskey channel main (its events: {})",
                    misskey_channel_events("main").unwrap_or_default().join(", ")
                ),
                "mapping.pnut_endpoints.\"/token\".events.mian: \"mian\" is not a Misskey channel".to_owned(),
            ]
        );
    }

    #[test]
    fn first_page_calls_must_be_what_the_rest_route_answers_from() {
        let mut tables = MappingTables::default();
        let rows = &mut tables.pnut_endpoints;
        if let Some(row) = rows.get_mut("/posts/streams/me") {
            row.first_page = vec!["notes/hybrid-timeline".into()];
        }
        if let Some(row) = rows.get_mut("/posts/streams/unified") {
            row.first_page = vec!["users/notes".into()];
        }
        if let Some(row) = rows.get_mut("/token") {
            row.first_page = vec!["drive/files".into()];
        }
        assert_eq!(
            validate_tables(&tables),
            vec![
                "mapping.pnut_endpoints.\"/posts/streams/unified\".first_page[0]: \"users/notes\" is not a note list the REST route /posts/streams/unified can answer from (one of: notes/timeline, notes/hybrid-timeline, notes/local-timeline, notes/global-timeline, notes/mentions)".to_owned(),
                "mapping.pnut_endpoints.\"/token\".first_page[0]: the REST route /token answers from i, not \"drive/files\"".to_owned(),
            ]
        );
    }

    #[test]
    fn keys_with_slashes_are_quoted() {
        assert_eq!(toml_key("homeTimeline"), "homeTimeline");
        assert_eq!(toml_key("/token"), "\"/token\"");
    }
}
