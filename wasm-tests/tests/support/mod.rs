//! What the host tests share beyond `secretfree_wasm_tests`: a wasmtime engine whose linear
//! memories report their size, so a test can read the memory of an instance it does not own
//! (the waPC provider, the opa-wasm crate and component instances keep theirs private).
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use wasmtime::{Config, Engine, LinearMemory, MemoryCreator, MemoryType};

pub const PAGE: usize = 65536;

/// The bound on an instance's linear memory (issue "Harden the policy", item 1).
pub const MAX_MEMORY_BYTES: usize = 64 * 1024 * 1024;

/// The sizes of every linear memory created through one engine, in creation order.
#[derive(Debug, Default)]
pub struct Memories {
    sizes: Mutex<Vec<Arc<AtomicUsize>>>,
}

impl Memories {
    /// Current size in 64 KiB pages of the most recently created memory (0 if none).
    pub fn last_pages(&self) -> usize {
        self.sizes
            .lock()
            .unwrap()
            .last()
            .map_or(0, |s| s.load(Ordering::Relaxed) / PAGE)
    }

    /// How many memories the engine has created.
    pub fn count(&self) -> usize {
        self.sizes.lock().unwrap().len()
    }
}

/// An engine whose memories are plain heap buffers with explicit bounds checks (no virtual
/// memory reservation, no guard pages), each reporting its size to the returned [`Memories`].
pub fn engine() -> (Engine, Arc<Memories>) {
    let memories = Arc::new(Memories::default());
    let mut config = Config::new();
    config
        .memory_reservation(0)
        .memory_guard_size(0)
        .memory_reservation_for_growth(0)
        .memory_may_move(true)
        .memory_init_cow(false)
        .with_host_memory(Arc::new(Creator(memories.clone())));
    (Engine::new(&config).unwrap(), memories)
}

struct Creator(Arc<Memories>);

// SAFETY: every memory it creates is zero-filled, and `as_ptr` always points at a live buffer
// of `byte_capacity` bytes (see `HeapMemory`); the engine is configured without guard pages or
// reservations, so compiled code checks every access against `byte_size`.
unsafe impl MemoryCreator for Creator {
    fn new_memory(
        &self,
        _ty: MemoryType,
        minimum: usize,
        maximum: Option<usize>,
        _reserved_size_in_bytes: Option<usize>,
        guard_size_in_bytes: usize,
    ) -> Result<Box<dyn LinearMemory>, String> {
        if guard_size_in_bytes != 0 {
            return Err("this creator makes memories without guard pages".into());
        }
        let size = Arc::new(AtomicUsize::new(minimum));
        self.0.sizes.lock().unwrap().push(size.clone());
        let mut bytes = vec![0u8; minimum];
        let ptr = bytes.as_mut_ptr();
        Ok(Box::new(HeapMemory {
            bytes,
            ptr,
            size,
            maximum,
        }))
    }
}

/// A linear memory in a `Vec` that may move when it grows (`memory_may_move`).
struct HeapMemory {
    bytes: Vec<u8>,
    /// `bytes.as_mut_ptr()`, kept so the pointer handed out is derived from a unique borrow.
    ptr: *mut u8,
    size: Arc<AtomicUsize>,
    maximum: Option<usize>,
}

// SAFETY: the buffer is owned and only reached through wasmtime, which serialises access to a
// store; the raw pointer is just a cached `as_mut_ptr` of the owned `Vec`.
unsafe impl Send for HeapMemory {}
// SAFETY: as above.
unsafe impl Sync for HeapMemory {}

// SAFETY: `byte_size() <= byte_capacity() == bytes.len()`, new bytes are zero, and `as_ptr`
// is refreshed whenever the buffer is reallocated.
unsafe impl LinearMemory for HeapMemory {
    fn byte_size(&self) -> usize {
        self.size.load(Ordering::Relaxed)
    }

    fn byte_capacity(&self) -> usize {
        self.bytes.len()
    }

    fn grow_to(&mut self, new_size: usize) -> wasmtime::Result<()> {
        if self.maximum.is_some_and(|max| new_size > max) {
            return Err(wasmtime::Error::msg("memory maximum exceeded"));
        }
        if new_size > self.bytes.len() {
            self.bytes.resize(new_size, 0);
            self.ptr = self.bytes.as_mut_ptr();
        }
        self.size.store(new_size, Ordering::Relaxed);
        Ok(())
    }

    fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }
}

/// Print one row of the hostile-request table and check the memory bound.
pub fn report(host: &str, label: &str, bytes: usize, pages: usize, elapsed: std::time::Duration) {
    let mib = (pages * PAGE) as f64 / (1024.0 * 1024.0);
    println!(
        "{host:<26} {label:<46} {:>8} B {pages:>5} pages {mib:>6.1} MiB {:>9.1} ms",
        bytes,
        elapsed.as_secs_f64() * 1000.0
    );
    assert!(
        pages * PAGE <= MAX_MEMORY_BYTES,
        "{host}, {label}: linear memory is {pages} pages ({mib:.1} MiB), over 64 MiB"
    );
}

/// A store limiter that allows everything and remembers the largest memory size asked for:
/// the linear memory of the store's instance, for hosts whose memory object is private but
/// whose store the test owns (the opa-wasm crate).
#[derive(Debug, Default)]
pub struct Grown {
    pub max_bytes: usize,
}

impl Grown {
    pub fn pages(&self) -> usize {
        self.max_bytes / PAGE
    }
}

impl wasmtime::ResourceLimiter for Grown {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.max_bytes = self.max_bytes.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(true)
    }
}
