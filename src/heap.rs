//! The wasm modules' heap, as offsets into a linear memory: the global allocator of the
//! Kubewarden, OPA and component modules (`src/adapters/memory.rs`).
//!
//! [`Heap`] is a bump pointer (`top`) plus size-class free lists, without `unsafe`. It serves
//! two purposes:
//!
//! - In every module it is a small general allocator: its code is about a tenth of
//!   dlmalloc's, which std links into wasm32-unknown-unknown otherwise (the Kubewarden module
//!   is 6.8 KB smaller with it).
//! - The OPA ABI (spec/engines.md B) makes the heap a region that grows upwards from
//!   `__heap_base` and whose top the host reads and resets (`opa_heap_ptr_get`/
//!   `opa_heap_ptr_set`, the `heap_ptr` of `opa_eval`): after a reset everything above the
//!   new top is free, and hosts even write the next input there without allocating. Rust's
//!   global allocator must live inside that contract, and this one does: its top is the heap
//!   pointer.
//!
//! - Sizes are rounded up to a size class: multiples of 8 up to 64 bytes, then four classes per
//!   power of two (at most 25% slack). Blocks start 8-aligned; a request aligned to more than
//!   8 bytes is bumped.
//! - [`Heap::dealloc`] lowers `top` when the block is the topmost one, and otherwise pushes it
//!   on its class's free list; the list's link is the block's first 4 bytes. [`Heap::alloc`]
//!   pops a block of the request's class before bumping.
//! - [`Heap::realloc`] keeps the block when the new size has the same class, and otherwise
//!   allocates, copies and frees (the old block goes on its free list, or lowers the top).
//!   Growing the topmost block in place was measured and dropped: it needed more memory
//!   (628 pages against 602 for the 3 MiB request below), as the space it takes at the top
//!   is what the free blocks it leaves behind could not be reused for.
//! - [`Heap::reset`] moves `top` and empties every free list: blocks above the new top belong
//!   to the host again, and a freed block below it is simply not reused until the next reset
//!   below it.
//!
//! Invariant (checked by the property test below against a model): every live or free block
//! lies in `[base, top)`, no two overlap, and a block's bytes change only through its owner.
//! Free blocks are never above `top`, because `top` only drops to the start of the topmost
//! block, which ends after every other block.
//!
//! Why free lists at all: a plain bump heap (free only the topmost block, copy on every
//! `realloc`) needed 70.4 MiB of linear memory (1127 pages) for one 3 MiB request of 41,639
//! containers, where an instance may use 64 MiB; with free lists it needs 37.6 MiB (602
//! pages; `wasm-tests`, `hostile_requests_*`).

#![forbid(unsafe_code)]

/// Linear memory as the heap sees it. The wasm adapter implements it over the real memory;
/// the tests over a `Vec<u8>`.
pub(crate) trait Memory {
    /// Make `[0, end)` addressable, growing the memory if needed; `false` when it cannot grow.
    fn grow_to(&mut self, end: usize) -> bool;
    /// The 4 bytes at `addr` (8-aligned, inside a block the heap owns).
    fn read_u32(&self, addr: usize) -> u32;
    /// Write 4 bytes at `addr` (8-aligned, inside a block the heap owns).
    fn write_u32(&mut self, addr: usize, value: u32);
    /// Copy `len` bytes from `from` to `to`; the two ranges do not overlap.
    fn copy(&mut self, from: usize, to: usize, len: usize);
}

/// Every block starts at a multiple of this and its size is one too.
const GRAIN: usize = 8;
/// Classes: 8 multiples of 8 (8..=64), then 4 per power of two from 64 up to 2^32.
const SMALL: usize = 8;
const CLASSES: usize = SMALL + 4 * (32 - 6);

/// The class of a request of `size` bytes and the size of its blocks; `None` past 4 GiB.
fn class(size: usize) -> Option<(usize, usize)> {
    let size = size.max(1);
    if size <= SMALL * GRAIN {
        let index = size.div_ceil(GRAIN) - 1;
        return Some((index, (index + 1) * GRAIN));
    }
    // 2^k < size <= 2^(k+1), k >= 6: classes 2^k + j * 2^(k-2) for j = 1..=4.
    let k = (usize::BITS - 1 - (size - 1).leading_zeros()) as usize;
    let step = 1usize << (k - 2);
    let j = (size - (1usize << k)).div_ceil(step);
    let index = SMALL + (k - 6) * 4 + (j - 1);
    let block = (1usize << k).checked_add(j * step)?;
    (index < CLASSES).then_some((index, block))
}

fn align_up(addr: usize, align: usize) -> Option<usize> {
    let align = align.max(1);
    Some(addr.checked_add(align - 1)? & !(align - 1))
}

/// The heap: `top` and one free list per size class.
#[derive(Debug)]
pub(crate) struct Heap {
    base: usize,
    top: usize,
    /// Head block of each class's free list; 0 ends a list (address 0 is never on the heap).
    free: [u32; CLASSES],
}

impl Heap {
    /// An empty heap starting at `base` (8-aligned upwards).
    pub(crate) const fn new(base: usize) -> Self {
        let base = (base + GRAIN - 1) & !(GRAIN - 1);
        Heap {
            base: if base == 0 { GRAIN } else { base },
            top: if base == 0 { GRAIN } else { base },
            free: [0; CLASSES],
        }
    }

    pub(crate) fn base(&self) -> usize {
        self.base
    }

    /// The first byte above every block: the OPA heap pointer.
    #[cfg(any(test, feature = "opa"))]
    pub(crate) fn top(&self) -> usize {
        self.top
    }

    /// Set the top (never below the base) and forget every free block.
    #[cfg(any(test, feature = "opa"))]
    pub(crate) fn reset(&mut self, top: usize) {
        self.top = top.max(self.base);
        self.free = [0; CLASSES];
    }

    /// A block of at least `size` bytes aligned to `align`; `None` when memory cannot grow.
    pub(crate) fn alloc(
        &mut self,
        memory: &mut impl Memory,
        size: usize,
        align: usize,
    ) -> Option<usize> {
        let (index, block) = class(size)?;
        if align <= GRAIN
            && let Some(addr) = self.pop(memory, index)
        {
            return Some(addr);
        }
        self.bump(memory, block, align.max(GRAIN))
    }

    /// Give back the block at `addr` that was allocated with `size` and `align`.
    pub(crate) fn dealloc(&mut self, memory: &mut impl Memory, addr: usize, size: usize) {
        let Some((index, block)) = class(size) else {
            return;
        };
        if addr.checked_add(block) == Some(self.top) {
            self.top = addr;
            return;
        }
        let (Ok(link), Some(head)) = (u32::try_from(addr), self.free.get_mut(index)) else {
            return;
        };
        memory.write_u32(addr, *head);
        *head = link;
    }

    /// Resize the block at `addr` (allocated with `size` and `align`) to `new_size`, keeping
    /// its first `min(size, new_size)` bytes; `None` (and the block untouched) when memory
    /// cannot grow.
    pub(crate) fn realloc(
        &mut self,
        memory: &mut impl Memory,
        addr: usize,
        size: usize,
        align: usize,
        new_size: usize,
    ) -> Option<usize> {
        let (_, block) = class(size)?;
        let (_, new_block) = class(new_size)?;
        if new_block == block {
            return Some(addr);
        }
        let new = self.alloc(memory, new_size, align)?;
        memory.copy(addr, new, size.min(new_size));
        self.dealloc(memory, addr, size);
        Some(new)
    }

    /// `size` bytes at the top, aligned to `align`.
    fn bump(&mut self, memory: &mut impl Memory, size: usize, align: usize) -> Option<usize> {
        let start = align_up(self.top, align)?;
        let end = start.checked_add(size)?;
        if !memory.grow_to(end) {
            return None;
        }
        self.top = end;
        Some(start)
    }

    fn pop(&mut self, memory: &mut impl Memory, index: usize) -> Option<usize> {
        let head = self.free.get_mut(index)?;
        let addr = *head as usize;
        if addr == 0 {
            return None;
        }
        *head = memory.read_u32(addr);
        Some(addr)
    }

    /// Every free block as (address, size), for the tests.
    #[cfg(test)]
    fn free_blocks(&self, memory: &impl Memory) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (index, &head) in self.free.iter().enumerate() {
            let size = class_size(index);
            let mut addr = head as usize;
            while addr != 0 {
                out.push((addr, size));
                assert!(out.len() < 1_000_000, "a free list loops");
                addr = memory.read_u32(addr) as usize;
            }
        }
        out
    }
}

/// The block size of class `index`.
#[cfg(test)]
fn class_size(index: usize) -> usize {
    if index < SMALL {
        (index + 1) * GRAIN
    } else {
        let k = 6 + (index - SMALL) / 4;
        let j = (index - SMALL) % 4 + 1;
        (1 << k) + j * (1 << (k - 2))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    /// A growable memory in 64 KiB pages, with an optional limit.
    struct VecMemory {
        bytes: Vec<u8>,
        limit: usize,
    }

    impl VecMemory {
        fn new(limit: usize) -> Self {
            VecMemory {
                bytes: vec![0; 65536],
                limit,
            }
        }
    }

    impl Memory for VecMemory {
        fn grow_to(&mut self, end: usize) -> bool {
            if end <= self.bytes.len() {
                return true;
            }
            let size = end.div_ceil(65536) * 65536;
            if size > self.limit {
                return false;
            }
            self.bytes.resize(size, 0);
            true
        }
        fn read_u32(&self, addr: usize) -> u32 {
            assert_eq!(addr % GRAIN, 0, "unaligned link at {addr}");
            u32::from_le_bytes(self.bytes[addr..addr + 4].try_into().unwrap())
        }
        fn write_u32(&mut self, addr: usize, value: u32) {
            assert_eq!(addr % GRAIN, 0, "unaligned link at {addr}");
            self.bytes[addr..addr + 4].copy_from_slice(&value.to_le_bytes());
        }
        fn copy(&mut self, from: usize, to: usize, len: usize) {
            assert!(from + len <= to || to + len <= from, "overlapping copy");
            self.bytes.copy_within(from..from + len, to);
        }
    }

    #[test]
    fn classes_cover_every_size_with_little_slack() {
        let mut last = (0, GRAIN);
        for size in (1..=70_000).chain([1 << 20, 3 << 20, (3 << 20) + 1, 1 << 31]) {
            let (index, block) = class(size).unwrap();
            assert!(block >= size && block % GRAIN == 0, "{size} -> {block}");
            assert!(size <= 64 || block - size <= block / 4, "{size} -> {block}");
            assert_eq!(class_size(index), block, "{size}");
            assert!(index >= last.0, "classes grow with the size");
            if index == last.0 {
                assert_eq!(block, last.1);
            }
            last = (index, block);
        }
        assert_eq!(class(0), class(1));
        assert_eq!(class(64), Some((7, 64)));
        assert_eq!(class(65), Some((8, 80)));
        assert_eq!(class(3 << 20), Some((class(3 << 20).unwrap().0, 3 << 20)));
        assert_eq!(class(1 << 32), Some((CLASSES - 1, 1 << 32)));
        assert_eq!(class((1 << 32) + 1), None);
    }

    #[test]
    fn freed_blocks_are_reused_and_the_top_comes_down() {
        let mut mem = VecMemory::new(1 << 20);
        let mut heap = Heap::new(1000);
        assert_eq!(heap.base(), 1000);
        let a = heap.alloc(&mut mem, 100, 8).unwrap();
        let b = heap.alloc(&mut mem, 100, 8).unwrap();
        let top = heap.top();
        heap.dealloc(&mut mem, a, 100);
        assert_eq!(heap.top(), top, "a is not the topmost block");
        assert_eq!(heap.alloc(&mut mem, 97, 4), Some(a), "same class, reused");
        heap.dealloc(&mut mem, b, 100);
        assert_eq!(heap.top(), b, "the topmost block lowers the top");
        // Within its class a block stays; beyond, it moves and its old place is reused.
        let c = heap.alloc(&mut mem, 10, 1).unwrap();
        assert_eq!(heap.realloc(&mut mem, c, 10, 1, 16), Some(c));
        let d = heap.realloc(&mut mem, c, 16, 1, 5000).unwrap();
        assert_eq!(d, c + 16);
        assert_eq!(heap.alloc(&mut mem, 9, 8), Some(c));
        assert_ne!(heap.realloc(&mut mem, a, 100, 8, 200), Some(a));
        // Over-aligned requests are bumped.
        let e = heap.alloc(&mut mem, 8, 64).unwrap();
        assert_eq!(e % 64, 0);
        // A reset forgets free blocks and hands out the memory above the new top again.
        heap.reset(b);
        assert!(heap.free_blocks(&mem).is_empty());
        assert_eq!(heap.alloc(&mut mem, 100, 8), Some(b));
        heap.reset(0);
        assert_eq!(heap.top(), 1000, "never below the base");
    }

    #[test]
    fn out_of_memory_leaves_the_heap_as_it_was() {
        let mut mem = VecMemory::new(65536);
        let mut heap = Heap::new(8);
        let a = heap.alloc(&mut mem, 1000, 8).unwrap();
        let b = heap.alloc(&mut mem, 1000, 8).unwrap();
        let top = heap.top();
        assert_eq!(heap.alloc(&mut mem, 70_000, 8), None);
        assert_eq!(heap.realloc(&mut mem, a, 1000, 8, 70_000), None);
        assert_eq!(heap.realloc(&mut mem, b, 1000, 8, 70_000), None);
        assert_eq!(heap.top(), top);
        assert_eq!(heap.alloc(&mut mem, usize::MAX - 4, 8), None);
        assert_eq!(heap.alloc(&mut mem, 8, 1 << 40), None);
    }

    /// splitmix64: deterministic and enough for choosing operations.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        /// Mostly small sizes, sometimes large ones, as a program's allocations are.
        fn size(&mut self) -> usize {
            match self.below(10) {
                0..=5 => self.below(64),
                6..=8 => self.below(2048),
                _ => self.below(40_000),
            }
        }
        fn align(&mut self) -> usize {
            [1, 1, 2, 4, 8, 8, 16, 64][self.below(8)]
        }
    }

    /// A live block in the model: where, how big, how aligned, which byte fills it, and
    /// whether it was allocated since the host's mark (so a reset to the mark ends it).
    #[derive(Debug, Clone, Copy)]
    struct Block {
        addr: usize,
        size: usize,
        align: usize,
        fill: u8,
        since_mark: bool,
    }

    fn fill(mem: &mut VecMemory, b: &Block) {
        mem.bytes[b.addr..b.addr + b.size].fill(b.fill);
    }

    fn intact(mem: &VecMemory, b: &Block, len: usize, what: &str) {
        let want = [b.fill; 4096];
        for (n, chunk) in mem.bytes[b.addr..b.addr + len].chunks(4096).enumerate() {
            if chunk != &want[..chunk.len()] {
                let i = chunk.iter().position(|&x| x != b.fill).unwrap_or(0);
                panic!("{what}: byte {} of {b:?} is {}", n * 4096 + i, chunk[i]);
            }
        }
    }

    /// The model's invariant: live and free blocks inside [base, top), pairwise disjoint,
    /// aligned as asked, and every live block still holds its fill byte.
    fn check(heap: &Heap, mem: &VecMemory, live: &[Block], what: &str) {
        let mut spans: Vec<(usize, usize, &str)> = live
            .iter()
            .filter(|b| b.size > 0)
            .map(|b| (b.addr, b.addr + b.size, "live"))
            .collect();
        spans.extend(
            heap.free_blocks(mem)
                .into_iter()
                .map(|(a, s)| (a, a + s, "free")),
        );
        spans.sort_unstable();
        for w in spans.windows(2) {
            assert!(w[0].1 <= w[1].0, "{what}: {:?} overlaps {:?}", w[0], w[1]);
        }
        for &(start, end, kind) in &spans {
            assert!(
                start >= heap.base() && end <= heap.top(),
                "{what}: {kind} block [{start}, {end}) outside [{}, {})",
                heap.base(),
                heap.top()
            );
        }
        for b in live {
            assert_eq!(b.addr % b.align, 0, "{what}: {b:?} misaligned");
            intact(mem, b, b.size, what);
        }
    }

    /// How often each path was taken, to show the test reaches them all.
    #[derive(Debug, Default)]
    struct Paths {
        reused: usize,
        bumped: usize,
        same_class: usize,
        moved: usize,
        lowered: usize,
        resets: usize,
    }

    fn run(seed: u64, steps: usize, paths: &mut Paths) {
        let mut rng = Rng(seed);
        let mut mem = VecMemory::new(64 << 20);
        let mut heap = Heap::new(1 + rng.below(5000));
        let mut live: Vec<Block> = Vec::new();
        let mut mark = heap.top();
        let mut next_fill = 1u8;
        let mut fill_byte = || {
            next_fill = next_fill.wrapping_add(1).max(1);
            next_fill
        };
        for step in 0..steps {
            let what = format!("seed {seed} step {step}");
            // Between a few and about 80 live blocks: frees win when there are many.
            let op = match rng.below(100) {
                0..=39 if live.len() > 80 => 50,
                n => n,
            };
            match op {
                0..=39 => {
                    let (size, align) = (rng.size(), rng.align());
                    let top = heap.top();
                    let addr = heap.alloc(&mut mem, size, align).unwrap();
                    if addr < top {
                        paths.reused += 1;
                    } else {
                        paths.bumped += 1;
                    }
                    let b = Block {
                        addr,
                        size,
                        align,
                        fill: fill_byte(),
                        since_mark: true,
                    };
                    fill(&mut mem, &b);
                    live.push(b);
                }
                40..=64 if !live.is_empty() => {
                    let b = live.swap_remove(rng.below(live.len()));
                    let top = heap.top();
                    heap.dealloc(&mut mem, b.addr, b.size);
                    if heap.top() < top {
                        paths.lowered += 1;
                    }
                }
                65..=94 if !live.is_empty() => {
                    let i = rng.below(live.len());
                    let old = live[i];
                    let new_size = match rng.below(3) {
                        0 => old.size + rng.below(64),
                        1 => old.size.saturating_mul(2) + 1,
                        _ => rng.size(),
                    };
                    let addr = heap
                        .realloc(&mut mem, old.addr, old.size, old.align, new_size)
                        .unwrap();
                    if addr == old.addr {
                        paths.same_class += 1;
                    } else {
                        paths.moved += 1;
                    }
                    let moved = Block {
                        addr,
                        size: new_size,
                        since_mark: true,
                        ..old
                    };
                    intact(&mem, &moved, old.size.min(new_size), &what);
                    let b = Block {
                        fill: fill_byte(),
                        ..moved
                    };
                    fill(&mut mem, &b);
                    live[i] = b;
                }
                95..=96 => {
                    // The host saves the heap pointer (after loading data, say).
                    mark = heap.top();
                    for b in &mut live {
                        b.since_mark = false;
                    }
                }
                97..=99 => {
                    // The host resets to its mark: what was allocated since is gone.
                    heap.reset(mark);
                    paths.resets += 1;
                    live.retain(|b| !b.since_mark);
                    assert_eq!(heap.top(), mark.max(heap.base()), "{what}");
                    assert!(heap.free_blocks(&mem).is_empty(), "{what}");
                    // Everything above the mark is free: the next bump starts there.
                    let addr = heap.alloc(&mut mem, 24, 8).unwrap();
                    assert_eq!(addr, align_up(mark, GRAIN).unwrap(), "{what}");
                    heap.dealloc(&mut mem, addr, 24);
                }
                _ => {}
            }
            check(&heap, &mem, &live, &what);
        }
    }

    #[test]
    fn random_allocations_match_the_model() {
        let seeds: u64 = std::env::var("SECRETFREE_HEAP_SEEDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(200);
        let mut paths = Paths::default();
        for seed in 0..seeds {
            run(seed, 1500, &mut paths);
        }
        let Paths {
            reused,
            bumped,
            same_class,
            moved,
            lowered,
            resets,
        } = paths;
        assert!(
            [reused, bumped, same_class, moved, lowered, resets]
                .iter()
                .all(|&n| n > 100),
            "some path was hardly taken: {paths:?}"
        );
        println!("{seeds} seeds x 1500 steps: {paths:?}");
    }
}
