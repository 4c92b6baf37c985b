//! One stable sort for the crate. The standard library's sorts are generic over the element
//! and the comparison, so every call site adds its own copy of the sort code (about 2 KB each in
//! the wasm artifacts). Here the merging is done once, on positions, through a `dyn` comparison;
//! each caller only adds the small step that reorders its vector.

#![forbid(unsafe_code)]

use std::cmp::Ordering;

/// The positions `0..n` in the stable order of `cmp` (which compares the items at two
/// positions): a bottom-up merge sort, O(n log n) comparisons, equal items keep their order.
fn order(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut current: Vec<usize> = (0..n).collect();
    let mut next: Vec<usize> = Vec::with_capacity(n);
    let mut width = 1usize;
    while width < n {
        next.clear();
        for chunk in current.chunks(width.saturating_mul(2)) {
            let (left, right) = chunk.split_at(width.min(chunk.len()));
            let (mut l, mut r) = (left.iter().peekable(), right.iter().peekable());
            loop {
                match (l.peek(), r.peek()) {
                    (Some(&&a), Some(&&b)) => {
                        // The right item goes first only when it is strictly less: stable.
                        if cmp(b, a) == Ordering::Less {
                            next.push(b);
                            r.next();
                        } else {
                            next.push(a);
                            l.next();
                        }
                    }
                    (Some(_), None) => {
                        next.extend(l);
                        break;
                    }
                    (None, _) => {
                        next.extend(r);
                        break;
                    }
                }
            }
        }
        std::mem::swap(&mut current, &mut next);
        width = width.saturating_mul(2);
    }
    current
}

/// Up to this many items are sorted in place by insertion: no allocation.
const SMALL: usize = 16;

/// Sort a few items stably by `cmp`, in place, by insertion (quadratic: for short slices).
pub(crate) fn sort_small_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0
            && matches!((v.get(j - 1), v.get(j)), (Some(a), Some(b)) if cmp(a, b) == Ordering::Greater)
        {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Sort `v` stably by `cmp`, as `v.sort_by(cmp)` does.
pub(crate) fn sort_by<T>(v: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() <= SMALL {
        sort_small_by(v, cmp);
        return;
    }
    let order = {
        let items = v.as_slice();
        order(
            items.len(),
            &mut |a, b| match (items.get(a), items.get(b)) {
                (Some(x), Some(y)) => cmp(x, y),
                _ => Ordering::Equal,
            },
        )
    };
    let mut slots: Vec<Option<T>> = std::mem::take(v).into_iter().map(Some).collect();
    v.extend(
        order
            .iter()
            .filter_map(|&i| slots.get_mut(i).and_then(Option::take)),
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::sort_by;

    /// A small deterministic generator (no dependency).
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn same_order_as_the_standard_stable_sort() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for len in (0..40).chain([63, 64, 65, 127, 128, 129, 1000, 4097]) {
            for modulus in [1u64, 2, 3, 10, 1_000_000] {
                // (key, original position): equal keys must keep their order.
                let items: Vec<(u64, usize)> =
                    (0..len).map(|i| (next(&mut state) % modulus, i)).collect();
                let mut ours = items.clone();
                sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
                let mut std = items;
                std.sort_by_key(|a| a.0);
                assert_eq!(ours, std, "len {len}, modulus {modulus}");
            }
        }
    }

    #[test]
    fn owned_items_move_without_loss() {
        let mut v: Vec<String> = ["b", "a", "c", "a"].iter().map(|s| s.to_string()).collect();
        sort_by(&mut v, |a, b| a.cmp(b));
        assert_eq!(v, ["a", "a", "b", "c"]);
    }
}
