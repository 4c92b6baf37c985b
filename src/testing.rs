//! What the unit tests share.

/// A xorshift generator from `seed` (not zero): deterministic, enough to pick test inputs.
pub(crate) fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}
