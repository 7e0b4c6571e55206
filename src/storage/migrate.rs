//! Schema migrations, applied at open: `PRAGMA user_version` counts the ones applied; all pending
//! ones run in one transaction.

use rusqlite::{Connection, TransactionBehavior};

/// Every migration, in order; never edit one that shipped, add the next.
const MIGRATIONS: &[&str] = &[
    // 1: bridge tokens, MiAuth sessions, registry.
    "CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        pnut_token TEXT NOT NULL,
        user_id TEXT NOT NULL,
        app_name TEXT NOT NULL,
        permission TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX tokens_user ON tokens (user_id);
    CREATE TABLE miauth_sessions (
        session TEXT PRIMARY KEY,
        oauth_state TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        icon TEXT,
        callback TEXT,
        permission TEXT NOT NULL,
        pnut_token TEXT,
        user_id TEXT,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE registry (
        user_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (user_id, scope, key)
    );",
];

/// Applies the migrations `conn` has not seen yet, all in one immediate transaction (so two
/// processes starting on the same file migrate it once).
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let applied: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let version = index as i64 + 1;
        if version > applied {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", version)?;
        }
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn).expect("first");
        migrate(&mut conn).expect("second");
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .expect("version");
        assert_eq!(version, MIGRATIONS.len() as i64);
    }
}
