//! Byte searches eight bytes at a time ("SIMD within a register"): the wasm builds have no
//! vector search, and the texts searched (JSON strings, annotation values) are mostly plain.

#![forbid(unsafe_code)]

/// Every byte 1.
pub(crate) const ONES: u64 = u64::from_le_bytes([1; 8]);
/// Every byte's high bit.
pub(crate) const HIGH: u64 = ONES << 7;

/// `byte` in every byte of a word.
pub(crate) const fn splat(byte: u8) -> u64 {
    ONES * byte as u64
}

/// The high bit of every zero byte of `v` set, and of no byte below the lowest zero byte (a
/// borrow can only mark bytes above a zero byte): exact for "is there one" and "the first".
pub(crate) const fn zero(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGH
}

/// The high bit of every byte of `v` below `n` (at most 0x80) set, exact for the lowest.
pub(crate) const fn below(v: u64, n: u8) -> u64 {
    v.wrapping_sub(splat(n)) & !v & HIGH
}

/// The index of the first byte of `bytes` that `hits` marks in its word (the high bit of the
/// byte, exact for the lowest marked byte) or, in the last few bytes, that `hit` accepts.
#[inline(always)]
pub(crate) fn find(
    bytes: &[u8],
    hits: impl Fn(u64) -> u64,
    hit: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut n = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let marked = hits(u64::from_le_bytes(word));
        if marked != 0 {
            return Some(n + (marked.trailing_zeros() / 8) as usize);
        }
        n += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| hit(b))
        .map(|i| n + i)
}

/// C's `memcmp` of the first `min(a.len(), b.len())` bytes: the difference of the first unequal
/// bytes (as unsigned numbers), or 0. Eight bytes at a time while they are equal. The wasm
/// builds define their `memcmp` with it (`adapters::memcmp`), so it compares no slices: `==`
/// between slices calls `memcmp`.
#[cfg_attr(
    not(all(
        target_arch = "wasm32",
        any(feature = "kubewarden", feature = "opa", feature = "component")
    )),
    allow(dead_code)
)]
#[inline(always)]
pub(crate) fn memcmp(a: &[u8], b: &[u8]) -> i32 {
    let n = a.len().min(b.len());
    let (a, b) = (
        a.get(..n).unwrap_or_default(),
        b.get(..n).unwrap_or_default(),
    );
    let (wa, wb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (wa.remainder(), wb.remainder());
    let word = |c: &[u8]| {
        <[u8; 8]>::try_from(c)
            .map(u64::from_le_bytes)
            .unwrap_or_default()
    };
    for (x, y) in wa.zip(wb) {
        let (x, y) = (word(x), word(y));
        if x != y {
            // The lowest differing byte of the words is the first in memory.
            let shift = (x ^ y).trailing_zeros() & !7;
            return ((x >> shift) & 0xff) as i32 - ((y >> shift) & 0xff) as i32;
        }
    }
    for (&x, &y) in ra.iter().zip(rb) {
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// The sign of every comparison of two texts of up to 40 bytes that differ in one byte (any
    /// value, any place) or not at all, and the difference of the bytes as C gives it.
    #[test]
    fn memcmp_gives_what_c_memcmp_gives() {
        let text: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37)).collect();
        for n in 0..=text.len() {
            let a = &text[..n];
            assert_eq!(memcmp(a, a), 0);
            for at in 0..n {
                for v in 0..=255u8 {
                    let mut b = a.to_vec();
                    b[at] = v;
                    let want = i32::from(a[at]) - i32::from(v);
                    assert_eq!(memcmp(a, &b), want, "{n} {at} {v}");
                    assert_eq!(memcmp(&b, a), -want, "{n} {at} {v}");
                    assert_eq!(memcmp(a, &b).signum(), a.cmp(&b[..]) as i32);
                }
            }
            // Only the common length counts.
            assert_eq!(memcmp(a, &text), 0);
        }
    }

    /// Every byte value at every place of texts of every length up to 24, among fillers that
    /// are near misses: the first marked byte is found, whatever follows it.
    #[test]
    fn find_gives_the_first_byte_that_a_word_or_byte_test_marks() {
        let hits = |w: u64| zero(w ^ splat(b',')) | below(w, 0x21) | (w & HIGH);
        let hit = |b: u8| b == b',' || !(0x21..0x80).contains(&b);
        for len in 0..24 {
            for fill in [b'a', b'+', b'-', b'!', 0x7f, b'0'] {
                let mut bytes = vec![fill; len];
                assert_eq!(find(&bytes, hits, hit), None);
                for at in 0..len {
                    for b in 0..=255u8 {
                        bytes[at] = b;
                        let want = if hit(b) { Some(at) } else { None };
                        assert_eq!(find(&bytes, hits, hit), want, "{len} {fill} {at} {b}");
                        if at + 1 < len && hit(b) {
                            bytes[len - 1] = b',';
                            assert_eq!(find(&bytes, hits, hit), Some(at));
                            bytes[len - 1] = fill;
                        }
                    }
                    bytes[at] = fill;
                }
            }
        }
    }
}
