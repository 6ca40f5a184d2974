//! Reading the raw machine facts a fingerprint is made of. Every read is targeted: no
//! process list, no disk list, no `System::new_all()`.

use std::path::Path;

use sysinfo::{CpuRefreshKind, MemoryRefreshKind, Networks, RefreshKind, System};

/// The raw facts, before hashing. These are identifying: they never leave this module's
/// callers unhashed, except the hostname, which goes into the instance name.
#[derive(Clone, PartialEq, Eq)]
pub struct RawComponents {
    /// The machine ID (or a vendor-supplied or fallback ID).
    pub machine_id: String,
    /// Host name.
    pub hostname: Option<String>,
    /// OS name and major version, e.g. `Debian GNU/Linux 12`.
    pub os: Option<String>,
    /// CPU brand and architecture.
    pub cpu: Option<String>,
    /// Total RAM, rounded to GiB.
    pub ram_gib: Option<u64>,
    /// MAC address of the primary physical interface, lower-case hex with colons.
    pub mac: Option<String>,
}

impl std::fmt::Debug for RawComponents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The raw machine ID is a tracking identifier: never printed.
        f.debug_struct("RawComponents")
            .field("machine_id", &"<redacted>")
            .field("hostname", &self.hostname)
            .field("os", &self.os)
            .field("cpu", &self.cpu)
            .field("ram_gib", &self.ram_gib)
            .field("mac", &self.mac.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The OS machine ID, when the OS has a usable one.
pub fn os_machine_id() -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        ["/etc/machine-id", "/var/lib/dbus/machine-id"]
            .iter()
            .find_map(|p| std::fs::read_to_string(p).ok().and_then(|s| usable_id(&s)))
    }
    #[cfg(not(target_os = "linux"))]
    {
        machine_uid::get().ok().and_then(|s| usable_id(&s))
    }
}

/// A machine ID worth using: non-empty, not systemd's `uninitialized`, not all zeros.
pub fn usable_id(raw: &str) -> Option<String> {
    let id = raw.trim();
    let blank = id.is_empty() || id == "uninitialized" || id.chars().all(|c| c == '0' || c == '-');
    (!blank).then(|| id.to_owned())
}

/// Everything but the machine ID, read from the OS.
pub fn read_other_components(machine_id: String) -> RawComponents {
    let system = System::new_with_specifics(
        RefreshKind::nothing()
            .with_cpu(CpuRefreshKind::nothing())
            .with_memory(MemoryRefreshKind::nothing().with_ram()),
    )
    .ok();
    let os = System::name().ok().map(|name| {
        match System::os_version().ok().map(|v| major_version(&v)) {
            Some(major) if !major.is_empty() => format!("{name} {major}"),
            _ => name,
        }
    });
    let cpu = system.as_ref().and_then(|s| {
        let brand = s.cpus().first()?.brand().trim().to_owned();
        Some(format!("{brand} / {}", System::cpu_arch()))
    });
    let ram_gib = system
        .as_ref()
        .map(System::total_memory)
        .filter(|b| *b > 0)
        .map(|b| (b + (1 << 29)) >> 30);
    RawComponents {
        machine_id,
        hostname: System::host_name().ok().filter(|h| !h.trim().is_empty()),
        os,
        cpu,
        ram_gib,
        mac: primary_mac(),
    }
}

/// `22.04.3` → `22`; `11 (22631)` → `11`.
fn major_version(version: &str) -> String {
    version
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}

/// Interface names that are never a machine's own hardware.
const VIRTUAL_PREFIXES: &[&str] = &[
    "lo",
    "docker",
    "veth",
    "br-",
    "virbr",
    "vmnet",
    "vboxnet",
    "tun",
    "tap",
    "ifb",
    "dummy",
    "wg",
    "zt",
    "utun",
    "awdl",
    "llw",
    "bridge",
    "cni",
    "flannel",
    "cali",
    "kube",
    "lxc",
    "lxd",
    "podman",
    "vnet",
    "tailscale",
    "anpi",
    "gif",
    "stf",
    "ham",
    "vEthernet",
    "isatap",
    "teredo",
];

/// The MAC of the primary physical interface: the first by name among interfaces that are
/// not loopback or virtual, whose MAC is set and globally administered.
fn primary_mac() -> Option<String> {
    let networks = Networks::new_with_refreshed_list().ok()?;
    let mut candidates: Vec<(String, [u8; 6])> = networks
        .iter()
        .filter_map(|(name, data)| {
            let name = name.to_str()?.to_owned();
            let mac = data.mac_address().0;
            let virtual_name = VIRTUAL_PREFIXES.iter().any(|p| {
                name.to_ascii_lowercase()
                    .starts_with(&p.to_ascii_lowercase())
            });
            let usable = mac != [0; 6] && mac[0] & 0x02 == 0 && mac[0] & 0x01 == 0;
            (usable && !virtual_name && is_hardware(&name)).then_some((name, mac))
        })
        .collect();
    candidates.sort();
    let (_, mac) = candidates.into_iter().next()?;
    Some(
        hex::encode(mac)
            .as_bytes()
            .chunks(2)
            .map(|pair| String::from_utf8_lossy(pair))
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// On Linux an interface backed by hardware has a `device` link in sysfs; elsewhere the name
/// filter above is all there is.
fn is_hardware(name: &str) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/sys/class/net")
            .join(name)
            .join("device")
            .exists()
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusable_ids() {
        assert_eq!(usable_id(""), None);
        assert_eq!(usable_id("uninitialized\n"), None);
        assert_eq!(usable_id("00000000000000000000000000000000"), None);
        assert_eq!(usable_id(" abc \n").as_deref(), Some("abc"));
    }

    #[test]
    fn major_versions() {
        assert_eq!(major_version("22.04.3"), "22");
        assert_eq!(major_version("11 (22631)"), "11");
        assert_eq!(major_version("rolling"), "");
    }

    #[test]
    fn debug_hides_the_machine_id() {
        let raw = RawComponents {
            machine_id: "0123456789abcdef0123456789abcdef".into(),
            hostname: None,
            os: None,
            cpu: None,
            ram_gib: None,
            mac: Some("aa:bb:cc:dd:ee:ff".into()),
        };
        let shown = format!("{raw:?}");
        assert!(!shown.contains("0123456789abcdef") && !shown.contains("aa:bb"));
    }
}
