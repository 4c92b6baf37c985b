//! Componentisation: the wasm32-unknown-unknown core module (carrying wit-bindgen's
//! `component-type` custom section for `wit/secretfree.wit`) becomes a WebAssembly component.
//!
//! The core module must import nothing, and so must the component: any component-model host
//! (wasmtime, jco) can then instantiate it with an empty linker, and the policy cannot do I/O.

use anyhow::{Context, Result, bail};
use wasmparser::{Parser, Payload};
use wit_component::ComponentEncoder;

/// Turn the core module (with wit-bindgen's component-type section) into a validated component
/// that imports nothing.
pub fn componentize(module: &[u8]) -> Result<Vec<u8>> {
    let core_imports = crate::wasm::imports(module)?;
    if !core_imports.is_empty() {
        let names: Vec<String> = core_imports
            .iter()
            .map(|(m, n, k)| format!("{m}.{n} ({k})"))
            .collect();
        bail!(
            "the component's core module must import nothing, but imports {}",
            names.join(", ")
        );
    }
    let component = ComponentEncoder::default()
        .module(module)
        .context("reading the core module and its component-type section")?
        .validate(true)
        .encode()
        .context("encoding the component")?;
    let imports = component_imports(&component)?;
    if !imports.is_empty() {
        bail!(
            "the component must import nothing, but imports {}",
            imports.join(", ")
        );
    }
    if component_exports(&component)?.is_empty() {
        bail!("the component exports nothing (is the wit-bindgen `export!` missing?)");
    }
    Ok(component)
}

/// Walk the top level of a component (not its nested modules) and collect the names in its
/// import or export sections.
fn top_level_names(component: &[u8], want_imports: bool) -> Result<Vec<String>> {
    if !Parser::is_component(component) {
        bail!("not a component");
    }
    let mut names = Vec::new();
    // Depth of nested modules/components: only depth 0 is the component's own interface.
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(component) {
        match payload? {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 0 && want_imports => {
                for import in reader {
                    names.push(import?.name.name.to_owned());
                }
            }
            Payload::ComponentExportSection(reader) if depth == 0 && !want_imports => {
                for export in reader {
                    names.push(export?.name.name.to_owned());
                }
            }
            _ => {}
        }
    }
    Ok(names)
}

/// Names of the component's own imports.
pub fn component_imports(component: &[u8]) -> Result<Vec<String>> {
    top_level_names(component, true)
}

/// Names of the component's own exports.
pub fn component_exports(component: &[u8]) -> Result<Vec<String>> {
    top_level_names(component, false)
}
