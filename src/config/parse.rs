//! TOML text → [`Config`], section by section so that problems in different sections are all
//! reported, each with its full key path; environment overrides merged in before.

use std::collections::BTreeMap;

use config::Source;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

use super::{ClusterConfig, Config, ENV_PREFIX, ENV_SEPARATOR};
use crate::mapping::{ChannelMapping, EndpointMapping, toml_key};

/// The top-level sections, in config.toml order.
const SECTIONS: &[&str] = &[
    "listen",
    "upstream",
    "sim",
    "tokens",
    "limits",
    "timeouts",
    "ratelimit",
    "ids",
    "translate",
    "misskey_meta",
    "mapping",
    "cluster",
    "storage",
    "oauth",
];

/// Parses TOML text into a table; a syntax error is one problem naming `origin`.
pub fn toml_table(text: &str, origin: &str) -> Result<toml::Table, Vec<String>> {
    text.parse::<toml::Table>().map_err(|e| {
        // toml's message spans several lines (location, excerpt, caret, reason): keep the
        // location and the reason so the problem stays on one line.
        let message = e.to_string();
        let lines: Vec<&str> = message
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let first = lines.first().copied().unwrap_or("");
        let last = lines.last().copied().unwrap_or("");
        let summary = if first == last {
            first.to_owned()
        } else {
            format!("{first}: {last}")
        };
        vec![format!("{origin}: invalid TOML: {summary}")]
    })
}

/// Merges `PNUTKEY__SECTION__KEY=value` overrides (from `env`, or the process environment when
/// `None`) into `table`. A value is read as a TOML literal when it is one (`16`, `true`,
/// `["public"]`), else as a string.
pub fn apply_env(
    table: &mut toml::Table,
    env: Option<BTreeMap<String, String>>,
) -> Result<(), Vec<String>> {
    let source = config::Environment::with_prefix(ENV_PREFIX)
        .separator(ENV_SEPARATOR)
        .source(env.map(|vars| vars.into_iter().collect()));
    let collected = source
        .collect()
        .map_err(|e| vec![format!("environment overrides: {e}")])?;
    let mut problems = Vec::new();
    let mut overrides: Vec<(String, config::Value)> = collected.into_iter().collect();
    overrides.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, value) in overrides {
        let raw = match value.into_string() {
            Ok(raw) => raw,
            Err(e) => {
                problems.push(format!("{key}: environment override: {e}"));
                continue;
            }
        };
        if let Err(problem) = insert_path(table, &key, literal(&raw)) {
            problems.push(problem);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn literal(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

fn insert_path(table: &mut toml::Table, key: &str, value: toml::Value) -> Result<(), String> {
    let parts: Vec<&str> = key.split('.').collect();
    let Some((last, parents)) = parts.split_last() else {
        return Err(format!("{key}: empty environment override key"));
    };
    let mut current = table;
    for (depth, part) in parents.iter().enumerate() {
        let entry = current
            .entry((*part).to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = match entry {
            toml::Value::Table(inner) => inner,
            _ => {
                let path = parts.get(..=depth).unwrap_or_default().join(".");
                return Err(format!(
                    "{key}: environment override: {path} is not a table"
                ));
            }
        };
    }
    current.insert((*last).to_owned(), value);
    Ok(())
}

/// `[mapping]` as written: entries replace the default entry of the same name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingOverlay {
    #[serde(default)]
    misskey_channels: BTreeMap<String, ChannelMapping>,
    #[serde(default)]
    pnut_endpoints: BTreeMap<String, EndpointMapping>,
}

/// Deserializes every section; sections absent from the table (or that fail to parse) keep their
/// defaults. Returns the config and the problems found.
pub fn config_from_table(table: toml::Table) -> (Config, Vec<String>) {
    let mut config = Config::default();
    let mut problems = Vec::new();
    for (name, value) in table {
        let problems = &mut problems;
        match name.as_str() {
            "listen" => set(&name, value, problems, &mut config.listen),
            "upstream" => set(&name, value, problems, &mut config.upstream),
            "sim" => set(&name, value, problems, &mut config.sim),
            "tokens" => set(&name, value, problems, &mut config.tokens),
            "limits" => set(&name, value, problems, &mut config.limits),
            "timeouts" => set(&name, value, problems, &mut config.timeouts),
            "ratelimit" => set(&name, value, problems, &mut config.ratelimit),
            "ids" => set(&name, value, problems, &mut config.ids),
            "translate" => set(&name, value, problems, &mut config.translate),
            "misskey_meta" => set(&name, value, problems, &mut config.misskey_meta),
            "cluster" => {
                let mut cluster = ClusterConfig::default();
                set(&name, value, problems, &mut cluster);
                config.cluster = Some(cluster);
            }
            "storage" => set(&name, value, problems, &mut config.storage),
            "oauth" => set(&name, value, problems, &mut config.oauth),
            "mapping" => {
                if let Some(overlay) = section::<MappingOverlay>(&name, value, problems) {
                    config
                        .mapping
                        .misskey_channels
                        .extend(overlay.misskey_channels);
                    config.mapping.pnut_endpoints.extend(overlay.pnut_endpoints);
                }
            }
            _ => problems.push(format!(
                "{}: unknown section (expected one of: {})",
                toml_key(&name),
                SECTIONS.join(", ")
            )),
        }
    }
    (config, problems)
}

fn set<T: DeserializeOwned>(
    name: &str,
    value: toml::Value,
    problems: &mut Vec<String>,
    slot: &mut T,
) {
    if let Some(parsed) = section(name, value, problems) {
        *slot = parsed;
    }
}

/// Deserializes one section. On failure, each key of the section is tried alone (every field
/// has a default) so that every bad key is reported, not just the first.
fn section<T: DeserializeOwned>(
    name: &str,
    value: toml::Value,
    problems: &mut Vec<String>,
) -> Option<T> {
    let whole_error = match serde_path_to_error::deserialize::<_, T>(value.clone()) {
        Ok(parsed) => return Some(parsed),
        Err(e) => describe_error(name, e),
    };
    let mut per_key = Vec::new();
    if let toml::Value::Table(table) = value
        && table.len() > 1
    {
        for (key, item) in table {
            let single = toml::Value::Table(toml::Table::from_iter([(key, item)]));
            if let Err(e) = serde_path_to_error::deserialize::<_, T>(single) {
                per_key.push(describe_error(name, e));
            }
        }
    }
    if per_key.is_empty() {
        problems.push(whole_error);
    } else {
        problems.extend(per_key);
    }
    None
}

fn describe_error(name: &str, e: serde_path_to_error::Error<toml::de::Error>) -> String {
    let mut path = toml_key(name);
    for segment in e.path().iter() {
        match segment {
            Segment::Seq { index } => path.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                path.push('.');
                path.push_str(&toml_key(key));
            }
            Segment::Enum { variant } => {
                path.push('.');
                path.push_str(&toml_key(variant));
            }
            Segment::Unknown => path.push_str(".?"),
        }
    }
    describe(path, &e.into_inner().to_string())
}

/// `unknown field `x`` / `missing field `x`` name a key below the path: move it into the path.
fn describe(path: String, message: &str) -> String {
    // toml appends its own "\nin `key`" trailer; the path already says where.
    let message = message.split("\nin `").next().unwrap_or(message).trim_end();
    for (prefix, what) in [
        ("unknown field `", "unknown key"),
        ("missing field `", "missing key"),
    ] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((field, tail)) = rest.split_once('`')
        {
            let tail = tail.trim_start_matches(',').trim();
            let detail = if tail.is_empty() {
                String::new()
            } else {
                format!(" ({tail})")
            };
            let field = toml_key(field);
            let path = if path.ends_with(&format!(".{field}")) {
                path
            } else {
                format!("{path}.{field}")
            };
            return format!("{path}: {what}{detail}");
        }
    }
    format!("{path}: {message}")
}
