//! The platforms keyseat ships for, and what each calls things.

use crate::error::{Result, bail};

/// A platform the artifacts are built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Platform {
    /// x86-64 Linux with glibc 2.17 or later.
    LinuxX64,
    /// x86-64 Windows.
    WindowsX64,
    /// Apple silicon macOS (built on a Mac only).
    MacosArm64,
    /// Intel macOS (built on a Mac only).
    MacosX64,
}

impl Platform {
    /// Every platform, in the order artifacts are listed.
    pub const ALL: [Platform; 4] = [
        Platform::LinuxX64,
        Platform::WindowsX64,
        Platform::MacosArm64,
        Platform::MacosX64,
    ];

    /// The name `--platform` takes.
    pub fn name(self) -> &'static str {
        match self {
            Platform::LinuxX64 => "linux",
            Platform::WindowsX64 => "windows",
            Platform::MacosArm64 => "macos-arm64",
            Platform::MacosX64 => "macos-x64",
        }
    }

    /// The platform named `name`.
    pub fn parse(name: &str) -> Result<Platform> {
        match Platform::ALL.into_iter().find(|p| p.name() == name) {
            Some(p) => Ok(p),
            None => bail!(
                "unknown platform {name:?}: one of {}",
                Platform::ALL.map(Platform::name).join(", ")
            ),
        }
    }

    /// The platforms the host can build: Linux builds Linux and (cross) Windows; a Mac
    /// builds both macOS targets.
    pub fn buildable_here() -> Vec<Platform> {
        if cfg!(target_os = "macos") {
            vec![Platform::MacosArm64, Platform::MacosX64]
        } else {
            vec![Platform::LinuxX64, Platform::WindowsX64]
        }
    }

    /// The oldest macOS the platform's artifacts run on (Rust's own minimum for the target),
    /// or `None` for a platform that is not macOS.
    pub fn macos_minimum(self) -> Option<&'static str> {
        match self {
            Platform::MacosArm64 => Some("11.0"),
            Platform::MacosX64 => Some("10.12"),
            _ => None,
        }
    }

    /// The Rust target triple.
    pub fn triple(self) -> &'static str {
        match self {
            Platform::LinuxX64 => "x86_64-unknown-linux-gnu",
            Platform::WindowsX64 => "x86_64-pc-windows-gnu",
            Platform::MacosArm64 => "aarch64-apple-darwin",
            Platform::MacosX64 => "x86_64-apple-darwin",
        }
    }

    /// The platform's part of npm package and addon names (`@keyseat/<this>`,
    /// `keyseat.<this>.node`), as Node's `process.platform`-`process.arch` name it. The
    /// Windows addon is built with the GNU toolchain but serves official (MSVC) Node, which
    /// looks for `-msvc`: it speaks only Node-API.
    pub fn node_name(self) -> &'static str {
        match self {
            Platform::LinuxX64 => "linux-x64-gnu",
            Platform::WindowsX64 => "win32-x64-msvc",
            Platform::MacosArm64 => "darwin-arm64",
            Platform::MacosX64 => "darwin-x64",
        }
    }

    /// npm's `os`, `cpu` and `libc` fields of the platform package. No `libc` on Windows:
    /// npm would skip a package that names one there.
    pub fn npm_fields(self) -> (&'static str, &'static str, Option<&'static str>) {
        match self {
            Platform::LinuxX64 => ("linux", "x64", Some("glibc")),
            Platform::WindowsX64 => ("win32", "x64", None),
            Platform::MacosArm64 => ("darwin", "arm64", None),
            Platform::MacosX64 => ("darwin", "x64", None),
        }
    }

    /// True for Windows.
    pub fn is_windows(self) -> bool {
        self == Platform::WindowsX64
    }

    /// True for either macOS.
    pub fn is_macos(self) -> bool {
        matches!(self, Platform::MacosArm64 | Platform::MacosX64)
    }

    /// `.exe` on Windows, nothing elsewhere.
    pub fn exe(self, name: &str) -> String {
        if self.is_windows() {
            format!("{name}.exe")
        } else {
            name.to_owned()
        }
    }

    /// The archive format of the platform's archives, as cargo-dist makes them: zip for
    /// Windows, tar.xz elsewhere.
    pub fn archive_extension(self) -> &'static str {
        if self.is_windows() { "zip" } else { "tar.xz" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_refused() {
        for p in Platform::ALL {
            assert_eq!(Platform::parse(p.name()).unwrap(), p);
        }
        let e = Platform::parse("linux-arm").unwrap_err().to_string();
        assert!(e.contains("linux, windows, macos-arm64, macos-x64"), "{e}");
    }

    #[test]
    fn windows_ships_as_msvc_to_node_and_names_no_libc() {
        assert_eq!(Platform::WindowsX64.node_name(), "win32-x64-msvc");
        assert_eq!(Platform::WindowsX64.npm_fields(), ("win32", "x64", None));
        assert_eq!(Platform::LinuxX64.npm_fields().2, Some("glibc"));
        assert_eq!(Platform::WindowsX64.exe("licensectl"), "licensectl.exe");
        assert_eq!(Platform::LinuxX64.exe("licensectl"), "licensectl");
        assert_eq!(Platform::WindowsX64.archive_extension(), "zip");
        assert_eq!(Platform::MacosArm64.archive_extension(), "tar.xz");
    }
}
