//! Bridge tokens: what an app gets from MiAuth, mapped to the pnut token it stands for. Only
//! the SHA-256 of a bridge token is stored; the token itself is shown once, to the app.

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::{Store, StoreError, now_secs, random_text};

/// Every bridge token starts with this (so a raw pnut token never costs a store look-up).
pub const TOKEN_PREFIX: &str = "pnutkey_";
/// Random characters after the prefix.
const TOKEN_RANDOM_LEN: usize = 32;

/// What a bridge token stands for.
#[derive(Clone, PartialEq, Eq)]
pub struct Grant {
    /// The token's id (Misskey's `tokenId`).
    pub id: String,
    /// The pnut token used upstream.
    pub pnut_token: String,
    /// The pnut id of the user who approved it.
    pub user_id: String,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// What a new bridge token is for.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The pnut token it stands for.
    pub pnut_token: String,
    /// The pnut id of its user.
    pub user_id: String,
    /// The app's name (MiAuth `name`).
    pub app_name: String,
    /// The Misskey permissions asked for.
    pub permission: Vec<String>,
}

/// Whether `token` has the shape of a bridge token.
pub fn is_bridge_token(token: &str) -> bool {
    token.starts_with(TOKEN_PREFIX)
}

/// The stored form of a bridge token (hex SHA-256).
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Inserts a new bridge token (inside the caller's transaction); returns the token.
pub(crate) fn insert(conn: &Connection, new: &NewToken) -> Result<String, StoreError> {
    let token = format!("{TOKEN_PREFIX}{}", random_text(TOKEN_RANDOM_LEN));
    let permission = serde_json::to_string(&new.permission).unwrap_or_else(|_| "[]".to_owned());
    conn.execute(
        "INSERT INTO tokens (id, hash, pnut_token, user_id, app_name, permission, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            random_text(16).to_lowercase(),
            hash(&token),
            new.pnut_token,
            new.user_id,
            new.app_name,
            permission,
            now_secs()
        ],
    )?;
    Ok(token)
}

impl Store {
    /// What the bridge token `token` stands for; `None` for an unknown or revoked one.
    pub async fn bridge_token(&self, token: &str) -> Result<Option<Grant>, StoreError> {
        let hashed = hash(token);
        self.run(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT id, pnut_token, user_id FROM tokens WHERE hash = ?1",
                    [hashed],
                    |row| {
                        Ok(Grant {
                            id: row.get(0)?,
                            pnut_token: row.get(1)?,
                            user_id: row.get(2)?,
                        })
                    },
                )
                .optional()?)
        })
        .await
    }

    /// Issues a bridge token for `new` (outside MiAuth, e.g. for tests of an operator tool).
    pub async fn issue_token(&self, new: NewToken) -> Result<String, StoreError> {
        self.write(move |tx| insert(tx, &new)).await
    }

    /// Deletes `user_id`'s bridge token given by its text or its id; returns the hash of the
    /// deleted token (for the caller's cache), `None` when there was none.
    pub async fn revoke_token(
        &self,
        user_id: &str,
        token: Option<&str>,
        token_id: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let (user_id, hashed, token_id) = (
            user_id.to_owned(),
            token.map(hash),
            token_id.map(str::to_owned),
        );
        self.write(move |tx| {
            let found: Option<String> = tx
                .query_row(
                    "SELECT hash FROM tokens WHERE user_id = ?1 AND (hash = ?2 OR id = ?3)",
                    params![user_id, hashed, token_id],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(found) = &found {
                tx.execute("DELETE FROM tokens WHERE hash = ?1", [found])?;
            }
            Ok(found)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tokens_are_stored_hashed_and_revocable() {
        let store = Store::open(":memory:", None).expect("store");
        let token = store
            .issue_token(NewToken {
                pnut_token: "pnut-secret".into(),
                user_id: "7".into(),
                app_name: "app".into(),
                permission: vec!["read:account".into()],
            })
            .await
            .expect("issue");
        assert!(is_bridge_token(&token));
        let grant = store
            .bridge_token(&token)
            .await
            .expect("read")
            .expect("found");
        assert_eq!(
            (grant.pnut_token.as_str(), grant.user_id.as_str()),
            ("pnut-secret", "7")
        );
        let stored: Vec<String> = store
            .run(|conn| {
                let mut stmt = conn.prepare("SELECT hash FROM tokens")?;
                let rows = stmt.query_map([], |row| row.get(0))?;
                Ok(rows.collect::<Result<Vec<String>, _>>()?)
            })
            .await
            .expect("hashes");
        assert_eq!(stored, vec![hash(&token)]);
        assert!(!stored[0].contains(&token));
        assert_eq!(
            store
                .revoke_token("8", Some(&token), None)
                .await
                .expect("other"),
            None
        );
        assert!(
            store
                .revoke_token("7", Some(&token), None)
                .await
                .expect("own")
                .is_some()
        );
        assert_eq!(store.bridge_token(&token).await.expect("read"), None);
    }
}
