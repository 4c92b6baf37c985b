//! `xtask sizes`: the size of each wasm artifact in `dist/` against its budget, as a table;
//! fails when one is over (gzip computed here, level 9). `xtask sizes --ceilings` (in `just
//! test`) fails when an artifact that is still over its budget grows past its ceiling, or one
//! without a ceiling goes over its budget: the sizes reached cannot be lost unnoticed.

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
    /// While the artifact is over its budget: the most bytes it may have (its size when the
    /// ceiling was last lowered, and 1 %), so that it cannot grow back. Lower it as the
    /// artifact shrinks; drop it once the budget is met.
    pub ceiling: Option<usize>,
}

/// The budgets (the performance targets of the artifacts; BENCHMARKS.md "Artifact sizes").
pub const BUDGETS: &[Budget] = &[
    Budget {
        path: "kubewarden/policy.wasm",
        bytes: 250_000,
        gzip: None,
        ceiling: None,
    },
    Budget {
        path: "opa/policy.wasm",
        bytes: 250_000,
        gzip: None,
        ceiling: Some(260_800),
    },
    Budget {
        path: "component/secretfree.wasm",
        bytes: 250_000,
        gzip: None,
        ceiling: None,
    },
    Budget {
        path: "playground/secretfree_bg.wasm",
        bytes: 500_000,
        gzip: Some(200_000),
        ceiling: None,
    },
];

/// `bytes` gzipped at level 9: its length.
pub fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(bytes)?;
    Ok(gz.finish()?.len())
}

/// Print the table of `dist`'s artifacts; `Err` names those over budget (`ceilings`: those
/// over their ceiling, or over budget without one).
pub fn check(dist: &Path, ceilings: bool) -> Result<()> {
    check_against(dist, BUDGETS, ceilings)
}

fn check_against(dist: &Path, budgets: &[Budget], ceilings: bool) -> Result<()> {
    println!(
        "{:<32} {:>9} {:>9} {:>18} {:>9}  within budget",
        "artifact", "bytes", "gzip -9", "budget (gzip)", "ceiling"
    );
    let mut over = Vec::new();
    let mut above = Vec::new();
    for b in budgets {
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
            "{:<32} {:>9} {:>9} {:>18} {:>9}  {}",
            b.path,
            bytes.len(),
            gz,
            budget,
            b.ceiling.map_or_else(|| "-".to_owned(), |c| c.to_string()),
            if ok { "yes" } else { "OVER" }
        );
        if !ok {
            over.push(b.path);
        }
        match b.ceiling {
            Some(ceiling) if bytes.len() > ceiling => above.push(b.path),
            None if !ok => above.push(b.path),
            _ => {}
        }
    }
    if ceilings {
        if !above.is_empty() {
            bail!(
                "over the size ceiling (or, without one, the budget): {}",
                above.join(", ")
            );
        }
        if !over.is_empty() {
            println!("still over the size budget: {}", over.join(", "));
        }
    } else if !over.is_empty() {
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
        assert!(check(&dir, false).is_ok());
        assert!(check(&dir, true).is_ok());
        // Incompressible bytes, one over the budget.
        let b = &BUDGETS[0];
        std::fs::write(dir.join(b.path), noise(b.bytes + 1)).unwrap();
        let err = check(&dir, false).unwrap_err().to_string();
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

    #[test]
    fn ceilings_hold_what_is_over_budget_and_budgets_the_rest() {
        let dir = std::env::temp_dir().join(format!("xtask-ceilings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let budgets = [
            Budget {
                path: "over.wasm",
                bytes: 100,
                gzip: None,
                ceiling: Some(200),
            },
            Budget {
                path: "within.wasm",
                bytes: 100,
                gzip: None,
                ceiling: None,
            },
        ];
        let write = |over: usize, within: usize| {
            std::fs::write(dir.join("over.wasm"), noise(over)).unwrap();
            std::fs::write(dir.join("within.wasm"), noise(within)).unwrap();
        };
        // Over its budget but under its ceiling: the ceiling check passes, the budget check fails.
        write(150, 50);
        assert!(check_against(&dir, &budgets, true).is_ok());
        assert!(check_against(&dir, &budgets, false).is_err());
        // Past its ceiling.
        write(201, 50);
        let err = check_against(&dir, &budgets, true).unwrap_err().to_string();
        assert!(
            err.contains("over.wasm") && !err.contains("within.wasm"),
            "{err}"
        );
        // Without a ceiling, the budget is the limit.
        write(150, 101);
        let err = check_against(&dir, &budgets, true).unwrap_err().to_string();
        assert!(
            err.contains("within.wasm") && !err.contains("over.wasm"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
