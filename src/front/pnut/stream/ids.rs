//! Random connection and subscription ids (32 url-safe characters, as pnut's).

const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Length of a connection or subscription id.
pub const ID_LEN: usize = 32;

/// A fresh random id of [`ID_LEN`] url-safe characters.
pub fn random_id() -> String {
    (0..ID_LEN)
        .map(|_| {
            let index = rand::random_range(0..URL_SAFE.len());
            URL_SAFE.get(index).copied().map_or('A', char::from)
        })
        .collect()
}
