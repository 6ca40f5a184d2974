//! A platform built beside another: a child xtask (`dist --platform P --common no`) with a
//! work folder, an output folder and a cargo target folder of its own, its output in a log
//! that is printed when it ends.
//!
//! A release build spends much of its time in fat LTO, which runs on one core: two
//! platforms built at once keep both cores of a small build machine busy. A cargo target
//! folder of its own is what lets the child build at all while the parent does (cargo
//! locks the host's build folder of a target folder), and costs nothing, since the two
//! platforms' builds share no compiled crate.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use crate::checksum;
use crate::error::{Context, Result, bail};
use crate::platform::Platform;
use crate::workspace::Workspace;

/// A child xtask building one platform's artifacts.
pub struct Beside {
    platform: Platform,
    child: Option<Child>,
    out: PathBuf,
    log: PathBuf,
    started: Instant,
}

impl Beside {
    /// Starts building `platform`'s artifacts beside this process, in `work`'s subfolder
    /// `beside-<platform>`.
    pub fn start(ws: &Workspace, platform: Platform, work: &Path) -> Result<Beside> {
        let dir = work.join(format!("beside-{}", platform.name()));
        std::fs::create_dir_all(&dir).context(format!("creating {}", dir.display()))?;
        let out = dir.join("out");
        let log = dir.join("log.txt");
        let log_file = File::create(&log).context(format!("creating {}", log.display()))?;
        let log_err = log_file
            .try_clone()
            .context(format!("opening {} twice", log.display()))?;
        let exe = std::env::current_exe().context("finding the xtask's own program")?;
        let args = child_args(platform, &out, &dir.join("work"));
        println!(
            "building {} beside, as `xtask {}` (its log: {})",
            platform.name(),
            args.join(" "),
            log.display()
        );
        let child = Command::new(exe)
            .args(&args)
            .env("CARGO_TARGET_DIR", target_dir(ws, platform))
            .current_dir(&ws.root)
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err)
            .spawn()
            .context(format!("starting the build of {}", platform.name()))?;
        Ok(Beside {
            platform,
            child: Some(child),
            out,
            log,
            started: Instant::now(),
        })
    }

    /// Waits for the child, prints its log, and copies its artifacts (those its
    /// `sha256.sum` lists) into `out`; returns their paths there.
    pub fn finish(mut self, out: &Path) -> Result<Vec<PathBuf>> {
        let Some(mut child) = self.child.take() else {
            bail!(
                "the build of {} was already waited for",
                self.platform.name()
            );
        };
        let status = child
            .wait()
            .context(format!("waiting for the build of {}", self.platform.name()))?;
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        println!(
            "\n== {} (built beside, {}s), its log:\n{log}",
            self.platform.name(),
            self.started.elapsed().as_secs()
        );
        if !status.success() {
            bail!("the build of {} failed ({status})", self.platform.name());
        }
        // Checked against the child's own sums, then copied.
        let sums = checksum::verify(&self.out)?;
        let mut copied = Vec::new();
        for name in sums.keys() {
            let to = out.join(name);
            std::fs::copy(self.out.join(name), &to).context(format!("copying {name}"))?;
            copied.push(to);
        }
        if copied.is_empty() {
            bail!("the build of {} made no artifact", self.platform.name());
        }
        Ok(copied)
    }
}

impl Drop for Beside {
    /// A child still running when the parent gives up (its own build failed) is stopped,
    /// not left to build on.
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The child's arguments: this platform only, no universal library, no
/// platform-independent artifacts, its own output and work folders.
fn child_args(platform: Platform, out: &Path, work: &Path) -> Vec<String> {
    [
        "dist",
        "--platform",
        platform.name(),
        "--universal2",
        "no",
        "--common",
        "no",
        "--out",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([out.display().to_string(), "--work".to_owned()])
    .chain([work.display().to_string()])
    .collect()
}

/// The cargo target folder of a platform built beside: `target/dist-<platform>`.
pub fn target_dir(ws: &Workspace, platform: Platform) -> PathBuf {
    ws.root
        .join("target")
        .join(format!("dist-{}", platform.name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_child_builds_its_platform_alone_into_its_own_folders() {
        let args = child_args(
            Platform::WindowsX64,
            Path::new("/w/beside-windows/out"),
            Path::new("/w/beside-windows/work"),
        );
        assert_eq!(
            args.join(" "),
            "dist --platform windows --universal2 no --common no \
             --out /w/beside-windows/out --work /w/beside-windows/work"
        );
    }
}
