//! A scratch file that each fuzz target rewrites per input, because the readers take paths.

use std::path::PathBuf;
use std::sync::OnceLock;

/// Writes `bytes` to this process's scratch file named `name` and returns its path.
pub fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("cannot create a scratch folder"));
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("cannot write the scratch file");
    path
}
