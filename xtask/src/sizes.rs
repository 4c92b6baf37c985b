//! `xtask sizes` (in `just test`): the size of each wasm artifact in `dist/` against its budget,
//! as a table; fails when one is over (gzip computed here, level 9).

use anyhow::{Context, Result, bail};
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;
use std::path::Path;

/// One artifact's budget: its path under `dist/`, the most bytes, and the most gzipped bytes.
pub struct Budget {
    pub path: &'static str,
    pub bytes: usize,
    pub gzip: Option<usize>,
}

/// The budgets (the performance targets of the artifacts; BENCHMARKS.md "Artifact sizes").
pub const BUDGETS: &[Budget] = &[
    Budget {
        path: "kubewarden/policy.wasm",
        bytes: 250_000,
        gzip: None,
    },
    Budget {
        path: "opa/policy.wasm",
        bytes: 250_000,
        gzip: None,
    },
    Budget {
        path: "component/secretfree.wasm",
        bytes: 250_000,
        gzip: None,
    },
    Budget {
        path: "playground/secretfree_bg.wasm",
        bytes: 500_000,
        gzip: Some(200_000),
    },
];

/// `bytes` gzipped at level 9: its length.
pub fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(bytes)?;
    Ok(gz.finish()?.len())
}

/// Print the table of `dist`'s artifacts; `Err` names those over budget.
pub fn check(dist: &Path) -> Result<()> {
    println!(
        "{:<32} {:>9} {:>9} {:>18}  within budget",
        "artifact", "bytes", "gzip -9", "budget (gzip)"
    );
    let mut over = Vec::new();
    for b in BUDGETS {
        let path = dist.join(b.path);
        let bytes = std::fs::read(&path)
            .with_context(|| format!("reading {} (run `just dist` first)", path.display()))?;
        let gz = gzip_len(&bytes)?;
        let ok = bytes.len() <= b.bytes && b.gzip.is_none_or(|limit| gz <= limit);
        let budget = match b.gzip {
            Some(g) => format!("{} ({g})", b.bytes),
            None => b.bytes.to_string(),
        };
        println!(
            "{:<32} {:>9} {:>9} {:>18}  {}",
            b.path,
            bytes.len(),
            gz,
            budget,
            if ok { "yes" } else { "OVER" }
        );
        if !ok {
            over.push(b.path);
        }
    }
    if !over.is_empty() {
        bail!("over the size budget: {}", over.join(", "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_artifact_over_its_budget_fails() {
        let dir = std::env::temp_dir().join(format!("xtask-sizes-{}", std::process::id()));
        for b in BUDGETS {
            let path = dir.join(b.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, vec![0u8; 1000]).unwrap();
        }
        assert!(check(&dir).is_ok());
        // Incompressible bytes, one over the budget.
        let b = &BUDGETS[0];
        std::fs::write(dir.join(b.path), noise(b.bytes + 1)).unwrap();
        let err = check(&dir).unwrap_err().to_string();
        assert!(err.contains(b.path), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Incompressible bytes.
    fn noise(len: usize) -> Vec<u8> {
        (0..len as u64)
            .map(|i| {
                (i.wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407)
                    >> 56) as u8
            })
            .collect()
    }
}
