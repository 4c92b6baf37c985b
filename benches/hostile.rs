//! `just bench-hostile`: every hostile request family (benches/support/hostile.rs) at growing
//! sizes up to the API server's 3 MiB limit, judged with policies/settings/multi-team.yaml,
//! against the targets of the hardening issue (item 1):
//!
//! - native `evaluate_json`: at most 50 ms (median of several runs);
//! - the release CLI `secretfree review --settings policies/settings/multi-team.yaml`: at most
//!   100 MB peak RSS (GNU `/usr/bin/time -f %M`), and its AdmissionReview response at most
//!   64 KiB (the pretty-printed text it writes, an upper bound on the compact one).
//!
//! Prints one row per family and size with PASS or FAIL, and exits 1 when a row fails. Timing
//! depends on the machine, so no test asserts it; the wasm hosts' memory bound is checked in
//! wasm-tests.

#[path = "support/hostile.rs"]
#[allow(dead_code)]
mod hostile;

use hostile::{Family, LIMIT, SETTINGS_YAML};
use secretfree::{Settings, evaluate_json};
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MAX_NATIVE: Duration = Duration::from_millis(50);
/// 100 MB.
const MAX_RSS_BYTES: u64 = 100_000_000;
const MAX_RESPONSE: usize = 64 * 1024;
const SIZES: [(&str, usize); 4] = [
    ("16 KiB", 16 * 1024),
    ("256 KiB", 256 * 1024),
    ("1 MiB", 1024 * 1024),
    ("3 MiB", LIMIT),
];

/// Median time of `evaluate_json` over at least 5 runs (more for fast ones, up to ~1 s).
fn native_median(bytes: &[u8], settings: &Settings) -> Duration {
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || (times.len() < 101 && start.elapsed() < Duration::from_secs(1)) {
        let t = Instant::now();
        black_box(evaluate_json(black_box(bytes), settings));
        times.push(t.elapsed());
    }
    times.sort_unstable();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// The release CLI next to this bench binary (`target/release/secretfree`).
fn cli() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    dir.join("secretfree")
}

/// Run `secretfree review` on `bytes` under GNU time: (peak RSS in bytes, response bytes, wall
/// time).
fn review(cli: &Path, settings: &Path, bytes: &[u8]) -> Result<(u64, usize, Duration), String> {
    let start = Instant::now();
    let mut child = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(cli)
        .arg("review")
        .arg("--settings")
        .arg(settings)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("/usr/bin/time (GNU time) is needed: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let elapsed = start.elapsed();
    writer
        .join()
        .map_err(|_| "writer panicked".to_owned())?
        .map_err(|e| format!("writing the request: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Exit 1 is a denial; anything else is an error.
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(format!(
            "secretfree review failed ({}): {stderr}",
            out.status
        ));
    }
    // GNU time's %M is the maximum resident set size in KiB.
    let rss_kib: u64 = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| format!("no peak RSS from /usr/bin/time: {stderr}"))?;
    Ok((rss_kib * 1024, out.stdout.len(), elapsed))
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let settings_path = root.join("policies/settings/multi-team.yaml");
    let settings = match Settings::from_yaml(SETTINGS_YAML) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("multi-team.yaml: {e}");
            std::process::exit(2);
        }
    };
    let cli = cli();
    if !cli.exists() {
        eprintln!(
            "{} is missing: run `cargo build --release` first (just bench-hostile does)",
            cli.display()
        );
        std::process::exit(2);
    }
    println!(
        "secretfree hostile bench: native evaluate_json median <= {} ms; CLI review peak RSS <= {} MB, response <= {} B",
        MAX_NATIVE.as_millis(),
        MAX_RSS_BYTES / 1_000_000,
        MAX_RESPONSE
    );
    println!(
        "{:<16} {:>7} {:>9} {:>10} {:>9} {:>9} {:>9} {:>8}  result",
        "family", "size", "bytes", "native ms", "CLI ms", "RSS MB", "response", "allowed"
    );
    let mut failed = 0;
    for family in Family::ALL {
        for (name, size) in SIZES {
            let bytes = family.sized(size);
            let verdict = evaluate_json(&bytes, &settings);
            let native = native_median(&bytes, &settings);
            let (rss, response, cli_time) = match review(&cli, &settings_path, &bytes) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{}: {e}", family.name());
                    std::process::exit(2);
                }
            };
            let pass = native <= MAX_NATIVE && rss <= MAX_RSS_BYTES && response <= MAX_RESPONSE;
            failed += usize::from(!pass);
            println!(
                "{:<16} {name:>7} {:>9} {:>10.2} {:>9.1} {:>9.1} {:>9} {:>8}  {}",
                family.name(),
                bytes.len(),
                native.as_secs_f64() * 1000.0,
                cli_time.as_secs_f64() * 1000.0,
                rss as f64 / 1e6,
                response,
                verdict.allowed,
                if pass { "PASS" } else { "FAIL" }
            );
        }
    }
    if failed > 0 {
        println!("{failed} rows over a target");
        std::process::exit(1);
    }
    println!("every row within the targets");
}
