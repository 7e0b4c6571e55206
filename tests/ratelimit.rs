//! Rate limiter behaviour under paused tokio time (no wall-clock dependence).

use std::sync::Arc;
use std::time::Duration;

use pnutkey::ratelimit::{
    MISSKEY_ANY, MisskeyQuotas, PNUT_GET, PNUT_POLL, PNUT_WRITE, PnutQuotas, UpstreamLimiter,
    misskey_limiter, pnut_limiter,
};
use tokio::time::Instant;

fn quotas(writes_per_minute: u32, max_wait: Duration) -> PnutQuotas {
    PnutQuotas {
        get_per_hour: 4,
        writes_per_minute,
        upstream_per_second: 1000,
        poll_per_hour: 1000,
        max_wait,
        default_pause: Duration::from_secs(600),
        jitter: Duration::ZERO,
    }
}

#[tokio::test(start_paused = true)]
async fn a_burst_beyond_the_quota_fails_fast_with_retry_time() {
    let limiter = pnut_limiter(&quotas(3, Duration::ZERO));
    for _ in 0..3 {
        limiter
            .acquire(&[PNUT_WRITE], "tok")
            .await
            .expect("within quota");
    }
    let refused = limiter
        .acquire(&[PNUT_WRITE], "tok")
        .await
        .expect_err("4th write refused");
    assert!(!refused.paused_by_upstream);
    assert!(
        refused.retry_in > Duration::from_secs(19) && refused.retry_in <= Duration::from_secs(20)
    );
    // Buckets are separate: GETs and other tokens are unaffected.
    limiter
        .acquire(&[PNUT_GET], "tok")
        .await
        .expect("get bucket");
    limiter
        .acquire(&[PNUT_WRITE], "other")
        .await
        .expect("other token");
}

#[tokio::test(start_paused = true)]
async fn a_waiting_caller_gets_its_permit_when_the_bucket_refills() {
    let limiter = pnut_limiter(&quotas(3, Duration::from_secs(30)));
    for _ in 0..3 {
        limiter
            .acquire(&[PNUT_WRITE], "tok")
            .await
            .expect("within quota");
    }
    let start = Instant::now();
    limiter.acquire(&[PNUT_WRITE], "tok").await.expect("waits");
    let waited = start.elapsed();
    assert!(waited >= Duration::from_secs(19), "waited {waited:?}");
    assert!(waited <= Duration::from_secs(21), "waited {waited:?}");
}

#[tokio::test(start_paused = true)]
async fn a_paused_token_sends_nothing_until_the_pause_ends() {
    let limiter = pnut_limiter(&quotas(100, Duration::from_secs(1)));
    limiter.pause("tok", Duration::from_secs(5));
    let refused = limiter
        .acquire(&[PNUT_GET], "tok")
        .await
        .expect_err("paused");
    assert!(refused.paused_by_upstream);
    assert!(refused.retry_in > Duration::from_secs(4));
    limiter
        .acquire(&[PNUT_GET], "other")
        .await
        .expect("other token unaffected");
    // A shorter pause never shortens a longer one.
    limiter.pause("tok", Duration::from_secs(1));
    assert!(limiter.paused_for("tok").expect("still paused") > Duration::from_secs(4));

    let patient = pnut_limiter(&quotas(100, Duration::from_secs(60)));
    patient.pause("tok", Duration::from_secs(5));
    let start = Instant::now();
    patient
        .acquire(&[PNUT_GET], "tok")
        .await
        .expect("after pause");
    assert!(start.elapsed() >= Duration::from_secs(5));
    assert!(patient.paused_for("tok").is_none());
}

#[tokio::test(start_paused = true)]
async fn the_ceiling_caps_all_tokens_together() {
    let mut settings = quotas(100, Duration::ZERO);
    settings.upstream_per_second = 2;
    let limiter = pnut_limiter(&settings);
    limiter.acquire(&[PNUT_WRITE], "a").await.expect("1");
    limiter.acquire(&[PNUT_WRITE], "b").await.expect("2");
    let refused = limiter
        .acquire(&[PNUT_WRITE], "c")
        .await
        .expect_err("ceiling");
    assert!(refused.retry_in <= Duration::from_millis(500));
}

#[tokio::test(start_paused = true)]
async fn idle_keys_are_swept() {
    let limiter = Arc::new(pnut_limiter(&quotas(10, Duration::ZERO)));
    for n in 0..1000 {
        limiter
            .acquire(&[PNUT_GET, PNUT_WRITE], &format!("one-off-{n}"))
            .await
            .expect("fresh token");
    }
    limiter.pause("one-off-1", Duration::from_secs(30));
    assert!(limiter.tracked_keys() >= 2000);
    let sweeper = UpstreamLimiter::spawn_sweeper(&limiter, Duration::from_secs(60));
    // Paused time: step past the idle period tick by tick so the sweeper runs.
    for _ in 0..62 {
        tokio::time::advance(Duration::from_secs(60)).await;
        tokio::task::yield_now().await;
    }
    assert_eq!(limiter.tracked_keys(), 0);
    sweeper.abort();
}

#[tokio::test(start_paused = true)]
async fn misskey_endpoint_overrides_add_to_the_token_quota() {
    let mut quotas = MisskeyQuotas {
        per_token_per_second: 100,
        max_wait: Duration::ZERO,
        jitter: Duration::ZERO,
        ..MisskeyQuotas::default()
    };
    quotas.endpoint_per_minute.insert("notes/create".into(), 1);
    let limiter = misskey_limiter(&quotas);
    assert!(limiter.has_bucket("notes/create"));
    limiter
        .acquire(&[MISSKEY_ANY, "notes/create"], "tok")
        .await
        .expect("first");
    limiter
        .acquire(&[MISSKEY_ANY, "notes/create"], "tok")
        .await
        .expect_err("override exhausted");
    limiter
        .acquire(&[MISSKEY_ANY, "i"], "tok")
        .await
        .expect("other endpoint");
}

#[tokio::test(start_paused = true)]
async fn waiting_for_the_ceiling_does_not_burn_the_token_quota() {
    let mut settings = quotas(2, Duration::from_secs(60));
    settings.upstream_per_second = 1;
    let limiter = pnut_limiter(&settings);
    let start = Instant::now();
    limiter.acquire(&[PNUT_WRITE], "tok").await.expect("1");
    limiter
        .acquire(&[PNUT_WRITE], "tok")
        .await
        .expect("2 after the ceiling refills");
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    assert!(
        waited < Duration::from_secs(2),
        "the 2nd write cell was kept: {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn counts_record_waits_fast_fails_and_pauses() {
    let limiter = pnut_limiter(&quotas(1, Duration::from_secs(120)));
    limiter.acquire(&[PNUT_WRITE], "tok").await.expect("first");
    assert_eq!(limiter.counts().waits, 0);
    limiter.acquire(&[PNUT_WRITE], "tok").await.expect("waits");
    assert_eq!(limiter.counts().waits, 1);
    limiter.pause("tok", Duration::from_secs(600));
    limiter
        .acquire(&[PNUT_GET], "tok")
        .await
        .expect_err("paused beyond max_wait");
    let counts = limiter.counts();
    assert_eq!((counts.waits, counts.fast_fails, counts.pauses), (1, 1, 1));
    // A replacement limiter (config reload) continues from these counts.
    let next = pnut_limiter(&quotas(1, Duration::ZERO));
    next.carry_counts_from(&limiter);
    next.pause("tok", Duration::from_secs(1));
    let counts = next.counts();
    assert_eq!((counts.waits, counts.fast_fails, counts.pauses), (1, 1, 2));
}

/// Polls draw from their own share of the GET quota and never wait: once the share is spent
/// a poll fails at once, while interactive GETs of the same token still get their permits.
#[tokio::test(start_paused = true)]
async fn polls_use_their_share_of_the_get_quota_and_never_wait() {
    let limiter = pnut_limiter(&PnutQuotas {
        get_per_hour: 100,
        poll_per_hour: 2,
        max_wait: Duration::from_secs(60),
        jitter: Duration::ZERO,
        ..PnutQuotas::default()
    });
    let poll = [PNUT_POLL, PNUT_GET];
    assert!(limiter.try_acquire(&poll, "t").is_ok());
    assert!(limiter.try_acquire(&poll, "t").is_ok());
    let started = Instant::now();
    let refused = limiter.try_acquire(&poll, "t").expect_err("share spent");
    assert_eq!(started.elapsed(), Duration::ZERO, "never waits");
    assert!(refused.retry_in > Duration::ZERO);
    for _ in 0..10 {
        limiter
            .acquire(&[PNUT_GET], "t")
            .await
            .expect("interactive GETs keep their quota");
    }
    assert!(limiter.try_acquire(&poll, "other").is_ok(), "per token");
}
