//! OPA WebAssembly ABI 1.3 module (spec/engines.md B and C).
//!
//! Only ABI glue: values in and out of the shared memory, the heap the host resets, what is
//! kept across resets, the result set. The decision for each entrypoint comes from
//! [`crate::engines::opa::OpaInput::decide`]; what a value's text may be and how it is edited,
//! from [`crate::engines::opa_value`].
//!
//! - The Rust global allocator *is* the OPA heap ([`crate::heap`]), except while
//!   a kept value is built (below): a bump pointer whose top is the heap pointer
//!   `opa_heap_ptr_get`/`opa_heap_ptr_set` read and write, plus free lists for the blocks Rust
//!   frees, which a heap reset empties. `opa_free` and `opa_value_free` are no-ops (the ABI
//!   gives no size); a host reclaims that memory by resetting the heap pointer. Memory grows
//!   with `memory.grow`, and the size is re-read on every allocation because hosts grow the
//!   memory too (the fast path writes the input above the heap pointer).
//! - A value is a 12-byte record on the heap: the address and length of its compact JSON text
//!   and a set flag (result sets dump as Rego sets in `opa_value_dump`). `opa_json_parse` and
//!   `opa_value_parse` validate without recursion (any nesting depth, no trap) and return 0 on
//!   a parse error; `opa_value_add_path`/`opa_value_remove_path` replace the record's text.
//! - What `data` gives (the settings and context it carries) and what the settings text of an
//!   input gives are kept across heap resets ([`crate::engines::opa_cache`]), each with a copy
//!   of the text it was read from, in a region between `__heap_base` and the heap's base (the
//!   heap starts 256 KiB above `__heap_base`), which the global allocator allocates from while
//!   the kept value is built. A heap reset never reaches below the heap's base. An evaluation
//!   whose data value has the kept text, byte for byte, uses the kept value, and so does one
//!   whose settings text is the kept one; otherwise it reads the text and keeps what it gives
//!   if that fits (224 KiB for data, 32 KiB for settings, texts included). What does not fit is
//!   read afresh on every evaluation, as before. A region is handed out again only when nothing
//!   in it is live. (The regions are not a static: that would raise the memory's minimum, and
//!   opa-py-wasm gives 2 pages.)
//! - Nothing lives in lazily initialised statics. This adapter has two: the heap (its top and
//!   the heads of free lists that every reset empties), rebased above the regions at first
//!   use, and what is kept with the bookkeeping of its regions (`KEPT`), zero-initialised, so
//!   it starts empty. A host that clones the heap into a fresh instance and sets the heap
//!   pointer gets a working instance, which reads `data` again at its first evaluation; a host
//!   that copies the whole memory copies the kept texts together with what they gave.
//! - The ABI version globals (`opa_wasm_abi_version` 1, `opa_wasm_abi_minor_version` 3) cannot
//!   be declared in Rust; `xtask` injects them after linking.

use super::memory::{Linear, PAGE, heap_base};
use crate::engines::opa::{OPA_ENTRYPOINTS, OpaData, OpaInput, input_settings};
use crate::engines::opa_cache::{Arena, Keep, TextCache};
use crate::engines::opa_value::{self, PathError};
use crate::heap::{Heap, Memory};
use crate::settings::{Settings, SettingsErrors};
use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::UnsafeCell;
use serde_json::Value;

const OPA_ERR_OK: i32 = 0;
const OPA_ERR_INTERNAL: i32 = 1;
const OPA_ERR_INVALID_TYPE: i32 = 2;
const OPA_ERR_INVALID_PATH: i32 = 3;

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    /// The host raises an error with the NUL-terminated message and does not return.
    fn opa_abort(addr: u32);
}

// ---------------------------------------------------------------------------------------
// The heap
// ---------------------------------------------------------------------------------------

/// The heap (`crate::heap`, tested natively) in a static: wasm32 without threads
/// runs one call at a time, and the allocator never re-enters itself.
struct HeapCell(UnsafeCell<Heap>);

// SAFETY: wasm32-unknown-unknown without the atomics feature has a single thread.
unsafe impl Sync for HeapCell {}

/// `Heap::new(0)` until the first use rebases it above the regions of kept values, which
/// start at `__heap_base` (a link-time address that is not a constant). Only free-list heads
/// live here besides the top, and every heap reset empties them, so a host that clones the
/// heap into a fresh instance (whose copy of this static is the initial one) and sets the
/// heap pointer gets a working instance.
static HEAP: HeapCell = HeapCell(UnsafeCell::new(Heap::new(0)));

/// Where the heap starts: after the regions of kept values.
fn heap_start() -> usize {
    heap_base() + KEPT_BYTES
}

/// Run `f` on the heap and the linear memory.
fn with_heap<R>(f: impl FnOnce(&mut Heap, &mut Linear) -> R) -> R {
    // SAFETY: single-threaded, and no caller of `with_heap` calls it again inside `f`
    // (`Linear` neither allocates nor calls back), so this is the only reference.
    let heap = unsafe { &mut *HEAP.0.get() };
    if heap.base() < heap_start() {
        *heap = Heap::new(heap_start());
        // The heap pointer a host reads is inside the memory from the start, as `__heap_base`
        // is (a host may write its input there); a memory that cannot grow by the regions
        // fails later, at the first block.
        Linear.grow_to(heap_start());
    }
    f(heap, &mut Linear)
}

fn top() -> usize {
    with_heap(|heap, _| heap.top())
}

/// The host's heap reset: everything above `t` is free again (and no build of a kept value
/// is under way: see `Kept::end_builds`).
fn set_top(t: usize) {
    KEPT.end_builds();
    with_heap(|heap, _| heap.reset(t));
}

/// A heap block of `size` bytes aligned to `align`; `None` when memory cannot grow.
fn heap_alloc(size: usize, align: usize) -> Option<usize> {
    with_heap(|heap, memory| heap.alloc(memory, size, align))
}

#[derive(Debug)]
struct OpaHeap;

// SAFETY: `Heap` hands out disjoint blocks inside the heap, aligned as asked, and keeps a
// freed block's first 4 bytes only while it is free (proved against a model in its tests).
// While a kept value is built, blocks come from a region of `KEPT` instead: `Arena` hands
// out disjoint aligned blocks inside it and never hands one out twice before the region is
// reclaimed, which it is only when no block in it is live (tested natively too).
unsafe impl GlobalAlloc for OpaHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if let Some(addr) = KEPT.alloc(layout) {
            return addr as *mut u8;
        }
        match heap_alloc(layout.size(), layout.align()) {
            Some(addr) => addr as *mut u8,
            None => core::ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if KEPT.free(ptr as usize) {
            return;
        }
        with_heap(|heap, memory| heap.dealloc(memory, ptr as usize, layout.size()));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if KEPT.building() || KEPT.contains(ptr as usize) {
            // A block moving into a region or out of one: a new block, the bytes, the old
            // block freed.
            let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
                return core::ptr::null_mut();
            };
            // SAFETY: `new_layout` has a non-zero size (the caller's contract for realloc).
            let new = unsafe { self.alloc(new_layout) };
            if !new.is_null() {
                // SAFETY: two distinct live blocks of at least the copied length.
                unsafe {
                    core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
            }
            return new;
        }
        let new = with_heap(|heap, memory| {
            heap.realloc(
                memory,
                ptr as usize,
                layout.size(),
                layout.align(),
                new_size,
            )
        });
        match new {
            Some(addr) => addr as *mut u8,
            None => core::ptr::null_mut(),
        }
    }
}

#[global_allocator]
static ALLOCATOR: OpaHeap = OpaHeap;

// ---------------------------------------------------------------------------------------
// What outlives heap resets
// ---------------------------------------------------------------------------------------

/// Bytes of the region that keeps what `data` gives: the data document's text, the settings
/// read from it and the context. Kubewarden's opa mode passes the policy settings there with
/// the cluster's namespaces: the bench settings with 280 namespaces of three labels each take
/// 220,000 bytes (text 106,000). A document whose text and values do not fit is read afresh
/// on every evaluation, as it was before anything was kept. The regions add 256 KiB to the
/// memory an instance uses; what the module never writes there stays zero.
const DATA_REGION: usize = 224 * 1024;
/// Bytes of the region that keeps the settings an input carries (their text and what it
/// gives): `{request, settings}` and Gatekeeper's `{review, parameters}`. The bench settings
/// take 1,628 bytes.
const SETTINGS_REGION: usize = 32 * 1024;
/// The regions, one after the other from `__heap_base`; the heap starts after them.
const KEPT_BYTES: usize = DATA_REGION + SETTINGS_REGION;

/// The region of `LEN` bytes at `__heap_base + OFFSET`, below the heap: a heap reset never
/// reaches it (the heap's base is above it), hosts never write there (they write at the heap
/// pointer and into blocks the heap gave them), and hosts that copy the heap from its base
/// leave it out. Its bookkeeping, `Arena`, lives in `KEPT`.
struct Region<const OFFSET: usize, const LEN: usize> {
    arena: UnsafeCell<Arena>,
}

impl<const OFFSET: usize, const LEN: usize> Region<OFFSET, LEN> {
    const fn new() -> Self {
        Region {
            arena: UnsafeCell::new(Arena::new()),
        }
    }

    fn span(&self) -> (usize, usize) {
        (heap_base() + OFFSET, LEN)
    }

    fn contains(&self, addr: usize) -> bool {
        addr.wrapping_sub(self.span().0) < LEN
    }

    fn with_arena<R>(&self, f: impl FnOnce(&mut Arena) -> R) -> R {
        // SAFETY: single-threaded, and `Arena` neither allocates nor calls back, so this is
        // the only reference while `f` runs.
        f(unsafe { &mut *self.arena.get() })
    }
}

/// A value is built into a region: what it allocates comes from the region (`OpaHeap`) until
/// the build ends; a build that did not fit is dropped, and the region reclaimed if nothing
/// is left in it.
impl<const OFFSET: usize, const LEN: usize> Keep for &Region<OFFSET, LEN> {
    fn keep<E>(&mut self, build: impl FnOnce() -> E) -> Option<E> {
        // The memory under the region (the heap's first use grows it there already).
        let (start, len) = self.span();
        if !Linear.grow_to(start + len) {
            return None;
        }
        self.with_arena(|arena| {
            arena.reclaim();
            arena.begin();
        });
        let built = build();
        if self.with_arena(Arena::end) {
            return Some(built);
        }
        drop(built);
        self.with_arena(Arena::reclaim);
        None
    }
}

/// What outlives the host's heap resets: what the data document gave and what an input's
/// settings gave, each with a copy of the text it was read from, and the bookkeeping of the
/// regions they are in.
struct Kept {
    data: Region<0, DATA_REGION>,
    settings: Region<DATA_REGION, SETTINGS_REGION>,
    data_cache: UnsafeCell<TextCache<OpaData>>,
    settings_cache: UnsafeCell<TextCache<Result<Settings, SettingsErrors>>>,
}

// SAFETY: wasm32-unknown-unknown without the atomics feature has a single thread.
unsafe impl Sync for Kept {}

/// Zero-initialised: a fresh instance starts with nothing kept. A host that clones the heap
/// into a fresh instance leaves out the regions and this static alike (both are below the
/// heap's base); one that copies the whole memory copies both, the texts with what they gave.
static KEPT: Kept = Kept {
    data: Region::new(),
    settings: Region::new(),
    data_cache: UnsafeCell::new(TextCache::new()),
    settings_cache: UnsafeCell::new(TextCache::new()),
};

impl Kept {
    /// A block for the region being built into, if one is.
    fn alloc(&self, layout: Layout) -> Option<usize> {
        let (size, align) = (layout.size(), layout.align());
        if self.data.with_arena(|a| a.building()) {
            return self
                .data
                .with_arena(|a| a.alloc(self.data.span(), size, align));
        }
        if self.settings.with_arena(|a| a.building()) {
            return self
                .settings
                .with_arena(|a| a.alloc(self.settings.span(), size, align));
        }
        None
    }

    /// Free a block if it is in a region; whether it was.
    fn free(&self, addr: usize) -> bool {
        if self.data.contains(addr) {
            self.data.with_arena(Arena::free);
        } else if self.settings.contains(addr) {
            self.settings.with_arena(Arena::free);
        } else {
            return false;
        }
        true
    }

    fn contains(&self, addr: usize) -> bool {
        self.data.contains(addr) || self.settings.contains(addr)
    }

    fn building(&self) -> bool {
        self.data.with_arena(|a| a.building()) || self.settings.with_arena(|a| a.building())
    }

    /// End a build a trap interrupted (none is under way between the module's calls): what
    /// it allocated stays counted as live, so its region is simply not reclaimed.
    fn end_builds(&self) {
        self.data.with_arena(Arena::end);
        self.settings.with_arena(Arena::end);
    }
}

/// `f` of what the data value at `addr` gives: kept while its text stays the same byte for
/// byte. No data is `null`; a value that cannot be read, a string (`data_tree`).
fn with_data<R>(addr: u32, f: impl FnOnce(&OpaData) -> R) -> R {
    if addr == 0 {
        return f(&OpaData::new(&Value::Null));
    }
    let Some(text) = value_text(addr) else {
        return f(&OpaData::new(&Value::String(UNREADABLE_DATA.into())));
    };
    // SAFETY: single-threaded; only this function takes the data cache, and nothing it calls
    // comes back here, so this is the only reference while `f` runs.
    let cache = unsafe { &mut *KEPT.data_cache.get() };
    cache.with(
        &mut &KEPT.data,
        text,
        false,
        || OpaData::new(&data_tree(text)),
        f,
    )
}

/// `f` of what the settings text an input carries gives, kept while that text stays the
/// same byte for byte (`known`: the input's reading found it to be the kept text).
fn with_input_settings<R>(
    text: &str,
    known: bool,
    f: impl FnOnce(&Result<Settings, SettingsErrors>) -> R,
) -> R {
    // SAFETY: as for the data cache in `with_data`: the only reference while `f` runs.
    let cache = unsafe { &mut *KEPT.settings_cache.get() };
    cache.with(
        &mut &KEPT.settings,
        text.as_bytes(),
        known,
        || input_settings(text),
        f,
    )
}

/// Tell the host something went wrong; hosts raise an error and never return here.
fn abort(message: &str) {
    let mut text = Vec::with_capacity(message.len() + 1);
    text.extend_from_slice(message.as_bytes());
    text.push(0);
    let addr = text.leak().as_ptr() as u32;
    // SAFETY: an imported host function taking the address of a NUL-terminated string.
    unsafe { opa_abort(addr) }
}

/// `len` bytes of shared memory at `addr`, if they are inside the memory.
fn host_bytes(addr: u32, len: u32) -> Option<&'static [u8]> {
    let (addr, len) = (addr as usize, len as usize);
    if len == 0 {
        return Some(&[]);
    }
    let end = addr.checked_add(len)?;
    if addr == 0 || end > wasm32::memory_size(0).saturating_mul(PAGE) {
        return None;
    }
    // SAFETY: the range is inside linear memory; the host owns its contents.
    Some(unsafe { core::slice::from_raw_parts(addr as *const u8, len) })
}

/// Copy bytes onto the heap with a trailing NUL; the address of the copy (0 if out of memory).
fn nul_terminated(bytes: &[u8]) -> u32 {
    let mut out = Vec::with_capacity(bytes.len() + 1);
    out.extend_from_slice(bytes);
    out.push(0);
    out.leak().as_ptr() as u32
}

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

/// An OPA value: compact JSON text on the heap.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
struct Val {
    ptr: u32,
    len: u32,
    /// 1: a result set (JSON array text that `opa_value_dump` prints as a Rego set).
    set: u32,
}

fn new_value(text: Vec<u8>, set: bool) -> u32 {
    let len = text.len() as u32;
    let ptr = text.leak().as_ptr() as u32;
    let Some(addr) = heap_alloc(core::mem::size_of::<Val>(), 4) else {
        return 0;
    };
    let set = u32::from(set);
    // SAFETY: a fresh, aligned heap block of the record's size.
    unsafe { core::ptr::write(addr as *mut Val, Val { ptr, len, set }) };
    addr as u32
}

fn read_value(addr: u32) -> Option<Val> {
    if addr == 0 || !addr.is_multiple_of(4) {
        return None;
    }
    host_bytes(addr, core::mem::size_of::<Val>() as u32)?;
    // SAFETY: in bounds and aligned; every bit pattern is a valid `Val`.
    Some(unsafe { core::ptr::read(addr as *const Val) })
}

fn write_value(addr: u32, val: Val) {
    if read_value(addr).is_some() {
        // SAFETY: checked in bounds and aligned just above.
        unsafe { core::ptr::write(addr as *mut Val, val) };
    }
}

fn value_text(addr: u32) -> Option<&'static [u8]> {
    let v = read_value(addr)?;
    host_bytes(v.ptr, v.len)
}

fn parse(addr: u32, len: u32, rego: bool) -> u32 {
    // Hosts may count the C string's NUL in `len` (matrix-org's opa-wasm does): trailing NULs
    // end the text.
    let text = host_bytes(addr, len).map(|src| {
        let end = src.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        src.get(..end).unwrap_or_default()
    });
    // The settings the last input carried are not checked again where this text carries them.
    // SAFETY: as in `result_set`: the only reference while the text is read.
    let known = unsafe { &*KEPT.settings_cache.get() }.kept_text();
    match text.and_then(|src| opa_value::canonical(src, rego, known)) {
        Some(text) => new_value(text, false),
        None => 0,
    }
}

/// Replace a value's text (after a path edit); the result is no longer a set.
fn replace_text(addr: u32, text: Vec<u8>) {
    let len = text.len() as u32;
    let ptr = text.leak().as_ptr() as u32;
    write_value(addr, Val { ptr, len, set: 0 });
}

fn path_error(error: PathError) -> i32 {
    match error {
        PathError::Internal => OPA_ERR_INTERNAL,
        PathError::InvalidType => OPA_ERR_INVALID_TYPE,
        PathError::InvalidPath => OPA_ERR_INVALID_PATH,
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------

/// The evaluation context (`opa_eval_ctx_*`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
struct Ctx {
    input: u32,
    data: u32,
    entrypoint: u32,
    result: u32,
}

fn read_ctx(addr: u32) -> Option<Ctx> {
    if addr == 0 || !addr.is_multiple_of(4) {
        return None;
    }
    host_bytes(addr, core::mem::size_of::<Ctx>() as u32)?;
    // SAFETY: in bounds and aligned; every bit pattern is a valid `Ctx`.
    Some(unsafe { core::ptr::read(addr as *const Ctx) })
}

fn update_ctx(addr: u32, f: impl FnOnce(&mut Ctx)) {
    if let Some(mut ctx) = read_ctx(addr) {
        f(&mut ctx);
        // SAFETY: checked in bounds and aligned by `read_ctx`.
        unsafe { core::ptr::write(addr as *mut Ctx, ctx) };
    }
}

/// What data becomes when its value cannot be read: settings that are refused (fail closed).
const UNREADABLE_DATA: &str = "data could not be read";

/// The data document, parsed from its value's text. Data that does not parse becomes a
/// string, which `engines::opa` refuses as settings (fail closed).
fn data_tree(text: &[u8]) -> Value {
    opa_value::tree(text).unwrap_or_else(|| Value::String(UNREADABLE_DATA.into()))
}

/// The result set text `[{"result":<decision>}]`, or `None` (after `opa_abort`) for an unknown
/// entrypoint id.
fn result_set(entrypoint: u32, input: &[u8], data: u32) -> Option<Vec<u8>> {
    let Some(&(_, ep)) = OPA_ENTRYPOINTS.get(entrypoint as usize) else {
        abort(&format!("invalid entrypoint id {}", entrypoint as i32));
        return None;
    };
    // The settings the last input carried, kept outside the heap: not read again where this
    // input carries them byte for byte.
    // SAFETY: as for the data cache in `with_data`: the only reference while the input is read.
    let kept = unsafe { &*KEPT.settings_cache.get() };
    let known = kept.kept_text();
    let input = OpaInput::read_known(ep, input, known);
    let known = input.settings_known();
    let mut out = String::from("[{\"result\":");
    with_data(data, |data| match input.settings_text() {
        Some(text) => with_input_settings(text, known, |settings| {
            input.decide_into(&mut out, data, Some(settings))
        }),
        None => input.decide_into(&mut out, data, None),
    });
    out.push_str("}]");
    Some(out.into_bytes())
}

/// `eval(ctx)`: evaluate the context's entrypoint; the result set goes into the context.
#[unsafe(no_mangle)]
pub extern "C" fn eval(ctx: u32) -> i32 {
    KEPT.end_builds();
    let Some(c) = read_ctx(ctx) else {
        abort("eval: invalid context address");
        return 0;
    };
    let input = match c.input {
        0 => Some(&[][..]),
        addr => value_text(addr),
    };
    let Some(input) = input else {
        abort("eval: invalid input value");
        return 0;
    };
    if let Some(text) = result_set(c.entrypoint, input, c.data) {
        let result = new_value(text, true);
        update_ctx(ctx, |c| c.result = result);
    }
    0
}

/// `builtins()`: no host builtins are needed.
#[unsafe(no_mangle)]
pub extern "C" fn builtins() -> u32 {
    new_value(b"{}".to_vec(), false)
}

/// `entrypoints()`: `{"secretfree/main":0, ...}`.
#[unsafe(no_mangle)]
pub extern "C" fn entrypoints() -> u32 {
    // In entrypoint order: the OPA module keeps serde_json's insertion order.
    use std::fmt::Write;
    let mut text = String::from("{");
    for (id, (name, _)) in OPA_ENTRYPOINTS.iter().enumerate() {
        if id > 0 {
            text.push(',');
        }
        crate::json::write::string(&mut text, name);
        let _ = write!(text, ":{id}");
    }
    text.push('}');
    new_value(text.into_bytes(), false)
}

#[unsafe(no_mangle)]
pub extern "C" fn opa_eval_ctx_new() -> u32 {
    let Some(addr) = heap_alloc(core::mem::size_of::<Ctx>(), 4) else {
        abort("out of memory");
        return 0;
    };
    let ctx = Ctx {
        input: 0,
        data: 0,
        entrypoint: 0,
        result: 0,
    };
    // SAFETY: a fresh, aligned heap block of the context's size.
    unsafe { core::ptr::write(addr as *mut Ctx, ctx) };
    addr as u32
}

#[unsafe(no_mangle)]
pub extern "C" fn opa_eval_ctx_set_input(ctx: u32, value: u32) {
    update_ctx(ctx, |c| c.input = value);
}

#[unsafe(no_mangle)]
pub extern "C" fn opa_eval_ctx_set_data(ctx: u32, value: u32) {
    update_ctx(ctx, |c| c.data = value);
}

#[unsafe(no_mangle)]
pub extern "C" fn opa_eval_ctx_set_entrypoint(ctx: u32, entrypoint: u32) {
    update_ctx(ctx, |c| c.entrypoint = entrypoint);
}

#[unsafe(no_mangle)]
pub extern "C" fn opa_eval_ctx_get_result(ctx: u32) -> u32 {
    read_ctx(ctx).map_or(0, |c| c.result)
}

#[unsafe(no_mangle)]
pub extern "C" fn opa_malloc(size: u32) -> u32 {
    match heap_alloc(size as usize, 8) {
        Some(addr) => addr as u32,
        None => {
            abort("opa_malloc: out of memory");
            0
        }
    }
}

/// A no-op: the host reclaims memory by resetting the heap pointer.
#[unsafe(no_mangle)]
pub extern "C" fn opa_free(_addr: u32) {}

/// A no-op, like `opa_free`.
#[unsafe(no_mangle)]
pub extern "C" fn opa_value_free(_value: u32) {}

/// Nothing to stash: a heap reset forgets the free blocks, so none outlive one.
#[unsafe(no_mangle)]
pub extern "C" fn opa_heap_blocks_stash() {}

#[unsafe(no_mangle)]
pub extern "C" fn opa_heap_blocks_restore() {}

#[unsafe(no_mangle)]
pub extern "C" fn opa_heap_stash_clear() {}

#[unsafe(no_mangle)]
pub extern "C" fn opa_heap_ptr_get() -> u32 {
    top() as u32
}

#[unsafe(no_mangle)]
pub extern "C" fn opa_heap_ptr_set(addr: u32) {
    set_top(addr as usize);
}

/// Parse JSON; 0 on a parse error (Kubewarden's burrego relies on it).
#[unsafe(no_mangle)]
pub extern "C" fn opa_json_parse(addr: u32, len: u32) -> u32 {
    parse(addr, len, false)
}

/// Parse a Rego value: JSON plus set literals (kept as arrays) and Go `\xHH` escapes.
#[unsafe(no_mangle)]
pub extern "C" fn opa_value_parse(addr: u32, len: u32) -> u32 {
    parse(addr, len, true)
}

/// NUL-terminated JSON of a value (sets as arrays).
#[unsafe(no_mangle)]
pub extern "C" fn opa_json_dump(value: u32) -> u32 {
    nul_terminated(value_text(value).unwrap_or(b"null"))
}

/// NUL-terminated Rego text of a value: as JSON, except a result set prints as a set.
#[unsafe(no_mangle)]
pub extern "C" fn opa_value_dump(value: u32) -> u32 {
    match (read_value(value), value_text(value)) {
        (Some(v), Some(text)) if v.set != 0 => nul_terminated(&opa_value::rego_set(text)),
        (_, text) => nul_terminated(text.unwrap_or(b"null")),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn opa_value_add_path(base: u32, path: u32, value: u32) -> i32 {
    let Some(keys) = value_text(path).and_then(opa_value::path_keys) else {
        return OPA_ERR_INVALID_PATH;
    };
    let (Some(text), Some(value)) = (value_text(base), value_text(value)) else {
        return OPA_ERR_INTERNAL;
    };
    match opa_value::add_path(text, &keys, value) {
        Ok(text) => {
            replace_text(base, text);
            OPA_ERR_OK
        }
        Err(error) => path_error(error),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn opa_value_remove_path(base: u32, path: u32) -> i32 {
    let Some(keys) = value_text(path).and_then(opa_value::path_keys) else {
        return OPA_ERR_INVALID_PATH;
    };
    let Some(text) = value_text(base) else {
        return OPA_ERR_INTERNAL;
    };
    match opa_value::remove_path(text, &keys) {
        Ok(Some(text)) => {
            replace_text(base, text);
            OPA_ERR_OK
        }
        Ok(None) => OPA_ERR_OK,
        Err(error) => path_error(error),
    }
}

/// The ABI 1.2 fast path: input JSON at `[input, input + len)` (len 0: undefined input),
/// heap reset to `heap_ptr`, result written above it. Format 0: `[{"result":X}]`; format 1
/// (OPA Go): the Rego set `{{"result":X}}`.
#[unsafe(no_mangle)]
pub extern "C" fn opa_eval(
    _reserved: u32,
    entrypoint: u32,
    data: u32,
    input: u32,
    input_len: u32,
    heap_ptr: u32,
    format: u32,
) -> u32 {
    set_top(heap_ptr as usize);
    let Some(input) = host_bytes(input, input_len) else {
        abort("opa_eval: input outside memory");
        return 0;
    };
    let Some(mut text) = result_set(entrypoint, input, data) else {
        return 0;
    };
    if format == 1 {
        nul_terminated(&opa_value::rego_set(&text))
    } else {
        // NUL-terminated where it was written, not copied.
        text.push(0);
        text.leak().as_ptr() as u32
    }
}
