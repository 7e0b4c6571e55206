//! REST calls of the pool, run off the pool task: each call is a spawned task that sends its
//! result back on the pool's bounded result queue (waiting while it is full); every call still
//! in flight is cancelled when the pool ends. Deletes need no answer and are only spawned.

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;

use super::Pool;
use crate::mapping::{PollEntry, SubscriptionKey};
use crate::pnut::Envelope;
use crate::upstream::UpstreamError;

/// What a finished call reports to the pool.
pub(super) enum CallResult {
    /// A subscribe (or re-subscribe, whose page is the backfill) returned.
    Subscribed {
        /// The subscribed key.
        key: SubscriptionKey,
        /// Slot and generation of the connection it was made on.
        slot: usize,
        /// Generation of that connection.
        generation: u64,
        /// The `connection_id` it was made with.
        connection_id: String,
        /// The `since_id` sent (a re-subscribe: the page is a backfill).
        since: Option<String>,
        /// The response (boxed: an envelope is large).
        outcome: Box<Result<Envelope<Value>, UpstreamError>>,
    },
    /// A poll page returned (empty on an upstream error).
    Polled {
        /// The polled endpoint.
        entry: PollEntry,
        /// The poll's generation (a poll released and taken again is a new one).
        generation: u64,
        /// The page's `(id, item)`s.
        items: Vec<(String, Value)>,
    },
    /// A reply's parent was looked up (`reply` on `main`).
    Parent {
        /// The parent post.
        post_id: String,
        /// Its author (`None`: unknown or not readable).
        author: Option<String>,
    },
    /// A streamed note's poll was looked up.
    NotePoll {
        /// The pnut poll id.
        poll_id: String,
        /// The poll as a Misskey note's (`None`: not readable).
        poll: Option<crate::misskey::Poll>,
    },
}

impl Pool {
    /// Runs `call` in its own task; its result comes back through [`Pool::call_returned`].
    pub(super) fn spawn_call(&self, call: impl Future<Output = CallResult> + Send + 'static) {
        let results = self.results_tx.clone();
        let cancel = self.calls_cancel.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => {}
                result = call => {
                    // The pool is gone when this fails: nobody needs the result.
                    let _ = results.send(result).await;
                }
            }
        });
    }

    /// A call's result, back in the pool task.
    pub(super) fn call_returned(&mut self, result: CallResult) {
        match result {
            CallResult::Subscribed {
                key,
                slot,
                generation,
                connection_id,
                since,
                outcome,
            } => self.subscribed(&key, slot, generation, &connection_id, since, *outcome),
            CallResult::Polled {
                entry,
                generation,
                items,
            } => self.polled(&entry, generation, items),
            CallResult::Parent { post_id, author } => self.parent_returned(post_id, author),
            CallResult::NotePoll { poll_id, poll } => self.note_poll_returned(poll_id, poll),
        }
    }

    /// `DELETE /users/me/streams/{connection_id}/{subscription_id}`, spawned.
    pub(super) fn spawn_delete_subscription(&self, connection_id: String, subscription_id: String) {
        let ctx = Arc::clone(&self.ctx);
        let token = self.token.clone();
        self.ctx.drain.spawn(async move {
            if let Err(error) = ctx
                .pnut
                .delete_subscription(&token, &connection_id, &subscription_id)
                .await
            {
                tracing::debug!(%error, "pnut subscription delete failed");
            }
        });
    }

    /// `DELETE /users/me/streams/{connection_id}`, spawned.
    pub(super) fn spawn_delete_stream(&self, connection_id: String) {
        let ctx = Arc::clone(&self.ctx);
        let token = self.token.clone();
        self.ctx.drain.spawn(async move {
            if let Err(error) = ctx.pnut.delete_stream(&token, &connection_id).await {
                tracing::debug!(%error, "pnut stream delete failed");
            }
        });
    }
}
