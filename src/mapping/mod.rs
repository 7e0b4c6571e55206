//! Pure mapping resolution: Misskey channel connects ⇄ pnut subscription keys.
