//! What `check` reads: files, directories (walked once each as git would: `.gitignore`, hidden
//! folders and `--exclude` globs honoured, symlink loops cut, anything but regular files
//! skipped) and stdin, every one read with a size bound.

use ignore::WalkBuilder;
use ignore::overrides::{Override, OverrideBuilder};
use std::collections::{HashSet, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The most one manifest file (or stdin) may hold: 16 times the 3 MiB the API server accepts
/// for one request. Bigger input is an error for that file, found before it is read (by its
/// size) or while it is read (a file that grows, a pipe): never more than this is held.
pub const MAX_MANIFEST_BYTES: u64 = secretfree::MAX_INPUT_BYTES as u64 * 16;

/// What `check` found to read.
pub enum Found {
    /// A file to read (`-`: stdin). `walked`: found in a directory, so it must be (still) a
    /// regular file when opened; paths named on the command line are read whatever they are.
    Read { path: PathBuf, walked: bool },
    /// Cannot be read: the message names it (exit code 2).
    Unreadable(String),
    /// Left out of a directory walk, with a note on stderr (the exit code does not change).
    Skipped(String),
}

fn is_manifest_name(path: &Path) -> bool {
    path.extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| matches!(x, "yaml" | "yml" | "json"))
}

/// How a directory walk chooses files, beside their names: `.gitignore` (also outside a git
/// checkout), `.ignore`, hidden files and folders, and `--exclude` globs.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Globs (gitignore syntax) matched against paths relative to the directory walked.
    pub exclude: Vec<String>,
}

/// What to read: `-` and paths naming anything but a directory as given; directories walked.
pub fn expand(paths: &[PathBuf], options: &WalkOptions) -> Vec<Found> {
    let mut out = Vec::new();
    let list: Vec<PathBuf> = if paths.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        paths.to_vec()
    };
    for p in list {
        if p.as_os_str() == "-" {
            out.push(Found::Read {
                path: p,
                walked: false,
            });
            continue;
        }
        match std::fs::metadata(&p) {
            Ok(meta) if meta.is_dir() => walk(&p, options, &mut out),
            // A file, or a pipe such as `<(kubectl get ... -o yaml)`: read with the size bound.
            Ok(_) => out.push(Found::Read {
                path: p,
                walked: false,
            }),
            Err(e) => out.push(Found::Unreadable(format!(
                "cannot read {}: {e}",
                p.display()
            ))),
        }
    }
    out
}

/// `--exclude` globs as `ignore` overrides (each one an ignore rule, `!glob`), relative to `root`.
fn excludes(root: &Path, globs: &[String]) -> Result<Override, String> {
    let mut builder = OverrideBuilder::new(root);
    for glob in globs {
        builder
            .add(&format!("!{glob}"))
            .map_err(|e| format!("--exclude {glob}: {e}"))?;
    }
    builder.build().map_err(|e| format!("--exclude: {e}"))
}

/// The `.yaml`, `.yml` and `.json` regular files under `root`, sorted (problems first).
///
/// Files and folders that `.gitignore` or `.ignore` files name (also outside a git checkout),
/// hidden ones (`.github/`, `.git/`), `node_modules/` folders and those an `--exclude` glob
/// matches are left out.
/// Symlinks to regular files are followed. A symlinked directory is followed only when its
/// canonical path was not walked yet, and only after the real directories (so a file is named
/// by its real path when it has one, and the order does not depend on the directory listing's).
/// Every directory is therefore read at most once: symlink loops end. FIFOs, sockets and
/// devices (also behind symlinks) are skipped with a note, never opened.
fn walk(root: &Path, options: &WalkOptions, out: &mut Vec<Found>) {
    let overrides = match excludes(root, &options.exclude) {
        Ok(o) => o,
        Err(e) => {
            out.push(Found::Unreadable(e));
            return;
        }
    };
    let visited: Arc<Mutex<HashSet<PathBuf>>> = Arc::default();
    let mut linked_dirs: VecDeque<PathBuf> = VecDeque::from([root.to_path_buf()]);
    let mut files = Vec::new();
    while let Some(start) = linked_dirs.pop_front() {
        let canonical = match std::fs::canonicalize(&start) {
            Ok(c) => c,
            Err(e) => {
                out.push(Found::Unreadable(format!(
                    "cannot read directory {}: {e}",
                    start.display()
                )));
                continue;
            }
        };
        // The start of each walk is not filtered: it is marked walked here.
        if !visited.lock().is_ok_and(|mut v| v.insert(canonical)) {
            continue;
        }
        let seen = Arc::clone(&visited);
        let walker = WalkBuilder::new(&start)
            .follow_links(false)
            .hidden(true)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(false)
            .require_git(false)
            .parents(true)
            .overrides(overrides.clone())
            .sort_by_file_name(|a, b| a.cmp(b))
            // Each real directory once: a second way into it (a bind mount, the start of a
            // linked walk already inside the first) is cut here.
            .filter_entry(move |entry| {
                if !entry.file_type().is_some_and(|t| t.is_dir()) {
                    return true;
                }
                // Installed Node packages are never the repository's manifests, ignored or not.
                if entry.depth() > 0 && entry.file_name() == "node_modules" {
                    return false;
                }
                match std::fs::canonicalize(entry.path()) {
                    Ok(c) => seen.lock().is_ok_and(|mut v| v.insert(c)),
                    Err(_) => true,
                }
            })
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    out.push(Found::Unreadable(format!("cannot read directory: {e}")));
                    continue;
                }
            };
            let Some(file_type) = entry.file_type() else {
                continue;
            };
            let path = entry.into_path();
            let manifest = is_manifest_name(&path);
            if file_type.is_dir() {
                continue;
            } else if file_type.is_file() {
                if manifest {
                    files.push(path);
                }
            } else if file_type.is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(meta) if meta.is_dir() => linked_dirs.push_back(path),
                    Ok(meta) if meta.is_file() && manifest => files.push(path),
                    Ok(_) if manifest => out.push(Found::Skipped(format!(
                        "skipping {}: not a regular file",
                        path.display()
                    ))),
                    Err(e) if manifest => out.push(Found::Unreadable(format!(
                        "cannot read {}: {e}",
                        path.display()
                    ))),
                    _ => {}
                }
            } else if manifest {
                out.push(Found::Skipped(format!(
                    "skipping {}: not a regular file",
                    path.display()
                )));
            }
        }
    }
    files.sort();
    out.extend(
        files
            .into_iter()
            .map(|path| Found::Read { path, walked: true }),
    );
}

fn too_large(path: &Path, size: Option<u64>) -> String {
    let size = size.map(|n| format!("{n} bytes, ")).unwrap_or_default();
    format!(
        "{}: {size}more than the {MAX_MANIFEST_BYTES} bytes ({} MiB) a manifest may hold",
        display(path),
        MAX_MANIFEST_BYTES / (1024 * 1024)
    )
}

/// Read one input, at most [`MAX_MANIFEST_BYTES`]. `Ok(None)`: a walked entry that is no longer
/// a regular file once opened (skipped).
pub fn read_input(path: &Path, walked: bool) -> Result<Option<String>, String> {
    let mut bytes = Vec::new();
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", display(path));
    if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_MANIFEST_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot)?;
    } else {
        let file = std::fs::File::open(path).map_err(cannot)?;
        // Checked on the opened file: what is read is what was checked.
        let meta = file.metadata().map_err(cannot)?;
        if meta.is_dir() {
            return Err(format!("cannot read {}: is a directory", display(path)));
        }
        if walked && !meta.is_file() {
            return Ok(None);
        }
        if meta.is_file() && meta.len() > MAX_MANIFEST_BYTES {
            return Err(too_large(path, Some(meta.len())));
        }
        file.take(MAX_MANIFEST_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot)?;
    }
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(too_large(path, None));
    }
    String::from_utf8(bytes).map(Some).map_err(|e| {
        format!(
            "{}: not UTF-8 text (invalid byte at offset {})",
            display(path),
            e.utf8_error().valid_up_to()
        )
    })
}

pub fn display(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "<stdin>".into()
    } else {
        path.display().to_string()
    }
}
