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

/// Whether `module` keeps its stack below its data and neither in the first KiB of memory
/// above the stack's far end: the stack pointer (its first mutable global) starts at or below
/// the lowest data segment, which starts at 1 KiB or above. Then only an overflowing stack
/// touches the first KiB, which `wasm-opt --low-memory-unused` relies on.
pub fn low_memory_unused(module: &[u8]) -> Result<bool> {
    let mut stack_top: Option<i64> = None;
    let mut lowest_data: Option<i64> = None;
    for payload in Parser::new(0).parse_all(module) {
        match payload? {
            Payload::GlobalSection(reader) => {
                for g in reader {
                    let g = g?;
                    if g.ty.mutable && stack_top.is_none() {
                        let mut ops = g.init_expr.get_operators_reader();
                        if let wasmparser::Operator::I32Const { value } = ops.read()? {
                            stack_top = Some(i64::from(value));
                        }
                    }
                }
            }
            Payload::DataSection(reader) => {
                for d in reader {
                    if let wasmparser::DataKind::Active { offset_expr, .. } = d?.kind {
                        let mut ops = offset_expr.get_operators_reader();
                        let wasmparser::Operator::I32Const { value } = ops.read()? else {
                            return Ok(false);
                        };
                        let value = i64::from(value);
                        lowest_data = Some(lowest_data.map_or(value, |l| l.min(value)));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(match (stack_top, lowest_data) {
        (Some(top), Some(data)) => top <= data && data >= 1024,
        (Some(top), None) => top >= 1024,
        _ => false,
    })
}

#[cfg(test)]
mod layout_tests {
    use super::low_memory_unused;

    /// `n` as a signed LEB128 (an `i32.const` operand).
    fn sleb(mut n: i64, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            let done = (n == 0 && byte & 0x40 == 0) || (n == -1 && byte & 0x40 != 0);
            out.push(if done { byte } else { byte | 0x80 });
            if done {
                return;
            }
        }
    }

    /// A module with a memory, a stack pointer starting at `stack_top` and active data segments.
    fn module(stack_top: i64, data: &[(i64, &[u8])]) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend_from_slice(&[5, 3, 1, 0, 17]);
        let mut global = vec![1u8, 0x7f, 1, 0x41];
        sleb(stack_top, &mut global);
        global.push(0x0b);
        m.extend_from_slice(&[6, global.len() as u8]);
        m.extend_from_slice(&global);
        let mut segments = vec![data.len() as u8];
        for (offset, bytes) in data {
            segments.extend_from_slice(&[0, 0x41]);
            sleb(*offset, &mut segments);
            segments.extend_from_slice(&[0x0b, bytes.len() as u8]);
            segments.extend_from_slice(bytes);
        }
        m.extend_from_slice(&[11, segments.len() as u8]);
        m.extend_from_slice(&segments);
        m
    }

    #[test]
    fn the_stack_must_come_first_and_the_data_above_the_first_kib() {
        assert!(low_memory_unused(&module(1048576, &[(1048576, b"abc")])).unwrap());
        assert!(low_memory_unused(&module(65536, &[(65536, b"abc"), (70000, b"d")])).unwrap());
        // Data below the stack's start, or in the first KiB.
        assert!(!low_memory_unused(&module(1048576, &[(2048, b"abc")])).unwrap());
        assert!(!low_memory_unused(&module(512, &[(512, b"abc")])).unwrap());
    }
}
