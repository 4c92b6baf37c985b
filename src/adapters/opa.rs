//! OPA WebAssembly ABI 1.3 module (spec/engines.md B and C).
//!
//! Only ABI glue: values in and out of the shared memory, the heap the host resets, the
//! result set. The decision for each entrypoint comes from [`crate::engines::opa::opa_decision`];
//! what a value's text may be and how it is edited, from [`crate::engines::opa_value`].
//!
//! - The Rust global allocator *is* the OPA heap ([`crate::engines::opa_heap`]): a bump
//!   pointer whose top is the heap pointer `opa_heap_ptr_get`/`opa_heap_ptr_set` read and
//!   write, plus free lists for the blocks Rust frees, which a heap reset empties. `opa_free`
//!   and `opa_value_free` are no-ops (the ABI gives no size); a host reclaims that memory by
//!   resetting the heap pointer. Memory grows with `memory.grow`, and the size is re-read on
//!   every allocation because hosts grow the memory too (the fast path writes the input above
//!   the heap pointer).
//! - A value is a 12-byte record on the heap: the address and length of its compact JSON text
//!   and a set flag (result sets dump as Rego sets in `opa_value_dump`). `opa_json_parse` and
//!   `opa_value_parse` validate without recursion (any nesting depth, no trap) and return 0 on
//!   a parse error; `opa_value_add_path`/`opa_value_remove_path` replace the record's text.
//! - Nothing lives in lazily initialised statics: the only static is the heap (its top and the
//!   heads of free lists that every reset empties), rebased on `__heap_base` at first use, so
//!   a host that clones the heap into a fresh instance and sets the heap pointer gets a
//!   working instance.
//! - The ABI version globals (`opa_wasm_abi_version` 1, `opa_wasm_abi_minor_version` 3) cannot
//!   be declared in Rust; `xtask` injects them after linking.

use crate::engines::opa::{OPA_ENTRYPOINTS, opa_decision};
use crate::engines::opa_heap::{Heap, Memory};
use crate::engines::opa_value::{self, PathError};
use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::UnsafeCell;
use serde_json::{Map, Value};

const PAGE: usize = 65536;

const OPA_ERR_OK: i32 = 0;
const OPA_ERR_INTERNAL: i32 = 1;
const OPA_ERR_INVALID_TYPE: i32 = 2;
const OPA_ERR_INVALID_PATH: i32 = 3;

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    /// The host raises an error with the NUL-terminated message and does not return.
    fn opa_abort(addr: u32);
}

unsafe extern "C" {
    /// First byte after the static data (and the stack): where the heap starts.
    static __heap_base: u8;
}

// ---------------------------------------------------------------------------------------
// The heap
// ---------------------------------------------------------------------------------------

/// The heap (`crate::engines::opa_heap`, tested natively) in a static: wasm32 without threads
/// runs one call at a time, and the allocator never re-enters itself.
struct HeapCell(UnsafeCell<Heap>);

// SAFETY: wasm32-unknown-unknown without the atomics feature has a single thread.
unsafe impl Sync for HeapCell {}

/// `Heap::new(0)` until the first use rebases it on `__heap_base` (a link-time address that
/// is not a constant). Only free-list heads live here besides the top, and every heap reset
/// empties them, so a host that clones the heap into a fresh instance (whose copy of this
/// static is the initial one) and sets the heap pointer gets a working instance.
static HEAP: HeapCell = HeapCell(UnsafeCell::new(Heap::new(0)));

fn heap_base() -> usize {
    (&raw const __heap_base) as usize
}

/// Run `f` on the heap and the linear memory.
fn with_heap<R>(f: impl FnOnce(&mut Heap, &mut Linear) -> R) -> R {
    // SAFETY: single-threaded, and no caller of `with_heap` calls it again inside `f`
    // (`Linear` neither allocates nor calls back), so this is the only reference.
    let heap = unsafe { &mut *HEAP.0.get() };
    if heap.base() < heap_base() {
        *heap = Heap::new(heap_base());
    }
    f(heap, &mut Linear)
}

fn top() -> usize {
    with_heap(|heap, _| heap.top())
}

/// The host's heap reset: everything above `t` is free again.
fn set_top(t: usize) {
    with_heap(|heap, _| heap.reset(t));
}

/// A heap block of `size` bytes aligned to `align`; `None` when memory cannot grow.
fn heap_alloc(size: usize, align: usize) -> Option<usize> {
    with_heap(|heap, memory| heap.alloc(memory, size, align))
}

/// The linear memory, for the heap.
struct Linear;

impl Memory for Linear {
    /// Hosts grow the memory too (the fast path writes the input above the heap pointer), so
    /// the size is read every time.
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

#[derive(Debug)]
struct OpaHeap;

// SAFETY: `Heap` hands out disjoint blocks inside the heap, aligned as asked, and keeps a
// freed block's first 4 bytes only while it is free (proved against a model in its tests).
unsafe impl GlobalAlloc for OpaHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match heap_alloc(layout.size(), layout.align()) {
            Some(addr) => addr as *mut u8,
            None => core::ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        with_heap(|heap, memory| heap.dealloc(memory, ptr as usize, layout.size()));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
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
    match text.and_then(|src| opa_value::canonical(src, rego)) {
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

/// A value's text as a tree (see [`opa_value::tree`]).
fn value_tree(addr: u32) -> Option<Value> {
    value_text(addr).and_then(opa_value::tree)
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

/// The data document: parsed from its value, `null` when the host set none. Data that does
/// not parse becomes a string, which `engines::opa` refuses as settings (fail closed).
fn data_tree(addr: u32) -> Value {
    if addr == 0 {
        return Value::Null;
    }
    value_tree(addr).unwrap_or_else(|| Value::String("data could not be read".into()))
}

/// The result set text `[{"result":<decision>}]`, or `None` (after `opa_abort`) for an unknown
/// entrypoint id.
fn result_set(entrypoint: u32, input: &[u8], data: u32) -> Option<Vec<u8>> {
    let Some(&(_, ep)) = OPA_ENTRYPOINTS.get(entrypoint as usize) else {
        abort(&format!("invalid entrypoint id {}", entrypoint as i32));
        return None;
    };
    let decision = opa_decision(ep, input, &data_tree(data));
    let mut out = Vec::from(&b"[{\"result\":"[..]);
    if serde_json::to_writer(&mut out, &decision).is_err() {
        abort("the decision could not be serialised");
        return None;
    }
    out.extend_from_slice(b"}]");
    Some(out)
}

/// `eval(ctx)`: evaluate the context's entrypoint; the result set goes into the context.
#[unsafe(no_mangle)]
pub extern "C" fn eval(ctx: u32) -> i32 {
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
    let map: Map<String, Value> = OPA_ENTRYPOINTS
        .iter()
        .enumerate()
        .map(|(id, (name, _))| ((*name).to_owned(), Value::from(id)))
        .collect();
    match serde_json::to_vec(&Value::Object(map)) {
        Ok(text) => new_value(text, false),
        Err(_) => 0,
    }
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
    let (Some(tree), Some(value)) = (value_tree(base), value_tree(value)) else {
        return OPA_ERR_INTERNAL;
    };
    match opa_value::add_path(tree, &keys, value) {
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
    let Some(tree) = value_tree(base) else {
        return OPA_ERR_INTERNAL;
    };
    match opa_value::remove_path(tree, &keys) {
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
    let Some(text) = result_set(entrypoint, input, data) else {
        return 0;
    };
    if format == 1 {
        nul_terminated(&opa_value::rego_set(&text))
    } else {
        nul_terminated(&text)
    }
}
