//! Building and applying RFC 6902 patches.

#![forbid(unsafe_code)]

use crate::grammar::text::Quoted;
use crate::json::pointer;
use crate::verdict::{PatchKind, PatchOp};
use serde_json::Value;
use std::ops::Range;

/// Why a patch did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError(pub String);

impl core::fmt::Display for PatchError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

fn split_pointer(path: &str) -> Result<(Vec<String>, String), PatchError> {
    let rest = path.strip_prefix('/').ok_or_else(|| {
        PatchError(format!(
            "path {path:?} does not start with '/'",
            path = Quoted(path)
        ))
    })?;
    let mut tokens: Vec<String> = rest.split('/').map(pointer::unescape).collect();
    let last = tokens
        .pop()
        .ok_or_else(|| PatchError(format!("path {path:?} is empty", path = Quoted(path))))?;
    Ok((tokens, last))
}

fn parent<'a>(
    doc: &'a mut Value,
    tokens: &[String],
    path: &str,
) -> Result<&'a mut Value, PatchError> {
    let mut cur = doc;
    for token in tokens {
        cur = match cur {
            Value::Object(map) => map.get_mut(token),
            Value::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| {
            PatchError(format!(
                "path {path:?}: {token:?} does not exist",
                path = Quoted(path),
                token = Quoted(token)
            ))
        })?;
    }
    Ok(cur)
}

/// Apply `ops` in order to `doc` (add, remove, replace). On error `doc` may be partly patched.
pub fn apply(doc: &mut Value, ops: &[PatchOp]) -> Result<(), PatchError> {
    for op in ops {
        if op.path.is_empty() {
            match (op.op, &op.value) {
                (PatchKind::Add | PatchKind::Replace, Some(v)) => *doc = v.clone(),
                _ => return Err(PatchError("cannot remove the whole document".into())),
            }
            continue;
        }
        let (tokens, last) = split_pointer(&op.path)?;
        let target = parent(doc, &tokens, &op.path)?;
        match (op.op, target) {
            (PatchKind::Add, Value::Object(map)) => {
                let v = op
                    .value
                    .clone()
                    .ok_or_else(|| PatchError("add without value".into()))?;
                map.insert(last, v);
            }
            (PatchKind::Add, Value::Array(items)) => {
                let v = op
                    .value
                    .clone()
                    .ok_or_else(|| PatchError("add without value".into()))?;
                if last == "-" {
                    items.push(v);
                } else {
                    let i = last
                        .parse::<usize>()
                        .ok()
                        .filter(|i| *i <= items.len())
                        .ok_or_else(|| {
                            PatchError(format!("path {:?}: bad array index", Quoted(&op.path)))
                        })?;
                    items.insert(i, v);
                }
            }
            (PatchKind::Remove, Value::Object(map)) => {
                map.remove(&last).ok_or_else(|| {
                    PatchError(format!("path {:?} does not exist", Quoted(&op.path)))
                })?;
            }
            (PatchKind::Remove, Value::Array(items)) => {
                let i = last
                    .parse::<usize>()
                    .ok()
                    .filter(|i| *i < items.len())
                    .ok_or_else(|| {
                        PatchError(format!("path {:?}: bad array index", Quoted(&op.path)))
                    })?;
                items.remove(i);
            }
            (PatchKind::Replace, Value::Object(map)) => {
                let v = op
                    .value
                    .clone()
                    .ok_or_else(|| PatchError("replace without value".into()))?;
                let slot = map.get_mut(&last).ok_or_else(|| {
                    PatchError(format!("path {:?} does not exist", Quoted(&op.path)))
                })?;
                *slot = v;
            }
            (PatchKind::Replace, Value::Array(items)) => {
                let v = op
                    .value
                    .clone()
                    .ok_or_else(|| PatchError("replace without value".into()))?;
                let slot = last
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get_mut(i))
                    .ok_or_else(|| {
                        PatchError(format!("path {:?}: bad array index", Quoted(&op.path)))
                    })?;
                *slot = v;
            }
            _ => {
                return Err(PatchError(format!(
                    "path {:?}: parent is not a container",
                    Quoted(&op.path)
                )));
            }
        }
    }
    Ok(())
}

/// [`apply`] to the JSON text of an object, without reading it into a value: the objects the
/// patch edits are written anew, every other value is copied as written, so the work is one
/// read of the text and of each object the patch edits.
///
/// It takes the patches the policy writes, which edit object members only: of the operations
/// on one member the last decides (`add` and `replace` set it, `remove` drops it), a repeated
/// key counts as the last of its name (as a JSON object reads), and new members come after the
/// others. `None` where an operation does not apply: a `remove` of a member that is not there,
/// a path through a member that is not there or is not an object, a list, the whole document,
/// or a member both set and reached into.
pub fn apply_text(text: &str, ops: &[PatchOp]) -> Option<String> {
    let mut sorted: Vec<&PatchOp> = ops.iter().collect();
    crate::sort::sort_by(&mut sorted, |a, b| a.path.cmp(&b.path));
    let mut out = String::with_capacity(text.len() + 256);
    let used = rewrite(text, "", &sorted, &mut out)?;
    (used == ops.len()).then_some(out)
}

/// Where in `ops` (sorted by path) the operations on `path` are (`deeper`: those below it).
/// Either kind is one run of the sorted paths, found by a binary search: `path` itself sorts
/// first among the paths it starts, and those that go on with `/` come before any other.
fn span(ops: &[&PatchOp], path: &str, deeper: bool) -> Range<usize> {
    let at = |o: &&&PatchOp| -> bool {
        match o.path.strip_prefix(path) {
            Some(rest) if deeper => rest.starts_with('/'),
            Some(rest) => rest.is_empty(),
            None => false,
        }
    };
    // Paths before the run: below `path` (or below `path/`, for the deeper run).
    let start = ops.partition_point(|o| match o.path.strip_prefix(path) {
        Some(rest) => deeper && rest < "/",
        None => o.path.as_str() < path,
    });
    let run = ops.get(start..).unwrap_or_default();
    start..start + run.iter().take_while(at).count()
}

/// Write the object `text`, at pointer `at`, with `ops` (sorted by path, all below `at`);
/// how many of them it applied.
fn rewrite(text: &str, at: &str, ops: &[&PatchOp], out: &mut String) -> Option<usize> {
    let members = crate::json::reader::members(text, crate::MAX_DEPTH).ok()?;
    let paths: Vec<String> = members
        .iter()
        .map(|(key, _)| format!("{at}/{}", pointer::escape(key)))
        .collect();
    // The members reached into (of a repeated key, the last) and the operations below each.
    let mut reached: Vec<(usize, Range<usize>)> = Vec::new();
    for (i, p) in paths.iter().enumerate().rev() {
        let below = span(ops, p, true);
        if !below.is_empty() && !reached.iter().any(|(r, _)| paths.get(*r) == Some(p)) {
            reached.push((i, below));
        }
    }
    // The operations whose member is there (marked at the first of them).
    let mut present = vec![false; ops.len()];
    let mut used = 0;
    out.push('{');
    let mut first = true;
    let mut member = |out: &mut String, key: &str| {
        if !first {
            out.push(',');
        }
        first = false;
        crate::json::write::string(out, key);
        out.push(':');
    };
    for (i, ((key, range), p)) in members.iter().zip(&paths).enumerate() {
        let value = text.get(range.clone()).unwrap_or_default();
        let named = span(ops, p, false);
        if let Some((_, below)) = reached.iter().find(|(r, _)| *r == i) {
            if !named.is_empty() {
                return None;
            }
            member(out, key);
            used += rewrite(value, p, ops.get(below.clone()).unwrap_or_default(), out)?;
        } else if let Some(seen) = present.get_mut(named.start).filter(|_| !named.is_empty()) {
            *seen = true;
        } else {
            member(out, key);
            out.push_str(value);
        }
    }
    // The members the operations name, each once, its operations taken in order.
    let mut next = 0;
    while let Some(op) = ops.get(next) {
        let named = span(ops, &op.path, false);
        next = named.end.max(next + 1);
        let key = op.path.strip_prefix(at).and_then(|k| k.strip_prefix('/'));
        let Some(key) = key.filter(|k| !k.contains('/')) else {
            continue;
        };
        let mut exists = present.get(named.start).copied().unwrap_or(false);
        let mut now = None;
        for op in ops.get(named.clone()).unwrap_or_default() {
            match (op.op, &op.value) {
                (PatchKind::Add, Some(value)) => now = Some(value),
                (PatchKind::Replace, Some(value)) if exists => now = Some(value),
                (PatchKind::Remove, _) if exists => now = None,
                _ => return None,
            }
            exists = now.is_some();
        }
        if let Some(value) = now {
            member(out, &pointer::unescape(key));
            crate::json::write::value(out, value);
        }
        used += named.len();
    }
    out.push('}');
    Some(used)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(kind: PatchKind, path: &str, value: Option<Value>) -> PatchOp {
        PatchOp {
            op: kind,
            path: path.into(),
            value,
        }
    }

    #[test]
    fn applies_add_remove_replace() {
        let mut doc = json!({"metadata": {"annotations": {"a/b": "1"}}, "list": [1, 2]});
        apply(
            &mut doc,
            &[
                op(
                    PatchKind::Add,
                    "/metadata/annotations/c~1d",
                    Some(json!("2")),
                ),
                op(PatchKind::Remove, "/metadata/annotations/a~1b", None),
                op(PatchKind::Replace, "/list/0", Some(json!(9))),
                op(PatchKind::Add, "/list/-", Some(json!(3))),
                op(PatchKind::Add, "/spec", Some(json!({}))),
            ],
        )
        .unwrap();
        assert_eq!(
            doc,
            json!({"metadata": {"annotations": {"c/d": "2"}}, "list": [9, 2, 3], "spec": {}})
        );
    }

    /// `apply_text` on `text` against `apply` on the value serde_json reads from it.
    fn both(text: &str, ops: &[PatchOp]) -> (Result<Value, PatchError>, Option<Value>) {
        let mut doc: Value = serde_json::from_str(text).unwrap();
        let by_value = apply(&mut doc, ops).map(|()| doc);
        let by_text = apply_text(text, ops).map(|out| {
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{out:?} is not JSON: {e}"))
        });
        (by_value, by_text)
    }

    #[test]
    fn text_patches_read_as_value_patches() {
        let text = r#" { "kind" : "Pod", "metadata": {"name": "p", "annotations": {"a\/b": "1", "x": "2", "x": "3"},
            "labels": {"l": "v"}}, "spec": {"containers": [{"image": "nginx"}], "n": 1.50e1} } "#;
        let ops = [
            op(
                PatchKind::Add,
                "/metadata/annotations/c~1d",
                Some(json!("2")),
            ),
            op(PatchKind::Remove, "/metadata/annotations/a~1b", None),
            op(
                PatchKind::Replace,
                "/metadata/annotations/x",
                Some(json!("4")),
            ),
            op(PatchKind::Remove, "/metadata/labels/l", None),
            op(
                PatchKind::Add,
                "/spec/template",
                Some(json!({"metadata": {"annotations": {"k": "v"}}})),
            ),
            op(
                PatchKind::Add,
                "/metadata/annotations/c~1d",
                Some(json!("5")),
            ),
        ];
        let (by_value, by_text) = both(text, &ops);
        assert_eq!(by_text.unwrap(), by_value.unwrap());
        // What is not edited is copied as written.
        let out = apply_text(text, &ops).unwrap();
        assert!(
            out.contains(r#""containers":[{"image": "nginx"}],"n":1.50e1"#),
            "{out}"
        );
    }

    #[test]
    fn text_patches_fail_where_value_patches_fail() {
        let text = r#"{"a": {"b": 1}, "l": [1], "s": "x"}"#;
        for ops in [
            vec![op(PatchKind::Add, "/x/y", Some(json!(1)))],
            vec![op(PatchKind::Remove, "/b", None)],
            vec![op(PatchKind::Replace, "/a/c", Some(json!(1)))],
            vec![op(PatchKind::Add, "no-slash", Some(json!(1)))],
            vec![op(PatchKind::Add, "/s/y", Some(json!(1)))],
            vec![
                op(PatchKind::Remove, "/a/b", None),
                op(PatchKind::Remove, "/a/b", None),
            ],
            vec![op(PatchKind::Add, "/a/c", None)],
        ] {
            let (by_value, by_text) = both(text, &ops);
            assert!(by_value.is_err(), "{ops:?}");
            assert!(by_text.is_none(), "{ops:?}");
        }
        // What the text patch does not take: lists, the whole document, a member both edited
        // and reached into.
        for ops in [
            vec![op(PatchKind::Add, "/l/0", Some(json!(1)))],
            vec![op(PatchKind::Add, "", Some(json!({})))],
            vec![
                op(PatchKind::Add, "/n", Some(json!({}))),
                op(PatchKind::Add, "/n/m", Some(json!(1))),
            ],
        ] {
            let (by_value, by_text) = both(text, &ops);
            assert!(by_value.is_ok(), "{ops:?}");
            assert!(by_text.is_none(), "{ops:?}");
        }
    }

    #[test]
    fn generated_text_patches_read_as_value_patches() {
        let mut next = crate::testing::xorshift(0x9e37_79b9_7f4a_7c15);
        let keys = ["a", "b", "c~1", "d/e", "x\"y"];
        let pick = |n: u64| keys.get(n as usize % keys.len()).copied().unwrap_or("a");
        let top = |n: u64| keys.get(n as usize % 3).copied().unwrap_or("a");
        let (mut agreed, mut refused) = (0, 0);
        for _ in 0..20_000 {
            // A two-level object, some keys repeated.
            let mut text = String::from("{");
            for i in 0..next() % 6 {
                if i > 0 {
                    text.push(',');
                }
                crate::json::write::string(&mut text, &pointer::unescape(top(next())));
                text.push_str(": ");
                if !next().is_multiple_of(5) {
                    text.push('{');
                    for j in 0..next() % 4 {
                        if j > 0 {
                            text.push_str(" ,");
                        }
                        crate::json::write::string(&mut text, &pointer::unescape(pick(next())));
                        text.push_str(&format!(":{}", next() % 100));
                    }
                    text.push('}');
                } else {
                    text.push_str(&format!("[{}]", next() % 10));
                }
            }
            text.push('}');
            let ops: Vec<PatchOp> = (0..1 + next() % 3)
                .map(|_| {
                    let path = match next() % 3 {
                        0 => format!("/{}", pick(next())),
                        _ => format!("/{}/{}", top(next()), pick(next())),
                    };
                    let value = Some(json!({"v": next() % 10}));
                    match next() % 4 {
                        0 | 1 => op(PatchKind::Add, &path, value),
                        2 => op(PatchKind::Remove, &path, None),
                        _ => op(PatchKind::Replace, &path, value),
                    }
                })
                .collect();
            match both(&text, &ops) {
                (Ok(v), Some(t)) => {
                    assert_eq!(t, v, "{text} {ops:?}");
                    agreed += 1;
                }
                (Err(_), None) => refused += 1,
                (Err(e), Some(t)) => panic!("{text} {ops:?}: by value {e:?}, by text {t}"),
                (Ok(v), None) => {
                    // Only where a list is edited or a member is both set and reached into.
                    let doc: Value = serde_json::from_str(&text).unwrap();
                    let first = |o: &PatchOp| {
                        pointer::unescape(o.path.split('/').nth(1).unwrap_or_default())
                    };
                    let list = ops
                        .iter()
                        .any(|o| matches!(doc.get(first(o)), Some(Value::Array(_))));
                    let both = ops.iter().any(|o| o.path.matches('/').count() == 1)
                        && ops.iter().any(|o| o.path.matches('/').count() == 2);
                    assert!(list || both, "{text} {ops:?}: {v} by value only");
                }
            }
        }
        assert!(agreed > 3_000 && refused > 3_000, "{agreed} {refused}");
    }

    #[test]
    fn reports_missing_parents() {
        let mut doc = json!({"a": 1});
        assert!(apply(&mut doc, &[op(PatchKind::Add, "/x/y", Some(json!(1)))]).is_err());
        assert!(apply(&mut doc, &[op(PatchKind::Remove, "/b", None)]).is_err());
        assert!(apply(&mut doc, &[op(PatchKind::Add, "no-slash", Some(json!(1)))]).is_err());
    }
}
