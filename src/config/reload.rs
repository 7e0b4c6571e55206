//! Applying a re-read config to a running bridge (SIGHUP): which keys take effect and which
//! need a restart. Restart-only keys keep their running values; each one that changed is
//! reported as `key.path: needs a restart; kept VALUE`. Pure: no IO, no logging.

use super::Config;

/// Keys (a section, or one key of a section) that a running bridge cannot change: the
/// listeners and upstream clients are built once at start, and ids must stay stable.
/// (`[ratelimit]` quotas do reload: the app swaps the limiters.)
pub const RESTART_ONLY: &[&str] = &[
    "listen",
    "upstream",
    "sim",
    "storage",
    "ids",
    "ratelimit.get_retries",
    "ratelimit.sweep_interval",
    "translate",
    "timeouts.pnut_keepalive",
    "timeouts.pnut_idle",
    "timeouts.upstream_pong_timeout",
    "timeouts.shutdown_grace",
    "timeouts.reconnect_backoff_min",
    "timeouts.reconnect_backoff_max",
    "cluster",
];

/// The outcome of planning a reload.
#[derive(Debug, Clone, PartialEq)]
pub struct ReloadPlan {
    /// The config to run with: the loaded one, with every restart-only key at its running value.
    pub config: Config,
    /// What the reload changes and keeps.
    pub report: ReloadReport,
}

/// What a reload changed, and which changed keys it could not apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadReport {
    /// Top-level sections whose effective values changed (e.g. `limits`, `mapping`).
    pub changed_sections: Vec<String>,
    /// One line per changed restart-only key: `listen.addr: needs a restart; kept 127.0.0.1:8080`
    /// (values as the masked TOML form prints them, so never a token).
    pub kept: Vec<String>,
}

/// Plans replacing `running` with `loaded`: restart-only keys keep their running values.
pub fn plan_reload(running: &Config, loaded: Config) -> ReloadPlan {
    let kept = restart_only_changes(running, &loaded);
    let config = keep_restart_only(running, loaded);
    let changed_sections = changed_sections(running, &config);
    ReloadPlan {
        config,
        report: ReloadReport {
            changed_sections,
            kept,
        },
    }
}

/// Whether `path` (`section.key...`) is restart-only.
pub fn is_restart_only(path: &str) -> bool {
    RESTART_ONLY.iter().any(|prefix| {
        path == *prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    })
}

/// `loaded` with every restart-only key set back to its `running` value.
fn keep_restart_only(running: &Config, mut loaded: Config) -> Config {
    loaded.listen = running.listen.clone();
    loaded.upstream = running.upstream.clone();
    loaded.sim = running.sim.clone();
    loaded.storage = running.storage.clone();
    loaded.ids = running.ids.clone();
    loaded.ratelimit.get_retries = running.ratelimit.get_retries;
    loaded.ratelimit.sweep_interval = running.ratelimit.sweep_interval;
    loaded.translate = running.translate.clone();
    loaded.cluster = running.cluster.clone();
    let (kept, to) = (&running.timeouts, &mut loaded.timeouts);
    to.pnut_keepalive = kept.pnut_keepalive;
    to.pnut_idle = kept.pnut_idle;
    to.upstream_pong_timeout = kept.upstream_pong_timeout;
    to.shutdown_grace = kept.shutdown_grace;
    to.reconnect_backoff_min = kept.reconnect_backoff_min;
    to.reconnect_backoff_max = kept.reconnect_backoff_max;
    loaded
}

/// Top-level sections that differ (typed comparison, so a changed token counts too).
fn changed_sections(before: &Config, after: &Config) -> Vec<String> {
    let sections = [
        ("listen", before.listen != after.listen),
        ("upstream", before.upstream != after.upstream),
        ("sim", before.sim != after.sim),
        ("tokens", before.tokens != after.tokens),
        ("limits", before.limits != after.limits),
        ("timeouts", before.timeouts != after.timeouts),
        ("ratelimit", before.ratelimit != after.ratelimit),
        ("ids", before.ids != after.ids),
        ("translate", before.translate != after.translate),
        ("misskey_meta", before.misskey_meta != after.misskey_meta),
        ("storage", before.storage != after.storage),
        ("oauth", before.oauth != after.oauth),
        ("mapping", before.mapping != after.mapping),
        ("cluster", before.cluster != after.cluster),
    ];
    sections
        .into_iter()
        .filter(|(_, changed)| *changed)
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// `key: needs a restart; kept VALUE` for each restart-only leaf that differs.
fn restart_only_changes(running: &Config, loaded: &Config) -> Vec<String> {
    let (Ok(old), Ok(new)) = (
        toml::Value::try_from(running),
        toml::Value::try_from(loaded),
    ) else {
        return Vec::new();
    };
    let mut changes = Vec::new();
    diff_leaves("", Some(&old), Some(&new), &mut changes);
    changes
        .into_iter()
        .filter(|(path, _)| is_restart_only(path))
        .map(|(path, kept)| format!("{path}: needs a restart; kept {kept}"))
        .collect()
}

/// Collects `(path, old value)` for every leaf that differs between `old` and `new`; tables
/// are descended, anything else (arrays included) is a leaf.
fn diff_leaves(
    path: &str,
    old: Option<&toml::Value>,
    new: Option<&toml::Value>,
    out: &mut Vec<(String, String)>,
) {
    if let (Some(toml::Value::Table(old)), Some(toml::Value::Table(new))) = (old, new) {
        let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let child = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            diff_leaves(&child, old.get(key), new.get(key), out);
        }
    } else if old != new {
        out.push((
            path.to_owned(),
            old.map_or_else(|| "unset".to_owned(), show),
        ));
    }
}

/// A TOML value for a log line: strings bare, everything else in TOML syntax.
fn show(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::parse_str;

    #[test]
    fn restart_only_paths() {
        assert!(is_restart_only("listen.addr"));
        assert!(is_restart_only("upstream.pnut.url"));
        assert!(is_restart_only("timeouts.pnut_idle"));
        assert!(!is_restart_only("timeouts.linger"));
        assert!(!is_restart_only("limits.backfill_count"));
        assert!(!is_restart_only("listener.addr"));
    }

    #[test]
    fn reloadable_changes_apply_and_are_reported() {
        let running = Config::default();
        let loaded = parse_str(
            "[limits]\nmax_channels_per_socket = 3\n[timeouts]\nlinger = \"1s\"\n\
             [misskey_meta]\nname = \"other\"\n",
        )
        .unwrap();
        let plan = plan_reload(&running, loaded.clone());
        assert_eq!(plan.config, loaded);
        assert_eq!(
            plan.report.changed_sections,
            ["limits", "timeouts", "misskey_meta"]
        );
        assert!(plan.report.kept.is_empty(), "{:?}", plan.report.kept);
    }

    #[test]
    fn restart_only_changes_keep_the_running_values_and_name_each_key() {
        let running = Config::default();
        let loaded = parse_str(
            "[listen]\naddr = \"127.0.0.1:9999\"\n[ids]\npnut_id_width = 12\n\
             [timeouts]\npnut_idle = \"2m\"\nlinger = \"5s\"\n[limits]\nbackfill_count = 7\n",
        )
        .unwrap();
        let plan = plan_reload(&running, loaded);
        assert_eq!(plan.config.listen, running.listen);
        assert_eq!(plan.config.ids, running.ids);
        assert_eq!(plan.config.timeouts.pnut_idle, running.timeouts.pnut_idle);
        assert_eq!(plan.config.timeouts.linger, Duration::from_secs(5));
        assert_eq!(plan.config.limits.backfill_count, 7);
        assert_eq!(
            plan.report.kept,
            [
                "ids.pnut_id_width: needs a restart; kept 16".to_owned(),
                "listen.addr: needs a restart; kept 127.0.0.1:8080".to_owned(),
                "timeouts.pnut_idle: needs a restart; kept 1m 30s".to_owned(),
            ]
        );
        assert_eq!(plan.report.changed_sections, ["limits", "timeouts"]);
    }

    #[test]
    fn ratelimit_quotas_reload_but_retries_need_a_restart() {
        let loaded = parse_str(
            "[ratelimit]\nget_retries = 0\nmax_wait = \"1s\"\n[ratelimit.pnut]\nget_per_hour = 5\n",
        )
        .unwrap();
        let running = Config::default();
        let plan = plan_reload(&running, loaded);
        assert_eq!(plan.config.ratelimit.pnut.get_per_hour, 5);
        assert_eq!(plan.config.ratelimit.max_wait, Duration::from_secs(1));
        assert_eq!(plan.config.ratelimit.get_retries, 2);
        assert_eq!(plan.report.changed_sections, ["ratelimit"]);
        assert_eq!(
            plan.report.kept,
            ["ratelimit.get_retries: needs a restart; kept 2".to_owned()]
        );
    }

    #[test]
    fn an_unchanged_reload_changes_nothing() {
        let plan = plan_reload(&Config::default(), Config::default());
        assert_eq!(plan.report, ReloadReport::default());
    }

    #[test]
    fn token_changes_apply_without_printing_tokens() {
        let loaded = parse_str(
            "[tokens]\npassthrough = false\n[[tokens.map]]\nbridge = \"bridge-secret-123\"\n\
             upstream = \"upstream-secret-456\"\n",
        )
        .unwrap();
        let plan = plan_reload(&Config::default(), loaded.clone());
        assert_eq!(plan.config.tokens, loaded.tokens);
        assert_eq!(plan.report.changed_sections, ["tokens"]);
        assert!(plan.report.kept.is_empty());
    }

    #[test]
    fn nothing_restart_only_survives_a_reload() {
        let loaded = parse_str(
            "[listen]\naddr = \"127.0.0.1:1\"\nadmin = \"127.0.0.1:2\"\n\
             [upstream.pnut]\nurl = \"http://pnut.example/v1\"\nrequest_timeout = \"3s\"\n\
             [sim]\nseed = 99\n[ratelimit]\nget_retries = 0\n[translate]\nbookmark_as = \"favorite\"\n\
             [timeouts]\npnut_keepalive = \"5s\"\npnut_idle = \"20s\"\nshutdown_grace = \"1s\"\n\
             reconnect_backoff_min = \"2s\"\nreconnect_backoff_max = \"3s\"\n",
        )
        .unwrap();
        let running = Config::default();
        let plan = plan_reload(&running, loaded);
        assert_eq!(plan.config, running);
        assert!(plan.report.changed_sections.is_empty());
        // 12 keys set, plus upstream.pnut.stream_url, whose effective value follows the url.
        assert_eq!(plan.report.kept.len(), 13, "{:?}", plan.report.kept);
        assert!(
            plan.report
                .kept
                .iter()
                .any(|line| line == "listen.admin: needs a restart; kept unset"),
            "{:?}",
            plan.report.kept
        );
    }
}
