//! Small module surgery and inspection shared by the post-link steps.

use anyhow::{Result, bail};
use wasmparser::{Parser, Payload, TypeRef};

fn leb128(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Append a custom section (id 0) to a core module.
pub fn append_custom_section(module: &[u8], name: &str, data: &[u8]) -> Vec<u8> {
    let mut payload = Vec::new();
    leb128(name.len(), &mut payload);
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(data);
    let mut out = module.to_vec();
    out.push(0);
    leb128(payload.len(), &mut out);
    out.extend_from_slice(&payload);
    out
}

/// Drop every custom section called `name` (so annotating twice does not stack sections).
pub fn strip_custom_section(module: &[u8], name: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(module.len());
    out.extend_from_slice(module.get(..8).unwrap_or_default());
    for payload in Parser::new(0).parse_all(module) {
        let payload = payload?;
        if let Some((id, range)) = payload.as_section() {
            if let Payload::CustomSection(c) = &payload
                && c.name() == name
            {
                continue;
            }
            // Re-emit the section as it was: id, size, contents.
            let range = usize::try_from(range.start)?..usize::try_from(range.end)?;
            out.push(id);
            leb128(range.end - range.start, &mut out);
            out.extend_from_slice(module.get(range).unwrap_or_default());
        }
    }
    Ok(out)
}

/// (module, name) of every import.
pub fn imports(module: &[u8]) -> Result<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(module) {
        if let Payload::ImportSection(reader) = payload? {
            for imp in reader.into_imports() {
                let imp = imp?;
                let kind = match imp.ty {
                    TypeRef::Func(_) | TypeRef::FuncExact(_) => "func".to_owned(),
                    TypeRef::Memory(m) => {
                        format!("memory(min {} pages, max {:?})", m.initial, m.maximum)
                    }
                    TypeRef::Table(_) => "table".to_owned(),
                    TypeRef::Global(_) => "global".to_owned(),
                    TypeRef::Tag(_) => "tag".to_owned(),
                };
                out.push((imp.module.to_owned(), imp.name.to_owned(), kind));
            }
        }
    }
    Ok(out)
}

/// Names of every export.
pub fn exports(module: &[u8]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(module) {
        if let Payload::ExportSection(reader) = payload? {
            for e in reader {
                out.push(e?.name.to_owned());
            }
        }
    }
    Ok(out)
}

/// kwctl treats any module exporting `opa_*` as Rego: the waPC module must not.
pub fn check_no_opa_exports(module: &[u8]) -> Result<()> {
    let bad: Vec<String> = exports(module)?
        .into_iter()
        .filter(|e| e.starts_with("opa_"))
        .collect();
    if !bad.is_empty() {
        bail!("the waPC module exports {bad:?}; kwctl would take it for a Rego policy");
    }
    Ok(())
}

/// A short human description (imports, exports, custom sections).
pub fn describe(bytes: &[u8]) -> Result<String> {
    let mut out = String::new();
    if wasmparser::Parser::is_component(bytes) {
        out.push_str("  component\n");
        return Ok(out);
    }
    for (m, n, k) in imports(bytes)? {
        out.push_str(&format!("  import {m}.{n}: {k}\n"));
    }
    for e in exports(bytes)? {
        out.push_str(&format!("  export {e}\n"));
    }
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::CustomSection(c) = payload? {
            out.push_str(&format!(
                "  custom section {:?} ({} bytes)\n",
                c.name(),
                c.data().len()
            ));
        }
    }
    Ok(out)
}
