//! (e) Sessions come and go: `tokens` distinct tokens (the sim's `load-<i>` accounts) each open
//! one Misskey client on `homeTimeline`, wait for `connected`, then every client closes. The
//! bridge's RSS is read before, with every session live, and once every session has ended
//! (`timeouts.session_idle`, short here) — or after a bounded wait when sessions never end.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt, stream};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::bridge::{Bridge, ProcStats};
use crate::upstream::Sims;

/// Clients connecting at once.
const CONCURRENCY: usize = 64;
/// Longest wait for the sessions to end after the last client closed.
const END_WAIT: Duration = Duration::from_secs(60);
/// How long each client may take to be `connected`.
const CONNECT_WAIT: Duration = Duration::from_secs(60);

/// What scenario (e) measured.
#[derive(Debug, Clone)]
pub struct SessionsOutcome {
    /// Distinct tokens (one client each).
    pub tokens: usize,
    /// The `session_idle` the bridge ran with (`None`: its default, e.g. an older bridge).
    pub session_idle: Option<Duration>,
    /// Bridge process before any client.
    pub before: ProcStats,
    /// With every client connected.
    pub peak: ProcStats,
    /// After every client closed and the sessions ended (or [`END_WAIT`] passed).
    pub after: ProcStats,
    /// pnut user streams open at the peak and at the end.
    pub streams: (usize, usize),
    /// Time from the last close until the sim had no stream left (`None`: never, within the wait).
    pub ended_after: Option<Duration>,
}

/// Runs scenario (e).
pub async fn run(tokens: usize, session_idle: Option<Duration>) -> Result<SessionsOutcome, String> {
    eprintln!("scenario e: {tokens} tokens come and go");
    let sims = Sims::start(tokens).await?;
    let idle_text = session_idle.map(|idle| format!("{}ms", idle.as_millis()));
    let mut env = vec![("PNUTKEY__TIMEOUTS__LINGER", "0s".to_owned())];
    if let Some(idle) = &idle_text {
        env.push(("PNUTKEY__TIMEOUTS__SESSION_IDLE", idle.clone()));
    }
    let bridge = Bridge::spawn_with(
        &format!("{}/v1", sims.pnut.base_url()),
        &sims.pnut.stream_url(),
        &sims.misskey.base_url(),
        &env,
    )?;
    let before = bridge.stats();
    let addr = bridge.addr.clone();
    let opened: Vec<Result<_, String>> = stream::iter(0..tokens)
        .map(|i| open(addr.clone(), format!("load-{i}")))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let sockets = opened.into_iter().collect::<Result<Vec<_>, String>>()?;
    let peak = bridge.stats();
    let streams_peak = sims.pnut.control().counts().await.connections;
    eprintln!(
        "  peak: RSS {:.1} MiB with {} clients, {streams_peak} pnut streams",
        mib(peak.rss_bytes),
        sockets.len()
    );
    stream::iter(sockets)
        .for_each_concurrent(CONCURRENCY, |mut ws| async move {
            let _ = ws.close(None).await;
        })
        .await;
    let closed_at = Instant::now();
    let control = sims.pnut.control();
    let ended = tokio::time::timeout(
        END_WAIT,
        control.wait_for_counts(|counts| counts.connections == 0),
    )
    .await
    .is_ok();
    let ended_after = ended.then(|| closed_at.elapsed());
    // Let the bridge finish freeing what the ended sessions held, and return it to the OS
    // (its allocator trim runs every `TRIM_EVERY` after sessions ended).
    tokio::time::sleep(pnutkey::session::memory::TRIM_EVERY + Duration::from_secs(2)).await;
    let after = bridge.stats();
    let streams_after = control.counts().await.connections;
    Ok(SessionsOutcome {
        tokens,
        session_idle,
        before,
        peak,
        after,
        streams: (streams_peak, streams_after),
        ended_after,
    })
}

async fn open(
    addr: String,
    token: String,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    String,
> {
    let url = format!("ws://{addr}/streaming?i={token}");
    let (mut ws, _) = crate::clients::connect_async(url)
        .await
        .map_err(|e| format!("{token}: {e}"))?;
    let connect = serde_json::json!({
        "type": "connect",
        "body": { "channel": "homeTimeline", "id": "1", "pong": true }
    });
    ws.send(Message::Text(connect.to_string().into()))
        .await
        .map_err(|e| e.to_string())?;
    let connected = async {
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Text(text) = message
                && text.as_str().contains("\"connected\"")
            {
                return true;
            }
        }
        false
    };
    match tokio::time::timeout(CONNECT_WAIT, connected).await {
        Ok(true) => Ok(ws),
        _ => Err(format!("{token}: no `connected`")),
    }
}

/// The markdown lines of scenario (e).
pub fn markdown(outcome: &SessionsOutcome) -> String {
    let idle = outcome
        .session_idle
        .map_or("default".to_owned(), |idle| format!("{idle:?}"));
    let ended = outcome
        .ended_after
        .map_or(format!("not within {END_WAIT:?}"), |after| {
            format!("{:.1} s", after.as_secs_f64())
        });
    format!(
        "\n## e: sessions come and go\n\n| tokens | session_idle | RSS before | RSS peak | RSS after | pnut streams peak → after | sessions ended after last close |\n|---|---|---|---|---|---|---|\n| {} | {idle} | {:.1} MiB | {:.1} MiB | {:.1} MiB | {} → {} | {ended} |\n",
        outcome.tokens,
        mib(outcome.before.rss_bytes),
        mib(outcome.peak.rss_bytes),
        mib(outcome.after.rss_bytes),
        outcome.streams.0,
        outcome.streams.1,
    )
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
