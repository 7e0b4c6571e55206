//! The start-up banner: where the bridge listens and how to point a client at it.

use super::Running;

/// The demo accounts of the simulated servers. Their tokens are fake and public, the one
/// exception to "no token in a log line".
pub const DEMO_TOKENS: [(&str, &str); 3] = [
    ("alice", "demo-alice"),
    ("bob", "demo-bob"),
    ("carol", "demo-carol"),
];

/// Logs the listener, the upstreams, the demo tokens and one copy-paste line per client kind.
pub fn print(running: &Running) {
    let bridge = running.context().bridge_url.clone();
    let scheme = if running.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(%bridge, "pnutkey {} listening", env!("CARGO_PKG_VERSION"));
    tracing::info!(pnut = %running.pnut_url, misskey = %running.misskey_url, "upstreams");
    if running.sim_pnut.is_some() || running.sim_misskey.is_some() {
        let demo: Vec<String> = DEMO_TOKENS
            .iter()
            .map(|(u, t)| format!("{u}={t}"))
            .collect();
        tracing::info!(accounts = %demo.join(" "), "simulated upstreams: demo tokens");
    }
    tracing::info!(
        "Misskey client over pnut: new api.APIClient({{ origin: '{bridge}', credential: 'demo-alice' }})"
    );
    tracing::info!(
        "pnut tool over Misskey: curl -H 'Authorization: Bearer demo-alice' {bridge}/v1/posts/streams/me"
    );
    if let Some(sim) = &running.sim_misskey {
        tracing::info!("simulated Misskey itself: {}", sim.base_url());
    }
    if let Some(sim) = &running.sim_pnut {
        tracing::info!(
            "simulated pnut itself: {}/v1, user streams {}",
            sim.base_url(),
            sim.stream_url()
        );
    }
    let operator = match running.admin_addr {
        Some(admin) => {
            let admin = format!("{scheme}://{admin}");
            tracing::info!(%admin, "admin listener: /healthz and /metrics (not on the main one)");
            admin
        }
        None => bridge.clone(),
    };
    tracing::info!("health: curl {operator}/healthz   metrics: curl {operator}/metrics");
}
