//! What the OPA module keeps across its host's heap resets, as bookkeeping without `unsafe`.
//!
//! An OPA host resets the module's heap after every evaluation (`opa_heap_ptr_set` back to
//! the pointer it took after loading `data`; see [`crate::heap`]), so nothing an
//! evaluation builds on the heap outlives it. Yet `data` and the settings an input carries
//! usually stay the same from one evaluation to the next, and reading them costs as much as
//! judging a small pod. So the adapter keeps what they give in regions of its own, below the
//! heap's base, where no heap reset reaches:
//!
//! - [`Arena`] is the bookkeeping of one such region: a bump pointer the global allocator
//!   takes blocks from while a kept value is being built (between [`Arena::begin`] and
//!   [`Arena::end`]), and a count of the blocks still live. Freeing a block there only counts
//!   it; the region is reclaimed as a whole ([`Arena::reclaim`]), and only when no block in it
//!   is live, so nothing can point into memory handed out again. A build that runs out of
//!   room is refused block by block (the allocator serves those blocks from the heap) and
//!   [`Arena::end`] says it did not fit: the adapter drops it rather than keep a value that is
//!   partly on the heap.
//! - [`TextCache`] keeps one value derived from a text, with a copy of the text. A lookup
//!   compares the text byte for byte: a host may edit a value in place
//!   (`opa_value_add_path`), load new data, or clone the memory into a fresh instance, so
//!   neither an address nor a length says the text is the same. A text whose value did not
//!   fit is remembered by its length and hash, and is not built again while it keeps coming
//!   back; its evaluations read it afresh, as before there was a cache.

#![forbid(unsafe_code)]

/// The bookkeeping of a region at a fixed address. Every field starts at zero (the adapter
/// keeps it in a zero-initialised static); where the region is and how large, each call says.
#[derive(Debug)]
pub(crate) struct Arena {
    /// Bytes handed out since the last reclaim: the next block starts at or after this offset.
    used: usize,
    /// Blocks handed out and not freed yet.
    live: usize,
    building: bool,
    /// A block did not fit during the current build.
    overflowed: bool,
}

impl Arena {
    /// An empty region.
    pub(crate) const fn new() -> Self {
        Arena {
            used: 0,
            live: 0,
            building: false,
            overflowed: false,
        }
    }

    /// Start a build: until [`Arena::end`], [`Arena::alloc`] hands out blocks.
    pub(crate) fn begin(&mut self) {
        self.building = true;
        self.overflowed = false;
    }

    pub(crate) fn building(&self) -> bool {
        self.building
    }

    /// End the build; whether every block it asked for fit.
    pub(crate) fn end(&mut self) -> bool {
        let fit = self.building && !self.overflowed;
        self.building = false;
        self.overflowed = false;
        fit
    }

    /// While building, the address of a block of `size` bytes aligned to `align` in the region
    /// of `capacity` bytes at address `start`; `None` when not building or when it does not
    /// fit (the build is then marked as not fitting).
    pub(crate) fn alloc(
        &mut self,
        (start, capacity): (usize, usize),
        size: usize,
        align: usize,
    ) -> Option<usize> {
        if !self.building {
            return None;
        }
        let block = self.place(start, capacity, size.max(1), align.max(1));
        match block {
            Some((addr, end)) => {
                self.used = end;
                self.live += 1;
                Some(addr)
            }
            None => {
                self.overflowed = true;
                None
            }
        }
    }

    /// Where a block would go: its address and the offset of its end.
    fn place(
        &self,
        start: usize,
        capacity: usize,
        size: usize,
        align: usize,
    ) -> Option<(usize, usize)> {
        let next = start.checked_add(self.used)?;
        let addr = next.checked_add(align - 1)? & !(align - 1);
        let end = (addr - start).checked_add(size)?;
        (end <= capacity).then_some((addr, end))
    }

    /// A block of the region was freed. Its bytes are not handed out again before the region
    /// is reclaimed.
    pub(crate) fn free(&mut self) {
        self.live = self.live.saturating_sub(1);
    }

    /// Hand the whole region out again from its start, if no block in it is live (and no build
    /// is under way); whether it did.
    pub(crate) fn reclaim(&mut self) -> bool {
        let empty = self.live == 0 && !self.building;
        if empty {
            self.used = 0;
        }
        empty
    }
}

/// Where [`TextCache`] builds the values it keeps.
pub(crate) trait Keep {
    /// Run `build` so that what it allocates outlives the heap's resets; `None`, with what it
    /// built dropped, when that did not fit.
    fn keep<E>(&mut self, build: impl FnOnce() -> E) -> Option<E>;
}

/// A kept value and the text it was derived from.
#[derive(Debug)]
pub(crate) struct Kept<T> {
    text: Box<[u8]>,
    value: T,
}

/// Texts whose values did not fit that are remembered (the most recent ones).
const UNFIT: usize = 4;

/// One value derived from a text, kept while the text stays the same.
#[derive(Debug)]
pub(crate) struct TextCache<T> {
    kept: Option<Box<Kept<T>>>,
    /// Length and hash of texts whose values did not fit, the most recent first.
    unfit: [Option<(usize, u64)>; UNFIT],
}

/// FNV-1a: a text's fingerprint for remembering it did not fit (a collision only means a
/// value is read afresh rather than kept).
fn fingerprint(text: &[u8]) -> (usize, u64) {
    let hash = text.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (text.len(), hash)
}

impl<T: Clone> TextCache<T> {
    pub(crate) const fn new() -> Self {
        TextCache {
            kept: None,
            unfit: [None; UNFIT],
        }
    }

    /// `f` of the value `derive` gives for `text`: the kept value when `text` is the kept
    /// text, byte for byte (`known`: the caller found it so already, and it is not compared
    /// again). Otherwise `derive` runs, and a copy of its value and of the text
    /// replaces the kept one if it fits in `keep` (the old one is dropped first, so that its
    /// region can be reclaimed); a text that did not fit is not tried again until it is no
    /// longer among the last few that did not.
    pub(crate) fn with<R>(
        &mut self,
        keep: &mut impl Keep,
        text: &[u8],
        known: bool,
        derive: impl FnOnce() -> T,
        f: impl FnOnce(&T) -> R,
    ) -> R {
        if let Some(kept) = self.kept.as_deref()
            && (known || *kept.text == *text)
        {
            return f(&kept.value);
        }
        let value = derive();
        let print = fingerprint(text);
        if self.unfit.contains(&Some(print)) {
            return f(&value);
        }
        self.kept = None;
        let copy = keep.keep(|| {
            Box::new(Kept {
                text: text.into(),
                value: value.clone(),
            })
        });
        match copy {
            Some(copy) => f(&self.kept.insert(copy).value),
            None => {
                self.unfit.rotate_right(1);
                if let Some(first) = self.unfit.first_mut() {
                    *first = Some(print);
                }
                f(&value)
            }
        }
    }

    /// The kept text, if any.
    pub(crate) fn kept_text(&self) -> Option<&[u8]> {
        self.kept.as_deref().map(|k| &*k.text)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Whether `addr` lies in the region of `capacity` bytes at `start`.
    fn contains((start, capacity): (usize, usize), addr: usize) -> bool {
        addr.wrapping_sub(start) < capacity
    }

    #[test]
    fn an_arena_hands_out_aligned_blocks_until_it_is_full() {
        let region = (1001, 64);
        let mut arena = Arena::new();
        assert_eq!(arena.alloc(region, 8, 8), None, "not building");
        assert!(!arena.end(), "no build to end");
        arena.begin();
        assert!(arena.building());
        let a = arena.alloc(region, 3, 1).unwrap();
        assert_eq!(a, 1001);
        let b = arena.alloc(region, 8, 8).unwrap();
        assert_eq!(b, 1008, "aligned on the address, not the offset");
        let c = arena.alloc(region, 0, 4).unwrap();
        assert_eq!(c, 1016, "an empty block still takes a byte");
        // 1017..1065 is what is left: 48 bytes, or 41 aligned to 8.
        assert_eq!(arena.alloc(region, 42, 8), None);
        let d = arena.alloc(region, 41, 8).unwrap();
        assert_eq!(d, 1024);
        assert!([a, b, c, d, d + 40].iter().all(|&x| contains(region, x)));
        assert!(!contains(region, 1000) && !contains(region, d + 41));
        assert!(!arena.end(), "one block did not fit");
        assert!(!arena.building());
        assert_eq!(arena.alloc(region, 1, 1), None, "not building any more");
        arena.begin();
        assert_eq!(arena.alloc((usize::MAX - 4, 64), 1, 8), None);
        assert_eq!(arena.alloc(region, 1, 1 << 40), None);
        assert!(!arena.end());
    }

    #[test]
    fn an_arena_is_reclaimed_only_when_no_block_is_live() {
        let region = (4096, 100);
        let mut arena = Arena::new();
        arena.begin();
        let a = arena.alloc(region, 40, 8).unwrap();
        let b = arena.alloc(region, 40, 8).unwrap();
        assert!(arena.end(), "everything fit");
        assert!(!arena.reclaim(), "two blocks live");
        arena.free();
        assert!(!arena.reclaim(), "one block live");
        arena.begin();
        assert_eq!(
            arena.alloc(region, 40, 8),
            None,
            "the freed block is not reused"
        );
        assert!(!arena.end());
        arena.free();
        arena.begin();
        assert!(!arena.reclaim(), "not while building");
        arena.end();
        assert!(arena.reclaim());
        arena.begin();
        assert_eq!(arena.alloc(region, 40, 8), Some(a));
        assert_eq!(arena.alloc(region, 40, 8), Some(b));
        assert!(arena.end());
        // More frees than blocks (cannot happen) do not wrap the count.
        for _ in 0..3 {
            arena.free();
        }
        assert!(arena.reclaim());
    }

    /// A [`Keep`] that fits the value of a text of at most `room` bytes (the test sets `len`
    /// before each lookup), and counts the builds.
    struct Budget {
        room: usize,
        len: usize,
        builds: usize,
    }

    impl Keep for Budget {
        fn keep<E>(&mut self, build: impl FnOnce() -> E) -> Option<E> {
            self.builds += 1;
            let built = build();
            (self.len <= self.room).then_some(built)
        }
    }

    /// Look `text` up; its value is its length. Whether it was derived.
    fn look(cache: &mut TextCache<usize>, keep: &mut Budget, text: &[u8]) -> bool {
        keep.len = text.len();
        let mut derived = false;
        let value = cache.with(
            keep,
            text,
            false,
            || {
                derived = true;
                text.len()
            },
            |&v| v,
        );
        assert_eq!(value, text.len());
        derived
    }

    #[test]
    fn a_text_cache_keeps_the_value_of_the_same_text_byte_for_byte() {
        let mut cache = TextCache::<usize>::new();
        let mut keep = Budget {
            room: 16,
            len: 0,
            builds: 0,
        };
        assert!(
            look(&mut cache, &mut keep, b"{\"a\":1}"),
            "first time: derived"
        );
        assert_eq!(cache.kept_text(), Some(&b"{\"a\":1}"[..]));
        let kept = cache.with(&mut keep, b"{\"a\":1}", true, || unreachable!(), |&v| v);
        assert_eq!(
            kept, 7,
            "known to be the kept text: its value, not derived again"
        );
        assert!(
            !look(&mut cache, &mut keep, b"{\"a\":1}"),
            "same text: kept"
        );
        // The same length at the same address, other bytes: derived again.
        let mut text = *b"{\"a\":1}";
        assert!(!look(&mut cache, &mut keep, &text));
        text[5] = b'2';
        assert!(look(&mut cache, &mut keep, &text), "edited in place");
        assert_eq!(cache.kept_text(), Some(&text[..]));
        assert!(
            look(&mut cache, &mut keep, b"{\"a\":1}"),
            "back: derived again"
        );
        assert!(look(&mut cache, &mut keep, b""), "the empty text is a text");
        assert!(!look(&mut cache, &mut keep, b""));
        assert_eq!(keep.builds, 4);
    }

    #[test]
    fn a_text_whose_value_does_not_fit_is_read_afresh_and_not_built_again() {
        let mut cache = TextCache::<usize>::new();
        let mut keep = Budget {
            room: 8,
            len: 0,
            builds: 0,
        };
        let small = b"[1]";
        let large = b"[1,2,3,4,5,6,7,8]";
        assert!(look(&mut cache, &mut keep, small));
        assert_eq!(keep.builds, 1);
        // Too large: tried once, read afresh every time after; the small one is gone (it was
        // dropped to make room).
        for _ in 0..5 {
            assert!(look(&mut cache, &mut keep, large));
        }
        assert_eq!(keep.builds, 2);
        assert_eq!(cache.kept_text(), None);
        // Kept again, and not dropped by the large one any more.
        assert!(look(&mut cache, &mut keep, small));
        assert!(look(&mut cache, &mut keep, large));
        assert!(!look(&mut cache, &mut keep, small));
        assert_eq!(keep.builds, 3);
        // Up to four texts that do not fit are remembered; a fifth pushes out the oldest.
        let unfit: Vec<Vec<u8>> = (0..4).map(|i| format!("[{i},0,0,0,0]").into()).collect();
        for text in &unfit {
            look(&mut cache, &mut keep, text);
        }
        assert_eq!(keep.builds, 7);
        for text in unfit.iter().chain([&large.to_vec()]) {
            look(&mut cache, &mut keep, text);
        }
        assert_eq!(
            keep.builds, 8,
            "only the large one, pushed out, was tried again"
        );
        look(&mut cache, &mut keep, &unfit[0]);
        assert_eq!(keep.builds, 9, "and it pushed out the oldest");
        assert_eq!(cache.kept_text(), None);
    }
}
