//! YAML text to JSON values (feature `yaml`): settings files and manifests may be YAML.
//!
//! Duplicate keys resolve as the API server's decoder does: the last one wins.

#![forbid(unsafe_code)]

use serde_json::Value;

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins,
    }
}

/// Parse one YAML document into a JSON value (empty text is `null`).
pub fn to_value(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_saphyr::from_str_with_options::<Value>(text, options()).map_err(|e| e.to_string())
}

/// Parse a YAML stream (`---`-separated documents) into one JSON value per document.
pub fn to_values(text: &str) -> Result<Vec<Value>, String> {
    serde_saphyr::from_multiple_with_options::<Value>(text, options()).map_err(|e| e.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        let v = to_value("a: 1\na: 2\n").unwrap();
        assert_eq!(v["a"], 2);
        assert_eq!(to_value(" \n").unwrap(), Value::Null);
        assert_eq!(to_values("a: 1\n---\nb: 2\n").unwrap().len(), 2);
    }
}
