//! `cargo run --manifest-path xtask/Cargo.toml -- <command>`
//!
//! - `dist`: build every artifact into `dist/` (DESIGN §7, the playground included) and write
//!   `dist/SHA256SUMS`.
//! - `artifacthub [--check]`: write `policies/kubewarden/artifacthub-pkg.yml` from the policy
//!   metadata (`--check`: fail when the committed file is stale; `dist` checks too).
//! - `sizes`: each wasm artifact in `dist/` against its size budget (a table; fails when over).
//! - `inspect FILE...`: print a module's imports, exports, memories, globals and custom sections.
//!
//! Builds go to `target/dist` with paths remapped, so two clean builds give the same bytes; each
//! core module then goes through `wasm-opt -Oz --converge` of a pinned binaryen (`wasm_opt`).

mod artifacthub;
mod component;
mod kubewarden;
mod opa;
mod playground;
mod sizes;
mod wasm;
mod wasm_opt;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("dist") => dist(args.get(1..).unwrap_or_default()),
        Some("artifacthub") => match args.get(1).map(String::as_str) {
            None => artifacthub::write(&repo_root()),
            Some("--check") => artifacthub::checked(&repo_root()).map(|_| {
                println!("{} is up to date", artifacthub::PKG);
            }),
            Some(other) => bail!("xtask artifacthub: unknown argument {other:?}"),
        },
        Some("sizes") => match args.get(1).map(String::as_str) {
            None => sizes::check(&repo_root().join("dist")),
            Some(other) => bail!("xtask sizes: unknown argument {other:?}"),
        },
        Some("inspect") => {
            for file in args.get(1..).unwrap_or_default() {
                let bytes = std::fs::read(file).with_context(|| format!("reading {file}"))?;
                println!("{file}:\n{}", wasm::describe(&bytes)?);
            }
            Ok(())
        }
        _ => {
            eprintln!(
                "usage: xtask dist [kubewarden|opa|component|playground]... | xtask artifacthub [--check] | xtask sizes | xtask inspect FILE..."
            );
            std::process::exit(2);
        }
    }
}

/// The policy modules' opt-level. The release profile's own (3) is for the native command line
/// and benches; "s" makes the modules about a fifth smaller, and at "z" their host calls were
/// two to four times slower.
const MODULE_OPT_LEVEL: &str = "s";

/// LLVM's inliner limits for the Kubewarden and component modules. At opt-level "s"
/// a function marked `#[inline]` may be inlined up to a cost of 325 (LLVM's default
/// `inlinehint-threshold`), and one that is not, up to 75 (`inline-threshold`). The standard
/// library marks most of its small generic functions (`Vec::push`, `String::from`,
/// `Option::map`, ...): copies of them made up a third of each module. A hint limit of 100
/// keeps what the reader's loops call in line (at 50 or 80, `str::get`, `Reader::peek_value`
/// and drops became calls, and every host call was 10 to 60 % slower); the limit for unmarked
/// functions costs no measurable time down to 5. Against LLVM's limits these make the
/// Kubewarden module 21 KB smaller (BENCHMARKS.md "Artifact sizes").
const MODULE_INLINING: &[&str] = &[
    "-Cllvm-args=-inlinehint-threshold=100",
    "-Cllvm-args=-inline-threshold=5",
];

/// The OPA module's limits: a hint limit of 40 makes it 8 KB smaller than 100 (2 and 4 KB at 80
/// and 60; below 40 it grows again), which brings it within its 250 KB. What that limit would
/// leave as calls in the request reader's loops (`Reader::peek_value`, `scan_plain`, ...) is
/// marked `inline(always)` for wasm32, and the reader slices strings without `str::get`: its
/// small call stays 2.8 times native, as at 100 (3.5 times without them). The other modules are
/// within their budgets at 100, where they are faster.
const OPA_INLINING: &[&str] = &[
    "-Cllvm-args=-inlinehint-threshold=40",
    "-Cllvm-args=-inline-threshold=5",
];

/// The inliner flags of `feature`'s module (the playground keeps LLVM's).
fn inlining(feature: &str) -> &'static [&'static str] {
    match feature {
        "kubewarden" | "component" => MODULE_INLINING,
        "opa" => OPA_INLINING,
        _ => &[],
    }
}

/// Build one cdylib for wasm32 with one host feature; `link_args` go to the final link only.
pub fn cargo_build(feature: &str, link_args: &[&str]) -> Result<Vec<u8>> {
    cargo_build_at(feature, link_args, MODULE_OPT_LEVEL)
}

/// [`cargo_build`] at another `opt_level`.
pub fn cargo_build_at(feature: &str, link_args: &[&str], opt_level: &str) -> Result<Vec<u8>> {
    let root = repo_root();
    let target_dir = root.join("target/dist").join(feature);
    let cargo_home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo")
        });
    // Machine paths never reach the artifact.
    let mut flags = vec![
        format!("--remap-path-prefix={}=/secretfree", root.display()),
        format!("--remap-path-prefix={}=/cargo", cargo_home.display()),
    ];
    flags.extend(inlining(feature).iter().map(|f| f.to_string()));
    let remap = flags.join("\x1f");
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(&root)
        .env("CARGO_ENCODED_RUSTFLAGS", remap)
        .env("CARGO_TARGET_DIR", &target_dir)
        .env_remove("RUSTFLAGS")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", opt_level)
        .args([
            "rustc",
            "--quiet",
            "--locked",
            "--lib",
            "--release",
            "--crate-type",
            "cdylib",
        ])
        .args([
            "--target",
            TARGET,
            "--no-default-features",
            "--features",
            feature,
        ]);
    if !link_args.is_empty() {
        cmd.arg("--");
        for a in link_args {
            cmd.args(["-C", &format!("link-arg={a}")]);
        }
    }
    let status = cmd.status().context("running cargo")?;
    if !status.success() {
        bail!("cargo build of the {feature} module failed");
    }
    let out = target_dir.join(TARGET).join("release/secretfree.wasm");
    std::fs::read(&out).with_context(|| format!("reading {}", out.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    println!(
        "{:>9} bytes  {}",
        bytes.len(),
        path.strip_prefix(repo_root()).unwrap_or(path).display()
    );
    Ok(())
}

fn dist(only: &[String]) -> Result<()> {
    let root = repo_root();
    let dist = root.join("dist");
    let want = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    if want("kubewarden") {
        // Artifact Hub's package file, checked against the metadata before anything is built.
        let pkg = artifacthub::checked(&root)?;
        write(&dist.join("kubewarden/artifacthub-pkg.yml"), pkg.as_bytes())?;
        let module = wasm_opt::optimize(&cargo_build("kubewarden", &[])?, "kubewarden")?;
        wasm::check_no_opa_exports(&module)?;
        let annotated = kubewarden::annotate(
            &module,
            &root.join("policies/kubewarden/metadata.yml"),
            "kubewarden-wapc",
            "v1",
        )?;
        write(&dist.join("kubewarden/policy.wasm"), &annotated)?;
    }
    if want("opa") {
        let module = opa::build()?;
        let manifest = std::fs::read(root.join("policies/opa/manifest.json"))
            .context("policies/opa/manifest.json")?;
        let data =
            std::fs::read(root.join("policies/opa/data.json")).context("policies/opa/data.json")?;
        let bundle = opa::bundle(&module, &manifest, &data)?;
        write(&dist.join("opa/policy.wasm"), &module)?;
        write(&dist.join("opa/bundle.tar.gz"), &bundle)?;
        for mode in ["opa", "gatekeeper"] {
            let annotated = kubewarden::annotate(
                &module,
                &root.join("policies/kubewarden/metadata.yml"),
                mode,
                "Unknown",
            )?;
            write(
                &dist.join(format!("kubewarden/{mode}-policy.wasm")),
                &annotated,
            )?;
        }
    }
    if want("component") {
        // Optimized as a core module: binaryen reads no components.
        let module = wasm_opt::optimize(&cargo_build("component", &[])?, "component")?;
        let component = component::componentize(&module)?;
        write(&dist.join("component/secretfree.wasm"), &component)?;
    }
    if want("playground") {
        playground::build(&root, &dist.join("playground"))?;
    }
    write_sums(&dist)
}

/// `dist/SHA256SUMS`: every file under dist/ (sorted), `sha256sum -c` format.
fn write_sums(dist: &Path) -> Result<()> {
    let mut files = Vec::new();
    let mut stack = vec![dist.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n != "SHA256SUMS") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut out = String::new();
    for f in files {
        let digest = Sha256::digest(std::fs::read(&f)?);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let rel = f.strip_prefix(dist).unwrap_or(&f).display().to_string();
        out.push_str(&format!("{hex}  {rel}\n"));
    }
    write(&dist.join("SHA256SUMS"), out.as_bytes())
}
