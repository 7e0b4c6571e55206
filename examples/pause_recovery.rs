//! Measures the 429 discipline of the pnut upstream client against the simulated pnut:
//! after a forced 429, how many calls of that token reach the server while it is paused
//! (must be 0), and how long until a patient caller succeeds again.
//!
//! `cargo run --release --example pause_recovery`

use std::sync::Arc;
use std::time::Duration;

use pnutkey::pnut::User;
use pnutkey::ratelimit::{PnutQuotas, pnut_limiter};
use pnutkey::sim::pnut::{ForcedFailure, SimPnut, SimPnutOptions};
use pnutkey::upstream::pnut::{PnutClient, PnutClientSettings};
use tokio::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sim = SimPnut::start(SimPnutOptions::default()).await?;
    let control = sim.control();
    let settings = PnutClientSettings {
        base_url: sim.base_url(),
        stream_url: sim.stream_url(),
        ..PnutClientSettings::default()
    };
    let impatient = PnutQuotas {
        max_wait: Duration::ZERO,
        jitter: Duration::ZERO,
        ..PnutQuotas::default()
    };
    let limiter = Arc::new(pnut_limiter(&impatient));
    let client = PnutClient::new(settings.clone(), Arc::clone(&limiter))?;
    control
        .force_failures(ForcedFailure {
            remaining: 1,
            status: 429,
            token: Some("demo-alice".into()),
            endpoint: None,
        })
        .await;
    let before = control.counts().await.calls.values().sum::<u64>();
    let hit = Instant::now();
    let err = client
        .get::<User>("demo-alice", "/users/me", &[])
        .await
        .expect_err("forced 429");
    let pause = err.retry_in().unwrap_or_default();
    // Hammer the paused token from 50 callers, as fast as they can, until the pause ends.
    let mut refused = 0u64;
    while hit.elapsed() < pause.saturating_sub(Duration::from_millis(50)) {
        let calls = (0..50).map(|_| client.get::<User>("demo-alice", "/posts/streams/me", &[]));
        for result in futures_util::future::join_all(calls).await {
            if result.is_err() {
                refused += 1;
            }
        }
        tokio::task::yield_now().await;
    }
    let during = control.counts().await.calls.values().sum::<u64>() - before - 1;
    // A patient caller (same limiter state) waits the pause out and succeeds.
    let patient = PnutClient::new(settings, limiter)?;
    let mut recovered = None;
    while recovered.is_none() {
        if patient
            .get::<User>("demo-alice", "/users/me", &[])
            .await
            .is_ok()
        {
            recovered = Some(hit.elapsed());
        } else {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    println!("pause announced by upstream: {pause:?}");
    println!("calls refused locally during the pause: {refused}");
    println!("calls that reached the upstream during the pause: {during}");
    println!(
        "recovery (429 → first success): {:?}",
        recovered.unwrap_or_default()
    );
    sim.shutdown().await;
    Ok(())
}
