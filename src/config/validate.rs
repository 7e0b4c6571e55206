//! Semantic checks after parsing: ranges, relations between keys, URLs, tokens, mapping tables.
//! Every problem is collected and names its full key path.

use std::collections::BTreeMap;
use std::time::Duration;

use bytesize::ByteSize;
use url::Url;

use super::{Config, UpstreamTarget};
use crate::mapping::{toml_key, validate_tables};

const ONE_DAY: Duration = Duration::from_secs(86_400);

/// All problems of a parsed config (empty when it is valid).
pub fn validate(config: &Config) -> Vec<String> {
    let mut p = Problems::default();
    listen(config, &mut p);
    upstreams(config, &mut p);
    tokens(config, &mut p);
    limits(config, &mut p);
    timeouts(config, &mut p);
    ratelimit(config, &mut p);
    cluster(config, &mut p);
    let ids = &config.ids;
    p.range("ids.pnut_id_width", ids.pnut_id_width as u64, 1, 32);
    let translate = &config.translate;
    if translate.visibilities.is_empty() {
        p.push(
            "translate.visibilities",
            "must list at least one visibility",
        );
    }
    for (index, visibility) in translate.visibilities.iter().enumerate() {
        if translate
            .visibilities
            .get(..index)
            .unwrap_or_default()
            .contains(visibility)
        {
            p.push(format!("translate.visibilities[{index}]"), "listed twice");
        }
    }
    if translate.bookmark_reaction.trim().is_empty() {
        p.push("translate.bookmark_reaction", "must not be empty");
    }
    if config.misskey_meta.name.trim().is_empty() {
        p.push("misskey_meta.name", "must not be empty");
    }
    let uri = &config.misskey_meta.uri;
    if !uri.is_empty()
        && !matches!(Url::parse(uri), Ok(u) if ["http", "https"].contains(&u.scheme()))
    {
        p.push(
            "misskey_meta.uri",
            format!("{uri:?} is not an http(s) URL (or empty)"),
        );
    }
    p.0.extend(validate_tables(&config.mapping));
    p.0
}

#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, path: impl AsRef<str>, what: impl AsRef<str>) {
        self.0.push(format!("{}: {}", path.as_ref(), what.as_ref()));
    }

    fn range(&mut self, path: &str, value: u64, min: u64, max: u64) {
        if value < min || value > max {
            self.push(path, format!("{value} is out of range ({min}..={max})"));
        }
    }

    fn size(&mut self, path: &str, value: ByteSize, min: ByteSize, max: ByteSize) {
        if value < min || value > max {
            self.push(path, format!("{value} is out of range ({min}..={max})"));
        }
    }

    fn duration(&mut self, path: &str, value: Duration, min: Duration, max: Duration) {
        if value < min || value > max {
            self.push(
                path,
                format!(
                    "{} is out of range ({}..={})",
                    humantime::format_duration(value),
                    humantime::format_duration(min),
                    humantime::format_duration(max)
                ),
            );
        }
    }
}

fn listen(config: &Config, p: &mut Problems) {
    let listen = &config.listen;
    let mut seen = BTreeMap::new();
    let all = std::iter::once(("listen.addr".to_owned(), listen.addr))
        .chain(
            listen
                .misskey_extra
                .iter()
                .enumerate()
                .map(|(i, a)| (format!("listen.misskey_extra[{i}]"), *a)),
        )
        .chain(
            listen
                .pnut_extra
                .iter()
                .enumerate()
                .map(|(i, a)| (format!("listen.pnut_extra[{i}]"), *a)),
        )
        .chain(listen.admin.map(|a| ("listen.admin".to_owned(), a)));
    for (path, addr) in all {
        if addr.port() == 0 {
            continue;
        }
        if let Some(first) = seen.get(&addr) {
            p.push(&path, format!("{addr} is already used by {first}"));
        } else {
            seen.insert(addr, path);
        }
    }
    if listen.tls_cert.is_some() != listen.tls_key.is_some() {
        p.push(
            "listen.tls_cert",
            "tls_cert and tls_key go together: set both or neither",
        );
    }
}

fn upstreams(config: &Config, p: &mut Problems) {
    let upstream = &config.upstream;
    let timeouts = [
        ("pnut", &upstream.pnut.url, upstream.pnut.request_timeout),
        (
            "misskey",
            &upstream.misskey.url,
            upstream.misskey.request_timeout,
        ),
    ];
    for (name, target, request_timeout) in timeouts {
        if let UpstreamTarget::Url(url) = target {
            if url.host_str().is_none_or(str::is_empty) {
                p.push(
                    format!("upstream.{name}.url"),
                    format!("{target} has no host"),
                );
            }
            if name == "pnut" && !url.path().trim_end_matches('/').ends_with("/v1") {
                p.push(
                    "upstream.pnut.url",
                    format!("{target} must be the API base, ending in /v1"),
                );
            }
        }
        p.duration(
            &format!("upstream.{name}.request_timeout"),
            request_timeout,
            Duration::from_millis(100),
            Duration::from_secs(600),
        );
    }
    if let Some(stream_url) = &upstream.pnut.stream_url {
        stream_url_problems(stream_url.url(), p);
    }
    if let Some(interval) = config.sim.activity_interval {
        p.duration(
            "sim.activity_interval",
            interval,
            Duration::from_millis(10),
            ONE_DAY,
        );
    }
}

fn tokens(config: &Config, p: &mut Problems) {
    let tokens = &config.tokens;
    if !tokens.passthrough && tokens.map.is_empty() {
        p.push(
            "tokens.passthrough",
            "false with no [[tokens.map]] entries would refuse every token",
        );
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, entry) in tokens.map.iter().enumerate() {
        for (key, secret) in [("bridge", &entry.bridge), ("upstream", &entry.upstream)] {
            let token = secret.expose();
            if token.trim().is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                p.push(
                    format!("tokens.map[{index}].{key}"),
                    "must be a non-empty token without spaces",
                );
            }
        }
        match seen.get(entry.bridge.expose()) {
            Some(first) => p.push(
                format!("tokens.map[{index}].bridge"),
                format!("the same bridge token as tokens.map[{first}].bridge"),
            ),
            None => {
                seen.insert(entry.bridge.expose(), index);
            }
        }
    }
}

fn limits(config: &Config, p: &mut Problems) {
    let l = &config.limits;
    p.range(
        "limits.max_subscriptions_per_connection",
        l.max_subscriptions_per_connection.into(),
        1,
        1000,
    );
    p.range(
        "limits.max_connections_per_token",
        l.max_connections_per_token.into(),
        1,
        1000,
    );
    p.range(
        "limits.front_max_subscriptions_per_connection",
        l.front_max_subscriptions_per_connection.into(),
        1,
        1000,
    );
    p.range(
        "limits.max_channels_per_socket",
        l.max_channels_per_socket.into(),
        1,
        10_000,
    );
    p.size(
        "limits.max_frame_size",
        l.max_frame_size,
        ByteSize::kib(1),
        ByteSize::mib(16),
    );
    p.size(
        "limits.outbound_queue",
        l.outbound_queue,
        ByteSize::kib(1),
        ByteSize::gib(1),
    );
    if l.outbound_queue < l.max_frame_size {
        p.push(
            "limits.outbound_queue",
            format!(
                "{} is smaller than limits.max_frame_size ({})",
                l.outbound_queue, l.max_frame_size
            ),
        );
    }
    p.size(
        "limits.max_request_body",
        l.max_request_body,
        ByteSize::kib(1),
        ByteSize::mib(64),
    );
    p.size(
        "limits.max_upload_size",
        l.max_upload_size,
        ByteSize::kib(1),
        ByteSize::gib(1),
    );
    p.range(
        "limits.max_concurrent_uploads",
        l.max_concurrent_uploads.into(),
        1,
        10_000,
    );
    p.range("limits.backfill_count", l.backfill_count.into(), 1, 200);
    p.range("limits.backfill_max", l.backfill_max.into(), 1, 100_000);
    p.range("limits.captured_posts", l.captured_posts.into(), 0, 1000);
    p.range(
        "limits.max_polls_per_token",
        l.max_polls_per_token.into(),
        1,
        1000,
    );
}

fn timeouts(config: &Config, p: &mut Problems) {
    let t = &config.timeouts;
    let ms = Duration::from_millis;
    let plain = [
        ("pnut_idle", t.pnut_idle),
        ("pnut_front_client_silence", t.pnut_front_client_silence),
        ("misskey_ping", t.misskey_ping),
        ("misskey_pong_timeout", t.misskey_pong_timeout),
        ("reconnect_backoff_min", t.reconnect_backoff_min),
        ("reconnect_backoff_max", t.reconnect_backoff_max),
        ("upstream_pong_timeout", t.upstream_pong_timeout),
    ];
    for (key, value) in plain {
        p.duration(&format!("timeouts.{key}"), value, ms(10), ONE_DAY);
    }
    p.duration(
        "timeouts.pnut_keepalive",
        t.pnut_keepalive,
        ms(10),
        Duration::from_secs(59),
    );
    p.duration(
        "timeouts.poll_interval",
        t.poll_interval,
        Duration::from_secs(1),
        ONE_DAY,
    );
    p.duration("timeouts.linger", t.linger, Duration::ZERO, ONE_DAY);
    p.duration(
        "timeouts.session_idle",
        t.session_idle,
        Duration::ZERO,
        ONE_DAY,
    );
    p.duration(
        "timeouts.shutdown_grace",
        t.shutdown_grace,
        Duration::ZERO,
        Duration::from_secs(600),
    );
    let relations = [
        (
            "timeouts.pnut_keepalive",
            t.pnut_keepalive,
            "timeouts.pnut_idle",
            t.pnut_idle,
        ),
        (
            "timeouts.misskey_ping",
            t.misskey_ping,
            "timeouts.misskey_pong_timeout",
            t.misskey_pong_timeout,
        ),
    ];
    for (path, value, other_path, other) in relations {
        if value >= other {
            p.push(path, format!("must be shorter than {other_path}"));
        }
    }
    if t.reconnect_backoff_min > t.reconnect_backoff_max {
        p.push(
            "timeouts.reconnect_backoff_min",
            "must not exceed timeouts.reconnect_backoff_max",
        );
    }
}

fn ratelimit(config: &Config, p: &mut Problems) {
    let r = &config.ratelimit;
    p.duration(
        "ratelimit.max_wait",
        r.max_wait,
        Duration::ZERO,
        Duration::from_secs(3600),
    );
    p.duration(
        "ratelimit.default_pause",
        r.default_pause,
        Duration::from_secs(1),
        ONE_DAY,
    );
    p.duration(
        "ratelimit.sweep_interval",
        r.sweep_interval,
        Duration::from_secs(1),
        ONE_DAY,
    );
    p.range("ratelimit.get_retries", r.get_retries.into(), 0, 10);
    p.range(
        "ratelimit.pnut.poll_percent",
        r.pnut.poll_percent.into(),
        1,
        100,
    );
    let quotas = [
        ("ratelimit.pnut.get_per_hour", r.pnut.get_per_hour),
        ("ratelimit.pnut.writes_per_minute", r.pnut.writes_per_minute),
        (
            "ratelimit.pnut.upstream_per_second",
            r.pnut.upstream_per_second,
        ),
        (
            "ratelimit.misskey.per_token_per_second",
            r.misskey.per_token_per_second,
        ),
        (
            "ratelimit.misskey.upstream_per_second",
            r.misskey.upstream_per_second,
        ),
    ];
    for (path, value) in quotas {
        p.range(path, value.into(), 1, 1_000_000);
    }
    for (endpoint, rate) in &r.misskey.endpoints {
        let path = format!("ratelimit.misskey.endpoints.{}", toml_key(endpoint));
        if endpoint.is_empty() || endpoint.starts_with('/') {
            p.push(&path, "must be a Misskey endpoint name like notes/create");
        }
        p.range(&path, rate.count.into(), 1, 1_000_000);
        if rate.per.is_zero() || rate.per > ONE_DAY {
            p.push(&path, "the period must be above zero and at most a day");
        }
    }
}

/// `upstream.pnut.stream_url`: a host, a path ending in `/user`, and no token (the bridge adds
/// each user's token itself, so a URL in the config never carries one).
fn stream_url_problems(url: &Url, p: &mut Problems) {
    const KEY: &str = "upstream.pnut.stream_url";
    let shown = super::sections::masked_url(url);
    if url.host_str().is_none_or(str::is_empty) {
        p.push(KEY, format!("{shown} has no host"));
    }
    if !url.path().trim_end_matches('/').ends_with("/user") {
        p.push(
            KEY,
            format!("{shown} must be the user-stream endpoint, ending in /user"),
        );
    }
    let secret = ["access_token", "token", "i", "key"];
    if url.query_pairs().any(|(k, _)| secret.contains(&k.as_ref())) || url.password().is_some() {
        p.push(
            KEY,
            format!("{shown} must not carry a token: the bridge adds each user's token"),
        );
    }
}

fn cluster(config: &Config, p: &mut Problems) {
    let Some(cluster) = &config.cluster else {
        return;
    };
    let second = Duration::from_secs(1);
    let ms = Duration::from_millis(1);
    p.duration("cluster.lease_ttl", cluster.lease_ttl, second, ONE_DAY);
    p.duration(
        "cluster.op_timeout",
        cluster.op_timeout,
        ms,
        cluster.lease_ttl / 3,
    );
    p.duration(
        "cluster.health_interval",
        cluster.health_interval,
        ms,
        cluster.lease_ttl,
    );
    if cluster
        .key_prefix
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        p.push(
            "cluster.key_prefix",
            "must not contain spaces or control characters",
        );
    }
    if let Some(url) = &cluster.advertise_url
        && !url::Url::parse(url)
            .is_ok_and(|u| ["http", "https"].contains(&u.scheme()) && u.host_str().is_some())
    {
        p.push(
            "cluster.advertise_url",
            "must be an http:// or https:// URL with a host",
        );
    }
}
