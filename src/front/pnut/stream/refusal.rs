//! Why the stream front refused an operation on a tool connection. The HTTP answer of each
//! refusal is decided at the edge ([`super::SubscribeError`]).

/// A refused subscribe, unsubscribe or connection delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No such connection (or it ended meanwhile).
    #[error("unknown connection")]
    UnknownConnection,
    /// The connection belongs to another token.
    #[error("the connection belongs to another token")]
    ForeignConnection,
    /// The connection already has the maximum number of subscriptions.
    #[error("the connection already has the maximum of {0} subscriptions")]
    Full(u32),
    /// The token's hub has ended (the bridge drains).
    #[error("the hub has ended")]
    Gone,
}
