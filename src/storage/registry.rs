//! Misskey `i/registry` data: JSON values per pnut user, scope (a list of names) and key.

use rusqlite::{OptionalExtension, params};
use serde_json::Value;

use super::{Store, StoreError};

/// One stored registry value.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryItem {
    /// Its key.
    pub key: String,
    /// The value.
    pub value: Value,
    /// When it was last set (ISO 8601, milliseconds, UTC).
    pub updated_at: String,
}

fn scope_text(scope: &[String]) -> String {
    serde_json::to_string(scope).unwrap_or_else(|_| "[]".to_owned())
}

fn item_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<RegistryItem> {
    let value: String = row.get(1)?;
    Ok(RegistryItem {
        key: row.get(0)?,
        value: serde_json::from_str(&value).unwrap_or(Value::Null),
        updated_at: row.get(2)?,
    })
}

impl Store {
    /// Sets `key` in `user_id`'s `scope` to `value`.
    pub async fn registry_set(
        &self,
        user_id: &str,
        scope: &[String],
        key: &str,
        value: &Value,
    ) -> Result<(), StoreError> {
        let (user_id, scope, key, value) = (
            user_id.to_owned(),
            scope_text(scope),
            key.to_owned(),
            value.to_string(),
        );
        let now = chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO registry (user_id, scope, key, value, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (user_id, scope, key)
                 DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                params![user_id, scope, key, value, now],
            )?;
            Ok(())
        })
        .await
    }

    /// The item `key` of `user_id`'s `scope`, if set.
    pub async fn registry_get(
        &self,
        user_id: &str,
        scope: &[String],
        key: &str,
    ) -> Result<Option<RegistryItem>, StoreError> {
        let (user_id, scope, key) = (user_id.to_owned(), scope_text(scope), key.to_owned());
        self.run(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT key, value, updated_at FROM registry
                     WHERE user_id = ?1 AND scope = ?2 AND key = ?3",
                    params![user_id, scope, key],
                    item_of,
                )
                .optional()?)
        })
        .await
    }

    /// Every item of `user_id`'s `scope`, in key order.
    pub async fn registry_all(
        &self,
        user_id: &str,
        scope: &[String],
    ) -> Result<Vec<RegistryItem>, StoreError> {
        let (user_id, scope) = (user_id.to_owned(), scope_text(scope));
        self.run(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT key, value, updated_at FROM registry
                 WHERE user_id = ?1 AND scope = ?2 ORDER BY key",
            )?;
            let items = stmt
                .query_map(params![user_id, scope], item_of)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(items)
        })
        .await
    }

    /// Deletes `key` of `user_id`'s `scope` (nothing when it is not set).
    pub async fn registry_remove(
        &self,
        user_id: &str,
        scope: &[String],
        key: &str,
    ) -> Result<(), StoreError> {
        let (user_id, scope, key) = (user_id.to_owned(), scope_text(scope), key.to_owned());
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM registry WHERE user_id = ?1 AND scope = ?2 AND key = ?3",
                params![user_id, scope, key],
            )?;
            Ok(())
        })
        .await
    }

    /// Every scope `user_id` has items in.
    pub async fn registry_scopes(&self, user_id: &str) -> Result<Vec<Vec<String>>, StoreError> {
        let user_id = user_id.to_owned();
        self.run(move |conn| {
            let mut stmt = conn
                .prepare("SELECT DISTINCT scope FROM registry WHERE user_id = ?1 ORDER BY scope")?;
            let scopes = stmt
                .query_map([user_id], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(scopes
                .iter()
                .map(|text| serde_json::from_str(text).unwrap_or_default())
                .collect())
        })
        .await
    }
}
