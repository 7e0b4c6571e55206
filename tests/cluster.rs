//! `[cluster]` (mapping.md §9): instances sharing one real Redis (`redis-server`, started by
//! the test on a free loopback port). Redis lost and found again; one rate budget per token
//! across three instances; a 429 pause learnt by one instance holds on all.

mod common;

use std::time::Duration;

use pnutkey::app::Running;
use pnutkey::config::{ClusterConfig, UpstreamTarget};
use pnutkey::sim::gate::ForcedFailure;
use pnutkey::sim::pnut::{PnutRateLimits, RateLimit, SimPnut, SimPnutOptions};
use serde_json::{Value, json};

use common::redis::RedisServer;

/// Upper bound on awaiting a state change (Redis seen up or down).
const STATE_WAIT: Duration = Duration::from_secs(10);

fn cluster_config(redis: &RedisServer, instance: &str) -> ClusterConfig {
    common::redis::cluster_config(redis, instance, Duration::from_secs(3))
}

async fn wait_redis(running: &Running, up: bool) {
    let cluster = running.context().cluster.clone().expect("a cluster member");
    tokio::time::timeout(STATE_WAIT, cluster.wait_until_up(up))
        .await
        .unwrap_or_else(|_| panic!("redis seen {} in time", if up { "up" } else { "down" }));
}

async fn healthz(running: &Running) -> (u16, Value) {
    let reply = reqwest::get(format!("http://{}/healthz", running.addr))
        .await
        .expect("healthz");
    let status = reply.status().as_u16();
    (status, reply.json().await.expect("json"))
}

async fn metrics(running: &Running) -> String {
    reqwest::get(format!("http://{}/metrics", running.addr))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}

/// One `notes/create` through the Misskey REST front (one pnut write); the HTTP status.
async fn create_note(running: &Running, token: &str, text: impl AsRef<str>) -> u16 {
    let text = text.as_ref();
    reqwest::Client::new()
        .post(format!("http://{}/api/notes/create", running.addr))
        .json(&json!({ "i": token, "text": text }))
        .send()
        .await
        .expect("notes/create")
        .status()
        .as_u16()
}

async fn fleet_keys(redis: &RedisServer) -> Vec<String> {
    let mut connection = redis.connection().await;
    redis::cmd("KEYS")
        .arg("test:*")
        .query_async(&mut connection)
        .await
        .expect("KEYS")
}

#[tokio::test]
async fn redis_stopped_and_restarted_mid_run_degrades_to_local_limits_then_rejoins() {
    let mut redis = RedisServer::start().await;
    let config = cluster_config(&redis, "solo");
    let running = common::app::start(|c| c.cluster = Some(config)).await;
    wait_redis(&running, true).await;
    let (status, body) = healthz(&running).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("ok")),
        "{body}"
    );
    assert_eq!(body["cluster"]["redis"], "up", "{body}");
    assert_eq!(body["cluster"]["instance"], "solo", "{body}");
    assert_eq!(create_note(&running, "demo-alice", "fleet").await, 200);
    let keys = fleet_keys(&redis).await;
    assert!(keys.iter().any(|k| k.starts_with("test:rl:")), "{keys:?}");
    assert!(keys.iter().all(|k| !k.contains("demo-alice")), "{keys:?}");

    redis.stop().await;
    wait_redis(&running, false).await;
    let (status, body) = healthz(&running).await;
    assert_eq!(status, 200, "still serving: {body}");
    assert_eq!(body["status"], "degraded", "{body}");
    assert_eq!(body["cluster"]["redis"], "down", "{body}");
    assert_eq!(body["cluster"]["limits"], "local", "{body}");
    assert_eq!(create_note(&running, "demo-alice", "alone").await, 200);
    let text = metrics(&running).await;
    assert!(text.contains("pnutkey_cluster_redis_up 0\n"), "{text}");
    assert!(
        !text.contains("pnutkey_cluster_local_decisions_total 0\n"),
        "the call was decided locally: {text}"
    );

    redis.restart().await;
    wait_redis(&running, true).await;
    let (status, body) = healthz(&running).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("ok")),
        "{body}"
    );
    assert_eq!(body["cluster"]["limits"], "fleet", "{body}");
    assert!(fleet_keys(&redis).await.is_empty(), "a fresh Redis");
    assert_eq!(create_note(&running, "demo-alice", "rejoined").await, 200);
    let keys = fleet_keys(&redis).await;
    assert!(keys.iter().any(|k| k.starts_with("test:rl:")), "{keys:?}");
    assert!(
        metrics(&running)
            .await
            .contains("pnutkey_cluster_redis_up 1\n")
    );
    running.stop(Duration::from_secs(5)).await;
}

/// A simulated pnut allowing 60 writes a minute per token, and `n` bridges on it and `redis`
/// with a write quota of 60/min and no waiting (a call over budget fails fast with 429).
async fn fleet_on(redis: &RedisServer, n: usize) -> (SimPnut, Vec<Running>) {
    let sim = SimPnut::start(SimPnutOptions {
        rate_limits: PnutRateLimits {
            write: RateLimit {
                max: 60,
                window: Duration::from_secs(60),
            },
            ..PnutRateLimits::default()
        },
        ..SimPnutOptions::default()
    })
    .await
    .expect("sim pnut");
    let api: url::Url = format!("{}/v1", sim.base_url()).parse().expect("url");
    let mut bridges = Vec::new();
    for index in 0..n {
        let cluster = cluster_config(redis, &format!("bridge-{index}"));
        let api = api.clone();
        bridges.push(
            common::app::start(move |c| {
                c.upstream.pnut.url = UpstreamTarget::Url(api);
                c.ratelimit.pnut.writes_per_minute = 60;
                c.ratelimit.max_wait = Duration::ZERO;
                c.cluster = Some(cluster);
            })
            .await,
        );
    }
    for bridge in &bridges {
        wait_redis(bridge, true).await;
    }
    (sim, bridges)
}

fn writes_seen(counts: &pnutkey::sim::pnut::SimCounts) -> u64 {
    counts
        .calls
        .iter()
        .filter(|(route, _)| route.starts_with("POST /v1/posts"))
        .map(|(_, n)| *n)
        .sum()
}

#[tokio::test]
async fn three_instances_share_one_write_budget_and_pnut_never_answers_429() {
    let redis = RedisServer::start().await;
    let (sim, bridges) = fleet_on(&redis, 3).await;
    let started = std::time::Instant::now();
    // 3× the quota's pace: a burst of 30 per instance (90 > 60: alone, each instance would
    // send all of its 30 and pnut would refuse the last 30), then one call per instance
    // every 333 ms (3 a second, 3× 60/min) for 4 s.
    let burst = bridges.iter().flat_map(|bridge| {
        (0..30).map(move |i| create_note(bridge, "demo-alice", format!("burst {i}")))
    });
    let mut statuses = futures_util::future::join_all(burst).await;
    let mut tick = tokio::time::interval(Duration::from_millis(333));
    for round in 0..12 {
        tick.tick().await;
        let paced = bridges
            .iter()
            .map(|bridge| create_note(bridge, "demo-alice", format!("paced {round}")));
        statuses.extend(futures_util::future::join_all(paced).await);
    }
    let elapsed = started.elapsed();
    let counts = sim.control().counts().await;
    let sent = writes_seen(&counts);
    let accepted = statuses.iter().filter(|s| **s == 200).count() as u64;
    let refused = statuses.iter().filter(|s| **s == 429).count() as u64;
    assert_eq!(counts.rate_limited, 0, "pnut never refused: {counts:?}");
    assert_eq!(accepted + refused, statuses.len() as u64, "{statuses:?}");
    assert_eq!(
        accepted, sent,
        "every call the fleet let through reached pnut"
    );
    // The fleet's GCRA for 60/min: a burst of 15, then one per 60/46 s — so never more than
    // 60 in any minute, and here at most 15 + elapsed / (60/46 s) (+1 for the edges).
    let bound = 15 + (elapsed.as_secs_f64() * 46.0 / 60.0).ceil() as u64 + 1;
    assert!(
        sent <= bound,
        "pnut saw {sent} writes in {elapsed:?} (bound {bound})"
    );
    assert!(sent <= 60, "pnut saw {sent} writes within a minute");
    assert!(sent >= 15, "the burst went through: {sent}");
    assert!(refused >= 90 - 15, "the fleet refused the rest: {refused}");
    for bridge in bridges {
        bridge.stop(Duration::from_secs(5)).await;
    }
}

#[tokio::test]
async fn a_429_learnt_by_one_instance_pauses_the_token_on_every_instance() {
    let redis = RedisServer::start().await;
    let (sim, bridges) = fleet_on(&redis, 2).await;
    sim.control()
        .force_failures(ForcedFailure {
            remaining: 1,
            status: 429,
            token: Some("demo-alice".to_owned()),
            endpoint: Some("POST /v1/posts".to_owned()),
        })
        .await;
    assert_eq!(create_note(&bridges[0], "demo-alice", "refused").await, 429);
    let before = writes_seen(&sim.control().counts().await);
    assert_eq!(before, 1, "the refused call reached pnut");
    // The other instance never asks pnut while the pause runs; other tokens are not paused.
    assert_eq!(create_note(&bridges[1], "demo-alice", "paused").await, 429);
    assert_eq!(writes_seen(&sim.control().counts().await), before);
    assert_eq!(create_note(&bridges[1], "demo-bob", "free").await, 200);
    let text = metrics(&bridges[0]).await;
    assert!(
        text.contains("pnutkey_cluster_pauses_shared_total 1\n"),
        "{text}"
    );
    for bridge in bridges {
        bridge.stop(Duration::from_secs(5)).await;
    }
}

#[test]
fn cluster_section_is_optional_masks_its_password_and_needs_a_restart() {
    let alone = pnutkey::config::parse_str("").expect("empty config");
    assert!(
        alone.cluster.is_none(),
        "no [cluster]: the instance runs alone"
    );
    assert!(!alone.to_masked_toml().contains("[cluster]"));
    let fleet = pnutkey::config::parse_str(
        "[cluster]\nredis_url = \"redis://:hunter2secret@10.0.0.5:6380/2\"\ninstance_id = \"a\"\n",
    )
    .expect("a [cluster] config");
    let cluster = fleet.cluster.clone().expect("[cluster]");
    assert_eq!(cluster.key_prefix, "pnutkey:");
    assert_eq!(cluster.lease_ttl, Duration::from_secs(15));
    assert_eq!(cluster.effective_instance_id(), "a");
    let printed = format!("{}\n{fleet:?}", fleet.to_masked_toml());
    assert!(!printed.contains("hunter2secret"), "{printed}");
    assert!(printed.contains("10.0.0.5:6380"), "{printed}");
    let derived = ClusterConfig::default().effective_instance_id();
    assert!(
        derived.ends_with(&format!("-{}", std::process::id())),
        "{derived}"
    );

    let env = [(
        "PNUTKEY__CLUSTER__REDIS_URL".to_owned(),
        "redis://127.0.0.1:7000".to_owned(),
    )];
    let from_env = pnutkey::config::load_with_env(None, Some(env.into_iter().collect()))
        .expect("env override");
    let url = from_env
        .cluster
        .expect("[cluster] from the environment")
        .redis_url;
    assert_eq!(url.expose(), "redis://127.0.0.1:7000");

    let bad = pnutkey::config::parse_str(
        "[cluster]\nredis_url = \"http://127.0.0.1:6379\"\nop_timeout = \"10s\"\n",
    )
    .expect_err("refused");
    let problems = bad.problems.join("\n");
    assert!(problems.contains("cluster.redis_url"), "{problems}");

    let plan = pnutkey::config::plan_reload(&alone, fleet);
    assert!(plan.config.cluster.is_none(), "kept until a restart");
    assert!(
        plan.report.kept.iter().any(|k| k.starts_with("cluster")),
        "{:?}",
        plan.report.kept
    );
}

#[tokio::test]
async fn a_reload_keeps_the_fleet_budget() {
    let redis = RedisServer::start().await;
    let (sim, bridges) = fleet_on(&redis, 2).await;
    let mut reloaded = (*bridges[0].config()).clone();
    reloaded.ratelimit.misskey.per_token_per_second += 1;
    let report = bridges[0].reload(reloaded);
    assert!(report.changed_sections.contains(&"ratelimit".to_owned()));
    let burst = bridges.iter().flat_map(|bridge| {
        (0..20).map(move |i| create_note(bridge, "demo-alice", format!("after reload {i}")))
    });
    let statuses = futures_util::future::join_all(burst).await;
    let sent = writes_seen(&sim.control().counts().await);
    let accepted = statuses.iter().filter(|s| **s == 200).count() as u64;
    assert_eq!(accepted, sent);
    assert!(
        (15..=17).contains(&sent),
        "one fleet burst of 15, not 40: {sent}"
    );
    for bridge in bridges {
        bridge.stop(Duration::from_secs(5)).await;
    }
}
