//! Kubewarden metadata: what `kwctl annotate` writes, written by us.
//!
//! The custom section `io.kubewarden.metadata` holds the JSON of policy-evaluator's `Metadata`
//! (camelCase), taken from `policies/kubewarden/metadata.yml`, with `executionMode` and
//! `protocolVersion` set per artifact and `io.kubewarden.policy.usage` read from the README.md
//! beside it.

use crate::wasm;
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::Path;

pub const SECTION: &str = "io.kubewarden.metadata";

/// The metadata JSON for one artifact.
pub fn metadata(
    metadata_yml: &Path,
    execution_mode: &str,
    protocol_version: &str,
) -> Result<Value> {
    let text = std::fs::read_to_string(metadata_yml)
        .with_context(|| format!("reading {}", metadata_yml.display()))?;
    let mut meta: Value = serde_saphyr::from_str(&text)
        .with_context(|| format!("parsing {}", metadata_yml.display()))?;
    let Some(map) = meta.as_object_mut() else {
        bail!("{} is not a mapping", metadata_yml.display());
    };
    map.insert(
        "protocolVersion".into(),
        Value::String(protocol_version.into()),
    );
    map.insert("executionMode".into(), Value::String(execution_mode.into()));
    // The usage text `kwctl annotate -u README.md` would add: the README beside metadata.yml.
    let readme = metadata_yml.with_file_name("README.md");
    let usage = std::fs::read_to_string(&readme)
        .with_context(|| format!("reading {}", readme.display()))?;
    let Some(annotations) = map.get_mut("annotations").and_then(Value::as_object_mut) else {
        bail!("{}: `annotations` is required", metadata_yml.display());
    };
    annotations.insert("io.kubewarden.policy.usage".into(), Value::String(usage));
    if execution_mode == "gatekeeper" {
        // Gatekeeper mode cannot return patches.
        map.insert("mutating".into(), Value::Bool(false));
    }
    for required in ["rules", "mutating"] {
        if !map.contains_key(required) {
            bail!("{}: `{required}` is required", metadata_yml.display());
        }
    }
    Ok(meta)
}

/// Write (or replace) the metadata section.
pub fn annotate(
    module: &[u8],
    metadata_yml: &Path,
    execution_mode: &str,
    protocol_version: &str,
) -> Result<Vec<u8>> {
    let meta = metadata(metadata_yml, execution_mode, protocol_version)?;
    let json = serde_json::to_vec(&meta)?;
    let stripped = wasm::strip_custom_section(module, SECTION)?;
    Ok(wasm::append_custom_section(&stripped, SECTION, &json))
}
