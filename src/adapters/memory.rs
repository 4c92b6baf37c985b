//! The linear memory as [`crate::heap`] sees it, and the global allocator of the modules
//! whose hosts never reset the heap (Kubewarden, component). The OPA adapter keeps its own
//! `GlobalAlloc` over the same heap and memory, as its host resets the heap pointer.

use crate::heap::Memory;
use core::arch::wasm32;

pub(super) const PAGE: usize = 65536;

unsafe extern "C" {
    /// First byte after the static data (and the stack).
    static __heap_base: u8;
}

/// `__heap_base`, a link-time address that is not a constant.
pub(super) fn heap_base() -> usize {
    (&raw const __heap_base) as usize
}

/// The linear memory, for the heap.
pub(super) struct Linear;

impl Memory for Linear {
    /// Hosts may grow the memory too (the OPA fast path writes the input above the heap
    /// pointer), so the size is read every time.
    fn grow_to(&mut self, end: usize) -> bool {
        let have = wasm32::memory_size(0).saturating_mul(PAGE);
        if end <= have {
            return true;
        }
        let pages = (end - have).div_ceil(PAGE);
        wasm32::memory_grow(0, pages) != usize::MAX
    }

    fn read_u32(&self, addr: usize) -> u32 {
        // SAFETY: the heap reads links only inside blocks it owns: aligned, in bounds.
        unsafe { core::ptr::read(addr as *const u32) }
    }

    fn write_u32(&mut self, addr: usize, value: u32) {
        // SAFETY: as for `read_u32`; the block was just freed by its owner.
        unsafe { core::ptr::write(addr as *mut u32, value) }
    }

    fn copy(&mut self, from: usize, to: usize, len: usize) {
        // SAFETY: two distinct blocks of at least `len` bytes (`Heap::realloc`).
        unsafe { core::ptr::copy_nonoverlapping(from as *const u8, to as *mut u8, len) }
    }
}

#[cfg(any(feature = "kubewarden", feature = "component"))]
mod general {
    use super::{Linear, heap_base};
    use crate::heap::Heap;
    use core::alloc::{GlobalAlloc, Layout};
    use core::cell::UnsafeCell;

    /// The heap in a static: wasm32 without threads runs one call at a time, and the
    /// allocator never re-enters itself.
    struct HeapCell(UnsafeCell<Heap>);

    // SAFETY: wasm32-unknown-unknown without the atomics feature has a single thread.
    unsafe impl Sync for HeapCell {}

    /// `Heap::new(0)` until the first allocation rebases it at `__heap_base`.
    static HEAP: HeapCell = HeapCell(UnsafeCell::new(Heap::new(0)));

    fn with_heap<R>(f: impl FnOnce(&mut Heap, &mut Linear) -> R) -> R {
        // SAFETY: single-threaded, and `f` (the heap's own methods over `Linear`) neither
        // allocates nor calls back, so this is the only reference.
        let heap = unsafe { &mut *HEAP.0.get() };
        if heap.base() < heap_base() {
            *heap = Heap::new(heap_base());
        }
        f(heap, &mut Linear)
    }

    fn pointer(addr: Option<usize>) -> *mut u8 {
        addr.map_or(core::ptr::null_mut(), |addr| addr as *mut u8)
    }

    /// The global allocator over [`Heap`]. Its methods are never inlined: inlined into every
    /// allocation site, they made the Kubewarden module 6 KB larger.
    #[derive(Debug)]
    struct HeapAlloc;

    // SAFETY: `Heap` hands out disjoint blocks inside the heap, aligned as asked, and keeps a
    // freed block's first 4 bytes only while it is free (proved against a model in its
    // tests).
    unsafe impl GlobalAlloc for HeapAlloc {
        #[inline(never)]
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            pointer(with_heap(|heap, memory| {
                heap.alloc(memory, layout.size(), layout.align())
            }))
        }

        #[inline(never)]
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            with_heap(|heap, memory| heap.dealloc(memory, ptr as usize, layout.size()));
        }

        #[inline(never)]
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            pointer(with_heap(|heap, memory| {
                heap.realloc(
                    memory,
                    ptr as usize,
                    layout.size(),
                    layout.align(),
                    new_size,
                )
            }))
        }
    }

    #[global_allocator]
    static ALLOCATOR: HeapAlloc = HeapAlloc;
}
