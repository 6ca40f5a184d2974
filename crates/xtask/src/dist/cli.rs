//! The CLI archive, `licensectl-<v>-<target>`: `licensectl`, `keyseat-emulator` (so that a
//! vendor can test their own app's licensing in their own CI), the license and a README.

use std::path::{Path, PathBuf};

use crate::archive::{Archive, Mode};
use crate::dist::template::fill;
use crate::error::Result;
use crate::platform::Platform;
use crate::workspace::Workspace;

const README: &str = include_str!("../../templates/cli/README.md");

/// Writes the CLI archive of `platform` into `out`; returns its path.
pub fn package(
    ws: &Workspace,
    platform: Platform,
    licensectl: &Path,
    emulator: &Path,
    out: &Path,
) -> Result<PathBuf> {
    let top = format!("licensectl-{}-{}", ws.version, platform.triple());
    let mut a = Archive::new(&top);
    a.copy(&platform.exe("licensectl"), licensectl, Mode::Executable)?;
    a.copy(
        &platform.exe("keyseat-emulator"),
        emulator,
        Mode::Executable,
    )?;
    a.copy("LICENSE", &ws.file("LICENSE"), Mode::Data)?;
    a.add(
        "README.md",
        fill(
            README,
            &[("VERSION", &ws.version), ("TRIPLE", platform.triple())],
        )?
        .into_bytes(),
        Mode::Data,
    );
    let path = out.join(format!("{top}.{}", platform.archive_extension()));
    a.write(&path, ws.epoch)?;
    Ok(path)
}
