//! `wasm-opt -Oz --converge --low-memory-unused` (binaryen) over each core module: 11 to 13 %
//! smaller artifacts.
//!
//! The binaryen version is pinned so two builds give the same bytes: a `wasm-opt` on PATH is
//! used only when it is exactly [`BINARYEN_VERSION`], otherwise the `binaryen` npm package of
//! that version is installed into `target/tools` (once) and run with Node. When neither can be
//! had (no Node, no registry), the build goes on without it and says so: the artifacts work the
//! same, they are only larger (and `xtask sizes`, part of `just test`, then fails).

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The binaryen release (`binaryen` on npm: `<release>.0.0`).
pub const BINARYEN_VERSION: &str = "132";

/// The features rustc enables for wasm32-unknown-unknown (its `target_features` section, which
/// the stripped module no longer carries): wasm-opt may use these and no others.
const FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-bulk-memory-opt",
    "--enable-call-indirect-overlong",
    "--enable-multivalue",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-sign-ext",
];

/// How to run wasm-opt: the program and the arguments before wasm-opt's own.
struct Tool {
    program: PathBuf,
    args: Vec<PathBuf>,
}

/// `wasm-opt version 132 (version_132)` -> `132`.
fn reported_version(output: &str) -> Option<&str> {
    output
        .strip_prefix("wasm-opt version ")?
        .split_whitespace()
        .next()
}

fn version_of(tool: &Tool) -> Option<String> {
    let out = Command::new(&tool.program)
        .args(&tool.args)
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    reported_version(text.trim()).map(str::to_owned)
}

/// The pinned wasm-opt: from PATH when it is that version, else from npm into `target/tools`.
fn find(root: &Path) -> Result<Tool> {
    let on_path = Tool {
        program: "wasm-opt".into(),
        args: Vec::new(),
    };
    if version_of(&on_path).as_deref() == Some(BINARYEN_VERSION) {
        return Ok(on_path);
    }
    let prefix = root.join(format!("target/tools/binaryen-{BINARYEN_VERSION}"));
    let script = prefix.join("node_modules/binaryen/bin/wasm-opt");
    let npm_tool = Tool {
        program: "node".into(),
        args: vec![script.clone()],
    };
    if !script.exists() {
        eprintln!(
            "installing wasm-opt (the binaryen npm package {BINARYEN_VERSION}.0.0) into {}",
            prefix.display()
        );
        std::fs::create_dir_all(&prefix)?;
        let status = Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
            ])
            .arg(&prefix)
            .arg(format!("binaryen@{BINARYEN_VERSION}.0.0"))
            .status()
            .context("running npm (Node.js and npm install binaryen)")?;
        if !status.success() {
            bail!("npm install binaryen@{BINARYEN_VERSION}.0.0 failed");
        }
    }
    match version_of(&npm_tool) {
        Some(v) if v == BINARYEN_VERSION => Ok(npm_tool),
        other => bail!(
            "{} reports binaryen {other:?}, not {BINARYEN_VERSION}",
            script.display()
        ),
    }
}

/// `module` through `wasm-opt -Oz --converge --low-memory-unused` (after checking that its layout
/// allows the latter), or unchanged (with a warning) when wasm-opt cannot be had.
/// `name` names the module's files under `target/dist/wasm-opt`.
pub fn optimize(module: &[u8], name: &str) -> Result<Vec<u8>> {
    let root = crate::repo_root();
    let tool = match find(&root) {
        Ok(tool) => tool,
        Err(err) => {
            eprintln!(
                "warning: wasm-opt {BINARYEN_VERSION} is not available ({err:#}); {name} is built without it and is larger"
            );
            return Ok(module.to_vec());
        }
    };
    if !crate::wasm::low_memory_unused(module)? {
        bail!(
            "{name} puts data in the first KiB of memory or above its stack's start: wasm-opt --low-memory-unused would be unsafe"
        );
    }
    let work = root.join("target/dist/wasm-opt");
    std::fs::create_dir_all(&work)?;
    let input = work.join(format!("{name}.in.wasm"));
    let output = work.join(format!("{name}.out.wasm"));
    std::fs::write(&input, module).with_context(|| format!("writing {}", input.display()))?;
    let status = Command::new(&tool.program)
        .args(&tool.args)
        .arg("-Oz")
        // Repeat the passes while they still shrink the module: about 1 KB more per module.
        .arg("--converge")
        // No module reads or writes the first 1 KiB of its memory: it is the far end of the
        // stack, which comes first (the data starts at 1 MiB, at 64 KiB in the OPA module), so
        // only an overflowing stack reaches it. Binaryen may then fold a constant added to an
        // address into the access's offset (an `add` that wrapped below 1 KiB would be such an
        // access): about 2 KB less per module.
        .arg("--low-memory-unused")
        .args(FEATURES)
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .status()
        .context("running wasm-opt")?;
    if !status.success() {
        bail!("wasm-opt -Oz failed on {name}");
    }
    std::fs::read(&output).with_context(|| format!("reading {}", output.display()))
}

#[cfg(test)]
mod tests {
    use super::reported_version;

    #[test]
    fn reads_the_version_line() {
        assert_eq!(
            reported_version("wasm-opt version 132 (version_132)"),
            Some("132")
        );
        assert_eq!(reported_version("wasm-opt version 108"), Some("108"));
        assert_eq!(reported_version("something else"), None);
    }
}
