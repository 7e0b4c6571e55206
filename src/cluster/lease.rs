//! The session lease of a token: the instance holding it owns the token's upstream session for
//! the whole fleet (mapping.md §9). A lease lasts `lease_ttl` unless its owner renews it; once
//! it ran out (the owner died) the next instance that asks takes it over.

use std::sync::LazyLock;

use redis::Script;

use super::{Cluster, ClusterError, token_key};

/// Take the lease if free, renew it if ours; answers the holder. KEYS[1]: the lease key;
/// ARGV[1]: this instance; ARGV[2]: the lease time in ms.
const CLAIM: &str = r"
local holder = redis.call('GET', KEYS[1])
if not holder or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
return holder
";

/// Drop the lease if ours. KEYS[1]: the lease key; ARGV[1]: this instance.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

static CLAIM_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(CLAIM));
static RELEASE_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(RELEASE));

/// Who holds a token's session lease after a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// This instance (taken or renewed).
    Me,
    /// Another instance, by id.
    Other(String),
}

impl Cluster {
    /// The lease key of `token`'s session of `front` (`misskey`, `pnut`).
    fn lease_key(&self, front: &str, token: &str) -> String {
        self.key(&format!("lease:{{{front}:{}}}", token_key(token)))
    }

    /// Takes or renews the session lease of `token`; answers who holds it now.
    pub async fn claim(&self, front: &str, token: &str) -> Result<Holder, ClusterError> {
        let key = self.lease_key(front, token);
        let me = self.instance_id().to_owned();
        let ttl = u64::try_from(self.settings().lease_ttl.as_millis()).unwrap_or(u64::MAX);
        let holder: String = self
            .call(|mut redis| async move {
                CLAIM_SCRIPT
                    .key(key)
                    .arg(me)
                    .arg(ttl)
                    .invoke_async(&mut redis)
                    .await
            })
            .await?;
        Ok(if holder == self.instance_id() {
            Holder::Me
        } else {
            Holder::Other(holder)
        })
    }

    /// The instance holding the session lease of `token` of `front`, if any (read only).
    pub async fn holder(&self, front: &str, token: &str) -> Result<Option<String>, ClusterError> {
        self.get_string(self.lease_key(front, token)).await
    }

    /// Gives up the session lease of `token` if this instance holds it (a session ending
    /// cleanly: the next instance need not wait for the lease time).
    pub async fn release(&self, front: &str, token: &str) -> Result<(), ClusterError> {
        let key = self.lease_key(front, token);
        let me = self.instance_id().to_owned();
        let _: i64 = self
            .call(|mut redis| async move {
                RELEASE_SCRIPT
                    .key(key)
                    .arg(me)
                    .invoke_async(&mut redis)
                    .await
            })
            .await?;
        Ok(())
    }

    /// Publishes `message` on the fleet channel `channel` (a key under the prefix).
    pub async fn publish(&self, channel: &str, message: &str) -> Result<(), ClusterError> {
        let channel = channel.to_owned();
        let message = message.to_owned();
        let _: i64 = self
            .call(|mut redis| async move {
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(message)
                    .query_async(&mut redis)
                    .await
            })
            .await?;
        Ok(())
    }
}
