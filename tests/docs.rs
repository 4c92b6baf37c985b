//! The rule tables in the docs are generated from `src/rules.rs`: `policies/README.md` whole
//! (what `secretfree rules --markdown` prints) and `README.md` between its
//! `<!-- rules:start -->` and `<!-- rules:end -->` lines.
//!
//! The test fails when either file differs from the generated text. `just rules-readme` runs it
//! with `SECRETFREE_WRITE_DOCS=1`, which writes the generated text instead.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use secretfree::rules;
use std::path::Path;

const START: &str = "<!-- rules:start -->\n";
const END: &str = "<!-- rules:end -->";
const FIX: &str = "just rules-readme";
const FIX_WITHOUT_JUST: &str = "SECRETFREE_WRITE_DOCS=1 cargo test --test docs";

/// `readme` with the text between the markers replaced by `table`.
fn splice(readme: &str, table: &str) -> Result<String, String> {
    let (head, rest) = readme
        .split_once(START)
        .ok_or("no `<!-- rules:start -->` line")?;
    let (_, tail) = rest
        .split_once(END)
        .ok_or("no `<!-- rules:end -->` after `<!-- rules:start -->`")?;
    Ok(format!("{head}{START}{table}{END}{tail}"))
}

#[test]
fn rule_tables_are_generated_from_the_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let write = std::env::var_os("SECRETFREE_WRITE_DOCS").is_some_and(|v| v != "0");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let spliced = splice(&readme, &rules::markdown_table())
        .unwrap_or_else(|e| panic!("README.md: {e}; put the markers around the rule table"));
    let mut stale = Vec::new();
    for (rel, want) in [
        ("policies/README.md", rules::policies_readme()),
        ("README.md", spliced),
    ] {
        let path = root.join(rel);
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have == want {
            continue;
        }
        if write {
            std::fs::write(&path, want).unwrap_or_else(|e| panic!("{rel}: {e}"));
            eprintln!("wrote {rel}");
        } else {
            stale.push(rel);
        }
    }
    assert!(
        stale.is_empty(),
        "{} {} from what src/rules.rs generates: run `{FIX}` (without just: `{FIX_WITHOUT_JUST}`)",
        stale.join(" and "),
        if stale.len() == 1 {
            "differs"
        } else {
            "differ"
        }
    );
}

#[test]
fn splice_replaces_only_the_text_between_the_markers() {
    let readme = "# t\n\n<!-- rules:start -->\nold\n<!-- rules:end -->\n\nafter\n";
    assert_eq!(
        splice(readme, "\nnew\n").unwrap(),
        "# t\n\n<!-- rules:start -->\n\nnew\n<!-- rules:end -->\n\nafter\n"
    );
    assert!(splice("no markers\n", "x").is_err());
    assert!(splice("<!-- rules:start -->\nno end\n", "x").is_err());
}
