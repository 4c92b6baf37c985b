//! WebAssembly Component guest for `wit/secretfree.wit` (world `secretfree`).
//!
//! Built for wasm32-unknown-unknown and componentised by `xtask` (wit-component), so the
//! component imports nothing: no WASI, no host functions. The functions are pure: JSON text in
//! (the same bytes the other artifacts receive), the DESIGN §6 verdict out as WIT records.

// The generated bindings hold the ABI glue (raw pointers, unchecked indexing).
#[allow(
    unsafe_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice,
    missing_debug_implementations
)]
mod bindings {
    wit_bindgen::generate!({ world: "secretfree", path: "wit" });
}

use crate::engines::SettingsText;
use crate::rules::RuleId;
use crate::settings::{Settings, SettingsErrors};
use bindings::exports::secretfree::policy::evaluator as wit;

struct Component;

fn action(a: crate::Action) -> wit::Action {
    match a {
        crate::Action::Deny => wit::Action::Deny,
        crate::Action::Warn => wit::Action::Warn,
        crate::Action::Mutated => wit::Action::Mutated,
    }
}

fn patch_kind(k: crate::PatchKind) -> wit::PatchKind {
    match k {
        crate::PatchKind::Add => wit::PatchKind::Add,
        crate::PatchKind::Remove => wit::PatchKind::Remove,
        crate::PatchKind::Replace => wit::PatchKind::Replace,
    }
}

fn problems(errors: SettingsErrors) -> Vec<wit::SettingsProblem> {
    errors
        .0
        .into_iter()
        .map(|e| wit::SettingsProblem {
            path: e.path,
            message: e.message,
        })
        .collect()
}

fn verdict(v: crate::Verdict) -> wit::Verdict {
    wit::Verdict {
        allowed: v.allowed,
        findings: v
            .findings
            .into_iter()
            .map(|f| wit::Finding {
                rule: f.rule.id().into(),
                action: action(f.action),
                path: f.path,
                message: f.message,
                fix: f.fix,
            })
            .collect(),
        patch: v
            .patch
            .into_iter()
            .map(|p| wit::PatchOp {
                op: patch_kind(p.op),
                path: p.path,
                // The bytes serde_json writes for the value.
                value_json: p.value.map(|value| {
                    let mut text = String::new();
                    crate::json::write::value(&mut text, &value);
                    text
                }),
            })
            .collect(),
    }
}

impl wit::Guest for Component {
    fn validate_settings(settings_json: String) -> Result<(), Vec<wit::SettingsProblem>> {
        Settings::from_json(&settings_json)
            .map(|_| ())
            .map_err(problems)
    }

    fn validate(
        request_json: String,
        settings_json: String,
    ) -> Result<wit::Verdict, Vec<wit::SettingsProblem>> {
        let settings = crate::engines::settings_cached(&settings_json, SettingsText::Plain);
        let settings = settings
            .as_ref()
            .as_ref()
            .map_err(|e| problems(e.clone()))?;
        Ok(verdict(crate::evaluate_json(
            request_json.as_bytes(),
            settings,
        )))
    }

    fn rules() -> Vec<wit::RuleInfo> {
        RuleId::ALL
            .iter()
            .map(|&r| wit::RuleInfo {
                id: r.id().into(),
                default_action: action(r.default_action()),
                mutates: r.mutates(),
                summary: r.summary().into(),
            })
            .collect()
    }
}

bindings::export!(Component with_types_in bindings);
