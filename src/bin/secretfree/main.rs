//! `secretfree`: lint manifests, answer AdmissionReviews, run case suites, list rules.

mod input;
mod report;

use clap::{Parser, Subcommand, ValueEnum};
use input::{Found, MAX_MANIFEST_BYTES, WalkOptions, display, expand, read_input};
use report::{Checked, Problem, Run};
use secretfree::engines::admission;
use secretfree::tools::suite;
use secretfree::tools::{fix, lint};
use secretfree::{Action, Context, RuleId, Settings, rules};
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
    /// Lint the Kubernetes objects in files, directories and stdin; exit 0 allowed, 1 denied
    /// (or warned, with --fail-on warn), 2 usage error or unreadable input.
    Check(CheckArgs),
    /// Read an AdmissionReview (or AdmissionRequest) on stdin, print the AdmissionReview response.
    Review {
        /// Settings file (YAML or JSON); none means the defaults.
        #[arg(long, short, value_name = "FILE")]
        settings: Option<PathBuf>,
    },
    /// Run case suites (every suite.yaml under DIR, default policies/cases) and print
    /// "N passed, M failed".
    Test {
        /// Folder of suites (searched recursively for suite.yaml), or one suite file.
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Print every case, not only failures.
        #[arg(long, short)]
        verbose: bool,
        /// Also require, for every built-in rule, a suite folder named after it with a case
        /// where the rule fires and an allowed one where it stays quiet (the project's own corpus).
        #[arg(long)]
        require_coverage: bool,
    },
    /// Print the rule table (id, default action, +fix when mutation repairs it, summary).
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

#[derive(clap::Args)]
struct CheckArgs {
    /// Files or directories (.yaml, .yml, .json; directories recursively, skipping hidden
    /// folders and what .gitignore names); `-` (or nothing) reads stdin.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Settings file (YAML or JSON); none means the defaults.
    #[arg(long, short, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// Cluster context deciding ECI scope: Namespaces (`kubectl get namespaces -o yaml`),
    /// the eci-profile (`kubectl get configmap eci-profile -n kube-system -o yaml`) and
    /// eci.aliyun.com Selectors, in one YAML or JSON file (several documents or a List).
    #[arg(long, value_name = "FILE")]
    context: Option<PathBuf>,
    /// Output format: text for people, json (the verdict per object, findings with line and
    /// column), sarif (code scanning), junit (test reports), github (workflow annotations).
    #[arg(long, short, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Leave out files and folders matching this glob (gitignore syntax, relative to the
    /// directory walked, e.g. `charts/**` or `*.json`); repeatable. Hidden files and folders,
    /// node_modules/ and what .gitignore names are left out already.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Judge every document, also those without apiVersion and kind (they fail closed with
    /// request-invalid), and treat Helm templates and unparseable walked files as errors (exit 2).
    #[arg(long)]
    strict_input: bool,
    /// Report only the objects with findings (and the files that cannot be read).
    #[arg(long, short)]
    quiet: bool,
    /// Colour in text output: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    color: Color,
    /// The least finding that fails the run (exit 1): deny (default) or warn.
    #[arg(long, value_enum, default_value_t = FailOn::Deny, value_name = "ACTION")]
    fail_on: FailOn,
    /// Evaluate with `mutate: true` and print, as a unified diff, the lines the repairs change
    /// (the report goes to stderr).
    #[arg(long)]
    fix: bool,
    /// With --fix: edit the files in place, changing only the repaired lines.
    #[arg(long, requires = "fix")]
    write: bool,
}

#[derive(Subcommand)]
enum SettingsCommand {
    /// Check a settings file; print every problem (exit 1) and every warning.
    Validate {
        /// Settings file (YAML or JSON).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Github,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Deny,
    Warn,
}

/// Print `text` on stdout, then exit with `code`. A closed pipe (`secretfree rules | head -1`)
/// ends the output quietly; any other write error is reported and exits 2.
fn finish(text: &str, code: ExitCode) -> ExitCode {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => code,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => code,
        Err(e) => {
            eprintln!("secretfree: cannot write the output: {e}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Review { settings } => review(settings.as_deref()),
        Command::Test {
            dir,
            verbose,
            require_coverage,
        } => test(dir.as_deref(), verbose, require_coverage),
        Command::Rules { markdown } => {
            let text = if markdown {
                rules::policies_readme()
            } else {
                rules_text()
            };
            finish(&text, ExitCode::SUCCESS)
        }
        Command::Settings {
            command: SettingsCommand::Validate { file },
        } => match load_settings(Some(&file)) {
            Ok(s) => {
                warn_settings(&file, &s);
                finish(&format!("{}: valid\n", file.display()), ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(1)
            }
        },
    }
}

/// Print the settings' warnings (valid, but likely mistakes) on stderr.
fn warn_settings(path: &Path, settings: &Settings) {
    for w in settings.warnings() {
        eprintln!("{}: warning: {}: {}", path.display(), w.path, w.message);
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

fn rules_text() -> String {
    let width = RuleId::ALL.iter().map(|r| r.id().len()).max().unwrap_or(0);
    let mut out = String::new();
    for rule in RuleId::ALL {
        out.push_str(&format!(
            "{:width$}  {:4}{}  {}\n",
            rule.id(),
            rule.default_action().as_str(),
            if rule.mutates() { "+fix" } else { "    " },
            rule.summary()
        ));
    }
    out
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

/// Whether to colour: `--color`, then `NO_COLOR` (any non-empty value), then a terminal.
fn colour(choice: Color, terminal: bool) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

fn check(args: &CheckArgs) -> ExitCode {
    let mut settings = match load_settings(args.settings.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Some(path) = &args.settings {
        warn_settings(path, &settings);
    }
    let context = match load_context(args.context.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("secretfree: context {e}");
            return ExitCode::from(2);
        }
    };
    if args.fix {
        settings.mutate = true;
    }
    let options = WalkOptions {
        exclude: args.exclude.clone(),
    };
    let mut run = Run::default();
    let mut texts: Vec<(PathBuf, String)> = Vec::new();
    for item in expand(&args.paths, &options) {
        let (path, walked) = match item {
            Found::Read { path, walked } => (path, walked),
            Found::Unreadable(e) => {
                run.problems.push(Problem::error("", e));
                continue;
            }
            Found::Skipped(note) => {
                eprintln!("secretfree: {note}");
                continue;
            }
        };
        let file = display(&path);
        let text = match read_input(&path, walked) {
            Ok(Some(t)) => t,
            Ok(None) => {
                eprintln!("secretfree: skipping {file}: not a regular file");
                continue;
            }
            Err(e) => {
                run.problems.push(Problem::error(&file, e));
                continue;
            }
        };
        if walked && !args.strict_input && !lint::may_hold_objects(&text) {
            run.skipped_files += 1;
            continue;
        }
        if let Some(line) = lint::helm_template_line(&text) {
            let message = format!(
                "a Helm template (Go template syntax on line {line}), not a manifest: render it first, e.g. `helm template <release> <chart> | secretfree check -`"
            );
            run.problems.push(if args.strict_input {
                Problem::error(&file, message).at(line)
            } else {
                Problem::warning(&file, message).at(line)
            });
            continue;
        }
        match lint::lint_objects(&text, &file, &settings, &context, args.strict_input) {
            Ok(linted) => {
                run.skipped_documents += linted.skipped;
                run.checked
                    .extend(linted.objects.into_iter().map(|linted| Checked {
                        file: file.clone(),
                        linted,
                    }));
                if args.fix {
                    texts.push((path, text));
                }
            }
            Err(e) => run.problems.push(Problem::error(&file, e.to_string())),
        }
    }
    for p in &run.problems {
        let level = if p.fatal { "error" } else { "warning" };
        if p.file.is_empty() {
            eprintln!("secretfree: {level}: {}", p.message);
        } else {
            eprintln!("secretfree: {level}: {}: {}", p.file, p.message);
        }
    }
    let fail_warn = args.fail_on == FailOn::Warn;
    let failed = run.checked.iter().any(|c| {
        !c.linted.verdict.allowed
            || (fail_warn && c.linted.verdict.with_action(Action::Warn).next().is_some())
    });
    let report_on_stderr = args.fix;
    let terminal = if report_on_stderr {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    let report = match args.format {
        Format::Text => report::text(&run, colour(args.color, terminal), args.quiet),
        Format::Json => report::json(&run, args.quiet),
        Format::Sarif => report::sarif(&run),
        Format::Junit => report::junit(&run, fail_warn),
        Format::Github => report::github(&run),
    };
    if args.format != Format::Text && (run.skipped_documents > 0 || run.skipped_files > 0) {
        eprintln!("secretfree: {}", report::skipped_note(&run));
    }
    let mut code: u8 = if run.problems.iter().any(|p| p.fatal) {
        2
    } else if failed {
        1
    } else {
        0
    };
    if args.fix {
        eprint!("{report}");
        let (out, unrepaired) = repair(&run, &texts, args.write);
        if unrepaired {
            code = code.max(1);
        }
        finish(&out, ExitCode::from(code))
    } else {
        finish(&report, ExitCode::from(code))
    }
}

/// `--fix`: the repairs of each file as line edits, printed as a unified diff, or with
/// `--write` written back (stdin: the repaired text on stdout). Returns what goes to stdout and
/// whether some repair could not be made (the file is left as it was, the reason on stderr).
fn repair(run: &Run, texts: &[(PathBuf, String)], write: bool) -> (String, bool) {
    let mut out = String::new();
    let mut unrepaired = false;
    for (path, text) in texts {
        let file = display(path);
        let objects: Vec<&lint::Linted> = run
            .checked
            .iter()
            .filter(|c| c.file == file)
            .map(|c| &c.linted)
            .collect();
        let fixed = match fix::fix_text(text, &objects) {
            Ok(Some(fixed)) => fixed,
            Ok(None) => {
                if write && path.as_os_str() == "-" {
                    out.push_str(text);
                }
                continue;
            }
            Err(e) => {
                eprintln!("secretfree: {file}: not repaired: {e}");
                unrepaired = true;
                if write && path.as_os_str() == "-" {
                    out.push_str(text);
                }
                continue;
            }
        };
        if !write {
            let name = file.strip_prefix("./").unwrap_or(&file);
            out.push_str(
                &similar::TextDiff::from_lines(text.as_str(), fixed.as_str())
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{name}"), &format!("b/{name}"))
                    .to_string(),
            );
        } else if path.as_os_str() == "-" {
            out.push_str(&fixed);
        } else {
            match std::fs::write(path, &fixed) {
                Ok(()) => eprintln!("secretfree: {file}: repaired"),
                Err(e) => {
                    eprintln!("secretfree: {file}: cannot write the repair: {e}");
                    unrepaired = true;
                }
            }
        }
    }
    (out, unrepaired)
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
    let text = serde_json::to_string_pretty(&review).unwrap_or_default() + "\n";
    finish(
        &text,
        if verdict.allowed {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}

fn test(dir: Option<&Path>, verbose: bool, require_coverage: bool) -> ExitCode {
    let dir = dir.unwrap_or(Path::new("policies/cases"));
    let outcomes = match suite::run_all(dir) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("secretfree: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = String::new();
    let mut failed = 0;
    for o in &outcomes {
        if o.passed() {
            if verbose {
                out.push_str(&format!("ok    {} :: {}\n", o.rule, o.name));
            }
        } else {
            failed += 1;
            out.push_str(&format!("FAIL  {} :: {}\n", o.rule, o.name));
            for f in &o.failures {
                out.push_str(&format!("      {f}\n"));
            }
        }
    }
    if require_coverage {
        let gaps = suite::coverage_gaps(dir, &outcomes);
        for g in &gaps {
            out.push_str(&format!("FAIL  coverage :: {g}\n"));
        }
        failed += gaps.len();
    }
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    out.push_str(&format!("{passed} passed, {failed} failed\n"));
    finish(
        &out,
        if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}
