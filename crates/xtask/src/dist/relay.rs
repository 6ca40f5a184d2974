//! The relay's archive, `keyseat-relay-<v>-<target>` (Linux only: it is a server): the
//! binary, its systemd unit and container file (`crates/keyseat-relay/deploy`), the license
//! and a README.

use std::path::{Path, PathBuf};

use crate::archive::{Archive, Mode};
use crate::dist::template::fill;
use crate::error::Result;
use crate::platform::Platform;
use crate::workspace::Workspace;

const README: &str = include_str!("../../templates/relay/README.md");

/// The files of `crates/keyseat-relay/deploy` the archive holds, at its top.
pub const DEPLOY_FILES: [&str; 2] = ["keyseat-relay.service", "Containerfile"];

/// Whether `platform` gets a relay archive.
pub fn ships_on(platform: Platform) -> bool {
    platform == Platform::LinuxX64
}

/// Writes the relay archive of `platform` into `out`; returns its path.
pub fn package(ws: &Workspace, platform: Platform, relay: &Path, out: &Path) -> Result<PathBuf> {
    let top = format!("keyseat-relay-{}-{}", ws.version, platform.triple());
    let mut a = Archive::new(&top);
    a.copy(&platform.exe("keyseat-relay"), relay, Mode::Executable)?;
    for file in DEPLOY_FILES {
        a.copy(
            file,
            &ws.file(&format!("crates/keyseat-relay/deploy/{file}")),
            Mode::Data,
        )?;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_linux_ships_a_relay_and_its_readme_fills() {
        assert!(ships_on(Platform::LinuxX64));
        assert!(!ships_on(Platform::WindowsX64));
        assert!(!ships_on(Platform::MacosArm64));
        let text = fill(README, &[("VERSION", "1.2.3"), ("TRIPLE", "x")]).unwrap();
        assert!(text.starts_with("# keyseat-relay 1.2.3, x"));
        for file in DEPLOY_FILES {
            assert!(
                text.contains(&format!("`{file}`")),
                "the README names {file}"
            );
        }
    }
}
