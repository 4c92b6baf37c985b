//! secretfree: an admission policy for Alibaba Cloud ECI secret-free image pulls from ACR.
//!
//! One pure core (no I/O) that every host calls: [`evaluate_json`] takes the bytes of an
//! AdmissionReview, an AdmissionRequest or a bare object and returns a [`Verdict`].
//!
//! The public surface is DESIGN §10: [`evaluate_json`], [`evaluate`], [`review_json`],
//! [`decode`], [`Settings`], [`Verdict`] and the types they carry, plus [`Context`] (DESIGN
//! §11: namespace labels and eci-profile selectors) and the `*_with_context` variants. Beyond it, on purpose:
//! [`rules`] (the rule table, whose ids are API), [`engines`] (what each host receives and
//! gets back, for host implementers and the artifact tests), [`apply_patch`] (RFC 6902, for
//! hosts that return the patched object) and, with the `yaml` feature, [`tools`] (manifests,
//! per-object linting and the case runner, for the CLI and the playground). Everything else
//! is private.
#![deny(unsafe_code)]

mod acr;
mod adapters;
mod checks;
mod context;
mod decode;
pub mod engines;
mod eval;
/// Wrappers over internal parsers for the fuzz targets in `fuzz/` only; not an API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod grammar;
// The wasm modules' allocator: used by the adapters, tested natively.
#[cfg(any(
    test,
    all(
        target_arch = "wasm32",
        any(feature = "kubewarden", feature = "opa", feature = "component")
    )
))]
mod heap;
mod image;
mod json;
mod keys;
mod model;
mod patch;
mod repair;
pub mod rules;
mod scope;
mod settings;
mod skip;
mod sort;
mod strmap;
mod swar;
#[cfg(test)]
mod testing;
#[cfg(feature = "yaml")]
pub mod tools;
mod verdict;
mod workload;
#[cfg(feature = "yaml")]
mod yaml;

pub use context::{Added, Context, ContextError};
pub use decode::decode;
pub use model::AdmissionRequest;
pub use patch::{PatchError, apply as apply_patch};
pub use rules::{Action, RuleId};
pub use settings::{
    AccessEntry, CustomDomainSetting, EciScope, RuleSetting, RuleSettings, ScopeMode, Settings,
    SettingsError, SettingsErrors,
};
pub use verdict::{Finding, PatchKind, PatchOp, Verdict};

/// The largest input the policy reads (the API server's own request body limit).
pub const MAX_INPUT_BYTES: usize = 3 * 1024 * 1024;

/// The deepest nesting of objects and lists the policy reads. Kubernetes objects stay far
/// below it; the bound keeps every parser's recursion small enough for a 64 KiB wasm stack.
pub const MAX_DEPTH: usize = 64;

/// Evaluate an AdmissionRequest (or whole AdmissionReview, or a bare object treated as CREATE).
pub fn evaluate(request: &AdmissionRequest, settings: &Settings) -> Verdict {
    eval::evaluate(request, settings)
}

/// Decode and evaluate request bytes. Malformed input gives a `request-invalid` deny verdict.
pub fn evaluate_json(request: &[u8], settings: &Settings) -> Verdict {
    decode::verdict_decoded(request, decode(request), settings, &Context::new())
}

/// [`evaluate_json`] plus the request's `uid` (empty when the bytes do not decode): what an
/// AdmissionReview response echoes, from the same single decode.
pub fn review_json(request: &[u8], settings: &Settings) -> (String, Verdict) {
    decode::review_decoded(request, decode(request), settings, &Context::new())
}

/// [`evaluate`] with what the cluster says about scope: a namespace labelled
/// `alibabacloud.com/eci: "true"` or a matching eci-profile selector puts the pods on ECI,
/// and the annotations the selector injects count as present (keys the pod carries win).
/// With an empty [`Context`] the verdict is the one of [`evaluate`].
pub fn evaluate_with_context(
    request: &AdmissionRequest,
    settings: &Settings,
    context: &Context,
) -> Verdict {
    eval::evaluate_in(request, settings, context)
}

/// [`evaluate_json`] with context (see [`evaluate_with_context`]).
pub fn evaluate_json_with_context(
    request: &[u8],
    settings: &Settings,
    context: &Context,
) -> Verdict {
    decode::verdict_decoded(request, decode(request), settings, context)
}
