//! The verdict: the one output shape every host maps from (DESIGN §6).

#![forbid(unsafe_code)]

use crate::rules::{Action, RuleId};
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};
use serde_json::Value;

/// One problem found in the object.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: RuleId,
    pub action: Action,
    /// JSON pointer (RFC 6901) into the evaluated object.
    pub path: String,
    /// One sentence: what is wrong, naming the container or annotation and the value.
    pub message: String,
    /// What to change.
    pub fix: String,
}

impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Finding", 5)?;
        st.serialize_field("rule", self.rule.id())?;
        st.serialize_field("action", self.action.as_str())?;
        st.serialize_field("path", &self.path)?;
        st.serialize_field("message", &self.message)?;
        st.serialize_field("fix", &self.fix)?;
        st.end()
    }
}

/// RFC 6902 operations the policy emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Add,
    Remove,
    Replace,
}

impl PatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PatchKind::Add => "add",
            PatchKind::Remove => "remove",
            PatchKind::Replace => "replace",
        }
    }
}

/// One RFC 6902 operation.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub op: PatchKind,
    pub path: String,
    /// Absent for `remove`.
    pub value: Option<Value>,
}

impl Serialize for PatchOp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("op", self.op.as_str())?;
        map.serialize_entry("path", &self.path)?;
        if let Some(value) = &self.value {
            map.serialize_entry("value", value)?;
        }
        map.end()
    }
}

/// The decision on one object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Verdict {
    /// True iff no finding is `deny`.
    pub allowed: bool,
    /// Sorted by path, then rule id, then message.
    pub findings: Vec<Finding>,
    /// RFC 6902 patch; empty unless mutation is on and something was repaired.
    pub patch: Vec<PatchOp>,
}

impl Serialize for Verdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("allowed", &self.allowed)?;
        map.serialize_entry("findings", &self.findings)?;
        if !self.patch.is_empty() {
            map.serialize_entry("patch", &self.patch)?;
        }
        map.end()
    }
}

impl Verdict {
    /// Build a verdict: sorts findings, drops exact duplicates and computes `allowed`.
    pub fn new(mut findings: Vec<Finding>, patch: Vec<PatchOp>) -> Verdict {
        crate::sort::sort_by(&mut findings, |a, b| {
            (a.path.as_str(), a.rule.id(), a.message.as_str(), a.action).cmp(&(
                b.path.as_str(),
                b.rule.id(),
                b.message.as_str(),
                b.action,
            ))
        });
        findings.dedup();
        let allowed = !findings.iter().any(|f| f.action == Action::Deny);
        Verdict {
            allowed,
            findings,
            patch,
        }
    }

    /// A fail-closed verdict for input that could not be read.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Verdict {
        Self::invalid_at(path.into(), message.into())
    }

    /// [`Verdict::invalid`] past its conversions: one copy, not one per argument type.
    fn invalid_at(path: String, message: String) -> Verdict {
        Verdict::new(
            vec![Finding {
                rule: RuleId::RequestInvalid,
                action: Action::Deny,
                path,
                message,
                fix: "send a well-formed Kubernetes object (JSON or YAML) of at most 3 MiB".into(),
            }],
            Vec::new(),
        )
    }

    /// The DESIGN §6 JSON bytes, identical on every host.
    pub fn to_json(&self) -> String {
        // Serialising these types cannot fail: every map key is a string.
        serde_json::to_string(self).unwrap_or_else(|_| {
            String::from(r#"{"allowed":false,"findings":[{"rule":"request-invalid","action":"deny","path":"","message":"internal error: verdict could not be serialised","fix":"report this as a bug"}]}"#)
        })
    }

    /// Pretty-printed JSON (for people and snapshots).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| self.to_json())
    }

    /// Findings with the given action.
    pub fn with_action(&self, action: Action) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.action == action)
    }

    /// The ids of the rules that produced findings, sorted and unique.
    pub fn rule_ids(&self) -> Vec<&'static str> {
        let mut ids: Vec<&'static str> = self.findings.iter().map(|f| f.rule.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// About how many bytes the findings' texts (and the patch's paths) take once written out:
    /// the capacity to give a string that will hold them, so that it is allocated once.
    pub(crate) fn text_len(&self) -> usize {
        let findings: usize = self
            .findings
            .iter()
            .map(|f| f.message.len() + f.path.len() + f.fix.len() + 48)
            .sum();
        let patch: usize = self.patch.iter().map(|op| op.path.len() + 64).sum();
        findings + patch + 64
    }

    /// `message` plus `fix`, the way hosts that show one line per finding print it.
    pub fn line(finding: &Finding) -> String {
        let mut line = String::new();
        Self::write_line(&mut line, finding);
        line
    }

    /// [`Verdict::line`], written at the end of `out`.
    pub(crate) fn write_line(out: &mut String, finding: &Finding) {
        use std::fmt::Write;
        let path = if finding.path.is_empty() {
            "/"
        } else {
            &finding.path
        };
        // Writing into a `String` does not fail.
        let _ = write!(
            out,
            "[{}] {} (at {path}); fix: {}",
            finding.rule.id(),
            finding.message,
            finding.fix
        );
    }
}
