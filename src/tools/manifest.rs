//! Reading manifests: YAML or JSON, several documents, `List` kinds unrolled.

#![forbid(unsafe_code)]

use super::positions::{self, PosTree};
use serde_json::Value;

/// One object found in a manifest file.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// `"<doc index>"`, or `"<doc index>/items/<i>"` for items of a `List` (and
    /// `"<doc index>/items/<i>/items/<j>"` for items of a `List` inside it, and so on).
    pub locator: String,
    /// 1-based line where the object starts (0 when unknown).
    pub line: usize,
    pub value: Value,
    /// Where each part of the object is in the source text (`None` when unknown).
    pub positions: Option<PosTree>,
}

/// Why a manifest could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError(pub String);

impl core::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parse one YAML document into a JSON value (duplicate keys: last wins, as the API server does).
pub fn yaml_to_value(text: &str) -> Result<Value, ManifestError> {
    crate::yaml::to_value(text).map_err(ManifestError)
}

/// Read every object of a manifest (YAML stream or JSON; JSON arrays and `List`s unrolled,
/// `List`s inside `List`s too), each with its source positions.
pub fn parse_documents(text: &str) -> Result<Vec<Document>, ManifestError> {
    let trimmed = text.trim_start_matches('\u{feff}');
    // The BOM is one character: columns on the first line shift by it, lines do not.
    let first = trimmed.trim_start().chars().next();
    let docs: Vec<(Value, Option<PosTree>)> = if matches!(first, Some('{' | '[')) {
        match serde_json::from_str::<Value>(trimmed) {
            Ok(value) => {
                let tree = positions::json_tree(trimmed);
                match (value, tree) {
                    (Value::Array(items), Some(PosTree::Seq(_, trees)))
                        if items.len() == trees.len() =>
                    {
                        items.into_iter().zip(trees.into_iter().map(Some)).collect()
                    }
                    (Value::Array(items), _) => items.into_iter().map(|v| (v, None)).collect(),
                    (v, tree) => vec![(v, tree)],
                }
            }
            Err(json_err) => match crate::yaml::to_located(trimmed) {
                Ok(v) => v.into_iter().map(|d| (d.value, Some(d.tree))).collect(),
                Err(_) => return Err(ManifestError(format!("not valid JSON: {json_err}"))),
            },
        }
    } else {
        crate::yaml::to_located(trimmed)
            .map_err(|e| ManifestError(format!("not valid YAML: {e}")))?
            .into_iter()
            .map(|d| (d.value, Some(d.tree)))
            .collect()
    };
    let mut out = Vec::new();
    for (i, (doc, tree)) in docs.into_iter().enumerate() {
        if doc.is_null() {
            continue;
        }
        unroll(doc, tree, i.to_string(), &mut out)?;
    }
    Ok(out)
}

/// How deep `List`s may nest in one another: each level is a mapping and its `items`, so this
/// is as deep as [`crate::MAX_DEPTH`] levels of nesting hold. Deeper is an error, not a silent cut.
pub const MAX_LIST_NESTING: usize = crate::MAX_DEPTH / 2;

/// Whether a document is a `List` (kind `List` or any `*List` kind) with an `items` array.
fn is_list(doc: &Value) -> bool {
    doc.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && doc.get("items").is_some_and(Value::is_array)
}

/// Push the objects of one document onto `out`, in order: the document itself, or the items of
/// a `List`, `List`s inside it unrolled too (as kubectl does), without recursion.
fn unroll(
    doc: Value,
    tree: Option<PosTree>,
    locator: String,
    out: &mut Vec<Document>,
) -> Result<(), ManifestError> {
    // Last in, first out: a List's items are pushed in reverse so they come out in order.
    let mut stack = vec![(doc, tree, locator, 0usize)];
    while let Some((mut value, tree, locator, depth)) = stack.pop() {
        if !is_list(&value) {
            out.push(Document {
                locator,
                line: tree.as_ref().map_or(0, |t| t.pos().line),
                value,
                positions: tree,
            });
            continue;
        }
        if depth >= MAX_LIST_NESTING {
            return Err(ManifestError(format!(
                "Lists nested more than {MAX_LIST_NESTING} deep at {locator}"
            )));
        }
        let mut item_trees = match tree.as_ref().and_then(|t| t.get("/items")) {
            Some(PosTree::Seq(_, trees)) => trees.clone(),
            _ => Vec::new(),
        };
        if let Some(Value::Array(items)) = value.get_mut("items").map(Value::take) {
            item_trees.resize(items.len(), PosTree::Leaf(positions::Pos::default()));
            for (j, (item, item_tree)) in items.into_iter().zip(item_trees).enumerate().rev() {
                let item_tree = (item_tree.pos().line > 0).then_some(item_tree);
                stack.push((item, item_tree, format!("{locator}/items/{j}"), depth + 1));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn reads_streams_lists_and_json() {
        let docs =
            parse_documents("a: 1\n---\nkind: List\nitems:\n- {kind: Pod}\n- {kind: Job}\n---\n")
                .unwrap();
        let locators: Vec<&str> = docs.iter().map(|d| d.locator.as_str()).collect();
        assert_eq!(locators, ["0", "1/items/0", "1/items/1"]);
        // The first item of the List, on its own line.
        assert_eq!(docs[1].line, 5);
        let docs = parse_documents(r#"[{"kind":"Pod"},{"kind":"Job"}]"#).unwrap();
        assert_eq!(docs.len(), 2);
        assert!(parse_documents("a: [1, 2\n").is_err());
    }

    #[test]
    fn lists_inside_lists_are_unrolled_in_order() {
        let text = "kind: List\nitems:\n- {kind: Pod, metadata: {name: a}}\n- kind: List\n  items:\n  - {kind: Pod, metadata: {name: b}}\n  - kind: PodList\n    items: [{kind: Pod, metadata: {name: c}}]\n  - {kind: Job}\n- {kind: ConfigMapList, items: []}\n- {kind: Secret}\n";
        let docs = parse_documents(text).unwrap();
        let locators: Vec<&str> = docs.iter().map(|d| d.locator.as_str()).collect();
        assert_eq!(
            locators,
            [
                "0/items/0",
                "0/items/1/items/0",
                "0/items/1/items/1/items/0",
                "0/items/1/items/2",
                "0/items/3"
            ]
        );
        assert_eq!(docs[2].value["metadata"]["name"], "c");
        // Each item starts on its own line (the flow items here share the List's lines).
        assert_eq!(
            docs.iter().map(|d| d.line).collect::<Vec<_>>(),
            [3, 6, 8, 9, 11]
        );
        // A `*List` kind without an items array is an object like any other.
        let docs = parse_documents("kind: NetworkPolicyList\nitems: 3\n").unwrap();
        assert_eq!(docs[0].locator, "0");
    }

    #[test]
    fn list_nesting_is_bounded_without_recursion() {
        let mut v = serde_json::json!({"kind": "Pod"});
        for _ in 0..MAX_LIST_NESTING {
            v = serde_json::json!({"kind": "List", "items": [v]});
        }
        let text = serde_json::to_string(&v).unwrap();
        let docs = parse_documents(&text).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].locator.matches("/items/").count(), MAX_LIST_NESTING);
        let deeper = serde_json::json!({"kind": "List", "items": [v]});
        let err = parse_documents(&serde_json::to_string(&deeper).unwrap()).unwrap_err();
        assert!(err.0.contains("nested more than"), "{err}");
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        let v = yaml_to_value("a: 1\na: 2\n").unwrap();
        assert_eq!(v["a"], 2);
    }
}
