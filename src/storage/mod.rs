//! The bridge's store (mapping.md §8): one embedded SQLite file (`[storage] path`, `:memory:`
//! allowed) holding MiAuth sessions, bridge-issued tokens (hashed) and Misskey `i/registry`
//! data. Created and migrated at start.
//!
//! One thread owns the connection; callers send it jobs through a bounded queue
//! ([`STORE_QUEUE`]; a caller waits while it is full) and await the answer. Every write runs
//! in a transaction, so a full or unwritable disk fails that request with a [`StoreError`] and
//! leaves the file as it was.

pub mod miauth;
mod migrate;
pub mod registry;
pub mod tokens;

use std::path::Path;

use rusqlite::{Connection, ErrorCode};
use tokio::sync::{mpsc, oneshot};

/// Jobs queued for the store thread at most (callers wait while it is full).
pub const STORE_QUEUE: usize = 256;
/// How long one statement waits for another process holding the file's lock.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Why the store could not do something.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file cannot be opened or created (missing directory, no permission, not a database).
    #[error("cannot open the store at {path}: {message}")]
    Open {
        /// The configured path.
        path: String,
        /// What SQLite or the file system said.
        message: String,
    },
    /// The disk (or `[storage] max_size`) is full: nothing was written.
    #[error("the store is full (disk or [storage] max_size): nothing was written")]
    Full,
    /// The file cannot be written (read-only file or file system): nothing was written.
    #[error("the store cannot be written (read-only file or disk): nothing was written")]
    ReadOnly,
    /// Any other SQLite failure.
    #[error("store failure: {0}")]
    Sqlite(String),
    /// The store thread is gone (the bridge is stopping).
    #[error("the store is closed")]
    Closed,
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        match error.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => Self::Full,
            Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied | ErrorCode::CannotOpen) => {
                Self::ReadOnly
            }
            _ => Self::Sqlite(error.to_string()),
        }
    }
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Handle on the store (cheap to clone); the store thread ends when the last handle is dropped.
#[derive(Debug, Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
}

impl Store {
    /// Opens (creating it and its parent directory when missing) and migrates the store at
    /// `path` (`:memory:` for a private in-memory one); `max_bytes` caps the file's size.
    pub fn open(path: &str, max_bytes: Option<u64>) -> Result<Self, StoreError> {
        let open_error = |message: String| StoreError::Open {
            path: path.to_owned(),
            message,
        };
        let mut conn = if path == ":memory:" {
            Connection::open_in_memory()
        } else {
            if let Some(parent) = Path::new(path).parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|e| open_error(e.to_string()))?;
            }
            Connection::open(path)
        }
        .map_err(|e| open_error(e.to_string()))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| open_error(e.to_string()))?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(|e| open_error(e.to_string()))?;
        if let Some(max_bytes) = max_bytes {
            let page_size: i64 = conn
                .pragma_query_value(None, "page_size", |row| row.get(0))
                .map_err(|e| open_error(e.to_string()))?;
            let pages = (max_bytes / page_size.max(512) as u64).max(8);
            conn.pragma_update(None, "max_page_count", pages as i64)
                .map_err(|e| open_error(e.to_string()))?;
        }
        migrate::migrate(&mut conn).map_err(|e| open_error(e.to_string()))?;
        let (jobs, mut inbox) = mpsc::channel::<Job>(STORE_QUEUE);
        std::thread::Builder::new()
            .name("pnutkey-store".to_owned())
            .spawn(move || {
                while let Some(job) = inbox.blocking_recv() {
                    job(&mut conn);
                }
            })
            .map_err(|e| open_error(e.to_string()))?;
        Ok(Self { jobs })
    }

    /// Runs `job` on the store thread and returns its answer.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = reply.send(job(conn));
        });
        self.jobs.send(job).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `job` in a transaction (committed when it returns `Ok`, rolled back otherwise).
    pub async fn write<T: Send + 'static>(
        &self,
        job: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction()?;
            let value = job(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await
    }
}

/// Seconds since the Unix epoch (the store's timestamps).
pub(crate) fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A random text of `len` ASCII letters and digits (tokens, session states, ids).
pub fn random_text(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}
