//! What every front handler shares: the current config (swapped on reload), the translation
//! options, and the two rate-limited upstream clients, built once from the config.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use arc_swap::ArcSwap;

use crate::cluster::Cluster;
use crate::config::{self, Config};
use crate::front::token_checks::{BridgeGrants, TokenChecks};
use crate::metrics::Metrics;
use crate::misskey;
use crate::ratelimit::{self, MisskeyQuotas, PnutQuotas};
use crate::session::Sessions;
use crate::storage::tokens::{Grant, is_bridge_token};
use crate::storage::{Store, StoreError};
use crate::translate;
use crate::upstream::misskey::{MisskeyClient, MisskeyClientSettings};
use crate::upstream::pnut::{PnutClient, PnutClientSettings, PnutEndpoints};
use crate::upstream::{UpstreamError, UpstreamKind};

/// Why the context could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// An upstream client could not be built.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// The store could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A token presented on the Misskey front, resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The pnut token used upstream.
    pub upstream: String,
    /// The bridge token's grant, when a bridge token was presented.
    pub grant: Option<Arc<Grant>>,
}

/// Shared state of the fronts (behind an `Arc`); a reload swaps the config (and the limiters).
#[derive(Debug)]
pub struct BridgeContext {
    /// The current configuration; read it with [`BridgeContext::config`] (lock-free).
    current: ArcSwap<Config>,
    /// Serialises reloads (readers never take it).
    reloading: Mutex<()>,
    /// Translation options derived from `[ids]` and `[translate]`.
    pub translate: translate::Options,
    /// The pnut upstream (used by the Misskey front).
    pub pnut: PnutClient,
    /// The Misskey upstream (used by the pnut front).
    pub misskey: MisskeyClient,
    /// This listener's base URL, e.g. `http://127.0.0.1:8080` (for the pnut hello's endpoint).
    pub bridge_url: String,
    /// The pnut front's directory of open tool connections (connection id → token, hub).
    pub(crate) pnut_streams: OnceLock<crate::front::pnut::stream::Registry>,
    /// The Misskey front's sessions: one pnut pool per upstream pnut token (mapping.md §8).
    pub pools: Sessions<crate::front::misskey::stream::PoolHandle>,
    /// The pnut front's sessions: one Misskey hub per upstream Misskey token (mapping.md §8).
    pub hubs: Sessions<crate::front::pnut::stream::HubHandle>,
    /// Tokens each upstream accepted recently (one check per token per period).
    pub token_checks: TokenChecks,
    /// MiAuth's bridge tokens, resolved through the store (mapping.md §2, §8).
    pub bridge_grants: BridgeGrants,
    /// The bridge's metrics (`/metrics`).
    pub metrics: Arc<Metrics>,
    /// The drain signal and tracker of client sockets, pools and hubs (mapping.md §7).
    pub drain: crate::front::Drain,
    /// This instance's fleet membership (`[cluster]`, mapping.md §9); `None`: alone.
    pub cluster: Option<Arc<Cluster>>,
    /// The uploads in flight on both fronts (`limits.max_concurrent_uploads`).
    pub uploads: crate::http::upload::UploadSlots,
}

impl BridgeContext {
    /// Builds the context: `pnut` is where the pnut API (base ending in `/v1`) and its user
    /// stream are, `misskey_url` the Misskey server's base URL (the embedded sims' URLs when
    /// the upstreams are `sim`).
    pub fn new(
        config: Config,
        pnut: PnutEndpoints,
        misskey_url: String,
        bridge_url: String,
    ) -> Result<Arc<Self>, ContextError> {
        let store = Store::open(
            &config.storage.path,
            config.storage.max_size.map(|size| size.as_u64()),
        )?;
        let mut metrics = Metrics::new();
        let cluster = match &config.cluster {
            Some(settings) => Some(
                Cluster::start(settings, metrics.register_cluster(), &bridge_url).map_err(
                    |error| UpstreamError::Transport {
                        upstream: UpstreamKind::Pnut,
                        message: format!("cluster: {error}"),
                    },
                )?,
            ),
            None => None,
        };
        let (pnut_limiter, misskey_limiter) = limiters(&config, cluster.as_ref());
        let mut pnut_settings = pnut_settings(&config, pnut);
        pnut_settings.metrics = metrics.upstream(UpstreamKind::Pnut);
        let mut translate = translate_options(&config);
        translate.misskey_url = misskey_url.trim_end_matches('/').to_owned();
        let mut misskey_settings = misskey_settings(&config, misskey_url);
        misskey_settings.metrics = metrics.upstream(UpstreamKind::Misskey);
        let pnut = PnutClient::new(pnut_settings, Arc::new(pnut_limiter))?;
        let misskey = MisskeyClient::new(misskey_settings, Arc::new(misskey_limiter))?;
        let (pnut_client, misskey_client) = (pnut.clone(), misskey.clone());
        metrics.export_limiters(vec![
            (
                UpstreamKind::Pnut,
                Box::new(move || pnut_client.limiter().clone()),
            ),
            (
                UpstreamKind::Misskey,
                Box::new(move || misskey_client.limiter().clone()),
            ),
        ]);
        let metrics = Arc::new(metrics);
        Ok(Arc::new(Self {
            translate,
            current: ArcSwap::from_pointee(config),
            reloading: Mutex::new(()),
            pnut,
            misskey,
            bridge_url,
            pnut_streams: OnceLock::new(),
            pools: Sessions::new(metrics.sessions(UpstreamKind::Pnut)),
            hubs: Sessions::new(metrics.sessions(UpstreamKind::Misskey)),
            token_checks: TokenChecks::default(),
            bridge_grants: BridgeGrants::new(store),
            metrics,
            drain: crate::front::Drain::new(),
            cluster,
            uploads: Default::default(),
        }))
    }

    /// A snapshot of the current config. Take it once per connection / connect / subscribe
    /// and use it for that thing's life, so a reload affects only what starts after it.
    pub fn config(&self) -> Arc<Config> {
        self.current.load_full()
    }

    /// Replaces the current config with `loaded`, keeping every restart-only key (see
    /// [`config::RESTART_ONLY`]) at its running value, and swaps the upstream limiters when
    /// `[ratelimit]` changed; reports what changed and what was kept.
    pub fn reload(&self, loaded: Config) -> config::ReloadReport {
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let current = self.current.load_full();
        let plan = config::plan_reload(&current, loaded);
        if plan.config.ratelimit != current.ratelimit {
            // New quotas: fresh buckets (429 pauses carry over); calls under way finish on
            // the limiter they started with.
            let (pnut, misskey) = limiters(&plan.config, self.cluster.as_ref());
            self.pnut.replace_limiter(Arc::new(pnut));
            self.misskey.replace_limiter(Arc::new(misskey));
        }
        self.current.store(Arc::new(plan.config));
        plan.report
    }

    /// The upstream token for a token a client presented (`[tokens]`: map, then passthrough);
    /// `None` when the token is refused.
    pub fn upstream_token(&self, presented: &str) -> Option<String> {
        self.config()
            .tokens
            .upstream_token(presented)
            .map(str::to_owned)
    }
}

impl BridgeContext {
    /// A place for one more upload, `None` when `limits.max_concurrent_uploads` are in flight.
    pub fn upload_slot(&self) -> Option<crate::http::upload::UploadSlot> {
        let max = self.config().limits.max_concurrent_uploads;
        self.uploads
            .try_take(usize::try_from(max).unwrap_or(usize::MAX))
    }

    /// The store (MiAuth sessions, bridge tokens, registry).
    pub fn store(&self) -> &Store {
        self.bridge_grants.store()
    }

    /// The Misskey front's token resolution: a bridge token (MiAuth) is looked up in the store
    /// (`None` when unknown or revoked); any other token goes through `[tokens]`
    /// ([`Self::upstream_token`]), so a raw pnut token still works.
    pub async fn misskey_upstream(&self, presented: &str) -> Result<Option<Resolved>, StoreError> {
        if is_bridge_token(presented) {
            return Ok(self
                .bridge_grants
                .grant(presented)
                .await?
                .map(|grant| Resolved {
                    upstream: grant.pnut_token.clone(),
                    grant: Some(grant),
                }));
        }
        Ok(self.upstream_token(presented).map(|upstream| Resolved {
            upstream,
            grant: None,
        }))
    }
}

/// The pnut and Misskey limiters of `config`, with the fleet's budget on top when `cluster`.
fn limiters(
    config: &Config,
    cluster: Option<&Arc<Cluster>>,
) -> (ratelimit::UpstreamLimiter, ratelimit::UpstreamLimiter) {
    let pnut = ratelimit::pnut_limiter(&pnut_quotas(config));
    let misskey = ratelimit::misskey_limiter(&misskey_quotas(config));
    match cluster {
        Some(cluster) => (
            pnut.with_fleet(Arc::clone(cluster)),
            misskey.with_fleet(Arc::clone(cluster)),
        ),
        None => (pnut, misskey),
    }
}

/// pnut quotas from `[ratelimit]` and `[ratelimit.pnut]`.
pub fn pnut_quotas(config: &Config) -> PnutQuotas {
    let r = &config.ratelimit;
    PnutQuotas {
        get_per_hour: r.pnut.get_per_hour,
        poll_per_hour: (u64::from(r.pnut.get_per_hour) * u64::from(r.pnut.poll_percent) / 100)
            .clamp(1, u64::from(u32::MAX)) as u32,
        writes_per_minute: r.pnut.writes_per_minute,
        upstream_per_second: r.pnut.upstream_per_second,
        max_wait: r.max_wait,
        default_pause: r.default_pause,
        ..PnutQuotas::default()
    }
}

/// Misskey quotas from `[ratelimit]` and `[ratelimit.misskey]`; a per-endpoint
/// `"COUNT/PERIOD"` is COUNT calls per PERIOD with a burst of COUNT, as Misskey counts it.
pub fn misskey_quotas(config: &Config) -> MisskeyQuotas {
    let r = &config.ratelimit;
    let endpoint_rates = r
        .misskey
        .endpoints
        .iter()
        .map(|(endpoint, rate)| {
            (
                endpoint.clone(),
                (
                    rate.count.max(1),
                    rate.per.max(std::time::Duration::from_millis(1)),
                ),
            )
        })
        .collect();
    MisskeyQuotas {
        per_token_per_second: r.misskey.per_token_per_second,
        endpoint_rates,
        upstream_per_second: r.misskey.upstream_per_second,
        max_wait: r.max_wait,
        default_pause: r.default_pause,
        ..MisskeyQuotas::default()
    }
}

/// pnut client settings from `[upstream.pnut]`, `[timeouts]` and `[ratelimit]`, for the API
/// (base with or without its `/v1`) and stream endpoints in `pnut`.
pub fn pnut_settings(config: &Config, pnut: PnutEndpoints) -> PnutClientSettings {
    let t = &config.timeouts;
    let base_url = pnut.api_url.trim_end_matches('/');
    PnutClientSettings {
        base_url: base_url.strip_suffix("/v1").unwrap_or(base_url).to_owned(),
        stream_url: pnut.stream_url,
        stream_auth: config.upstream.pnut.stream_auth,
        request_timeout: config.upstream.pnut.request_timeout,
        keepalive: t.pnut_keepalive,
        idle_timeout: t.pnut_idle,
        pong_timeout: t.upstream_pong_timeout,
        backoff_min: t.reconnect_backoff_min,
        backoff_max: t.reconnect_backoff_max,
        get_retries: config.ratelimit.get_retries,
        ..PnutClientSettings::default()
    }
}

/// Misskey client settings from `[upstream.misskey]`, `[timeouts]` and `[ratelimit]`.
pub fn misskey_settings(config: &Config, base_url: String) -> MisskeyClientSettings {
    let t = &config.timeouts;
    MisskeyClientSettings {
        base_url,
        request_timeout: config.upstream.misskey.request_timeout,
        backoff_min: t.reconnect_backoff_min,
        backoff_max: t.reconnect_backoff_max,
        read_retries: config.ratelimit.get_retries,
        pong_timeout: t.upstream_pong_timeout,
        ..MisskeyClientSettings::default()
    }
}

/// Translation options from `[ids]` and `[translate]`.
pub fn translate_options(config: &Config) -> translate::Options {
    let visibilities = config
        .translate
        .visibilities
        .iter()
        .map(|v| match v {
            config::Visibility::Public => misskey::Visibility::Public,
            config::Visibility::Home => misskey::Visibility::Home,
            config::Visibility::Followers => misskey::Visibility::Followers,
            config::Visibility::Specified => misskey::Visibility::Specified,
        })
        .collect();
    translate::Options {
        id_format: config.ids.misskey_format,
        pnut_id_width: config.ids.pnut_id_width,
        note_updated_revisions: config.translate.note_updated_revisions,
        visibilities,
        bookmark_reaction: config.translate.bookmark_reaction.clone(),
        ..translate::Options::default()
    }
}
