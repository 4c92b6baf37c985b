//! Kubewarden waPC guest: `validate`, `validate_settings`, `protocol_version`.
//!
//! Policy-server instantiates a fresh module per request; `wapc_init` has nothing to register
//! (the three operations are matched by name in `__guest_call`). A denial is a normal response
//! (`accepted: false`), never a guest error. `validate` answers the engine's context lookups
//! with `__host_call("kubewarden", "kubernetes", "get_resource", ...)`; which lookups, and what
//! an answer means, is decided in `crate::engines::kubewarden`. A failed host call is no answer.
//!
//! The waPC guest side is written out here (the `wapc-guest` crate's ABI, the same imports and
//! exports): that crate keeps its handlers in a lazily built, locked hash map, code the module
//! does not need for three fixed operations.

use crate::engines::kubewarden::{
    GET_RESOURCE, HOST_BINDING, HOST_NAMESPACE, ResourceLookup, kubewarden_validate_json,
    kubewarden_validate_settings_json,
};

#[link(wasm_import_module = "wapc")]
unsafe extern "C" {
    fn __guest_request(op_ptr: *mut u8, ptr: *mut u8);
    fn __guest_response(ptr: *const u8, len: usize);
    fn __guest_error(ptr: *const u8, len: usize);
    fn __host_call(
        bd_ptr: *const u8,
        bd_len: usize,
        ns_ptr: *const u8,
        ns_len: usize,
        op_ptr: *const u8,
        op_len: usize,
        ptr: *const u8,
        len: usize,
    ) -> usize;
    fn __host_response_len() -> usize;
    fn __host_response(ptr: *mut u8);
    fn __host_error_len() -> usize;
    fn __host_error(ptr: *mut u8);
}

/// Called by waPC hosts once after instantiation.
#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {}

/// A host buffer of `len` bytes that `fill` writes in full.
fn received(len: usize, fill: impl FnOnce(*mut u8)) -> Vec<u8> {
    let mut buf: Vec<u8> = Vec::with_capacity(len);
    fill(buf.as_mut_ptr());
    // SAFETY: the host wrote `len` bytes into the buffer's capacity.
    unsafe { buf.set_len(len) };
    buf
}

/// The waPC entry point: the host has the operation name and the payload ready.
#[unsafe(no_mangle)]
pub extern "C" fn __guest_call(op_len: i32, req_len: i32) -> i32 {
    let (op_len, req_len) = (op_len.max(0) as usize, req_len.max(0) as usize);
    let mut op: Vec<u8> = Vec::with_capacity(op_len);
    // SAFETY: `__guest_request` writes exactly `op_len` and `req_len` bytes (what the host
    // announced) into the two buffers.
    let payload = received(req_len, |ptr| unsafe {
        __guest_request(op.as_mut_ptr(), ptr);
        op.set_len(op_len);
    });
    let response = match op.as_slice() {
        b"validate" => kubewarden_validate_json(&payload, &mut lookup).into_bytes(),
        b"validate_settings" => kubewarden_validate_settings_json(&payload).into_bytes(),
        b"protocol_version" => b"\"v1\"".to_vec(),
        _ => {
            let mut message = b"No handler registered for function ".to_vec();
            message.extend_from_slice(&op);
            // SAFETY: the host reads `len` bytes at `ptr`.
            unsafe { __guest_error(message.as_ptr(), message.len()) };
            return 0;
        }
    };
    // SAFETY: as above.
    unsafe { __guest_response(response.as_ptr(), response.len()) };
    1
}

/// One `kubernetes/get_resource` host call: the answer, or `None` when the call failed.
fn lookup(l: &ResourceLookup) -> Option<Vec<u8>> {
    let payload = l.payload();
    // SAFETY: every pointer and length pair is a live byte slice the host only reads.
    let ok = unsafe {
        __host_call(
            HOST_BINDING.as_ptr(),
            HOST_BINDING.len(),
            HOST_NAMESPACE.as_ptr(),
            HOST_NAMESPACE.len(),
            GET_RESOURCE.as_ptr(),
            GET_RESOURCE.len(),
            payload.as_ptr(),
            payload.len(),
        )
    };
    if ok != 1 {
        // Taken from the host as the waPC guest does, and dropped: a failed lookup is no answer.
        // SAFETY: the host writes the `__host_error_len()` bytes of its error.
        let len = unsafe { __host_error_len() };
        drop(received(len, |ptr| unsafe { __host_error(ptr) }));
        return None;
    }
    // SAFETY: the host writes the `__host_response_len()` bytes of its answer.
    let len = unsafe { __host_response_len() };
    Some(received(len, |ptr| unsafe { __host_response(ptr) }))
}
