//! `dist/playground/`: the browser playground. The core is built with the `browser` feature,
//! `wasm-bindgen --target web` writes the JS glue, and the page sources (`playground/`) and
//! every example (`policies/examples`, `policies/settings`) are copied next to it.
//!
//! The `wasm-bindgen` CLI must be exactly the version of the `wasm-bindgen` crate in Cargo.lock
//! (their schema versions must match); when it is missing or of another version it is installed
//! with `cargo install wasm-bindgen-cli --version <that> --locked`.

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The version `wasm-bindgen = "=..."` pins in Cargo.toml; Cargo.lock must agree.
const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// The page sources copied as they are.
const STATIC_FILES: &[&str] = &["index.html", "app.js", "style.css"];

/// The version of package `name` in a Cargo.lock.
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{name}\"") {
            let version = lines
                .next()?
                .trim()
                .strip_prefix("version = \"")?
                .strip_suffix('"')?;
            return Some(version.to_owned());
        }
    }
    None
}

fn cargo_home() -> PathBuf {
    std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo"))
}

/// The version a `wasm-bindgen` binary reports (`wasm-bindgen 0.2.130` -> `0.2.130`).
fn cli_version(program: &Path) -> Option<String> {
    let out = Command::new(program).arg("--version").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    text.split_whitespace().nth(1).map(str::to_owned)
}

/// A `wasm-bindgen` CLI of exactly `version`: the one cargo installed, the one on PATH, or a
/// fresh `cargo install`.
fn wasm_bindgen_cli(version: &str) -> Result<PathBuf> {
    let installed = cargo_home().join("bin/wasm-bindgen");
    for candidate in [installed.clone(), PathBuf::from("wasm-bindgen")] {
        if cli_version(&candidate).as_deref() == Some(version) {
            return Ok(candidate);
        }
    }
    eprintln!("installing wasm-bindgen-cli {version} (the CLI must match the wasm-bindgen crate)");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let install = |locked: bool| -> Result<bool> {
        let mut cmd = Command::new(&cargo);
        // --force: reinstall even when cargo's records say it is there but the binary is not.
        cmd.args([
            "install",
            "--force",
            "wasm-bindgen-cli",
            "--version",
            version,
        ]);
        if locked {
            cmd.arg("--locked");
        }
        Ok(cmd
            .status()
            .context("running cargo install wasm-bindgen-cli")?
            .success())
    };
    if !install(true)? {
        // A registry mirror may lack a yanked-or-newer dependency the CLI's own lockfile names;
        // the CLI's version (the one thing that must match) is pinned either way.
        eprintln!(
            "cargo install --locked failed; retrying with the registry's compatible versions"
        );
        if !install(false)? {
            bail!("cargo install wasm-bindgen-cli --version {version} failed");
        }
    }
    match cli_version(&installed) {
        Some(v) if v == version => Ok(installed),
        other => bail!(
            "{} reports version {other:?}, expected {version}",
            installed.display()
        ),
    }
}

/// Every `.yaml`/`.yml`/`.json` file of `dir`, sorted: `[{"file", "text"}]`.
fn examples(dir: &Path) -> Result<Vec<Value>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| matches!(x, "yaml" | "yml" | "json"))
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            let file = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(json!({"file": file, "text": text}))
        })
        .collect()
}

/// Build `dist/playground/` from scratch.
pub fn build(root: &Path, out: &Path) -> Result<()> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    match locked_version(&lock, "wasm-bindgen") {
        Some(v) if v == WASM_BINDGEN_VERSION => {}
        other => bail!(
            "Cargo.lock has wasm-bindgen {other:?}; xtask expects {WASM_BINDGEN_VERSION} (update both)"
        ),
    }
    let cli = wasm_bindgen_cli(WASM_BINDGEN_VERSION)?;

    // opt-level "z": the playground judges one document per keystroke in a browser, far from
    // any admission path, and "z" makes it about a fifth smaller than the policy modules'
    // "s" (which they keep: at "z" their host calls were two to four times slower).
    let module = crate::cargo_build_at("browser", &[], "z")?;
    let work = root.join("target/dist/browser/bindgen");
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    let input = work.join("secretfree.wasm");
    std::fs::write(&input, &module)?;
    let generated = work.join("out");
    let status = Command::new(&cli)
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--out-name",
            "secretfree",
            "--out-dir",
        ])
        .arg(&generated)
        .arg(&input)
        .status()
        .with_context(|| format!("running {}", cli.display()))?;
    if !status.success() {
        bail!("wasm-bindgen failed");
    }

    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    for name in ["secretfree.js", "secretfree_bg.wasm"] {
        let mut bytes = std::fs::read(generated.join(name))
            .with_context(|| format!("wasm-bindgen wrote no {name}"))?;
        if name.ends_with(".wasm") {
            // After wasm-bindgen, which needs the sections and functions wasm-opt would drop.
            bytes = crate::wasm_opt::optimize(&bytes, "playground")?;
        }
        crate::write(&out.join(name), &bytes)?;
    }
    for name in STATIC_FILES {
        let path = root.join("playground").join(name);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        crate::write(&out.join(name), &bytes)?;
    }
    let catalogue = json!({
        "examples": examples(&root.join("policies/examples"))?,
        "settings": examples(&root.join("policies/settings"))?,
    });
    crate::write(
        &out.join("examples.json"),
        serde_json::to_string(&catalogue)?.as_bytes(),
    )?;

    let wasm = std::fs::read(out.join("secretfree_bg.wasm"))?;
    println!(
        "{:>9} bytes  playground wasm gzipped (-9)",
        crate::sizes::gzip_len(&wasm)?
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_locked_version() {
        let lock = "[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"9\"\n\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_version(lock, "nope"), None);
    }
}
