//! Pure translation between pnut and Misskey models (mapping.md §5).
