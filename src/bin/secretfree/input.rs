//! What `check` reads: files, directories (walked once each, symlink loops cut, anything but
//! regular files skipped) and stdin, every one read with a size bound.

use std::collections::{HashSet, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};

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

/// What to read: `-` and paths naming anything but a directory as given; directories walked.
pub fn expand(paths: &[PathBuf]) -> Vec<Found> {
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
            Ok(meta) if meta.is_dir() => walk(&p, &mut out),
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

/// The `.yaml`, `.yml` and `.json` regular files under `root`, sorted (problems first).
///
/// Symlinks to regular files are followed. A symlinked directory is followed only when its
/// canonical path was not walked yet, and only after the real directories (so a file is named
/// by its real path when it has one, and the order does not depend on the directory listing's).
/// Every directory is therefore read at most once: symlink loops end. FIFOs, sockets and
/// devices (also behind symlinks) are skipped with a note, never opened.
fn walk(root: &Path, out: &mut Vec<Found>) {
    let mut visited: HashSet<PathBuf> = HashSet::new();
    let mut real_dirs = vec![root.to_path_buf()];
    let mut linked_dirs: VecDeque<PathBuf> = VecDeque::new();
    let mut files = Vec::new();
    while let Some(dir) = real_dirs.pop().or_else(|| linked_dirs.pop_front()) {
        let canonical = match std::fs::canonicalize(&dir) {
            Ok(c) => c,
            Err(e) => {
                out.push(Found::Unreadable(format!(
                    "cannot read directory {}: {e}",
                    dir.display()
                )));
                continue;
            }
        };
        if !visited.insert(canonical) {
            continue;
        }
        let mut entries: Vec<(PathBuf, std::fs::FileType)> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_type().ok().map(|t| (e.path(), t)))
                .collect(),
            Err(e) => {
                out.push(Found::Unreadable(format!(
                    "cannot read directory {}: {e}",
                    dir.display()
                )));
                continue;
            }
        };
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut subdirs = Vec::new();
        for (path, file_type) in entries {
            let manifest = is_manifest_name(&path);
            if file_type.is_dir() {
                subdirs.push(path);
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
        // Reversed onto the stack: subdirectories are walked in name order.
        real_dirs.extend(subdirs.into_iter().rev());
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
