//! Reading manifests: YAML or JSON, several documents, `List` kinds unrolled.

#![forbid(unsafe_code)]

use serde_json::Value;

/// One object found in a manifest file.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// `"<doc index>"`, or `"<doc index>/items/<i>"` for items of a `List`.
    pub locator: String,
    /// 1-based line where the document starts (0 when unknown).
    pub line: usize,
    pub value: Value,
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

/// Lines at which each `---`-separated YAML document starts.
fn doc_start_lines(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut pending = Some(1usize);
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.starts_with("---") {
            pending = Some(n + 1);
            continue;
        }
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with('%') {
            continue;
        }
        if let Some(p) = pending.take() {
            starts.push(p.max(1).min(n));
        }
    }
    starts
}

/// Read every object of a manifest (YAML stream or JSON; JSON arrays and `List`s unrolled).
pub fn parse_documents(text: &str) -> Result<Vec<Document>, ManifestError> {
    let trimmed = text.trim_start_matches('\u{feff}');
    let first = trimmed.trim_start().chars().next();
    let docs: Vec<Value> = if matches!(first, Some('{' | '[')) {
        match serde_json::from_str::<Value>(trimmed) {
            Ok(Value::Array(items)) => items,
            Ok(v) => vec![v],
            Err(json_err) => match crate::yaml::to_values(trimmed) {
                Ok(v) => v,
                Err(_) => return Err(ManifestError(format!("not valid JSON: {json_err}"))),
            },
        }
    } else {
        crate::yaml::to_values(trimmed)
            .map_err(|e| ManifestError(format!("not valid YAML: {e}")))?
    };
    let lines = doc_start_lines(trimmed);
    let mut out = Vec::new();
    let mut line_iter = lines.into_iter();
    for (i, doc) in docs.into_iter().enumerate() {
        if doc.is_null() {
            continue;
        }
        let line = line_iter.next().unwrap_or(0);
        let is_list = doc
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k == "List" || k.ends_with("List"))
            && doc.get("items").is_some_and(Value::is_array);
        if is_list {
            if let Some(Value::Array(items)) = doc.get("items") {
                for (j, item) in items.iter().enumerate() {
                    out.push(Document {
                        locator: format!("{i}/items/{j}"),
                        line,
                        value: item.clone(),
                    });
                }
            }
        } else {
            out.push(Document {
                locator: i.to_string(),
                line,
                value: doc,
            });
        }
    }
    Ok(out)
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
        assert_eq!(docs[1].line, 3);
        let docs = parse_documents(r#"[{"kind":"Pod"},{"kind":"Job"}]"#).unwrap();
        assert_eq!(docs.len(), 2);
        assert!(parse_documents("a: [1, 2\n").is_err());
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        let v = yaml_to_value("a: 1\na: 2\n").unwrap();
        assert_eq!(v["a"], 2);
    }
}
