//! `policies/kubewarden/artifacthub-pkg.yml`, generated from `metadata.yml` and
//! `questions-ui.yml` in the shape `kwctl scaffold artifacthub -m metadata.yml -q
//! questions-ui.yml` writes (kwctl 1.35: the same keys in the same order, YAML as serde_yaml
//! prints it), so that the package Artifact Hub reads never drifts from the module's metadata
//! and no build needs kwctl. `just kwctl-package` compares the two when kwctl is at hand.
//!
//! `createdAt` is the release time of the version: kept from the committed file while
//! `io.kubewarden.policy.version` is unchanged, the current time when it changes.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::{Path, PathBuf};

pub const PKG: &str = "policies/kubewarden/artifacthub-pkg.yml";
const METADATA: &str = "policies/kubewarden/metadata.yml";
const QUESTIONS: &str = "policies/kubewarden/questions-ui.yml";

const HEADER: &str = "\
# Artifact Hub package metadata of the Kubewarden policy. Generated from metadata.yml and
# questions-ui.yml by `just artifacthub` (what `kwctl scaffold artifacthub` writes); do not
# edit: `just dist` fails while it is stale.
";

fn read(root: &Path, rel: &str) -> Result<String> {
    std::fs::read_to_string(root.join(rel)).with_context(|| format!("reading {rel}"))
}

fn pkg_path(root: &Path) -> PathBuf {
    root.join(PKG)
}

/// The package text for `createdAt`.
pub fn generate(root: &Path, created_at: &str) -> Result<String> {
    let meta: Value = serde_saphyr::from_str(&read(root, METADATA)?)
        .with_context(|| format!("parsing {METADATA}"))?;
    let questions = read(root, QUESTIONS)?;
    if questions.trim().is_empty() {
        bail!("{QUESTIONS} is empty");
    }
    let ann = meta
        .get("annotations")
        .and_then(Value::as_object)
        .with_context(|| format!("{METADATA}: no annotations"))?;
    let get = |key: &str| -> Result<String> {
        ann.get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("{METADATA}: annotation {key} is required"))
    };
    let version = get("io.kubewarden.policy.version")?;
    if !is_semver(&version) {
        bail!("{METADATA}: io.kubewarden.policy.version {version:?} is not a semver version");
    }
    let oci = get("io.kubewarden.policy.ociUrl")?;
    let image = format!("{oci}:v{version}");

    let mut out = String::from(HEADER);
    let mut field = |key: &str, value: &str| out.push_str(&entry(0, key, value));
    field("version", &version);
    field("name", &get("io.kubewarden.policy.title")?);
    field("displayName", &get("io.artifacthub.displayName")?);
    field("createdAt", created_at);
    field("description", &get("io.kubewarden.policy.description")?);
    if let Ok(license) = get("io.kubewarden.policy.license") {
        field("license", &license);
    }
    if let Ok(url) = get("io.kubewarden.policy.url") {
        field("homeURL", &url);
    }
    out.push_str(&format!(
        "containersImages:\n- name: policy\n  image: {}\n",
        scalar(&image)
    ));
    if let Ok(keywords) = get("io.artifacthub.keywords") {
        let words: Vec<&str> = keywords.split(',').map(|w| w.trim_matches(' ')).collect();
        if words.iter().any(|w| w.is_empty()) {
            bail!("{METADATA}: io.artifacthub.keywords has an empty keyword");
        }
        out.push_str("keywords:\n");
        for w in words {
            out.push_str(&format!("- {}\n", scalar(w)));
        }
    }
    if let Ok(source) = get("io.kubewarden.policy.source") {
        out.push_str("links:\n");
        if source.starts_with("https://github.com/") {
            out.push_str(&format!(
                "- name: policy\n  url: {}\n",
                scalar(&format!(
                    "{source}/releases/download/v{version}/policy.wasm"
                ))
            ));
        }
        out.push_str(&format!("- name: source\n  url: {}\n", scalar(&source)));
    }
    out.push_str(&entry(
        0,
        "install",
        &format!(
            "The policy can be obtained using [`kwctl`](https://github.com/kubewarden/kwctl):\n\
             ```console\nkwctl pull {image}\n```\n\
             Then, generate the policy manifest and tune it to your liking. For example:\n\
             ```console\nkwctl scaffold manifest -t ClusterAdmissionPolicy registry://{image}\n```\n"
        ),
    ));
    let author = get("io.kubewarden.policy.author")?;
    out.push_str("maintainers:\n");
    for (name, email) in maintainers(&author)? {
        out.push_str(&format!(
            "- name: {}\n  email: {}\n",
            scalar(&name),
            scalar(&email)
        ));
    }
    out.push_str("provider:\n  name: kubewarden\n");
    out.push_str(
        "recommendations:\n- url: https://artifacthub.io/packages/helm/kubewarden/kubewarden-controller\n",
    );

    // Annotations, sorted by key as kwctl prints them.
    let mut annotations: Vec<(&str, String)> = Vec::new();
    if let Some(list) = meta.get("contextAwareResources").and_then(Value::as_array) {
        let mut resources: Vec<(String, String)> = list
            .iter()
            .map(|r| {
                let s = |k: &str| {
                    r.get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                (s("apiVersion"), s("kind"))
            })
            .collect();
        resources.sort();
        resources.dedup();
        if !resources.is_empty() {
            let mut text = String::new();
            for (api_version, kind) in resources {
                text.push_str(&format!(
                    "- apiVersion: {}\n  kind: {}\n",
                    scalar(&api_version),
                    scalar(&kind)
                ));
            }
            annotations.push(("kubewarden/contextAwareResources", text));
        }
    }
    if let Ok(hidden) = get("io.kubewarden.hidden-ui") {
        if hidden != "true" && hidden != "false" {
            bail!("{METADATA}: io.kubewarden.hidden-ui must be \"true\" or \"false\"");
        }
        annotations.push(("kubewarden/hidden-ui", hidden));
    }
    let mutating = meta
        .get("mutating")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    annotations.push(("kubewarden/mutation", mutating.to_string()));
    annotations.push(("kubewarden/questions-ui", questions));
    if let Ok(resources) = get("io.artifacthub.resources") {
        annotations.push(("kubewarden/resources", resources));
    }
    let rules = meta
        .get("rules")
        .with_context(|| format!("{METADATA}: `rules` is required"))?;
    annotations.push(("kubewarden/rules", yaml(rules, 0)));
    annotations.sort_by(|a, b| a.0.cmp(b.0));
    out.push_str("annotations:\n");
    for (key, value) in annotations {
        out.push_str(&entry(2, key, &value));
    }
    Ok(out)
}

/// The committed file's `createdAt` if its version is `version`.
fn committed_created_at(root: &Path, version: &str) -> Option<String> {
    let text = std::fs::read_to_string(pkg_path(root)).ok()?;
    let pkg: Value = serde_saphyr::from_str(&text).ok()?;
    if pkg.get("version").and_then(Value::as_str) != Some(version) {
        return None;
    }
    pkg.get("createdAt")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn metadata_version(root: &Path) -> Result<String> {
    let meta: Value = serde_saphyr::from_str(&read(root, METADATA)?)?;
    meta.pointer("/annotations/io.kubewarden.policy.version")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("{METADATA}: annotation io.kubewarden.policy.version is required"))
}

/// The package as it should be committed now.
pub fn expected(root: &Path) -> Result<String> {
    let version = metadata_version(root)?;
    let crate_version = crate_version(root)?;
    if version != crate_version {
        bail!(
            "{METADATA}: io.kubewarden.policy.version {version} is not the crate's version {crate_version} (Cargo.toml)"
        );
    }
    let created_at = committed_created_at(root, &version).unwrap_or_else(now_rfc3339);
    generate(root, &created_at)
}

/// `xtask artifacthub`: write the package file.
pub fn write(root: &Path) -> Result<()> {
    let text = expected(root)?;
    std::fs::write(pkg_path(root), &text).with_context(|| format!("writing {PKG}"))?;
    println!("wrote {PKG}");
    Ok(())
}

/// The package text, failing when the committed file differs from it.
pub fn checked(root: &Path) -> Result<String> {
    let want = expected(root)?;
    let have = std::fs::read_to_string(pkg_path(root)).unwrap_or_default();
    if have != want {
        bail!(
            "{PKG} is stale (metadata.yml, questions-ui.yml or the version changed): run `just artifacthub` and commit it"
        );
    }
    Ok(want)
}

fn crate_version(root: &Path) -> Result<String> {
    let toml = read(root, "Cargo.toml")?;
    toml.lines()
        .skip_while(|l| l.trim() != "[package]")
        .find_map(|l| {
            let rest = l
                .trim()
                .strip_prefix("version")?
                .trim_start()
                .strip_prefix('=')?;
            Some(rest.trim().trim_matches('"').to_owned())
        })
        .context("Cargo.toml: no package version")
}

fn is_semver(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
        })
}

/// `Name <email>, Other <other@example.com>`, as kwctl reads `io.kubewarden.policy.author`.
fn maintainers(author: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for part in author.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let parsed = part.strip_suffix('>').and_then(|p| p.split_once('<'));
        let Some((name, email)) = parsed else {
            bail!(
                "{METADATA}: io.kubewarden.policy.author must be \"Name <email>\" entries, found {part:?}"
            );
        };
        let email = email.trim();
        let valid = email.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !host.starts_with('.') && !host.ends_with('.')
        }) && !email.contains(char::is_whitespace);
        if !valid {
            bail!("{METADATA}: io.kubewarden.policy.author: {email:?} is not an email address");
        }
        out.push((name.trim().to_owned(), email.to_owned()));
    }
    if out.is_empty() {
        bail!("{METADATA}: io.kubewarden.policy.author names nobody");
    }
    Ok(out)
}

/// `key: value` at `indent`, a literal block for multi-line text.
fn entry(indent: usize, key: &str, value: &str) -> String {
    let pad = " ".repeat(indent);
    if !value.contains('\n') {
        return format!("{pad}{key}: {}\n", scalar(value));
    }
    let chomp = if value.ends_with("\n\n") {
        "+"
    } else if value.ends_with('\n') {
        ""
    } else {
        "-"
    };
    let mut out = format!("{pad}{key}: |{chomp}\n");
    for line in value.strip_suffix('\n').unwrap_or(value).split('\n') {
        if line.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&format!("{pad}  {line}\n"));
        }
    }
    out
}

/// A block-style YAML document of `value` (maps and lists of scalars), as serde_yaml prints it.
fn yaml(value: &Value, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    match value {
        Value::Array(items) if items.is_empty() => out.push_str(&format!("{pad}[]\n")),
        Value::Array(items) => {
            for item in items {
                let body = yaml(item, indent + 2);
                let body = body.strip_prefix(&format!("{pad}  ")).unwrap_or(&body);
                out.push_str(&format!("{pad}- {body}"));
            }
        }
        Value::Object(map) if map.is_empty() => out.push_str(&format!("{pad}{{}}\n")),
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{}:\n{}", scalar(k), yaml(v, indent)));
                    }
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{pad}{}:\n{}", scalar(k), yaml(v, indent + 2)));
                    }
                    _ => out.push_str(&format!("{pad}{}: {}", scalar(k), yaml(v, 0).trim_start())),
                }
            }
        }
        Value::String(s) => out.push_str(&format!("{pad}{}\n", scalar(s))),
        Value::Null => out.push_str(&format!("{pad}null\n")),
        other => out.push_str(&format!("{pad}{other}\n")),
    }
    out
}

/// A string scalar: plain when YAML reads it back as the same string, else single-quoted.
fn scalar(s: &str) -> String {
    let reserved = matches!(
        s.to_ascii_lowercase().as_str(),
        "" | "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    );
    let numeric = s.parse::<f64>().is_ok()
        || s.starts_with("0x")
        || s.starts_with("0o")
        || s.starts_with(".inf")
        || s.starts_with("-.inf")
        || s == ".nan";
    let first = s.chars().next().unwrap_or(' ');
    let indicator = "-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !(matches!(first, '-' | '?' | ':') && s.chars().nth(1).is_some_and(|c| c != ' '));
    let plain = !reserved
        && !numeric
        && !indicator
        && !s.starts_with(' ')
        && !s.ends_with(' ')
        && !s.ends_with(':')
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.chars().any(|c| c.is_control());
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// The current UTC time, RFC 3339 with nanoseconds (as kwctl writes `createdAt`).
fn now_rfc3339() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_nanos()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_quoted_only_when_yaml_would_misread_them() {
        for plain in [
            "0.1.0",
            "v1",
            "https://github.com/a/b",
            "Pod, Deployment",
            "image pull",
        ] {
            assert_eq!(scalar(plain), plain);
        }
        assert_eq!(scalar("true"), "'true'");
        assert_eq!(scalar(""), "''");
        assert_eq!(scalar("1"), "'1'");
        assert_eq!(scalar("a: b"), "'a: b'");
        assert_eq!(scalar("it's"), "it's");
        assert_eq!(scalar("'x"), "'''x'");
    }

    #[test]
    fn rules_print_as_serde_yaml_does() {
        let rules: Value = serde_json::json!([{"apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"], "operations": ["CREATE", "UPDATE"]}]);
        assert_eq!(
            yaml(&rules, 0),
            "- apiGroups:\n  - ''\n  apiVersions:\n  - v1\n  resources:\n  - pods\n  operations:\n  - CREATE\n  - UPDATE\n"
        );
    }

    #[test]
    fn authors_need_an_email() {
        assert_eq!(
            maintainers("A B <a@example.com>, C <c@example.org>").unwrap(),
            [
                ("A B".to_owned(), "a@example.com".to_owned()),
                ("C".to_owned(), "c@example.org".to_owned())
            ]
        );
        assert!(maintainers("secretfree developers").is_err());
        assert!(maintainers("A <not-an-email>").is_err());
    }

    #[test]
    fn the_committed_package_is_what_the_metadata_generates() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        checked(root).unwrap();
    }
}
