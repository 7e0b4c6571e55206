//! Misskey wire models (serde, pure, no IO).
