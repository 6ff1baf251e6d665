#!/usr/bin/env bash
# What `make test-cgroup2` (test/cgroup2/vm.sh) needs: qemu, a static busybox for the VM's
# initramfs, and Debian's own kernel package, downloaded with apt-get download and unpacked with
# dpkg -x into /var/cache/sandrun-vm (not installed: the host keeps its kernel). Idempotent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"
t0=$SECONDS
pkgs=(qemu-system-x86 busybox-static cpio)
apt_install_missing 60-cgroup2 "${pkgs[@]}"
dir=/var/cache/sandrun-vm
if ! ls "$dir"/k/boot/vmlinuz-* >/dev/null 2>&1; then
	# linux-image-amd64 is the meta package; it depends on the current kernel's package.
	pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || { echo "60-cgroup2: cannot tell which kernel package linux-image-amd64 names"; exit 1; }
	rm -rf "$dir" && mkdir -p "$dir"
	(cd "$dir" && apt-get download "$pkg" >/dev/null 2>&1 && dpkg -x ./"$pkg"_*.deb k && rm -f ./*.deb)
	echo "unpacked $pkg into $dir"
fi
echo "60-cgroup2: ready in $((SECONDS - t0)) s"
