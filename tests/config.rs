//! Config loading, validation messages, env overrides, masking, and the `check-config` command.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use pnutkey::config::{
    self, Config, DEFAULT_CONFIG_TOML, UpstreamTarget, Visibility, load_with_env, parse_str,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

fn no_env() -> Option<BTreeMap<String, String>> {
    Some(BTreeMap::new())
}

fn env(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

fn check_config(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pnutkey"));
    command.env_clear().arg("check-config").args(args);
    for (k, v) in envs {
        command.env(k, v);
    }
    match command.output() {
        Ok(output) => output,
        Err(e) => panic!("cannot run pnutkey: {e}"),
    }
}

fn problems_of(name: &str) -> Vec<String> {
    match load_with_env(Some(&fixture(name)), no_env()) {
        Ok(config) => panic!("{name} was accepted: {config:?}"),
        Err(e) => e.problems,
    }
}

#[test]
fn shipped_config_is_exactly_the_defaults() {
    let parsed = parse_str(DEFAULT_CONFIG_TOML).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed, Config::default());
    let loaded = load_with_env(None, no_env()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded, Config::default());
}

#[test]
fn defaults_match_the_spec_numbers() {
    let c = Config::default();
    assert_eq!(c.listen.addr, SocketAddr::from(([127, 0, 0, 1], 8080)));
    assert_eq!(c.upstream.pnut.url, UpstreamTarget::Sim);
    assert_eq!(c.sim.activity_interval, Some(Duration::from_secs(1)));
    assert!(c.tokens.passthrough);
    assert_eq!(c.limits.max_subscriptions_per_connection, 16);
    assert_eq!(c.limits.max_connections_per_token, 4);
    assert_eq!(c.limits.max_channels_per_socket, 32);
    assert_eq!(c.limits.max_frame_size.as_u64(), 64 * 1024);
    assert_eq!(c.limits.outbound_queue.as_u64(), 1024 * 1024);
    assert_eq!(c.limits.max_upload_size.as_u64(), 20 * 1024 * 1024);
    assert_eq!(c.limits.max_concurrent_uploads, 16);
    assert_eq!(c.limits.backfill_count, 200);
    assert_eq!(c.timeouts.pnut_keepalive, Duration::from_secs(30));
    assert_eq!(c.timeouts.pnut_idle, Duration::from_secs(90));
    assert_eq!(
        c.timeouts.pnut_front_client_silence,
        Duration::from_secs(60)
    );
    assert_eq!(c.timeouts.misskey_ping, Duration::from_secs(60));
    assert_eq!(c.timeouts.misskey_pong_timeout, Duration::from_secs(120));
    assert_eq!(c.timeouts.poll_interval, Duration::from_secs(15));
    assert_eq!(c.timeouts.linger, Duration::from_secs(30));
    assert_eq!(c.timeouts.shutdown_grace, Duration::from_secs(10));
    assert_eq!(c.ratelimit.max_wait, Duration::from_secs(10));
    assert_eq!(c.ratelimit.default_pause, Duration::from_secs(600));
    assert_eq!(c.ratelimit.pnut.get_per_hour, 4500);
    assert_eq!(c.ratelimit.pnut.writes_per_minute, 18);
    assert_eq!(c.ratelimit.pnut.upstream_per_second, 50);
    assert_eq!(c.ratelimit.misskey.per_token_per_second, 10);
    assert_eq!(c.ratelimit.misskey.upstream_per_second, 50);
    assert_eq!(c.ids.pnut_id_width, 16);
    assert!(c.translate.note_updated_revisions);
    assert_eq!(
        c.translate.visibilities,
        vec![Visibility::Public, Visibility::Home]
    );
}

#[test]
fn masked_default_output_parses_back_to_the_defaults() {
    let printed = Config::default().to_masked_toml();
    let reparsed = parse_str(&printed).unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(reparsed, Config::default());
}

#[test]
fn good_fixture_loads_with_its_values() {
    let c = load_with_env(Some(&fixture("good.toml")), no_env()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.limits.backfill_count, 50);
    assert_eq!(c.sim.activity_interval, None);
    assert!(!c.tokens.passthrough);
    assert_eq!(c.tokens.map.len(), 2);
    assert_eq!(
        c.tokens.map.first().map(|m| m.upstream.expose()),
        Some("upstreamsecrettoken0002")
    );
    assert_eq!(
        c.tokens.upstream_token("bridgesecrettoken0001"),
        Some("upstreamsecrettoken0002")
    );
    assert_eq!(
        c.tokens.upstream_token("unmapped"),
        None,
        "passthrough is off"
    );
    assert_eq!(
        Config::default().tokens.upstream_token("unmapped"),
        Some("unmapped")
    );
    let home = c.mapping.misskey_channels.get("homeTimeline");
    assert_eq!(
        home.map(|h| h.pnut.clone()),
        Some(vec![
            "/posts/streams/me".to_owned(),
            "/users/me/posts".to_owned()
        ])
    );
    // Other channels keep their default entries.
    assert_eq!(
        c.mapping.misskey_channels.get("drive"),
        Config::default().mapping.misskey_channels.get("drive")
    );
}

#[test]
fn env_overrides_apply_over_the_file() {
    let c = load_with_env(
        None,
        env(&[
            ("PNUTKEY__LISTEN__ADDR", "127.0.0.1:9999"),
            ("PNUTKEY__LIMITS__BACKFILL_COUNT", "100"),
            ("PNUTKEY__LIMITS__MAX_FRAME_SIZE", "128KiB"),
            ("PNUTKEY__TRANSLATE__VISIBILITIES", "[\"public\"]"),
            ("PNUTKEY__MISSKEY_META__NAME", "bridge 7"),
            (
                "PNUTKEY__UPSTREAM__PNUT__URL",
                "https://api.pnut.example/v1",
            ),
            ("PNUTKEY__SIM__ACTIVITY_INTERVAL", "off"),
            ("OTHER__LISTEN__ADDR", "127.0.0.1:1"),
        ]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.listen.addr, SocketAddr::from(([127, 0, 0, 1], 9999)));
    assert_eq!(c.limits.backfill_count, 100);
    assert_eq!(c.limits.max_frame_size.as_u64(), 128 * 1024);
    assert_eq!(c.translate.visibilities, vec![Visibility::Public]);
    assert_eq!(c.misskey_meta.name, "bridge 7");
    assert!(matches!(c.upstream.pnut.url, UpstreamTarget::Url(_)));
    assert_eq!(c.sim.activity_interval, None);
}

#[test]
fn bad_env_override_names_the_key_path() {
    let problems = match load_with_env(
        Some(&fixture("good.toml")),
        env(&[
            ("PNUTKEY__LIMITS__BACKFILL_COUNT", "0"),
            ("PNUTKEY__IDS__NOPE", "1"),
        ]),
    ) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.problems,
    };
    let text = problems.join("\n");
    assert!(text.contains("ids.nope: unknown key"), "{text}");
    assert!(
        text.contains("limits.backfill_count: 0 is out of range"),
        "{text}"
    );
}

/// Every bad fixture, with the key path (and what) its message must name.
const BAD_FIXTURES: &[(&str, &str)] = &[
    (
        "bad-unknown-key.toml",
        "limits.max_subscriptions: unknown key",
    ),
    ("bad-unknown-section.toml", "limit: unknown section"),
    (
        "bad-unknown-nested-key.toml",
        "mapping.pnut_endpoints.\"/token\".channels[0].parms: unknown key",
    ),
    ("bad-type.toml", "limits.backfill_count: invalid type"),
    ("bad-duration.toml", "timeouts.poll_interval: invalid value"),
    (
        "bad-size.toml",
        "limits.max_frame_size: \"huge\" is not a size",
    ),
    (
        "bad-limit-zero.toml",
        "limits.max_subscriptions_per_connection: 0 is out of range",
    ),
    (
        "bad-limit-absurd.toml",
        "limits.max_subscriptions_per_connection: 5000 is out of range",
    ),
    (
        "bad-endpoint.toml",
        "mapping.misskey_channels.homeTimeline.pnut[0]: \"/posts/streams/nope\" is not a subscribable pnut endpoint",
    ),
    (
        "bad-endpoint-key.toml",
        "mapping.pnut_endpoints.\"/posts/streams/everything\": \"/posts/streams/everything\" is not a subscribable pnut endpoint",
    ),
    (
        "bad-placeholder.toml",
        "mapping.misskey_channels.channel.pnut[0]: placeholder {id} is not a param",
    ),
    (
        "bad-capture-placeholder.toml",
        "mapping.pnut_endpoints.\"/posts/{post_id}/thread\".capture: placeholder {id} is not captured",
    ),
    (
        "bad-event.toml",
        "mapping.pnut_endpoints.\"/users/me/mentions\".events.main[0]: \"mentoin\" is not an event of Misskey channel main",
    ),
    (
        "bad-upstream-scheme.toml",
        "upstream.pnut.url: scheme \"ftp\"",
    ),
    (
        "bad-pnut-url-path.toml",
        "upstream.pnut.url: https://api.pnut.example/ must be",
    ),
    ("bad-listen.toml", "listen.addr: invalid socket address"),
    (
        "bad-tokens.toml",
        "tokens.passthrough: false with no [[tokens.map]]",
    ),
    (
        "bad-channel-name.toml",
        "mapping.misskey_channels.nope: \"nope\" is not a Misskey channel",
    ),
    ("bad-syntax.toml", "bad-syntax.toml: invalid TOML"),
    (
        "bad-relation.toml",
        "timeouts.misskey_ping: must be shorter than timeouts.misskey_pong_timeout",
    ),
];

#[test]
fn each_bad_fixture_names_its_key_path() {
    for (name, expected) in BAD_FIXTURES {
        let problems = problems_of(name);
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{name}: expected {expected:?} in {problems:#?}"
        );
        assert!(
            problems.iter().all(|p| !p.contains('\n')),
            "{name}: one problem per line: {problems:#?}"
        );
    }
}

#[test]
fn every_bad_fixture_is_covered() {
    let dir = fixture("");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("bad-") && name != "bad-many.toml" {
            assert!(
                BAD_FIXTURES.iter().any(|(n, _)| *n == name),
                "{name} has no expectation"
            );
        }
    }
}

#[test]
fn all_problems_are_reported_not_just_the_first() {
    let problems = problems_of("bad-many.toml");
    for expected in [
        "listen.addr: ",
        "limits.backfill_count: 0 is out of range",
        "limits.outbound_queue: ",
        "upstream.misskey.url: scheme \"ws\"",
        "ratelimit.pnut.get_per_hour: 0 is out of range",
        "mapping.misskey_channels.homeTimeline.pnut[0]: ",
        "mapping.misskey_channels.homeTimeline.poll[0]: ",
        "timeouts.poll_interval: invalid value",
        "timeouts.nope: unknown key",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(expected)),
            "expected {expected:?} in {problems:#?}"
        );
    }
}

#[test]
fn check_config_exits_2_and_prints_the_key_path_for_each_bad_fixture() {
    for (name, expected) in BAD_FIXTURES {
        let path = fixture(name);
        let output = check_config(&[&path.to_string_lossy()], &[]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(output.stdout.is_empty(), "{name}: nothing on stdout");
    }
}

#[test]
fn check_config_on_the_good_fixture_exits_0_and_masks_every_secret() {
    let path = fixture("good.toml");
    let output = check_config(&[&path.to_string_lossy()], &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    for secret in [
        "bridgesecrettoken0001",
        "upstreamsecrettoken0002",
        "upstreamsecrettoken0003",
        "shortone",
        "hunter2hunter2",
        "querysecrettoken42",
    ] {
        assert!(!stdout.contains(secret), "{secret} leaked:\n{stdout}");
    }
    assert!(stdout.contains("bridge = \"br****01\""), "{stdout}");
    assert!(stdout.contains("bridge = \"****\""), "{stdout}");
    assert!(stdout.contains("backfill_count = 50"), "{stdout}");
    // Apart from the masking, the effective config is valid TOML with the same meaning.
    let masked_back = parse_str(&stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}"));
    assert_eq!(masked_back.limits.backfill_count, 50);
}

#[test]
fn check_config_applies_env_overrides_and_defaults_to_the_embedded_config() {
    let output = check_config(&[], &[("PNUTKEY__LISTEN__ADDR", "127.0.0.1:9999")]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout.contains("addr = \"127.0.0.1:9999\""), "{stdout}");
    let bad = check_config(&[], &[("PNUTKEY__LIMITS__MAX_FRAME_SIZE", "lots")]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("limits.max_frame_size"));
}

#[test]
fn secrets_never_show_in_debug_output() {
    let c = config::load_with_env(Some(&fixture("good.toml")), no_env())
        .unwrap_or_else(|e| panic!("{e}"));
    let debug = format!("{c:?}");
    assert!(!debug.contains("bridgesecrettoken0001"));
    assert!(!debug.contains("upstreamsecrettoken0002"));
    assert!(!debug.contains("hunter2hunter2"));
    assert!(!debug.contains("querysecrettoken42"));
}

#[test]
fn pnut_stream_url_defaults_to_pnut_ios_stream_host_and_follows_other_api_hosts() {
    let real = load_with_env(
        None,
        env(&[("PNUTKEY__UPSTREAM__PNUT__URL", "https://api.pnut.io/v1")]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let effective = real.upstream.pnut.effective_stream_url().map(String::from);
    assert_eq!(effective.as_deref(), Some("wss://stream.pnut.io/v1/user"));
    assert_eq!(real.upstream.pnut.stream_auth, config::StreamAuth::Query);
    let other = load_with_env(
        None,
        env(&[(
            "PNUTKEY__UPSTREAM__PNUT__URL",
            "http://pnut.example:8000/v1",
        )]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let effective = other.upstream.pnut.effective_stream_url().map(String::from);
    assert_eq!(effective.as_deref(), Some("ws://pnut.example:8000/v1/user"));
    let explicit = load_with_env(
        None,
        env(&[
            ("PNUTKEY__UPSTREAM__PNUT__URL", "https://api.pnut.io/v1"),
            (
                "PNUTKEY__UPSTREAM__PNUT__STREAM_URL",
                "wss://streams.example/v1/user",
            ),
            ("PNUTKEY__UPSTREAM__PNUT__STREAM_AUTH", "header"),
        ]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let effective = explicit
        .upstream
        .pnut
        .effective_stream_url()
        .map(String::from);
    assert_eq!(effective.as_deref(), Some("wss://streams.example/v1/user"));
    assert_eq!(
        explicit.upstream.pnut.stream_auth,
        config::StreamAuth::Header
    );
    // The embedded simulated pnut has its own stream host: nothing derived from "sim".
    assert_eq!(Config::default().upstream.pnut.effective_stream_url(), None);
}

#[test]
fn check_config_prints_the_effective_stream_url() {
    let output = check_config(
        &[],
        &[("PNUTKEY__UPSTREAM__PNUT__URL", "https://api.pnut.io/v1")],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("stream_url = \"wss://stream.pnut.io/v1/user\""),
        "{stdout}"
    );
    assert!(stdout.contains("stream_auth = \"query\""), "{stdout}");
    let back = parse_str(&stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}"));
    let effective = back.upstream.pnut.effective_stream_url().map(String::from);
    assert_eq!(effective.as_deref(), Some("wss://stream.pnut.io/v1/user"));
}

#[test]
fn a_bad_stream_url_or_stream_auth_fails_naming_the_key() {
    for (key, value, expected) in [
        (
            "PNUTKEY__UPSTREAM__PNUT__STREAM_URL",
            "https://stream.pnut.io/v1/user",
            "upstream.pnut.stream_url: scheme \"https\"",
        ),
        (
            "PNUTKEY__UPSTREAM__PNUT__STREAM_URL",
            "not a url",
            "upstream.pnut.stream_url: ",
        ),
        (
            "PNUTKEY__UPSTREAM__PNUT__STREAM_URL",
            "wss://stream.pnut.io/v1/posts",
            "upstream.pnut.stream_url: wss://stream.pnut.io/v1/posts must be the user-stream endpoint",
        ),
        (
            "PNUTKEY__UPSTREAM__PNUT__STREAM_URL",
            "wss://stream.pnut.io/v1/user?access_token=querysecrettoken42",
            "upstream.pnut.stream_url: wss://stream.pnut.io/v1/user?access_token=qu****42 must not carry a token",
        ),
        (
            "PNUTKEY__UPSTREAM__PNUT__STREAM_AUTH",
            "cookie",
            "upstream.pnut.stream_auth: ",
        ),
    ] {
        let output = check_config(
            &[],
            &[
                ("PNUTKEY__UPSTREAM__PNUT__URL", "https://api.pnut.io/v1"),
                (key, value),
            ],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{value}: {stderr}");
        assert!(stderr.contains(expected), "{value}: {stderr}");
        assert!(!stderr.contains("querysecrettoken42"), "{stderr}");
    }
}
