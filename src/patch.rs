//! Building and applying RFC 6902 patches.

#![forbid(unsafe_code)]

use crate::json::pointer;
use crate::verdict::{PatchKind, PatchOp};
use serde_json::Value;

/// Why a patch did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError(pub String);

impl core::fmt::Display for PatchError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

fn split_pointer(path: &str) -> Result<(Vec<String>, String), PatchError> {
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| PatchError(format!("path {path:?} does not start with '/'")))?;
    let mut tokens: Vec<String> = rest.split('/').map(pointer::unescape).collect();
    let last = tokens
        .pop()
        .ok_or_else(|| PatchError(format!("path {path:?} is empty")))?;
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
        .ok_or_else(|| PatchError(format!("path {path:?}: {token:?} does not exist")))?;
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
                            PatchError(format!("path {:?}: bad array index", op.path))
                        })?;
                    items.insert(i, v);
                }
            }
            (PatchKind::Remove, Value::Object(map)) => {
                map.remove(&last)
                    .ok_or_else(|| PatchError(format!("path {:?} does not exist", op.path)))?;
            }
            (PatchKind::Remove, Value::Array(items)) => {
                let i = last
                    .parse::<usize>()
                    .ok()
                    .filter(|i| *i < items.len())
                    .ok_or_else(|| PatchError(format!("path {:?}: bad array index", op.path)))?;
                items.remove(i);
            }
            (PatchKind::Replace, Value::Object(map)) => {
                let v = op
                    .value
                    .clone()
                    .ok_or_else(|| PatchError("replace without value".into()))?;
                let slot = map
                    .get_mut(&last)
                    .ok_or_else(|| PatchError(format!("path {:?} does not exist", op.path)))?;
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
                    .ok_or_else(|| PatchError(format!("path {:?}: bad array index", op.path)))?;
                *slot = v;
            }
            _ => {
                return Err(PatchError(format!(
                    "path {:?}: parent is not a container",
                    op.path
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
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

    #[test]
    fn reports_missing_parents() {
        let mut doc = json!({"a": 1});
        assert!(apply(&mut doc, &[op(PatchKind::Add, "/x/y", Some(json!(1)))]).is_err());
        assert!(apply(&mut doc, &[op(PatchKind::Remove, "/b", None)]).is_err());
        assert!(apply(&mut doc, &[op(PatchKind::Add, "no-slash", Some(json!(1)))]).is_err());
    }
}
