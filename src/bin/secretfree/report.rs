//! What `check` prints: text for people, the verdicts as JSON, SARIF 2.1.0 for code scanning,
//! JUnit XML for test reports and GitHub workflow commands for annotations.

use secretfree::tools::lint::Linted;
use secretfree::tools::positions::Pos;
use secretfree::{Action, Finding, RuleId};
use serde_json::{Value, json};

/// One object judged, and the file it came from.
pub struct Checked {
    pub file: String,
    pub linted: Linted,
}

/// A file that could not be judged: unreadable, unparseable (`fatal`: exit 2), or a Helm
/// template (a warning unless `--strict-input`).
pub struct Problem {
    /// Empty when no one file is at fault (a bad `--exclude` glob).
    pub file: String,
    pub message: String,
    pub fatal: bool,
    /// 1-based, 0 when unknown.
    pub line: usize,
}

impl Problem {
    pub fn error(file: &str, message: impl Into<String>) -> Problem {
        let message = message.into();
        // Messages from the reader often start with the file name already.
        let message = message
            .strip_prefix(&format!("{file}: "))
            .map(str::to_owned)
            .unwrap_or(message);
        Problem {
            file: file.to_owned(),
            message,
            fatal: true,
            line: 0,
        }
    }

    pub fn warning(file: &str, message: impl Into<String>) -> Problem {
        Problem {
            fatal: false,
            ..Problem::error(file, message)
        }
    }

    pub fn at(self, line: usize) -> Problem {
        Problem { line, ..self }
    }
}

/// Everything one `check` run found.
#[derive(Default)]
pub struct Run {
    pub checked: Vec<Checked>,
    pub problems: Vec<Problem>,
    /// Documents read but not judged: not Kubernetes objects (no apiVersion and kind).
    pub skipped_documents: usize,
    /// Files found in a directory walk that name no apiVersion and kind (not parsed).
    pub skipped_files: usize,
}

/// Where a finding is: `file:line:column`, or the file alone when the line is unknown.
fn place(file: &str, at: Pos) -> String {
    if at.line > 0 {
        format!("{file}:{}:{}", at.line, at.column)
    } else {
        file.to_owned()
    }
}

fn findings(c: &Checked) -> impl Iterator<Item = (&Finding, Pos)> {
    let locations = &c.linted.locations;
    c.linted
        .verdict
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| (f, locations.get(i).copied().unwrap_or_default()))
}

fn paint(on: bool, code: &str, text: &str) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// "2 document(s) skipped: not Kubernetes objects (no apiVersion and kind)".
pub fn skipped_note(run: &Run) -> String {
    let mut parts = Vec::new();
    if run.skipped_documents > 0 {
        parts.push(format!(
            "{} document(s) skipped: not Kubernetes objects (no apiVersion and kind; --strict-input judges them)",
            run.skipped_documents
        ));
    }
    if run.skipped_files > 0 {
        parts.push(format!(
            "{} file(s) skipped: no Kubernetes object in them",
            run.skipped_files
        ));
    }
    parts.join("; ")
}

pub fn text(run: &Run, colour: bool, quiet: bool) -> String {
    let mut out = String::new();
    let (mut allowed, mut denied, mut warnings) = (0, 0, 0);
    for c in &run.checked {
        let r = &c.linted;
        let v = &r.verdict;
        if v.allowed {
            allowed += 1;
        } else {
            denied += 1;
        }
        warnings += v.with_action(Action::Warn).count();
        if quiet && v.findings.is_empty() {
            continue;
        }
        let code = match r.status() {
            "DENIED" => "1;31",
            "ALLOWED" => "1;32",
            _ => "1;33",
        };
        out.push_str(&format!(
            "{}  {}  {}\n",
            paint(colour, "1", &r.label()),
            paint(colour, code, r.status()),
            paint(colour, "2", &r.source)
        ));
        for (f, at) in findings(c) {
            let tag = match f.action {
                Action::Deny => paint(colour, "31", "deny   "),
                Action::Warn => paint(colour, "33", "warn   "),
                Action::Mutated => paint(colour, "36", "fixed  "),
            };
            out.push_str(&format!(
                "  {tag}{}: {}\n",
                paint(colour, "1", f.rule.id()),
                f.message
            ));
            out.push_str(&format!(
                "         at {} ({})\n",
                if f.path.is_empty() { "/" } else { &f.path },
                place(&c.file, at)
            ));
            out.push_str(&format!("         fix: {}\n", f.fix));
        }
        if !v.patch.is_empty() {
            out.push_str(&format!("  patch: {} operation(s)\n", v.patch.len()));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "{} object(s): {allowed} allowed, {denied} denied, {warnings} warning(s)",
        run.checked.len()
    ));
    let problems = run.problems.len();
    if problems > 0 {
        out.push_str(&format!("; {problems} file(s) not checked (on stderr)"));
    }
    out.push('\n');
    let skipped = skipped_note(run);
    if !skipped.is_empty() {
        out.push_str(&skipped);
        out.push('\n');
    }
    out
}

pub fn json(run: &Run, quiet: bool) -> String {
    let items: Vec<Value> = run
        .checked
        .iter()
        .filter(|c| !quiet || !c.linted.verdict.findings.is_empty())
        .map(|c| c.linted.to_json())
        .collect();
    serde_json::to_string_pretty(&Value::Array(items)).unwrap_or_default() + "\n"
}

/// `annotation-misplaced` → `AnnotationMisplaced`.
fn camel(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// GitHub's heading anchor: lower case, punctuation dropped, spaces to `-`.
fn anchor(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Where a rule is documented: its category's table in the README.
fn help_uri(rule: RuleId) -> String {
    format!(
        "{}/blob/main/README.md#{}",
        env!("CARGO_PKG_REPOSITORY"),
        anchor(rule.category().title())
    )
}

fn level(action: Action) -> &'static str {
    match action {
        Action::Deny => "error",
        Action::Warn => "warning",
        Action::Mutated => "note",
    }
}

/// A file name as a relative URI reference (`./a b.yaml` → `a%20b.yaml`; stdin → `stdin`).
fn uri(file: &str) -> String {
    if file == "<stdin>" {
        return "stdin".into();
    }
    let file = file.strip_prefix("./").unwrap_or(file);
    let mut out = String::new();
    for b in file.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn sarif_rule(rule: RuleId) -> Value {
    let action = rule.default_action().as_str();
    let repair = if rule.mutates() {
        " `mutate: true` (or `secretfree check --fix`) repairs it."
    } else {
        ""
    };
    let short = {
        let name = rule.id().replace('-', " ");
        let mut c = name.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect::<String>())
            .unwrap_or_default()
    };
    json!({
        "id": rule.id(),
        "name": camel(rule.id()),
        "shortDescription": {"text": short},
        "fullDescription": {"text": rule.summary()},
        "help": {
            "text": format!("{} Default action: {action}.{repair} Per-rule override in the settings: rules: {{{}: deny|warn|off}}.", rule.summary(), rule.id()),
            "markdown": format!("**{}** (default: {action})\n\n{}\n\n{repair}\n\nOverride in the settings: `rules: {{{}: deny|warn|off}}`. See the [rule table]({}).", rule.id(), rule.summary(), rule.id(), help_uri(rule)),
        },
        "helpUri": help_uri(rule),
        "defaultConfiguration": {"level": level(rule.default_action())},
        "properties": {"tags": [rule.category().title()]},
    })
}

fn physical(file: &str, at: Pos) -> Value {
    if at.line > 0 {
        json!({"artifactLocation": {"uri": uri(file)}, "region": {"startLine": at.line, "startColumn": at.column}})
    } else {
        json!({"artifactLocation": {"uri": uri(file)}})
    }
}

pub fn sarif(run: &Run) -> String {
    let rules: Vec<Value> = RuleId::ALL.iter().copied().map(sarif_rule).collect();
    let mut results = Vec::new();
    for c in &run.checked {
        let r = &c.linted;
        for (f, at) in findings(c) {
            let index = RuleId::ALL.iter().position(|x| *x == f.rule).unwrap_or(0);
            results.push(json!({
                "ruleId": f.rule.id(),
                "ruleIndex": index,
                "level": level(f.action),
                "message": {"text": format!("{} Fix: {}", f.message, f.fix)},
                "locations": [{
                    "physicalLocation": physical(&c.file, at),
                    "logicalLocations": [{"fullyQualifiedName": format!("{}{}", r.label(), f.path), "kind": "object"}],
                }],
            }));
        }
    }
    let notifications: Vec<Value> = run
        .problems
        .iter()
        .map(|p| {
            let mut n = json!({
                "level": if p.fatal { "error" } else { "warning" },
                "message": {"text": if p.file.is_empty() { p.message.clone() } else { format!("{}: {}", p.file, p.message) }},
                "descriptor": {"id": if p.fatal { "input-unreadable" } else { "input-not-checked" }},
            });
            if !p.file.is_empty()
                && let Some(map) = n.as_object_mut()
            {
                map.insert(
                    "locations".into(),
                    json!([{"physicalLocation": physical(&p.file, Pos { line: p.line, column: 1 })}]),
                );
            }
            n
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "secretfree",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": !run.problems.iter().any(|p| p.fatal),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}

/// Text as XML character data or an attribute value.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            // Characters XML 1.0 cannot hold.
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one testsuite per file, one testcase per object, a failure per deny finding
/// (and per warning with `--fail-on warn`), an error per file that cannot be read.
pub fn junit(run: &Run, fail_on_warn: bool) -> String {
    let mut files: Vec<&str> = Vec::new();
    for f in run
        .checked
        .iter()
        .map(|c| c.file.as_str())
        .chain(run.problems.iter().map(|p| p.file.as_str()))
    {
        if !files.contains(&f) {
            files.push(f);
        }
    }
    let fails =
        |f: &Finding| f.action == Action::Deny || (fail_on_warn && f.action == Action::Warn);
    let mut body = String::new();
    let (mut total_tests, mut total_failures, mut total_errors) = (0usize, 0usize, 0usize);
    for file in files {
        let objects: Vec<&Checked> = run.checked.iter().filter(|c| c.file == file).collect();
        let problems: Vec<&Problem> = run.problems.iter().filter(|p| p.file == file).collect();
        let failures = objects
            .iter()
            .filter(|c| c.linted.verdict.findings.iter().any(fails))
            .count();
        let errors = problems.iter().filter(|p| p.fatal).count();
        let skipped = problems.len() - errors;
        let tests = objects.len() + problems.len();
        total_tests += tests;
        total_failures += failures;
        total_errors += errors;
        let name = if file.is_empty() { "secretfree" } else { file };
        body.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">\n",
            xml(name)
        ));
        for c in objects {
            let r = &c.linted;
            body.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{} ({})\">\n",
                xml(name),
                xml(&r.label()),
                xml(&r.source)
            ));
            let mut out = String::new();
            for (f, at) in findings(c) {
                let line = format!(
                    "[{}] {} at {} ({}) Fix: {}",
                    f.rule.id(),
                    f.message,
                    if f.path.is_empty() { "/" } else { &f.path },
                    place(&c.file, at),
                    f.fix
                );
                if fails(f) {
                    body.push_str(&format!(
                        "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                        f.rule.id(),
                        xml(&f.message),
                        xml(&line)
                    ));
                } else {
                    out.push_str(&line);
                    out.push('\n');
                }
            }
            if !out.is_empty() {
                body.push_str(&format!("      <system-out>{}</system-out>\n", xml(&out)));
            }
            body.push_str("    </testcase>\n");
        }
        for p in problems {
            body.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\">\n",
                xml(name),
                xml(name)
            ));
            if p.fatal {
                body.push_str(&format!("      <error message=\"{}\"/>\n", xml(&p.message)));
            } else {
                body.push_str(&format!(
                    "      <skipped message=\"{}\"/>\n",
                    xml(&p.message)
                ));
            }
            body.push_str("    </testcase>\n");
        }
        body.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"secretfree\" tests=\"{total_tests}\" failures=\"{total_failures}\" errors=\"{total_errors}\">\n{body}</testsuites>\n"
    )
}

/// A workflow command's message: `%`, CR and LF escaped.
fn gh_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,`.
fn gh_property(text: &str) -> String {
    gh_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands: `::error file=...,line=...,col=...,title=rule::message`.
pub fn github(run: &Run) -> String {
    let mut out = String::new();
    for c in &run.checked {
        for (f, at) in findings(c) {
            let command = match f.action {
                Action::Deny => "error",
                Action::Warn => "warning",
                Action::Mutated => "notice",
            };
            let mut props = format!(
                "file={}",
                gh_property(c.file.strip_prefix("./").unwrap_or(&c.file))
            );
            if at.line > 0 {
                props.push_str(&format!(",line={},col={}", at.line, at.column));
            }
            props.push_str(&format!(",title={}", gh_property(f.rule.id())));
            out.push_str(&format!(
                "::{command} {props}::{}\n",
                gh_data(&format!(
                    "{}: {} Fix: {}",
                    c.linted.label(),
                    f.message,
                    f.fix
                ))
            ));
        }
    }
    for p in &run.problems {
        let command = if p.fatal { "error" } else { "warning" };
        let mut props = String::new();
        if !p.file.is_empty() {
            props = format!(
                " file={}",
                gh_property(p.file.strip_prefix("./").unwrap_or(&p.file))
            );
            if p.line > 0 {
                props.push_str(&format!(",line={}", p.line));
            }
            props.push_str(",title=secretfree");
        }
        out.push_str(&format!("::{command}{props}::{}\n", gh_data(&p.message)));
    }
    out
}
