//! Handing a relay's clients over to the fleet's owner without a gap (mapping.md §9): an
//! instance that ran the token's pool itself (it owned the session, or Redis was down) and now
//! follows another owner keeps that pool as a *standby* until the owner said `connected` for
//! every virtual channel needed here — proof that the bus reaches this instance and that the
//! owner's subscriptions are up — and at most a lease time. Meanwhile both deliver (each note
//! once, [`super::local`]), and its announcements carry where it stopped (`resume`), so a
//! subscription the owner makes for it starts there and its first page is the backfill.

use tokio::time::Instant;

use super::{Mode, Relay};

impl Relay {
    /// Another instance owns the session: follow its frames; a pool run here until now stays
    /// as the standby.
    pub(super) async fn become_follower(&mut self, owner: String) {
        let ttl = self.cluster.settings().lease_ttl;
        let standby = match std::mem::replace(&mut self.mode, Mode::Pending) {
            Mode::Owner { local, .. } => Some((local, Instant::now() + ttl)),
            Mode::Follower { standby, .. } => standby,
            Mode::Pending => None,
        };
        if standby.is_some() {
            self.resume = self.newest.clone();
        }
        tracing::debug!(
            token = %crate::ratelimit::token_hash(&self.token),
            owner = %owner,
            standby = standby.is_some(),
            "cluster: following the token's session"
        );
        self.reset_connected();
        self.mode = Mode::Follower { owner, standby };
        // The owner of the token's session applies the user's `main` events.
        self.user_subscription = None;
        self.subscription = Some(
            self.cluster
                .bus()
                .subscribe(self.ev_channel.clone(), self.fleet_tx.clone())
                .await,
        );
        self.announce();
        self.settle_standby(Instant::now());
    }

    /// Whether a standby pool still delivers here (two sources overlap).
    pub(super) fn has_standby(&self) -> bool {
        matches!(
            self.mode,
            Mode::Follower {
                standby: Some(_),
                ..
            }
        )
    }

    /// Once the owner serves every need here the hand-over is done: the standby ends and
    /// announcements stop asking for a resume. A standby whose time is up ends all the same
    /// (the owner's subscriptions made later still start where it stopped).
    pub(super) fn settle_standby(&mut self, now: Instant) {
        // Cheap for the common case: a follower with nothing to hand over.
        let handing_over = self.has_standby() || self.resume.is_some();
        if !handing_over || !matches!(self.mode, Mode::Follower { .. }) {
            return;
        }
        if self.all_connected() {
            self.resume = None;
            self.end_standby();
        } else if let Mode::Follower {
            standby: Some((_, until)),
            ..
        } = &self.mode
            && now >= *until
        {
            self.end_standby();
        }
    }

    /// Ends the standby pool, if any.
    pub(super) fn end_standby(&mut self) {
        if let Mode::Follower { standby, .. } = &mut self.mode
            && let Some((local, _)) = standby.take()
        {
            local.pool_end.ended();
            tracing::debug!(
                token = %crate::ratelimit::token_hash(&self.token),
                "cluster: hand-over to the owner done; local pool ended"
            );
        }
    }
}
