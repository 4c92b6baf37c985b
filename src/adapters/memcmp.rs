//! `memcmp` for the policy modules, eight bytes at a time ([`crate::swar::memcmp`]).
//!
//! The wasm32 target has no inline expansion of `memcmp`, so every `==` between two strings
//! of the same length (annotation keys, map lookups, the rules' `match`es on kinds and
//! fields) is a call to it, and the one the standard library links for wasm32 compares a byte
//! at a time: it took about a tenth of a small request's time in the modules. A strong
//! definition, the linker takes it over the standard library's weak one.

/// C's `memcmp`: negative, zero or positive as `a`'s first differing byte of the `n` is below,
/// absent, or above `b`'s.
///
/// # Safety
/// `a` and `b` must each be readable for `n` bytes, as for C's `memcmp`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    if n == 0 {
        return 0;
    }
    // SAFETY: the caller vouches for `n` readable bytes at each address (not null when `n` is
    // not 0); nothing writes them while these slices live.
    let (a, b) = unsafe {
        (
            core::slice::from_raw_parts(a, n),
            core::slice::from_raw_parts(b, n),
        )
    };
    crate::swar::memcmp(a, b)
}
