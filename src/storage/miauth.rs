//! MiAuth sessions: what an app asked for (`/miauth/{session}`), the pnut token once the user
//! approved, until the app fetches its bridge token (`miauth/{session}/check`, once) or the
//! session's lifetime is over. A fetched, refused or expired session is deleted.

use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::tokens::{self, NewToken};
use super::{Store, StoreError, now_secs, random_text};

/// What an app asked for on `/miauth/{session}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiAuthRequest {
    /// The app's session id.
    pub session: String,
    /// The app's name.
    pub name: String,
    /// The app's icon URL.
    pub icon: Option<String>,
    /// Where the browser goes once approved (`?session=` appended).
    pub callback: Option<String>,
    /// The Misskey permissions asked for.
    pub permission: Vec<String>,
}

/// A session whose bridge token was just fetched.
#[derive(Clone)]
pub struct Fetched {
    /// The new bridge token (shown once, to the app).
    pub token: String,
    /// The pnut token it stands for.
    pub pnut_token: String,
    /// The pnut id of its user.
    pub user_id: String,
}

/// Why a login could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// As many logins as `[oauth] max_pending` are under way.
    #[error("too many logins under way; try again later")]
    TooMany,
    /// The session was already approved.
    #[error("this session was already approved")]
    AlreadyApproved,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn expired_before(lifetime: Duration) -> i64 {
    now_secs() - i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2)
}

fn sweep(conn: &Connection, lifetime: Duration) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM miauth_sessions WHERE created_at <= ?1",
        [expired_before(lifetime)],
    )?;
    Ok(())
}

fn request_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<MiAuthRequest> {
    let permission: String = row.get(4)?;
    Ok(MiAuthRequest {
        session: row.get(0)?,
        name: row.get(1)?,
        icon: row.get(2)?,
        callback: row.get(3)?,
        permission: serde_json::from_str(&permission).unwrap_or_default(),
    })
}

const REQUEST_COLUMNS: &str = "session, name, icon, callback, permission";

impl Store {
    /// Starts (or restarts) the login of `request`: returns the random `state` that names it
    /// in the pnut OAuth round trip. Expired sessions are deleted first.
    pub async fn start_miauth(
        &self,
        request: MiAuthRequest,
        lifetime: Duration,
        max_pending: u64,
    ) -> Result<String, StartError> {
        self.write(move |tx| {
            sweep(tx, lifetime)?;
            let pending: i64 =
                tx.query_row("SELECT COUNT(*) FROM miauth_sessions", [], |row| row.get(0))?;
            let approved: Option<bool> = tx
                .query_row(
                    "SELECT pnut_token IS NOT NULL FROM miauth_sessions WHERE session = ?1",
                    [&request.session],
                    |row| row.get(0),
                )
                .optional()?;
            match approved {
                Some(true) => return Ok(Err(StartError::AlreadyApproved)),
                None if u64::try_from(pending).unwrap_or(0) >= max_pending => {
                    return Ok(Err(StartError::TooMany));
                }
                _ => {}
            }
            let state = random_text(32);
            let permission =
                serde_json::to_string(&request.permission).unwrap_or_else(|_| "[]".to_owned());
            tx.execute(
                "INSERT OR REPLACE INTO miauth_sessions
                     (session, oauth_state, name, icon, callback, permission, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    request.session,
                    state,
                    request.name,
                    request.icon,
                    request.callback,
                    permission,
                    now_secs()
                ],
            )?;
            Ok(Ok(state))
        })
        .await?
    }

    /// The pending (unexpired, not yet approved) login named `state`.
    pub async fn miauth_by_state(
        &self,
        state: &str,
        lifetime: Duration,
    ) -> Result<Option<MiAuthRequest>, StoreError> {
        let state = state.to_owned();
        self.run(move |conn| {
            Ok(conn
                .query_row(
                    &format!(
                        "SELECT {REQUEST_COLUMNS} FROM miauth_sessions
                         WHERE oauth_state = ?1 AND pnut_token IS NULL AND created_at > ?2"
                    ),
                    params![state, expired_before(lifetime)],
                    request_of,
                )
                .optional()?)
        })
        .await
    }

    /// Records the approval of the pending login `state` with the user's pnut token; `None`
    /// when there is no such pending login.
    pub async fn approve_miauth(
        &self,
        state: &str,
        pnut_token: &str,
        user_id: &str,
        lifetime: Duration,
    ) -> Result<Option<MiAuthRequest>, StoreError> {
        let (state, pnut_token, user_id) =
            (state.to_owned(), pnut_token.to_owned(), user_id.to_owned());
        self.write(move |tx| {
            let found = tx
                .query_row(
                    &format!(
                        "SELECT {REQUEST_COLUMNS} FROM miauth_sessions
                         WHERE oauth_state = ?1 AND pnut_token IS NULL AND created_at > ?2"
                    ),
                    params![state, expired_before(lifetime)],
                    request_of,
                )
                .optional()?;
            if found.is_some() {
                tx.execute(
                    "UPDATE miauth_sessions SET pnut_token = ?2, user_id = ?3 WHERE oauth_state = ?1",
                    params![state, pnut_token, user_id],
                )?;
            }
            Ok(found)
        })
        .await
    }

    /// The user refused the login `state`: it is deleted; returns what it was.
    pub async fn refuse_miauth(&self, state: &str) -> Result<Option<MiAuthRequest>, StoreError> {
        let state = state.to_owned();
        self.write(move |tx| {
            let found = tx
                .query_row(
                    &format!(
                        "SELECT {REQUEST_COLUMNS} FROM miauth_sessions
                         WHERE oauth_state = ?1 AND pnut_token IS NULL"
                    ),
                    [&state],
                    request_of,
                )
                .optional()?;
            tx.execute(
                "DELETE FROM miauth_sessions WHERE oauth_state = ?1",
                [&state],
            )?;
            Ok(found)
        })
        .await
    }

    /// `miauth/{session}/check`: for an approved, unexpired session, issues its bridge token
    /// and deletes the session (so a second check finds nothing); `None` otherwise.
    pub async fn fetch_miauth(
        &self,
        session: &str,
        lifetime: Duration,
    ) -> Result<Option<Fetched>, StoreError> {
        let session = session.to_owned();
        self.write(move |tx| {
            sweep(tx, lifetime)?;
            let found = tx
                .query_row(
                    "SELECT pnut_token, user_id, name, permission FROM miauth_sessions
                     WHERE session = ?1 AND pnut_token IS NOT NULL AND created_at > ?2",
                    params![session, expired_before(lifetime)],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, String>(2)?,
                            row.get::<_, String>(3)?,
                        ))
                    },
                )
                .optional()?;
            // A pending session stays for its approval; an approved or expired one goes.
            tx.execute(
                "DELETE FROM miauth_sessions
                 WHERE session = ?1 AND (pnut_token IS NOT NULL OR created_at <= ?2)",
                params![session, expired_before(lifetime)],
            )?;
            let Some((pnut_token, user_id, app_name, permission)) = found else {
                return Ok(None);
            };
            let token = tokens::insert(
                tx,
                &NewToken {
                    pnut_token: pnut_token.clone(),
                    user_id: user_id.clone(),
                    app_name,
                    permission: serde_json::from_str(&permission).unwrap_or_default(),
                },
            )?;
            Ok(Some(Fetched {
                token,
                pnut_token,
                user_id,
            }))
        })
        .await
    }
}
