//! pnut wire models (serde, pure, no IO).
