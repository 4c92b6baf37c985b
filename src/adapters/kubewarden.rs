//! Kubewarden waPC guest: `validate`, `validate_settings`, `protocol_version`.
//!
//! Policy-server instantiates a fresh module per request, so `wapc_init` only registers the
//! three handlers. A denial is a normal response (`accepted: false`), never a guest error.

use crate::engines::kubewarden::{kubewarden_validate, kubewarden_validate_settings};
use wapc_guest::{CallResult, register_function};

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function("protocol_version", protocol_version);
}

fn validate(payload: &[u8]) -> CallResult {
    Ok(serde_json::to_vec(&kubewarden_validate(payload))?)
}

fn validate_settings(payload: &[u8]) -> CallResult {
    Ok(serde_json::to_vec(&kubewarden_validate_settings(payload))?)
}

fn protocol_version(_payload: &[u8]) -> CallResult {
    Ok(b"\"v1\"".to_vec())
}
