//! `secretfree`: lint manifests, answer AdmissionReviews, run case suites, list rules.

mod input;

use clap::{Parser, Subcommand, ValueEnum};
use input::{Found, MAX_MANIFEST_BYTES, display, expand, read_input};
use secretfree::engines::admission;
use secretfree::tools::lint::{self, Linted};
use secretfree::tools::suite;
use secretfree::{Action, Context, RuleId, Settings, rules};
use serde_json::{Value, json};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "secretfree",
    version,
    about = "Checks the ECI secret-free image pull set-up (ACR annotations) of Kubernetes manifests and admission requests"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lint manifests (files, directories, `-` for stdin); exit 0 allowed, 1 denied, 2 unreadable.
    Check {
        /// Files or directories (YAML/JSON, several documents, List kinds); `-` reads stdin.
        paths: Vec<PathBuf>,
        /// Settings file (YAML or JSON).
        #[arg(long, short)]
        settings: Option<PathBuf>,
        #[arg(long, short, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Evaluate with `mutate: true` and print the patched manifests on stdout (report on stderr).
        #[arg(long)]
        fix: bool,
        /// Cluster context deciding ECI scope: Namespaces (`kubectl get namespaces -o yaml`),
        /// the eci-profile (`kubectl get configmap eci-profile -n kube-system -o yaml`) and
        /// eci.aliyun.com Selectors, in one YAML or JSON file (several documents or a List).
        #[arg(long, value_name = "FILE")]
        context: Option<PathBuf>,
    },
    /// Read an AdmissionReview (or AdmissionRequest) on stdin, print the AdmissionReview response.
    Review {
        #[arg(long, short)]
        settings: Option<PathBuf>,
    },
    /// Run the case suites (default policies/cases) and print "N passed, M failed".
    Test {
        dir: Option<PathBuf>,
        /// Print every case, not only failures.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Print the rule table.
    Rules {
        /// Markdown (the body of policies/README.md) instead of plain text.
        #[arg(long)]
        markdown: bool,
    },
    /// Settings commands.
    Settings {
        #[command(subcommand)]
        command: SettingsCommand,
    },
}

#[derive(Subcommand)]
enum SettingsCommand {
    /// Check a settings file; print every problem.
    Validate { file: PathBuf },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Sarif,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            paths,
            settings,
            format,
            fix,
            context,
        } => check(&paths, settings.as_deref(), context.as_deref(), format, fix),
        Command::Review { settings } => review(settings.as_deref()),
        Command::Test { dir, verbose } => test(dir.as_deref(), verbose),
        Command::Rules { markdown } => {
            if markdown {
                print!("{}", rules::policies_readme());
            } else {
                print_rules();
            }
            ExitCode::SUCCESS
        }
        Command::Settings {
            command: SettingsCommand::Validate { file },
        } => match load_settings(Some(&file)) {
            Ok(_) => {
                println!("{}: valid", file.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(1)
            }
        },
    }
}

fn load_settings(path: Option<&Path>) -> Result<Settings, String> {
    let Some(path) = path else {
        return Ok(Settings::default());
    };
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_MANIFEST_BYTES).read_to_string(&mut text))
        .map_err(|e| format!("secretfree: cannot read settings {}: {e}", path.display()))?;
    let parsed = if path.extension().is_some_and(|e| e == "json") {
        Settings::from_json(&text)
    } else {
        Settings::from_yaml(&text)
    };
    parsed.map_err(|errs| {
        let mut msg = format!(
            "{}: {} problem(s) in settings:",
            path.display(),
            errs.0.len()
        );
        for e in &errs.0 {
            if e.path.is_empty() {
                msg.push_str(&format!("\n  - {}", e.message));
            } else {
                msg.push_str(&format!("\n  - {}: {}", e.path, e.message));
            }
        }
        msg
    })
}

fn print_rules() {
    let width = RuleId::ALL.iter().map(|r| r.id().len()).max().unwrap_or(0);
    for rule in RuleId::ALL {
        println!(
            "{:width$}  {:4}{}  {}",
            rule.id(),
            rule.default_action().as_str(),
            if rule.mutates() { "+fix" } else { "    " },
            rule.summary()
        );
    }
}

/// One object judged, and the file it came from (SARIF names the file apart from the locator).
struct Checked {
    file: String,
    linted: Linted,
}

/// Read `check --context FILE`; the error names the file and the document.
fn load_context(path: Option<&Path>) -> Result<Context, String> {
    let Some(path) = path else {
        return Ok(Context::new());
    };
    let text = match read_input(path, false) {
        Ok(Some(text)) => text,
        Ok(None) => return Err(format!("cannot read {}", display(path))),
        Err(e) => return Err(e),
    };
    let context = lint::context_from_text(&text, &display(path)).map_err(|e| e.to_string())?;
    if context.is_empty() {
        eprintln!(
            "secretfree: note: context {} holds no Namespace, eci-profile ConfigMap or Selector",
            display(path)
        );
    }
    Ok(context)
}

fn check(
    paths: &[PathBuf],
    settings_path: Option<&Path>,
    context_path: Option<&Path>,
    format: Format,
    fix: bool,
) -> ExitCode {
    let mut settings = match load_settings(settings_path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let context = match load_context(context_path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("secretfree: context {e}");
            return ExitCode::from(2);
        }
    };
    if fix {
        settings.mutate = true;
    }
    let mut unreadable = false;
    let mut results: Vec<Checked> = Vec::new();
    let mut yaml_input = true;
    for item in expand(paths) {
        let (path, walked) = match item {
            Found::Read { path, walked } => (path, walked),
            Found::Unreadable(e) => {
                eprintln!("secretfree: {e}");
                unreadable = true;
                continue;
            }
            Found::Skipped(note) => {
                eprintln!("secretfree: {note}");
                continue;
            }
        };
        let text = match read_input(&path, walked) {
            Ok(Some(t)) => t,
            Ok(None) => {
                eprintln!(
                    "secretfree: skipping {}: not a regular file",
                    path.display()
                );
                continue;
            }
            Err(e) => {
                eprintln!("secretfree: {e}");
                unreadable = true;
                continue;
            }
        };
        if lint::is_json_text(&text) {
            yaml_input = false;
        }
        let file = display(&path);
        match lint::lint_text_with_context(&text, &file, &settings, &context) {
            Ok(linted) => {
                results.extend(linted.into_iter().map(|linted| Checked {
                    file: file.clone(),
                    linted,
                }));
            }
            Err(e) => {
                eprintln!("secretfree: {}: {e}", display(&path));
                unreadable = true;
            }
        }
    }
    let denied = results.iter().any(|r| !r.linted.verdict.allowed);
    let report = match format {
        Format::Text => text_report(
            &results,
            if fix {
                std::io::stderr().is_terminal()
            } else {
                std::io::stdout().is_terminal()
            },
        ),
        Format::Json => {
            serde_json::to_string_pretty(&json_report(&results)).unwrap_or_default() + "\n"
        }
        Format::Sarif => {
            serde_json::to_string_pretty(&sarif_report(&results)).unwrap_or_default() + "\n"
        }
    };
    if fix {
        eprint!("{report}");
        let linted: Vec<Linted> = results.into_iter().map(|r| r.linted).collect();
        let out = lint::fixed_manifest(&linted, yaml_input);
        print!("{out}");
    } else {
        print!("{report}");
    }
    let _ = std::io::stdout().flush();
    if unreadable {
        ExitCode::from(2)
    } else if denied {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn paint(on: bool, code: &str, text: &str) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

fn text_report(results: &[Checked], colour: bool) -> String {
    let mut out = String::new();
    let (mut allowed, mut denied, mut warnings) = (0, 0, 0);
    for Checked { linted: r, .. } in results {
        let v = &r.verdict;
        let code = match r.status() {
            "DENIED" => "1;31",
            "ALLOWED" => "1;32",
            _ => "1;33",
        };
        if v.allowed {
            allowed += 1;
        } else {
            denied += 1;
        }
        out.push_str(&format!(
            "{}  {}  {}\n",
            paint(colour, "1", &r.label()),
            paint(colour, code, r.status()),
            paint(colour, "2", &r.source)
        ));
        for f in &v.findings {
            if f.action == Action::Warn {
                warnings += 1;
            }
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
                "         at {}\n",
                if f.path.is_empty() { "/" } else { &f.path }
            ));
            out.push_str(&format!("         fix: {}\n", f.fix));
        }
        if !v.patch.is_empty() {
            out.push_str(&format!("  patch: {} operation(s)\n", v.patch.len()));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "{} object(s): {allowed} allowed, {denied} denied, {warnings} warning(s)\n",
        results.len()
    ));
    out
}

fn json_report(results: &[Checked]) -> Value {
    Value::Array(results.iter().map(|r| r.linted.to_json()).collect())
}

fn sarif_report(results: &[Checked]) -> Value {
    let rules: Vec<Value> = RuleId::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.id(),
                "name": r.id(),
                "shortDescription": {"text": r.summary()},
                "defaultConfiguration": {"level": if r.default_action() == Action::Deny { "error" } else { "warning" }},
            })
        })
        .collect();
    let mut out = Vec::new();
    for Checked { file, linted: r } in results {
        for f in &r.verdict.findings {
            let level = match f.action {
                Action::Deny => "error",
                Action::Warn => "warning",
                Action::Mutated => "note",
            };
            let physical = if r.line > 0 {
                json!({"artifactLocation": {"uri": file}, "region": {"startLine": r.line}})
            } else {
                json!({"artifactLocation": {"uri": file}})
            };
            let location = json!({
                "physicalLocation": physical,
                "logicalLocations": [{"fullyQualifiedName": format!("{}{}", r.label(), f.path), "kind": "object"}],
            });
            out.push(json!({
                "ruleId": f.rule.id(),
                "level": level,
                "message": {"text": format!("{} Fix: {}", f.message, f.fix)},
                "locations": [location],
            }));
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "secretfree",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
            }},
            "results": out,
        }],
    })
}

fn review(settings_path: Option<&Path>) -> ExitCode {
    let settings = match load_settings(settings_path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    // One byte past the API server's limit is enough for the policy to refuse it.
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin()
        .take(secretfree::MAX_INPUT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
    {
        eprintln!("secretfree: cannot read stdin: {e}");
    }
    let (uid, verdict) = secretfree::review_json(&bytes, &settings);
    let review = admission::admission_review(&uid, &verdict);
    println!(
        "{}",
        serde_json::to_string_pretty(&review).unwrap_or_default()
    );
    if verdict.allowed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn test(dir: Option<&Path>, verbose: bool) -> ExitCode {
    let dir = dir.unwrap_or(Path::new("policies/cases"));
    let outcomes = match suite::run_all(dir) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("secretfree: {e}");
            return ExitCode::from(2);
        }
    };
    let mut failed = 0;
    for o in &outcomes {
        if o.passed() {
            if verbose {
                println!("ok    {} :: {}", o.rule, o.name);
            }
        } else {
            failed += 1;
            println!("FAIL  {} :: {}", o.rule, o.name);
            for f in &o.failures {
                println!("      {f}");
            }
        }
    }
    let gaps = suite::coverage_gaps(dir, &outcomes);
    for g in &gaps {
        println!("FAIL  coverage :: {g}");
    }
    failed += gaps.len();
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
