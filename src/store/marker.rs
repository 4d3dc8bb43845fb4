//! A small file beside the sled database, `DIR/revision`, that records the
//! last revision applied. sled recovers from a damaged log by keeping what it
//! can read, which can look like an older or even a brand-new store; this
//! file, kept outside sled, is how such a loss is noticed and reported rather
//! than carried on from silently.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const FILE_NAME: &str = "revision";

/// The last applied revision recorded, or None for a store never opened
/// before. Unreadable contents are reported as an error.
pub(super) fn read(dir: &Path) -> Result<Option<u64>, String> {
    match fs::read_to_string(path(dir)) {
        Ok(text) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("{} cannot be read", path(dir).display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path(dir).display())),
    }
}

/// Records `revision` as the last applied, replacing the file whole (write a
/// copy, sync it, rename it over) so a crash leaves the old number or the new.
pub(super) fn write(dir: &Path, revision: u64) -> io::Result<()> {
    let temporary = dir.join(format!("{FILE_NAME}.new"));
    let mut file = File::create(&temporary)?;
    writeln!(file, "{revision}")?;
    file.sync_all()?;
    fs::rename(&temporary, path(dir))?;
    File::open(dir)?.sync_all()
}

fn path(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}
