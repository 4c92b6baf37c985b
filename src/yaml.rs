//! YAML text to JSON values, with where each value sits in the text (feature `yaml`):
//! settings files and manifests may be YAML.
//!
//! Built on `granit-parser`'s event stream, resolving scalars by the YAML 1.2 core schema:
//! `null`/`~`/empty, `true`/`false` (and their capitalised forms), integers (also `0x`, `0o`),
//! floats (also `.inf`, `.nan`, which JSON cannot hold: they stay text); quoted and block
//! scalars are strings, and so is anything tagged `!!str`. Anchors and aliases expand within a
//! budget (a "billion laughs" text is an error, not a gigabyte); merge keys (`<<`) merge, the
//! mapping's own keys first. Duplicate keys resolve as the API server's decoder does: the last
//! one wins. Nesting is bounded by the parser (an error past [`MAX_NESTING`] levels).

#![forbid(unsafe_code)]

use crate::tools::positions::{Pos, PosTree};
use granit_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};
use serde_json::{Map, Number, Value};

/// How deep block and flow collections may nest (the parser refuses deeper text).
pub const MAX_NESTING: usize = 128;

/// Values that aliases may add beyond those written: expansion past this many nodes (or the
/// text's length in bytes, when larger) is an error.
pub const ALIAS_BUDGET: usize = 100_000;

/// One document of a YAML stream: its value and where each part of it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub value: Value,
    pub tree: PosTree,
}

/// Parse one YAML document into a JSON value (empty text is `null`; a stream's first document).
pub fn to_value(text: &str) -> Result<Value, String> {
    Ok(to_located(text)?
        .into_iter()
        .next()
        .map(|d| d.value)
        .unwrap_or(Value::Null))
}

/// Parse a YAML stream into its documents, each with its position tree.
pub fn to_located(text: &str) -> Result<Vec<Located>, String> {
    let options = granit_parser::options! {
        flow_nesting_limit: MAX_NESTING,
        block_nesting_limit: MAX_NESTING,
        emit_comments: false,
    };
    let mut loader = Loader {
        stack: Vec::new(),
        anchors: Vec::new(),
        docs: Vec::new(),
        budget: ALIAS_BUDGET.max(text.len()),
    };
    for event in Parser::new_from_str_with_options(text, options) {
        let (event, span) = event.map_err(|e| scan_error(&e))?;
        loader.event(event, span)?;
    }
    Ok(loader.docs)
}

fn scan_error(e: &ScanError) -> String {
    let mark = e.marker();
    format!(
        "{} at line {} column {}",
        e.info(),
        mark.line(),
        mark.col() + 1
    )
}

fn pos(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

/// A finished node: its value, positions and how many nodes it holds (for the alias budget).
struct Node {
    value: Value,
    tree: PosTree,
    size: usize,
}

/// A mapping key waiting for its value.
struct Key {
    text: String,
    at: Pos,
    /// A plain `<<`: its value is merged.
    merge: bool,
}

/// A mapping merged in with `<<`: its entries and their positions.
type Merged = (Map<String, Value>, Vec<(String, Pos, PosTree)>);

enum Open {
    Seq {
        at: Pos,
        anchor: usize,
        values: Vec<Value>,
        trees: Vec<PosTree>,
        size: usize,
    },
    Map {
        at: Pos,
        anchor: usize,
        values: Map<String, Value>,
        trees: Vec<(String, Pos, PosTree)>,
        size: usize,
        key: Option<Key>,
        /// Mappings merged in with `<<`, in order (the first one wins among them).
        merges: Vec<Merged>,
    },
}

struct Loader {
    stack: Vec<Open>,
    /// Anchored nodes by anchor id, sorted by id (a sorted list: a hash map would add its own
    /// code to the playground).
    anchors: Vec<(usize, (Value, PosTree, usize))>,
    docs: Vec<Located>,
    /// Nodes aliases may still add.
    budget: usize,
}

impl Loader {
    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), String> {
        let at = pos(&span);
        match event {
            Event::DocumentStart(..) => {
                self.anchors.clear();
                Ok(())
            }
            Event::Scalar(text, style, anchor, tag) => {
                let value = resolve(&text, style, tag.as_deref())
                    .map_err(|e| format!("{e} at line {} column {}", at.line, at.column))?;
                let key_text = matches!(style, ScalarStyle::Plain) && tag.is_none() && text == "<<";
                self.finish(
                    Node {
                        value,
                        tree: PosTree::Leaf(at),
                        size: 1,
                    },
                    anchor,
                    key_text,
                )
            }
            Event::SequenceStart(_, anchor, _) => {
                self.stack.push(Open::Seq {
                    at,
                    anchor,
                    values: Vec::new(),
                    trees: Vec::new(),
                    size: 1,
                });
                Ok(())
            }
            Event::MappingStart(_, anchor, _) => {
                self.stack.push(Open::Map {
                    at,
                    anchor,
                    values: Map::new(),
                    trees: Vec::new(),
                    size: 1,
                    key: None,
                    merges: Vec::new(),
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Open::Seq {
                        at,
                        anchor,
                        values,
                        trees,
                        size,
                    }) => (
                        Node {
                            value: Value::Array(values),
                            tree: PosTree::Seq(at, trees),
                            size,
                        },
                        anchor,
                    ),
                    Some(Open::Map {
                        at,
                        anchor,
                        mut values,
                        mut trees,
                        size,
                        merges,
                        ..
                    }) => {
                        for (merged, merged_trees) in merges {
                            for (k, v) in merged {
                                if !values.contains_key(&k) {
                                    if let Some(t) =
                                        merged_trees.iter().rev().find(|(mk, _, _)| *mk == k)
                                    {
                                        trees.push(t.clone());
                                    }
                                    values.insert(k, v);
                                }
                            }
                        }
                        (
                            Node {
                                value: Value::Object(values),
                                tree: PosTree::Map(at, trees),
                                size,
                            },
                            anchor,
                        )
                    }
                    None => return Err("unbalanced YAML events".into()),
                };
                self.finish(node, anchor, false)
            }
            Event::Alias(id) => {
                let anchored = self
                    .anchors
                    .binary_search_by_key(&id, |(a, _)| *a)
                    .ok()
                    .and_then(|i| self.anchors.get(i));
                let (value, tree, size) = anchored.map(|(_, n)| n.clone()).ok_or_else(|| {
                    format!(
                        "alias at line {} column {} refers to a node that is not complete yet",
                        at.line, at.column
                    )
                })?;
                self.budget = self.budget.checked_sub(size).ok_or_else(|| {
                    format!(
                        "aliases expand to more than {} nodes (at line {} column {})",
                        ALIAS_BUDGET, at.line, at.column
                    )
                })?;
                self.finish(Node { value, tree, size }, 0, false)
            }
            Event::UnresolvedAlias(name) => Err(format!(
                "unknown anchor {name:?} at line {} column {}",
                at.line, at.column
            )),
            _ => Ok(()),
        }
    }

    /// Put a finished node where it belongs: a document, a sequence item, a key or a value.
    fn finish(&mut self, node: Node, anchor: usize, merge_key: bool) -> Result<(), String> {
        if anchor != 0 {
            let anchored = (node.value.clone(), node.tree.clone(), node.size);
            match self.anchors.binary_search_by_key(&anchor, |(a, _)| *a) {
                Ok(i) => {
                    if let Some(slot) = self.anchors.get_mut(i) {
                        slot.1 = anchored;
                    }
                }
                Err(i) => self.anchors.insert(i, (anchor, anchored)),
            }
        }
        match self.stack.last_mut() {
            None => {
                self.docs.push(Located {
                    value: node.value,
                    tree: node.tree,
                });
                Ok(())
            }
            Some(Open::Seq {
                values,
                trees,
                size,
                ..
            }) => {
                values.push(node.value);
                trees.push(node.tree);
                *size = size.saturating_add(node.size);
                Ok(())
            }
            Some(Open::Map {
                values,
                trees,
                size,
                key,
                merges,
                ..
            }) => {
                *size = size.saturating_add(node.size);
                let Some(k) = key.take() else {
                    let at = node.tree.pos();
                    *key = Some(Key {
                        text: key_text(node.value).ok_or_else(|| {
                            format!(
                                "a mapping key at line {} column {} is not a scalar",
                                at.line, at.column
                            )
                        })?,
                        at,
                        merge: merge_key,
                    });
                    return Ok(());
                };
                if k.merge {
                    merge_sources(node, k.at, merges)?;
                    return Ok(());
                }
                values.insert(k.text.clone(), node.value);
                trees.push((k.text, k.at, node.tree));
                Ok(())
            }
        }
    }
}

/// The mappings a `<<` value merges: one mapping, or a sequence of them.
fn merge_sources(node: Node, at: Pos, merges: &mut Vec<Merged>) -> Result<(), String> {
    let bad = || {
        format!(
            "the merge key `<<` at line {} column {} needs a mapping or a list of mappings",
            at.line, at.column
        )
    };
    match (node.value, node.tree) {
        (Value::Object(map), PosTree::Map(_, trees)) => merges.push((map, trees)),
        (Value::Array(items), PosTree::Seq(_, item_trees)) => {
            for (item, tree) in items.into_iter().zip(item_trees) {
                match (item, tree) {
                    (Value::Object(map), PosTree::Map(_, trees)) => merges.push((map, trees)),
                    _ => return Err(bad()),
                }
            }
        }
        _ => return Err(bad()),
    }
    Ok(())
}

/// A scalar key as JSON object keys are: text (`80: x` is the key "80", `~: x` the key "null").
fn key_text(value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        Value::Null => Some("null".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// The value of a scalar, by its style and tag (YAML 1.2 core schema).
fn resolve(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let core = tag.filter(|t| t.is_yaml_core_schema());
    if let Some(tag) = core {
        let want = tag.suffix();
        let bad = || format!("{text:?} is not a valid !!{want}");
        return match want {
            "str" => Ok(Value::String(text.to_owned())),
            "null" => Ok(Value::Null),
            "bool" => core_bool(text).map(Value::Bool).ok_or_else(bad),
            "int" => core_int(text).ok_or_else(bad),
            "float" => core_float(text)
                .or_else(|| core_int(text).and_then(|v| v.as_f64().map(float)))
                .ok_or_else(bad),
            _ => Err(format!("a scalar cannot be !!{want}")),
        };
    }
    if tag.is_some() || !matches!(style, ScalarStyle::Plain) {
        return Ok(Value::String(text.to_owned()));
    }
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Ok(Value::Null);
    }
    if let Some(b) = core_bool(text) {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = core_int(text) {
        return Ok(n);
    }
    Ok(core_float(text).unwrap_or_else(|| Value::String(text.to_owned())))
}

fn core_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`. Too large for 64 bits: a float, as JSON has it.
fn core_int(text: &str) -> Option<Value> {
    let radix = |digits: &str, radix: u32| {
        (!digits.is_empty() && digits.chars().all(|c| c.is_digit(radix)))
            .then(|| u64::from_str_radix(digits, radix).ok().map(Value::from))
            .flatten()
    };
    if let Some(hex) = text.strip_prefix("0x") {
        return radix(hex, 16);
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return radix(oct, 8);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Ok(i) = text.parse::<i64>() {
        return Some(Value::from(i));
    }
    if let Ok(u) = digits.parse::<u64>()
        && !text.starts_with('-')
    {
        return Some(Value::from(u));
    }
    text.parse::<f64>().ok().map(float)
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?.inf`, `.nan`.
fn core_float(text: &str) -> Option<Value> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(text, ".nan" | ".NaN" | ".NAN") {
        // JSON has no infinity or NaN: the text stays as written.
        return Some(Value::String(text.to_owned()));
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (unsigned.get(..i)?, Some(unsigned.get(i + 1..)?)),
        None => (unsigned, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => digits(int) && digits(f) && !(int.is_empty() && f.is_empty()),
        None => !int.is_empty() && digits(int),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    // An integer without fraction or exponent is core_int's.
    if !mantissa_ok || !exponent_ok || (frac.is_none() && exponent.is_none()) {
        return None;
    }
    text.parse::<f64>().ok().map(float)
}

fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// A JSON value as a YAML document in block style (ends with a newline). Strings that another
/// reader could take for something else (`"true"`, `"yes"`, `"1.0"`, `": "`...) are quoted.
pub fn to_text(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => emit_map(m, 0, &mut out),
        Value::Array(a) if !a.is_empty() => emit_seq(a, 0, &mut out),
        scalar => {
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
    out
}

/// A scalar (or empty collection) as it is written after `key: ` or `- `.
fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar_text(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// A string plain when every YAML reader (1.1 ones too) reads it back as that string, else
/// double-quoted (JSON escapes are YAML escapes).
pub fn scalar_text(s: &str) -> String {
    let yaml11 = matches!(
        s.to_ascii_lowercase().as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null" | "~"
    );
    let plain = !s.is_empty()
        && !yaml11
        && s.trim() == s
        && s.chars().next().is_some_and(|c| {
            c.is_alphanumeric() || matches!(c, '/' | '_' | '.' | '(' | '$' | '^' | '+' | '=' | ';')
        })
        && !s.chars().any(|c| {
            c.is_control()
                || matches!(
                    c,
                    '{' | '}'
                        | '['
                        | ']'
                        | ','
                        | '#'
                        | '&'
                        | '*'
                        | '!'
                        | '|'
                        | '>'
                        | '\''
                        | '"'
                        | '%'
                        | '@'
                        | '`'
                        | '\\'
                )
        })
        && !s.contains(": ")
        && !s.ends_with(':')
        && matches!(resolve(s, ScalarStyle::Plain, None), Ok(Value::String(_)))
        && s != "<<";
    if plain {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

fn emit_map(map: &Map<String, Value>, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for (k, v) in map {
        out.push_str(&pad);
        out.push_str(&scalar_text(k));
        out.push(':');
        emit_value(v, indent, true, out);
    }
}

fn emit_seq(items: &[Value], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for item in items {
        out.push_str(&pad);
        out.push('-');
        emit_value(item, indent, false, out);
    }
}

/// The rest of a line after `key:` or `-`, and the block below it.
fn emit_value(value: &Value, indent: usize, in_map: bool, out: &mut String) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            if in_map {
                out.push('\n');
                emit_map(m, indent + 2, out);
            } else {
                // `- key: value` with the other keys under the first one.
                out.push(' ');
                let mut inner = String::new();
                emit_map(m, indent + 2, &mut inner);
                out.push_str(inner.get(indent + 2..).unwrap_or_default());
            }
        }
        Value::Array(a) if !a.is_empty() => {
            if in_map {
                out.push('\n');
                emit_seq(a, indent, out);
            } else {
                out.push(' ');
                let mut inner = String::new();
                emit_seq(a, indent + 2, &mut inner);
                out.push_str(inner.get(indent + 2..).unwrap_or_default());
            }
        }
        scalar => {
            out.push(' ');
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    fn to_values(text: &str) -> Result<Vec<Value>, String> {
        Ok(to_located(text)?.into_iter().map(|d| d.value).collect())
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        let v = to_value("a: 1\na: 2\n").unwrap();
        assert_eq!(v["a"], 2);
        assert_eq!(to_value(" \n").unwrap(), Value::Null);
        assert_eq!(to_values("a: 1\n---\nb: 2\n").unwrap().len(), 2);
        let doc = &to_located("a: 1\nb: 0\na: 2\n").unwrap()[0];
        assert_eq!(doc.tree.locate("/a"), Pos { line: 3, column: 1 });
    }

    #[test]
    fn scalars_resolve_by_the_core_schema() {
        let v = to_value(concat!(
            "n: [~, null, Null, NULL]\ne:\n",
            "b: [true, True, TRUE, false, FALSE, yes, no, on]\n",
            "i: [0, -12, +7, 0x1F, 0o17, 017, 12345678901234567890]\n",
            "f: [1.5, -.5, 1e3, 2.5E-1, .inf, -.Inf, .nan, 1.]\n",
            "s: ['1', \"true\", !!str 12, !!str null, 1.2.3, 0x, 0o9, 1e]\nblk: |\n  text\n",
            "t: [!!int '42', !!float '1', !!bool 'false', !!null '', !custom 12]\n",
        ))
        .unwrap();
        assert_eq!(v["n"], json!([null, null, null, null]));
        assert_eq!(v["e"], Value::Null);
        assert_eq!(
            v["b"],
            json!([true, true, true, false, false, "yes", "no", "on"])
        );
        assert_eq!(
            v["i"],
            json!([0, -12, 7, 31, 15, 17, 12345678901234567890u64])
        );
        assert_eq!(
            v["f"],
            json!([1.5, -0.5, 1000.0, 0.25, ".inf", "-.Inf", ".nan", 1.0])
        );
        assert_eq!(
            v["s"],
            json!(["1", "true", "12", "null", "1.2.3", "0x", "0o9", "1e"])
        );
        assert_eq!(v["t"], json!([42, 1.0, false, null, "12"]));
        assert_eq!(v["blk"], "text\n");
        assert!(to_value("a: !!int twelve\n").unwrap_err().contains("!!int"));
        // Keys are text.
        let v = to_value("80: http\ntrue: t\n~: n\n").unwrap();
        assert_eq!(v, json!({"80": "http", "true": "t", "null": "n"}));
        assert!(
            to_value("? [a]\n: b\n")
                .unwrap_err()
                .contains("not a scalar")
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let text = "base: &b {x: 1, y: 2}\nother: &o {y: 3, z: 4}\nuse:\n  <<: [*b, *o]\n  x: 9\none: {<<: *b}\nlist: [*b, *b]\nquoted: {\"<<\": 1}\n";
        let v = to_value(text).unwrap();
        assert_eq!(v["use"], json!({"x": 9, "y": 2, "z": 4}));
        assert_eq!(v["one"], json!({"x": 1, "y": 2}));
        assert_eq!(v["list"][1], json!({"x": 1, "y": 2}));
        assert_eq!(v["quoted"], json!({"<<": 1}));
        let doc = &to_located(text).unwrap()[0];
        // A merged key points at its definition; an own key at itself.
        assert_eq!(doc.tree.locate("/use/x"), Pos { line: 5, column: 3 });
        assert_eq!(
            doc.tree.locate("/use/y"),
            Pos {
                line: 1,
                column: 17
            }
        );
        assert!(to_value("a: {<<: 1}\n").unwrap_err().contains("merge key"));
        assert!(to_value("a: *nothing\n").is_err());
    }

    #[test]
    fn alias_expansion_is_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = format!("*a{}", i - 1);
            let items = vec![prev; 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{items}]\n"));
        }
        let err = to_value(&text).unwrap_err();
        assert!(err.contains("aliases expand"), "{err}");
        // A few aliases are fine.
        assert!(to_value("a: &a [1, 2]\nb: [*a, *a]\n").is_ok());
    }

    #[test]
    fn positions_of_keys_items_and_documents() {
        let text = "# a comment\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    k8s.aliyun.com/acr-instance-ids: \"cri-x\"\nspec:\n  containers:\n  - name: app\n    image: nginx\n  - {name: b, image: \"é\"}\n---\nkind: Job\n";
        let docs = to_located(text).unwrap();
        assert_eq!(docs.len(), 2);
        let tree = &docs[0].tree;
        assert_eq!(tree.pos(), Pos { line: 2, column: 1 });
        assert_eq!(
            tree.locate("/metadata/annotations/k8s.aliyun.com~1acr-instance-ids"),
            Pos { line: 7, column: 5 }
        );
        assert_eq!(
            tree.locate("/spec/containers/0"),
            Pos {
                line: 10,
                column: 5
            }
        );
        assert_eq!(
            tree.locate("/spec/containers/1/image"),
            Pos {
                line: 12,
                column: 15
            }
        );
        assert_eq!(
            tree.locate("/spec/containers/0/image"),
            Pos {
                line: 11,
                column: 5
            }
        );
        assert_eq!(
            tree.locate("/spec/template/metadata"),
            Pos { line: 8, column: 1 }
        );
        assert_eq!(
            docs[1].tree.pos(),
            Pos {
                line: 14,
                column: 1
            }
        );
    }

    #[test]
    fn values_written_as_yaml_read_back_the_same() {
        let v = json!({
            "apiVersion": "v1",
            "metadata": {"name": "p", "annotations": {"a/b": "true", "c": "1.0", "d": "yes", "e": "x: y", "f": "", "g": "cri-j36zhodptmyq1234,cn-beijing:cri-x"}},
            "spec": {"containers": [{"name": "a", "args": ["-c", "echo #1"], "ports": [{"containerPort": 80}]}, {"name": "b", "env": []}], "n": null, "m": {}},
            "list": [[1, 2], [{"k": "v"}]],
        });
        let text = to_text(&v);
        assert_eq!(to_value(&text).unwrap(), v, "{text}");
        assert!(
            text.contains("  annotations:\n    a/b: \"true\"\n"),
            "{text}"
        );
        assert!(
            text.contains("  containers:\n  - name: a\n    args:\n    - \"-c\"\n"),
            "{text}"
        );
        assert_eq!(to_text(&json!("x")), "x\n");
    }

    #[test]
    fn nesting_is_bounded_and_bad_text_is_an_error() {
        let deep = format!(
            "{}{}",
            "[".repeat(MAX_NESTING + 1),
            "]".repeat(MAX_NESTING + 1)
        );
        assert!(to_value(&deep).is_err());
        let ok = format!("{}{}", "[".repeat(60), "]".repeat(60));
        assert!(to_value(&ok).is_ok());
        let err = to_value("a: [1, 2\n").unwrap_err();
        assert!(err.contains("line"), "{err}");
        assert!(to_value("a: b: c\n").is_err());
        // Several documents, empty ones included.
        assert_eq!(
            to_values("---\n---\na: 1\n").unwrap(),
            [Value::Null, json!({"a": 1})]
        );
    }
}
