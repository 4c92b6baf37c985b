//! Host protocol mappings: what each engine sends and must get back, as pure functions over
//! bytes.
//!
//! This module is the public API for host implementers. The adapters in `src/adapters/` only
//! move bytes across an ABI; every decision about payload shapes, settings and the verdict
//! mapping (DESIGN §6) lives here, where it is tested natively and shared:
//!
//! - [`kubewarden`]: waPC `validate` / `validate_settings` (ValidationResponse);
//! - [`opa`]: the OPA module's entrypoints and decisions (Gatekeeper violations, Kubewarden's
//!   opa mode, the verdict);
//! - [`admission`]: AdmissionReview responses (the `review` command, OPA mode);
//! - [`opa_value`]: the OPA ABI's value text (JSON and Rego values, sets, path edits).

#![forbid(unsafe_code)]

pub mod admission;
pub mod gatekeeper;
pub mod kubewarden;
pub mod opa;
pub mod opa_value;
// The OPA module's allocator: used by the wasm adapter, tested natively.
#[cfg(any(test, all(target_arch = "wasm32", feature = "opa")))]
pub(crate) mod opa_heap;

use crate::context::Context;
use crate::settings::{Settings, SettingsErrors};
use crate::verdict::Verdict;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// The `{request, settings}` / `{review, parameters}` envelopes hosts send.
#[derive(Deserialize, Default)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    request: Option<&'a RawValue>,
    #[serde(default)]
    settings: Option<Value>,
    #[serde(borrow, default)]
    review: Option<&'a RawValue>,
    #[serde(default)]
    parameters: Option<Value>,
}

fn envelope(bytes: &[u8]) -> Result<Envelope<'_>, Verdict> {
    if bytes.len() > crate::MAX_INPUT_BYTES + 64 * 1024 {
        return Err(Verdict::invalid(
            "",
            format!(
                "the request is {} bytes, more than the 3 MiB the Kubernetes API server accepts",
                bytes.len()
            ),
        ));
    }
    if let Some(offset) = crate::json::nesting_exceeds(bytes, crate::MAX_DEPTH) {
        return Err(Verdict::invalid(
            "",
            format!(
                "the payload nests objects or lists deeper than {} levels (at byte {offset})",
                crate::MAX_DEPTH
            ),
        ));
    }
    match serde_json::from_slice::<Envelope>(bytes) {
        Ok(e) => Ok(e),
        Err(err) => Err(Verdict::invalid(
            "",
            format!("the host's payload is not a JSON object with the expected fields: {err}"),
        )),
    }
}

fn settings_from(value: Option<&Value>) -> Result<Settings, SettingsErrors> {
    match value {
        None => Ok(Settings::default()),
        // Kubewarden's opa mode puts context-aware data under `kubernetes`: not a setting.
        Some(Value::Object(map)) if map.contains_key("kubernetes") => {
            let mut map = map.clone();
            map.remove("kubernetes");
            Settings::from_value(&Value::Object(map))
        }
        Some(other) => Settings::from_value(other),
    }
}

fn settings_denial(errors: &SettingsErrors) -> Verdict {
    Verdict::invalid(
        "",
        format!("the policy settings are invalid, so every request is refused: {errors}"),
    )
}

/// The request's uid and verdict. The envelope was already scanned for nesting.
fn evaluate_raw(
    request: Option<&RawValue>,
    settings: &Settings,
    context: &Context,
) -> (String, Verdict) {
    match request {
        Some(raw) => crate::decode::review_json_prescanned(raw.get().as_bytes(), settings, context),
        None => (
            String::new(),
            Verdict::invalid("", "the host sent no admission request"),
        ),
    }
}

/// Fixtures the engine mappings' unit tests share.
#[cfg(test)]
pub(crate) mod fixtures {
    /// A Pod on ECI pulling from a custom domain whose instance it does not list.
    pub const POD: &str = r#"{"uid":"u-1","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"default","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"alibabacloud.com/eci":"true"}},"spec":{"containers":[{"name":"a","image":"registry.example.com/a/b:1"}]}}}"#;
    /// Settings that configure that custom domain.
    pub const SETTINGS: &str = r#"{"customDomains":[{"host":"registry.example.com","instanceId":"cri-j36zhodptmyq1234"}]}"#;
}
