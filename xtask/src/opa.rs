//! The OPA WebAssembly ABI 1.3 module and its bundle (spec/engines.md B.3, B.4).
//!
//! `build`: cargo build with the shared memory imported *and* exported and a 64 KiB stack
//! (so the memory import asks for at most 2 pages: opa-py-wasm gives 2, the npm SDK and
//! Kubewarden's burrego 5), then post-link with walrus: drop the `__data_end`/`__heap_base`
//! exports and add the immutable i32 globals `opa_wasm_abi_version` = 1 and
//! `opa_wasm_abi_minor_version` = 3 (Rust statics would export their *address*). The result is
//! checked against the ABI.
//!
//! `bundle`: a deterministic OPA bundle (tar.gz) with `/.manifest`, `/data.json`,
//! `/policy.wasm`; the `.manifest`'s wasm module path is `/policy.wasm`, as `opa build` writes.

use crate::wasm;
use anyhow::{Context, Result, bail};
use std::io::Write;
use walrus::{ConstExpr, ExportItem, ValType, ir::Value};
use wasmparser::{Parser, Payload, TypeRef};

/// Link arguments of the OPA module.
pub const LINK_ARGS: &[&str] = &["--import-memory", "--export-memory", "-zstack-size=65536"];

/// The largest memory minimum a host may be asked for: opa-py-wasm creates 2 pages (and grows
/// them only when instantiation traps, not when the import's minimum is larger); the npm SDK
/// and burrego create 5.
pub const MAX_MIN_PAGES: u64 = 2;

/// Every export the ABI 1.3 hosts look up.
pub const REQUIRED_EXPORTS: &[&str] = &[
    "memory",
    "eval",
    "builtins",
    "entrypoints",
    "opa_eval_ctx_new",
    "opa_eval_ctx_set_input",
    "opa_eval_ctx_set_data",
    "opa_eval_ctx_set_entrypoint",
    "opa_eval_ctx_get_result",
    "opa_malloc",
    "opa_free",
    "opa_json_parse",
    "opa_value_parse",
    "opa_json_dump",
    "opa_value_dump",
    "opa_heap_ptr_set",
    "opa_heap_ptr_get",
    "opa_value_add_path",
    "opa_value_remove_path",
    "opa_eval",
    "opa_value_free",
    "opa_heap_blocks_stash",
    "opa_heap_blocks_restore",
    "opa_heap_stash_clear",
    "opa_wasm_abi_version",
    "opa_wasm_abi_minor_version",
];

/// Imports the module may have (only what it uses: the memory and `opa_abort`).
pub const ALLOWED_IMPORTS: &[&str] = &["memory", "opa_abort"];

/// Build the OPA-ABI module (cargo build + post-link globals), checked against the ABI.
pub fn build() -> Result<Vec<u8>> {
    let linked = crate::cargo_build("opa", LINK_ARGS)?;
    let module = crate::wasm_opt::optimize(&post_link(&linked)?, "opa")?;
    check(&module)?;
    Ok(module)
}

/// Drop the linker's `__data_end`/`__heap_base` exports and inject the ABI version globals.
pub fn post_link(linked: &[u8]) -> Result<Vec<u8>> {
    let mut module =
        walrus::Module::from_buffer(linked).context("parsing the linked OPA module")?;
    let drop: Vec<_> = module
        .exports
        .iter()
        .filter(|e| {
            matches!(
                e.name.as_str(),
                "__data_end"
                    | "__heap_base"
                    | "opa_wasm_abi_version"
                    | "opa_wasm_abi_minor_version"
            )
        })
        .map(|e| e.id())
        .collect();
    for id in drop {
        module.exports.delete(id);
    }
    for (name, value) in [
        ("opa_wasm_abi_version", 1),
        ("opa_wasm_abi_minor_version", 3),
    ] {
        let global = module.globals.add_local(
            ValType::I32,
            false,
            false,
            ConstExpr::Value(Value::I32(value)),
        );
        module.exports.add(name, ExportItem::Global(global));
    }
    Ok(module.emit_wasm())
}

/// The ABI checks every host relies on: imports, memory limits, exports, version globals.
pub fn check(module: &[u8]) -> Result<()> {
    let mut globals: Vec<Option<i64>> = Vec::new();
    let mut global_exports: Vec<(String, u32)> = Vec::new();
    let mut exports = Vec::new();
    for payload in Parser::new(0).parse_all(module) {
        match payload? {
            Payload::ImportSection(reader) => {
                for imp in reader.into_imports() {
                    let imp = imp?;
                    if imp.module != "env" || !ALLOWED_IMPORTS.contains(&imp.name) {
                        bail!(
                            "the OPA module imports {}.{}; only env.memory and env.opa_abort are allowed",
                            imp.module,
                            imp.name
                        );
                    }
                    match imp.ty {
                        TypeRef::Memory(m) => {
                            if m.initial > MAX_MIN_PAGES {
                                bail!(
                                    "env.memory asks for {} pages; hosts give {MAX_MIN_PAGES} (shrink the stack or the data)",
                                    m.initial
                                );
                            }
                            if let Some(max) = m.maximum {
                                bail!(
                                    "env.memory has a maximum ({max} pages); hosts need to grow it freely"
                                );
                            }
                        }
                        TypeRef::Global(_) => globals.push(None),
                        _ => {}
                    }
                }
            }
            Payload::GlobalSection(reader) => {
                for g in reader {
                    let g = g?;
                    let mut ops = g.init_expr.get_operators_reader();
                    let value = match ops.read()? {
                        wasmparser::Operator::I32Const { value } if !g.ty.mutable => {
                            Some(i64::from(value))
                        }
                        _ => None,
                    };
                    globals.push(value);
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e?;
                    if e.kind == wasmparser::ExternalKind::Global {
                        global_exports.push((e.name.to_owned(), e.index));
                    }
                    exports.push(e.name.to_owned());
                }
            }
            _ => {}
        }
    }
    let missing: Vec<&str> = REQUIRED_EXPORTS
        .iter()
        .copied()
        .filter(|r| !exports.iter().any(|e| e == r))
        .collect();
    if !missing.is_empty() {
        bail!("the OPA module lacks the exports {missing:?}");
    }
    for leftover in ["__data_end", "__heap_base"] {
        if exports.iter().any(|e| e == leftover) {
            bail!("the OPA module still exports {leftover}");
        }
    }
    for (name, want) in [
        ("opa_wasm_abi_version", 1),
        ("opa_wasm_abi_minor_version", 3),
    ] {
        let got = global_exports
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, idx)| globals.get(usize::try_from(*idx).ok()?).copied().flatten());
        if got != Some(want) {
            bail!("{name} reads back as {got:?}, not the immutable i32 {want}");
        }
    }
    if !wasm::imports(module)?
        .iter()
        .any(|(m, n, _)| m == "env" && n == "memory")
    {
        bail!("the OPA module does not import env.memory");
    }
    Ok(())
}

/// One bundle entry: a regular file, mode 0644, owner 0:0, mtime 0.
fn append(builder: &mut tar::Builder<Vec<u8>>, path: &str, bytes: &[u8]) -> Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_size(u64::try_from(bytes.len())?);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    builder
        .append_data(&mut header, path, bytes)
        .with_context(|| format!("adding {path} to the bundle"))
}

/// The OPA bundle (tar.gz) holding `/.manifest`, `/data.json`, `/policy.wasm` (sorted), with
/// every timestamp and owner zeroed so two builds give the same bytes.
///
/// Entry names keep the leading `/`, as `opa build` writes them: OPA's tarball loader passes
/// entry names through unchanged and requires the manifest's wasm `module` (`/policy.wasm`) to
/// name an entry exactly; matrix-org's `opa-wasm` looks for the entry `/policy.wasm`.
pub fn bundle(module: &[u8], manifest: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    let manifest_json: serde_json::Value =
        serde_json::from_slice(manifest).context("policies/opa/manifest.json is not JSON")?;
    let roots: Vec<&str> = manifest_json["roots"]
        .as_array()
        .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    if roots.is_empty() {
        bail!("the bundle manifest needs `roots`");
    }
    let Some(wasm) = manifest_json["wasm"].as_array() else {
        bail!("the bundle manifest needs a `wasm` list of entrypoints");
    };
    for w in wasm {
        if w["module"] != "/policy.wasm" {
            bail!("manifest wasm entry {w} must name module \"/policy.wasm\"");
        }
        let Some(ep) = w["entrypoint"].as_str() else {
            bail!("manifest wasm entry {w} has no entrypoint");
        };
        if !roots
            .iter()
            .any(|r| r.is_empty() || ep == *r || ep.starts_with(&format!("{r}/")))
        {
            bail!("entrypoint {ep} is outside the bundle roots {roots:?}");
        }
    }
    let data_json: serde_json::Value =
        serde_json::from_slice(data).context("policies/opa/data.json is not JSON")?;
    if let Some(map) = data_json.as_object() {
        for key in map.keys() {
            if !roots
                .iter()
                .any(|r| r.is_empty() || r == key || r.starts_with(&format!("{key}/")))
            {
                bail!("data.json key {key} is outside the bundle roots {roots:?}");
            }
        }
    }
    let mut builder = tar::Builder::new(Vec::new());
    // `/policy.wasm` with the slash: OPA matches the manifest's module path against the entry
    // name as is, and the Rust SDK looks for exactly `/policy.wasm`.
    builder.preserve_absolute(true);
    append(&mut builder, "/.manifest", manifest)?;
    append(&mut builder, "/data.json", data)?;
    append(&mut builder, "/policy.wasm", module)?;
    let tar = builder.into_inner()?;
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    gz.write_all(&tar)?;
    Ok(gz.finish()?)
}
