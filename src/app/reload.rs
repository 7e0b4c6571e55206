//! Config reload (SIGHUP): re-read the config file and environment as at start, validate, and
//! swap the bridge's current config; a bad config is refused (every problem logged with its key
//! path) and the running config stays. Restart-only keys keep their running values.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::signal::Hangups;
use super::tls::TlsCerts;
use crate::config::{self, Config, ConfigError, ReloadReport};
use crate::front::BridgeContext;

/// Applies `loaded` to `ctx` and logs the outcome: a warning per changed restart-only key and
/// `config reloaded` with the changed sections.
pub fn apply(ctx: &BridgeContext, loaded: Config) -> ReloadReport {
    let report = ctx.reload(loaded);
    for line in &report.kept {
        tracing::warn!("config reload: {line}");
    }
    let changed = if report.changed_sections.is_empty() {
        "none".to_owned()
    } else {
        report.changed_sections.join(",")
    };
    tracing::info!(changed = %changed, "config reloaded");
    report
}

/// Loads the config from `path` (or the embedded default) plus the environment, then applies
/// it; when it is invalid, logs `config reload refused: KEY: PROBLEM` per problem at `error`
/// and keeps the running config.
pub fn reload_from(ctx: &BridgeContext, path: Option<&Path>) -> Result<ReloadReport, ConfigError> {
    match config::load(path) {
        Ok(loaded) => Ok(apply(ctx, loaded)),
        Err(error) => {
            for problem in &error.problems {
                tracing::error!("config reload refused: {}", without_token_values(problem));
            }
            tracing::error!(
                problems = error.problems.len(),
                "config reload refused; running config kept"
            );
            Err(error)
        }
    }
}

/// A problem line safe to log: under `[tokens]` only the key path, since a parse error may
/// quote the offending value (a token).
fn without_token_values(problem: &str) -> String {
    if problem.starts_with("tokens") {
        let key = problem.split(':').next().unwrap_or("tokens");
        format!("{key}: invalid (value not shown)")
    } else {
        problem.to_owned()
    }
}

/// Reads the TLS certificate and key again (when the listeners speak TLS); a bad pair is
/// logged and the running one stays.
pub fn reload_tls(tls: Option<&TlsCerts>) {
    let Some(tls) = tls else { return };
    match tls.reload() {
        Ok(()) => tracing::info!("TLS certificate reloaded"),
        Err(error) => tracing::error!(%error, "TLS reload refused; running certificate kept"),
    }
}

/// Reloads from `path` (and the TLS certificate, if any) on every SIGHUP until the task is
/// dropped or aborted.
pub async fn on_hangups(
    ctx: Arc<BridgeContext>,
    path: Option<PathBuf>,
    mut hangups: Hangups,
    tls: Option<Arc<TlsCerts>>,
) {
    loop {
        hangups.next().await;
        tracing::info!("SIGHUP: reloading the config");
        let certs = tls.clone();
        if let Err(error) = tokio::task::spawn_blocking(move || reload_tls(certs.as_deref())).await
        {
            tracing::error!(%error, "TLS reload task failed");
        }
        let (ctx, path) = (Arc::clone(&ctx), path.clone());
        // Reading the file is blocking IO: off the async workers.
        let reloaded = tokio::task::spawn_blocking(move || reload_from(&ctx, path.as_deref()));
        if let Err(error) = reloaded.await {
            tracing::error!(%error, "config reload task failed; running config kept");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::without_token_values;

    #[test]
    fn token_problems_do_not_show_values() {
        let line = without_token_values("tokens.map[0].bridge: invalid type: integer `5`");
        assert_eq!(line, "tokens.map[0].bridge: invalid (value not shown)");
        let other = "limits.backfill_count: must be 1..=200";
        assert_eq!(without_token_values(other), other);
    }
}
