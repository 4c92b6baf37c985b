//! Repairs as line edits (`secretfree check --fix [--write]`, the playground's repaired
//! manifest): the verdict's patch operations turned into edits of the YAML source that touch
//! only the lines a repair changes, so comments, key order and style stay as they are.
//!
//! What a repair does in a block-style mapping: add an annotation line under `annotations:`
//! with the indentation of its siblings (or add `annotations:` / `metadata:` with it), remove a
//! key's lines, replace a one-line scalar. Anything else (flow style `{...}`, a multi-line
//! value to replace, JSON text) is not edited: [`fix_text`] says why, and the file is left
//! alone. Every edited text is read again and must give exactly the repaired objects.

#![forbid(unsafe_code)]

use super::lint::Linted;
use super::manifest;
use super::positions::{Pos, PosTree};
use crate::json::pointer;
use crate::verdict::{PatchKind, PatchOp};
use crate::yaml::scalar_text;
use serde_json::Value;

/// Replace lines `start..end` (0-based, `end` exclusive) with `lines`; `start == end` inserts.
#[derive(Debug, Clone, PartialEq)]
struct Edit {
    start: usize,
    end: usize,
    lines: Vec<String>,
}

/// The reference tokens of a pointer, unescaped.
fn tokens(path: &str) -> Vec<String> {
    path.strip_prefix('/')
        .map(|rest| rest.split('/').map(pointer::unescape).collect())
        .unwrap_or_default()
}

fn pointer_of(tokens: &[String]) -> String {
    tokens
        .iter()
        .map(|t| format!("/{}", pointer::escape(t)))
        .collect()
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// The byte offset of a 1-based character column in `line`.
fn byte_at(line: &str, column: usize) -> Option<usize> {
    if column == 0 {
        return None;
    }
    line.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(line.len()))
        .nth(column - 1)
}

/// The source as lines (without their line ends), and whether it ends with a newline.
struct Source<'a> {
    lines: Vec<&'a str>,
}

impl<'a> Source<'a> {
    fn line(&self, n: usize) -> Result<&'a str, String> {
        self.lines
            .get(n)
            .copied()
            .ok_or_else(|| format!("line {} is past the end of the text", n + 1))
    }

    /// A key written at `at` in a block mapping: only spaces before it on its line.
    fn block_key(&self, at: Pos, what: &str) -> Result<(), String> {
        let line = self.line(at.line.saturating_sub(1))?;
        let prefix = byte_at(line, at.column)
            .and_then(|b| line.get(..b))
            .ok_or_else(|| format!("{what} is not where the parser saw it"))?;
        if prefix.bytes().all(|b| b == b' ') {
            Ok(())
        } else {
            Err(format!(
                "{what} (line {}) is not in a block mapping of its own lines (flow style or a list item's first key)",
                at.line
            ))
        }
    }

    /// The last line (0-based) of the entry whose key is at `at`: the key's line and every
    /// following line indented deeper (or a `-` item at the key's indentation, as lists under
    /// a key are often written), blank and comment lines in between included.
    fn entry_end(&self, at: Pos) -> Result<usize, String> {
        let first = at.line.saturating_sub(1);
        let indent = indent_of(self.line(first)?);
        let mut end = first;
        for (n, line) in self.lines.iter().enumerate().skip(first + 1) {
            if is_blank_or_comment(line) {
                continue;
            }
            let i = indent_of(line);
            let item = i == indent && line.trim_start().starts_with("- ") || line.trim() == "-";
            if i > indent || item {
                end = n;
            } else {
                break;
            }
        }
        Ok(end)
    }
}

/// A mapping in the tree, and its entries written in it (not merged in from elsewhere).
fn own_entries(map: &PosTree) -> Result<Vec<&(String, Pos, PosTree)>, String> {
    match map {
        PosTree::Map(at, entries) => Ok(entries
            .iter()
            .filter(|(_, key, _)| key.line >= at.line)
            .collect()),
        _ => Err("the repair's target is not a mapping".into()),
    }
}

/// Lines for `key: value` at `indent`, a mapping value as a block below its key.
fn entry_lines(key: &str, value: &Value, indent: usize, out: &mut Vec<String>) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push(format!("{pad}{}:", scalar_text(key)));
            for (k, v) in map {
                entry_lines(k, v, indent + 2, out);
            }
        }
        other => {
            let text = crate::yaml::to_text(other);
            out.push(format!("{pad}{}: {}", scalar_text(key), text.trim_end()));
        }
    }
}

/// The end (byte offset) of the scalar starting at `start` on `line`: a quoted string's
/// closing quote, or a plain scalar's last character before ` #` or the line's end.
fn scalar_end(line: &str, start: usize) -> Option<usize> {
    let rest = line.get(start..)?;
    let bytes = rest.as_bytes();
    match bytes.first()? {
        b'"' => {
            let mut i = 1;
            while let Some(&b) = bytes.get(i) {
                match b {
                    b'\\' => i += 2,
                    b'"' => return Some(start + i + 1),
                    _ => i += 1,
                }
            }
            None
        }
        b'\'' => {
            let mut i = 1;
            while let Some(&b) = bytes.get(i) {
                if b == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return Some(start + i + 1);
                }
                i += 1;
            }
            None
        }
        b'|' | b'>' | b'{' | b'[' | b'&' | b'*' | b'!' => None,
        _ => {
            let end = rest.find(" #").unwrap_or(rest.len());
            Some(start + rest.get(..end)?.trim_end().len())
        }
    }
}

/// The edits for one object's patch. `tree`: the object's positions; `patched`: the object
/// with the patch applied (to know when a removal empties a mapping).
fn edits_for(
    src: &Source,
    tree: &PosTree,
    ops: &[PatchOp],
    patched: &Value,
) -> Result<Vec<Edit>, String> {
    let mut edits = Vec::new();
    for op in ops {
        let toks = tokens(&op.path);
        let Some((last, parent)) = toks.split_last() else {
            return Err("a repair replaces the whole object".into());
        };
        let parent_ptr = pointer_of(parent);
        let map = tree
            .get(&parent_ptr)
            .ok_or_else(|| format!("{} is not in the source", parent_ptr))?;
        let entries = own_entries(map)?;
        let existing = entries.iter().rev().find(|(k, _, _)| k == last);
        match (op.op, existing) {
            (PatchKind::Remove, Some((_, key, _))) => {
                src.block_key(*key, last)?;
                let start = key.line - 1;
                let end = src.entry_end(*key)?;
                edits.push(Edit {
                    start,
                    end: end + 1,
                    lines: Vec::new(),
                });
                // A mapping the repair empties stays a mapping: `annotations: {}`.
                let now_empty = patched
                    .pointer(&parent_ptr)
                    .and_then(Value::as_object)
                    .is_some_and(|m| m.is_empty());
                if now_empty && let Some((grand_last, grand)) = parent.split_last() {
                    let grand_tree = tree
                        .get(&pointer_of(grand))
                        .ok_or("the mapping's parent is not in the source")?;
                    let (_, parent_key, _) = own_entries(grand_tree)?
                        .into_iter()
                        .rev()
                        .find(|(k, _, _)| k == grand_last)
                        .ok_or("the mapping's key is not in the source")?;
                    src.block_key(*parent_key, grand_last)?;
                    let n = parent_key.line - 1;
                    let line = src.line(n)?;
                    if !line.trim_end().ends_with(':') {
                        return Err(format!(
                            "line {}: cannot leave an empty {grand_last} mapping in place",
                            n + 1
                        ));
                    }
                    edits.push(Edit {
                        start: n,
                        end: n + 1,
                        lines: vec![format!("{} {{}}", line.trim_end())],
                    });
                }
            }
            (PatchKind::Remove, None) => {
                return Err(format!("{} is not in the source", op.path));
            }
            (PatchKind::Add | PatchKind::Replace, Some((_, key, value_tree))) => {
                let new = op.value.as_ref().ok_or("an add without a value")?;
                let (PosTree::Leaf(at), Value::String(_) | Value::Number(_) | Value::Bool(_)) =
                    (value_tree, new)
                else {
                    return Err(format!("{}: only one-line values are replaced", op.path));
                };
                src.block_key(*key, last)?;
                if at.line != key.line || src.entry_end(*key)? != key.line - 1 {
                    return Err(format!(
                        "line {}: the value of {last} is not on its key's line",
                        key.line
                    ));
                }
                let n = key.line - 1;
                let line = src.line(n)?;
                let start = byte_at(line, at.column).ok_or("the value is not on its line")?;
                let end = scalar_end(line, start).ok_or_else(|| {
                    format!(
                        "line {}: the value of {last} is not a plain or quoted scalar",
                        n + 1
                    )
                })?;
                let text = crate::yaml::to_text(new);
                edits.push(Edit {
                    start: n,
                    end: n + 1,
                    lines: vec![format!(
                        "{}{}{}",
                        line.get(..start).unwrap_or_default(),
                        text.trim_end(),
                        line.get(end..).unwrap_or_default()
                    )],
                });
            }
            (PatchKind::Add, None) => {
                let new = op.value.as_ref().ok_or("an add without a value")?;
                let Some((_, key, _)) = entries.last() else {
                    return Err(format!(
                        "{parent_ptr} is empty or in flow style: no line to add {last} under"
                    ));
                };
                src.block_key(*key, &parent_ptr)?;
                let indent = key.column - 1;
                let after = entries
                    .iter()
                    .map(|(_, k, _)| src.entry_end(*k))
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter()
                    .max()
                    .unwrap_or(key.line - 1);
                let mut lines = Vec::new();
                entry_lines(last, new, indent, &mut lines);
                edits.push(Edit {
                    start: after + 1,
                    end: after + 1,
                    lines,
                });
            }
            (PatchKind::Replace, None) => {
                return Err(format!("{} is not in the source", op.path));
            }
        }
    }
    Ok(edits)
}

/// Apply edits to lines: non-overlapping, inserts at one place kept in order.
fn apply(lines: &[&str], mut edits: Vec<Edit>) -> Result<Vec<String>, String> {
    crate::sort::sort_by(&mut edits, |a, b| (a.start, a.end).cmp(&(b.start, b.end)));
    for pair in edits.windows(2) {
        if let [a, b] = pair
            && (a.end > b.start || (a.start == b.start && a.end > a.start && b.end > b.start))
        {
            return Err(format!(
                "two repairs change line {} (edit the file by hand)",
                b.start + 1
            ));
        }
    }
    let mut out: Vec<String> = Vec::with_capacity(lines.len() + 4);
    let mut next = 0usize;
    for e in edits {
        out.extend(
            lines
                .get(next..e.start)
                .unwrap_or_default()
                .iter()
                .map(|l| (*l).to_owned()),
        );
        out.extend(e.lines);
        next = next.max(e.end);
    }
    out.extend(
        lines
            .get(next..)
            .unwrap_or_default()
            .iter()
            .map(|l| (*l).to_owned()),
    );
    Ok(out)
}

/// The locator part of a [`Linted::source`] (`file#1/items/0` → `1/items/0`).
fn locator(source: &str) -> &str {
    source.rsplit_once('#').map_or("", |(_, l)| l)
}

/// `text` with the repairs of `objects` (the objects judged from it) applied as line edits.
/// `Ok(None)`: nothing to repair. `Err`: why the text is not edited (nothing is).
pub fn fix_text(text: &str, objects: &[&Linted]) -> Result<Option<String>, String> {
    let repaired: Vec<&&Linted> = objects
        .iter()
        .filter(|o| !o.verdict.patch.is_empty() && o.patched.is_some())
        .collect();
    if repaired.is_empty() {
        return Ok(None);
    }
    if super::lint::is_json_text(text) {
        return Err(
            "JSON is not edited in place (apply the patch, or write the manifest as YAML)".into(),
        );
    }
    let docs = manifest::parse_documents(text).map_err(|e| e.to_string())?;
    let src = Source {
        lines: text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect(),
    };
    if text.contains('\r') {
        return Err("CRLF line ends are not edited in place".into());
    }
    let mut edits = Vec::new();
    for object in &repaired {
        let want = locator(&object.source);
        let doc = docs
            .iter()
            .find(|d| d.locator == want)
            .ok_or_else(|| format!("object {want} is not in the text"))?;
        let tree = doc
            .positions
            .as_ref()
            .ok_or_else(|| format!("object {want}: no source positions"))?;
        let patched = object.patched.as_ref().ok_or("no repaired object")?;
        edits.extend(
            edits_for(&src, tree, &object.verdict.patch, patched)
                .map_err(|e| format!("{}: {e}", object.label()))?,
        );
    }
    let out = apply(&src.lines, edits)?.join("\n");
    // The edited text must read back as exactly the repaired objects (and nothing else moved).
    let again = manifest::parse_documents(&out)
        .map_err(|e| format!("the edited text does not read back: {e}"))?;
    if again.len() != docs.len() {
        return Err("the edited text does not read back as the same documents".into());
    }
    for (before, after) in docs.iter().zip(&again) {
        let want = objects
            .iter()
            .find(|o| locator(&o.source) == before.locator)
            .and_then(|o| o.patched.as_ref())
            .unwrap_or(&before.value);
        if after.locator != before.locator || after.value != *want {
            return Err(format!(
                "object {}: the edited lines do not read back as the repaired object",
                before.locator
            ));
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use crate::tools::lint::lint_text;

    fn fix(text: &str, settings: &str) -> Result<Option<String>, String> {
        let mut s = Settings::from_yaml(settings).unwrap();
        s.mutate = true;
        let linted = lint_text(text, "m.yaml", &s).unwrap();
        let refs: Vec<&Linted> = linted.iter().collect();
        fix_text(text, &refs)
    }

    const DOMAIN: &str =
        "customDomains: [{host: registry.example.com, instanceId: cri-j36zhodptmyq1234}]\n";

    #[test]
    fn a_misplaced_annotation_moves_and_nothing_else_changes() {
        let text = "# shop web\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web   # the name\n  annotations:\n    team: shop\n    k8s.aliyun.com/acr-instance-ids: cri-j36zhodptmyq1234  # misplaced\nspec:\n  replicas: 2\n  template:\n    metadata:\n      labels: {alibabacloud.com/eci: \"true\"}\n      annotations:\n        other: x\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/shop/app:1.0\n";
        let out = fix(text, DOMAIN).unwrap().unwrap();
        let want = text
            .replace(
                "    k8s.aliyun.com/acr-instance-ids: cri-j36zhodptmyq1234  # misplaced\n",
                "",
            )
            .replace(
                "        other: x\n",
                "        other: x\n        k8s.aliyun.com/acr-instance-ids: cri-j36zhodptmyq1234\n",
            );
        assert_eq!(out, want);
    }

    #[test]
    fn annotations_and_metadata_are_added_with_the_siblings_indentation() {
        // No annotations in the template: `annotations:` is added under its metadata.
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n    name: web\nspec:\n    template:\n        metadata:\n            labels:\n                alibabacloud.com/eci: \"true\"\n        spec:\n            containers:\n            -   name: app\n                image: registry.example.com/shop/app:1.0\n";
        let out = fix(text, DOMAIN).unwrap().unwrap();
        assert!(
            out.contains("                alibabacloud.com/eci: \"true\"\n            annotations:\n              k8s.aliyun.com/acr-instance-ids: cri-j36zhodptmyq1234\n        spec:\n"),
            "{out}"
        );
        // A Pod whose metadata has only a name: the annotation map is added.
        let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    alibabacloud.com/eci: \"true\"\nspec:\n  containers:\n  - name: app\n    image: registry.example.com/shop/app:1.0\n";
        let out = fix(pod, DOMAIN).unwrap().unwrap();
        assert_eq!(
            out,
            pod.replace(
                "    alibabacloud.com/eci: \"true\"\n",
                "    alibabacloud.com/eci: \"true\"\n  annotations:\n    k8s.aliyun.com/acr-instance-ids: cri-j36zhodptmyq1234\n"
            )
        );
    }

    #[test]
    fn a_value_is_replaced_in_place_and_a_renamed_key_keeps_its_place() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {alibabacloud.com/eci: \"true\"}\n  annotations:\n    k8s.aliyun.com/acr-instance-ids: \"cri-nwj395hgf6f3abcd\"   # ours\n    z: last\nspec:\n  containers:\n  - name: app\n    image: registry.example.com/shop/app:1.0\n";
        let out = fix(text, DOMAIN).unwrap().unwrap();
        assert!(
            out.contains("    k8s.aliyun.com/acr-instance-ids: \"cri-nwj395hgf6f3abcd,cri-j36zhodptmyq1234\"   # ours\n    z: last\n"),
            "{out}"
        );
    }

    #[test]
    fn flow_style_and_json_are_left_alone_with_a_reason() {
        let flow = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {alibabacloud.com/eci: \"true\"}, annotations: {a: b}}\nspec:\n  containers:\n  - name: app\n    image: registry.example.com/shop/app:1.0\n";
        let err = fix(flow, DOMAIN).unwrap_err();
        assert!(err.contains("flow style"), "{err}");
        let json = serde_json::to_string_pretty(&crate::yaml::to_value(flow).unwrap()).unwrap();
        assert!(fix(&json, DOMAIN).unwrap_err().contains("JSON"));
        // Nothing to repair.
        assert_eq!(
            fix("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", "").unwrap(),
            None
        );
    }
}
