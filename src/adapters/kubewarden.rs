//! Kubewarden waPC guest: `validate`, `validate_settings`, `protocol_version`.
//!
//! Policy-server instantiates a fresh module per request, so `wapc_init` only registers the
//! three handlers. A denial is a normal response (`accepted: false`), never a guest error.
//! `validate` answers the engine's context lookups with `host_call("kubewarden",
//! "kubernetes", "get_resource", ...)`; which lookups, and what an answer means, is decided in
//! `crate::engines::kubewarden`. A failed host call is no answer.

use crate::engines::kubewarden::{
    GET_RESOURCE, HOST_BINDING, HOST_NAMESPACE, ResourceLookup, kubewarden_validate_settings,
    kubewarden_validate_with,
};
use wapc_guest::{CallResult, host_call, register_function};

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function("protocol_version", protocol_version);
}

fn validate(payload: &[u8]) -> CallResult {
    let mut lookup = |l: &ResourceLookup| {
        host_call(HOST_BINDING, HOST_NAMESPACE, GET_RESOURCE, &l.payload()).ok()
    };
    Ok(serde_json::to_vec(&kubewarden_validate_with(
        payload,
        &mut lookup,
    ))?)
}

fn validate_settings(payload: &[u8]) -> CallResult {
    Ok(serde_json::to_vec(&kubewarden_validate_settings(payload))?)
}

fn protocol_version(_payload: &[u8]) -> CallResult {
    Ok(b"\"v1\"".to_vec())
}
