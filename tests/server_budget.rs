//! Issue 16: the pnut client paces by the budget the server reports (`X-RateLimit-Limit`,
//! `-Remaining`, `-Reset`: seconds until the window resets, pnut-api.md §2.4), not only by the
//! configured quota: with a server budget far below the quota, no call is answered 429 (pnut
//! locks a token out for 600 s after one).

use std::sync::Arc;
use std::time::Duration;

use pnutkey::metrics::Metrics;
use pnutkey::pnut::User;
use pnutkey::ratelimit::{PnutQuotas, pnut_limiter};
use pnutkey::sim::pnut::{PnutRateLimits, RateLimit, SimPnut, SimPnutOptions};
use pnutkey::upstream::UpstreamKind;
use pnutkey::upstream::pnut::{PnutClient, PnutClientSettings};

/// The server's GET budget per window: far below the configured 4,500/hour.
const SERVER_GETS: u32 = 4;
const WINDOW: Duration = Duration::from_secs(1);

async fn tight_sim() -> SimPnut {
    let defaults = PnutRateLimits::default();
    SimPnut::start(SimPnutOptions {
        rate_limits: PnutRateLimits {
            authenticated_get: RateLimit {
                max: SERVER_GETS,
                window: WINDOW,
            },
            ..defaults
        },
        ..SimPnutOptions::default()
    })
    .await
    .expect("sim starts")
}

fn client(sim: &SimPnut, metrics: &Metrics) -> PnutClient {
    let settings = PnutClientSettings {
        base_url: sim.base_url(),
        stream_url: sim.stream_url(),
        request_timeout: Duration::from_secs(5),
        retry_delay: Duration::from_millis(1),
        metrics: metrics.upstream(UpstreamKind::Pnut),
        ..PnutClientSettings::default()
    };
    // The configured quota (pnut's default, 4,500 GETs/hour) would allow every call at once.
    let quotas = PnutQuotas {
        max_wait: Duration::from_secs(10),
        jitter: Duration::ZERO,
        ..PnutQuotas::default()
    };
    PnutClient::new(settings, Arc::new(pnut_limiter(&quotas))).expect("client")
}

#[tokio::test]
async fn calls_paced_by_the_server_budget_get_no_429() {
    let sim = tight_sim().await;
    let metrics = Metrics::new();
    let client = client(&sim, &metrics);
    let calls = 3 * SERVER_GETS as usize;
    // Two callers of one token at once, sequential calls each.
    let caller = |client: PnutClient| async move {
        let mut results = Vec::new();
        for _ in 0..calls / 2 {
            results.push(client.get::<User>("demo-alice", "/users/me", &[]).await);
        }
        results
    };
    let (a, b) = tokio::join!(caller(client.clone()), caller(client.clone()));
    let failed: Vec<String> = a
        .iter()
        .chain(b.iter())
        .filter_map(|r| r.as_ref().err().map(ToString::to_string))
        .collect();
    let counts = sim.control().counts().await;
    assert_eq!(counts.rate_limited, 0, "429s answered: {counts:?}");
    assert!(failed.is_empty(), "failed calls: {failed:?}");
    assert_eq!(
        counts.calls.get("GET /v1/users/{user}").copied(),
        Some(calls as u64)
    );
    // The last budget the server reported is exported (no token label).
    let text = metrics.encode();
    let line = text
        .lines()
        .find(|l| l.starts_with("pnutkey_upstream_ratelimit_remaining{upstream=\"pnut\"}"))
        .unwrap_or_else(|| panic!("no remaining-budget gauge:\n{text}"));
    let remaining: i64 = line
        .rsplit(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("gauge value");
    assert!((0..i64::from(SERVER_GETS)).contains(&remaining), "{line}");
    assert!(
        text.contains("pnutkey_upstream_ratelimit_remaining{upstream=\"misskey\"} -1"),
        "misskey reports no budget: {text}"
    );
    assert!(!text.contains("demo-alice"));
}
