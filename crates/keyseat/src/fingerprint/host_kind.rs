//! Does this look like a container or a virtual machine? Cheap signals only: a few small
//! files. The answer is reported, never used to refuse anything.

use std::path::Path;

/// What the host appears to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HostKind {
    /// A container (Docker, Podman, Kubernetes, LXC, …).
    Container,
    /// A virtual machine (its firmware names a hypervisor vendor).
    VirtualMachine,
    /// No sign of either.
    NoneDetected,
}

impl HostKind {
    /// Looks at the cheap signals.
    pub fn detect() -> HostKind {
        if looks_like_container() {
            HostKind::Container
        } else if looks_like_vm() {
            HostKind::VirtualMachine
        } else {
            HostKind::NoneDetected
        }
    }
}

fn looks_like_container() -> bool {
    if Path::new("/.dockerenv").exists() || Path::new("/run/.containerenv").exists() {
        return true;
    }
    std::fs::read_to_string("/proc/1/cgroup").is_ok_and(|cgroup| {
        [
            "docker",
            "kubepods",
            "containerd",
            "lxc",
            "libpod",
            "podman",
        ]
        .iter()
        .any(|hint| cgroup.contains(hint))
    })
}

fn looks_like_vm() -> bool {
    if Path::new("/sys/hypervisor/type").exists() {
        return true;
    }
    let dmi: String = ["sys_vendor", "product_name", "board_vendor", "bios_vendor"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(Path::new("/sys/class/dmi/id").join(f)).ok())
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    [
        "qemu",
        "kvm",
        "vmware",
        "virtualbox",
        "innotek",
        "xen",
        "bochs",
        "parallels",
        "amazon ec2",
        "google compute engine",
        "openstack",
        "virtual machine",
        "bhyve",
        "cloud hypervisor",
        "firecracker",
    ]
    .iter()
    .any(|vendor| dmi.contains(vendor))
}
