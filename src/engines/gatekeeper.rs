//! Gatekeeper proper (`policies/gatekeeper/`): the tables the ConstraintTemplate's Rego needs,
//! written from the Rust tables so the two cannot drift. `just gatekeeper` splices
//! [`rego_tables`] into `policies/gatekeeper/src.rego` between its `generated` markers and
//! copies that Rego into `template.yaml`; `tests/gatekeeper.rs` fails when either is stale.

#![forbid(unsafe_code)]

use crate::checks::MAX_PER_RULE;
use crate::context::{ACS_LABEL, ECI_LABEL};
use crate::grammar::regions::KNOWN_REGIONS;
use crate::grammar::values::MAX_LIST_ENTRIES;
use crate::keys;
use crate::rules::RuleId;
use crate::settings::Settings;
use crate::skip::{MAX_IDS as MAX_SKIP_IDS, SKIP_KEY};
use std::fmt::Write;

/// The line after which the generated section starts in the Rego source.
pub const GENERATED_START: &str =
    "# generated:start (from the Rust tables; `just gatekeeper` rewrites it)\n";
/// The line that ends the generated section.
pub const GENERATED_END: &str = "# generated:end\n";

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn rego_set(name: &str, items: &[&str]) -> String {
    let mut out = format!("{name} := {{\n");
    for item in items {
        let _ = writeln!(out, "\t{},", quoted(item));
    }
    out.push_str("}\n\n");
    out
}

fn rego_array(name: &str, items: &[&str]) -> String {
    let mut out = format!("{name} := [\n");
    for item in items {
        let _ = writeln!(out, "\t{},", quoted(item));
    }
    out.push_str("]\n\n");
    out
}

/// The rules no `allowSkip` opens to skips, and the rules objects may skip only when
/// `allowSkip` lists them (the access gate): both read off [`Settings::may_skip`].
fn skip_tables() -> (Vec<&'static str>, Vec<&'static str>) {
    let open = Settings {
        allow_skip: Some(RuleId::ALL.to_vec()),
        ..Settings::default()
    };
    let default = Settings::default();
    let never = RuleId::ALL
        .iter()
        .filter(|r| !open.may_skip(**r))
        .map(|r| r.id())
        .collect();
    let gate = RuleId::ALL
        .iter()
        .filter(|r| open.may_skip(**r) && !default.may_skip(**r))
        .map(|r| r.id())
        .collect();
    (never, gate)
}

/// The generated section of the Rego source: the rule table (id, default action, summary),
/// the annotation keys, the near-miss targets and look-alike prefixes, the known regions, the
/// list bound and the skip annotation's key, bound and tables.
pub fn rego_tables() -> String {
    let mut out = String::new();
    out.push_str(
        "# The rules (src/rules.rs): default action and summary by id.\nrule_table := {\n",
    );
    for rule in RuleId::ALL {
        let _ = writeln!(
            out,
            "\t{}: {{\"action\": {}, \"summary\": {}}},",
            quoted(rule.id()),
            quoted(rule.default_action().as_str()),
            quoted(rule.summary())
        );
    }
    out.push_str("}\n\n# Annotation keys (src/keys.rs).\n");
    for (name, key) in [
        ("instance_ids_key", keys::INSTANCE_IDS),
        ("legacy_key", keys::INSTANCE_ID_LEGACY),
        ("service_arns_key", keys::SERVICE_ARNS),
        ("user_arns_key", keys::USER_ARNS),
        ("plain_http_registry_key", keys::PLAIN_HTTP_REGISTRY),
        ("insecure_registry_key", keys::INSECURE_REGISTRY),
        ("imc_id_key", keys::IMC_ID),
        ("image_snapshot_id_key", keys::IMAGE_SNAPSHOT_ID),
        ("ram_role_name_key", keys::RAM_ROLE_NAME),
        ("eci_label", ECI_LABEL),
        ("acs_label", ACS_LABEL),
    ] {
        let _ = writeln!(out, "{name} := {}\n", quoted(key));
    }
    out.push_str("# The keys that configure a secret-free pull.\n");
    out.push_str(&rego_array("acr_pull_keys", keys::ACR_PULL_KEYS));
    out.push_str("# Every k8s.aliyun.com/ key ECI documents: never a near miss.\n");
    out.push_str(&rego_set("known_keys", keys::KNOWN));
    out.push_str("# Keys whose misspellings are reported (annotation-key-unknown).\n");
    out.push_str(&rego_array("near_miss_targets", keys::NEAR_MISS_TARGETS));
    out.push_str("# Prefixes people write instead of k8s.aliyun.com.\n");
    out.push_str(&rego_set("lookalike_prefixes", keys::LOOKALIKE_PREFIXES));
    out.push_str("# Alibaba Cloud region ids (src/grammar/regions.rs).\n");
    out.push_str(&rego_set("known_regions", KNOWN_REGIONS));
    let _ = writeln!(
        out,
        "# The most entries of a list the policy reads.\nmax_list_entries := {MAX_LIST_ENTRIES}\n\n# The most findings of one rule a report lists (src/checks/mod.rs).\nmax_per_rule := {MAX_PER_RULE}\n"
    );
    let (never, gate) = skip_tables();
    let _ = writeln!(
        out,
        "# The per-object opt-out (src/skip.rs): its key and the most ids it reads.\nskip_key := {}\n\nmax_skip_ids := {MAX_SKIP_IDS}\n",
        quoted(SKIP_KEY)
    );
    out.push_str("# Rules no allowSkip lets an object skip.\n");
    out.push_str(&rego_set("never_skippable", &never));
    out.push_str(
        "# Rules an object may skip only when allowSkip lists them (without allowSkip, every\n# other rule may be skipped).\n",
    );
    let mut gate_set = rego_set("skippable_only_if_allowed", &gate);
    gate_set.truncate(gate_set.trim_end().len() + 1);
    out.push_str(&gate_set);
    out
}

/// `rego` with its generated section replaced by [`rego_tables`]; `None` without the markers.
pub fn splice_tables(rego: &str) -> Option<String> {
    let (head, rest) = rego.split_once(GENERATED_START)?;
    let (_, tail) = rest.split_once(GENERATED_END)?;
    Some(format!(
        "{head}{GENERATED_START}{}{GENERATED_END}{tail}",
        rego_tables()
    ))
}

/// `template` (the ConstraintTemplate YAML) with the block under its `rego: |` line replaced by
/// `rego`, indented like that line plus two spaces; `None` without such a line.
pub fn splice_template(template: &str, rego: &str) -> Option<String> {
    let mut out = String::new();
    let mut lines = template.split_inclusive('\n').peekable();
    let mut found = false;
    while let Some(line) = lines.next() {
        out.push_str(line);
        let trimmed = line.trim_start();
        if found || trimmed.trim_end() != "rego: |" {
            continue;
        }
        found = true;
        let indent = " ".repeat(line.len() - trimmed.len() + 2);
        // Skip the old block: blank lines and lines indented at least as deep.
        while let Some(next) = lines.peek() {
            if next.trim().is_empty() || next.starts_with(&indent) {
                lines.next();
            } else {
                break;
            }
        }
        for rego_line in rego.split_inclusive('\n') {
            if rego_line.trim().is_empty() {
                out.push('\n');
            } else {
                out.push_str(&indent);
                out.push_str(rego_line);
            }
        }
    }
    found.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_name_every_rule_and_region() {
        let t = rego_tables();
        for rule in RuleId::ALL {
            assert!(t.contains(&format!("\"{}\": {{\"action\"", rule.id())));
        }
        assert!(t.contains("\t\"cn-hangzhou\",\n"));
    }

    #[test]
    fn skip_tables_follow_may_skip() {
        let (never, gate) = skip_tables();
        assert_eq!(never, ["rule-skipped", "request-invalid"]);
        assert_eq!(
            gate,
            [
                "role-not-allowed",
                "instance-not-allowed",
                "ram-role-not-allowed"
            ]
        );
    }

    #[test]
    fn splices_replace_only_their_section() {
        let rego = format!("a\n{GENERATED_START}STALE\n{GENERATED_END}b\n");
        let spliced = splice_tables(&rego).unwrap_or_default();
        assert!(spliced.starts_with("a\n") && spliced.ends_with(&format!("{GENERATED_END}b\n")));
        assert!(!spliced.contains("STALE"));
        let template = "x:\n  source:\n    rego: |\n      old\n\n      old\n  after: 1\n";
        assert_eq!(
            splice_template(template, "p\n\nq\n").as_deref(),
            Some("x:\n  source:\n    rego: |\n      p\n\n      q\n  after: 1\n")
        );
        assert_eq!(splice_template("x: 1\n", "p\n"), None);
    }
}
