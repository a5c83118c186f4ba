//! The one way kubenv writes a file: a temporary file in the same folder (so the rename
//! stays on one filesystem), made with the chosen permissions from the start (a secret is
//! never readable by others, not even briefly), optionally fsynced, then renamed over the
//! target. Readers see the old file or the new one, never a torn one.

use super::{Error, Result};
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Permissions of the folders kubenv makes for its files.
pub const DIR_MODE: u32 = 0o700;

/// How a file is written.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Permissions of the new file (the file replaced does not pass its own on).
    pub mode: u32,
    /// Whether to fsync the data before the rename. The rename alone is atomic for every
    /// reader; the fsync only adds durability across a power loss, at a cost of milliseconds.
    pub sync: bool,
}

impl Default for Options {
    /// Private (0600) and synced.
    fn default() -> Self {
        Options {
            mode: 0o600,
            sync: true,
        }
    }
}

/// Makes `dir` and its missing parents, each new one [`DIR_MODE`]; an existing folder is
/// left as it is.
pub fn create_dir(dir: &Path) -> Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(|source| Error::CreateDir {
            path: dir.to_path_buf(),
            source,
        })
}

/// The folder a file is in ("." for a bare file name).
pub fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Replaces `path` (not following a symlink at `path` itself: pass the link's target to
/// keep the link) with `bytes`. The folder must exist ([`create_dir`]). On failure the
/// temporary file is removed and `path` is unchanged.
pub fn write(path: &Path, bytes: &[u8], opts: Options) -> std::io::Result<()> {
    let dir = parent(path);
    let fname = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(".{fname}.kubenv-{}-{}.tmp", std::process::id(), nanos()));
    let res = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(opts.mode)
            .open(&tmp)?;
        f.write_all(bytes)?;
        if opts.sync {
            f.sync_all()?;
        }
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_with_the_chosen_mode_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        create_dir(&sub).unwrap();
        assert_eq!(std::fs::metadata(&sub).unwrap().permissions().mode() & 0o777, 0o700);
        let p = sub.join("f");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&p, b"new", Options::default()).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        write(
            &p,
            b"newer",
            Options {
                mode: 0o640,
                sync: false,
            },
        )
        .unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "newer");
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o640);
        let names: Vec<_> = std::fs::read_dir(&sub)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["f"]);
    }

    #[test]
    fn a_failed_write_leaves_the_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        // The target is a non-empty folder: the rename fails.
        let p = dir.path().join("taken");
        std::fs::create_dir(&p).unwrap();
        std::fs::write(p.join("x"), "keep").unwrap();
        assert!(write(&p, b"new", Options::default()).is_err());
        assert_eq!(std::fs::read_to_string(p.join("x")).unwrap(), "keep");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["taken"]);
    }
}
