#!/usr/bin/env bash
# vm.sh ARTIFACTS_DIR: boots Debian's own kernel (unpacked by .ci/install.d/60-cgroup2.sh) in
# qemu with cgroup2 as the only hierarchy and runs test/cgroup2/inside.sh there, on the host's
# root shared read-only over 9p under a tmpfs overlay (switch_root into it: chroot would forbid
# user namespaces). ARTIFACTS_DIR holds sandrun, contract.test, hostile.test, guard.sh and the
# hostile programs; the VM copies them. Exits 0 only when the VM printed the PASS marker: qemu
# itself exits 0 whatever happens inside.
#   SANDRUN_CG2_KERNEL_DIR  where the kernel package is unpacked (default /var/cache/sandrun-vm)
#   SANDRUN_CG2_TIMEOUT     seconds before the VM is stopped (default 900)
#   SANDRUN_CG2_ACCEL       kvm or tcg (default: kvm when it boots, else tcg)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
art=$(cd "${1:?usage: vm.sh ARTIFACTS_DIR}" && pwd)
kdir=${SANDRUN_CG2_KERNEL_DIR:-/var/cache/sandrun-vm}
timeout_s=${SANDRUN_CG2_TIMEOUT:-900}

kernel=$(ls "$kdir"/k/boot/vmlinuz-* 2>/dev/null | head -n1 || true)
[ -n "$kernel" ] || { echo "test-cgroup2: no kernel in $kdir/k/boot: run (as root) bash .ci/install.d/60-cgroup2.sh" >&2; exit 1; }
kver=${kernel##*/vmlinuz-}
mods="$kdir/k/lib/modules/$kver/kernel"
command -v qemu-system-x86_64 >/dev/null || { echo "test-cgroup2: qemu-system-x86_64 is missing: run (as root) bash .ci/install.d/60-cgroup2.sh" >&2; exit 1; }
[ -x /bin/busybox ] && busybox=/bin/busybox || busybox=$(command -v busybox || true)
[ -n "$busybox" ] || { echo "test-cgroup2: busybox (busybox-static) is missing: run (as root) bash .ci/install.d/60-cgroup2.sh" >&2; exit 1; }
ldd "$busybox" >/dev/null 2>&1 && { echo "test-cgroup2: $busybox is not static: install busybox-static" >&2; exit 1; }

work=$(mktemp -d /tmp/sandrun-cg2vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The initramfs: busybox, /init and the modules the 9p root and the overlay need.
mkdir -p "$work/initrd/bin" "$work/initrd/modules" "$work/initrd/proc" "$work/initrd/sys" "$work/initrd/dev" "$work/out"
cp "$busybox" "$work/initrd/bin/busybox"
cp "$here/initramfs-init" "$work/initrd/init"
for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev \
	drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci net/9p/9pnet net/9p/9pnet_virtio \
	fs/netfs/netfs fs/fscache/fscache fs/9p/9p fs/overlayfs/overlay; do
	cp "$mods/$m.ko" "$work/initrd/modules/"
done
(cd "$work/initrd" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"
chmod 777 "$work/out"

accel=${SANDRUN_CG2_ACCEL:-}
if [ -z "$accel" ]; then
	# This host's /dev/kvm may exist yet fail to boot a stock kernel: probe it with a short boot.
	accel=tcg
	if [ -w /dev/kvm ] && timeout 20 qemu-system-x86_64 -accel kvm -m 256 -nographic -no-reboot \
		-kernel "$kernel" -append "console=ttyS0 panic=-1 init=/bin/none" -initrd "$work/initrd.gz" 2>/dev/null |
		grep -q "Kernel panic\|Run /init\|No working init"; then
		accel=kvm
	fi
fi
echo "test-cgroup2: booting $kver with -accel $accel (timeout ${timeout_s}s)"
cpus=$(nproc)
[ "$cpus" -gt 4 ] && cpus=4
status=0
timeout --foreground "$timeout_s" qemu-system-x86_64 -accel "$accel" -m 4096 -smp "$cpus" \
	-nographic -no-reboot -kernel "$kernel" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 quiet panic=-1 cgroup_no_v1=all SANDRUN_CG2_INSIDE=$here/inside.sh SANDRUN_CG2_DIR=$art SANDRUN_CG2_USER=${SANDRUN_CG2_USER:-sandrun-hostile}" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$work/out",mount_tag=results,security_model=none \
	-nic none >"$work/console" 2>&1 || status=$?
if [ -f "$work/out/log" ]; then
	cat "$work/out/log"
else
	echo "test-cgroup2: no log from the VM; its console:"
	tail -50 "$work/console"
fi
[ "$status" = 124 ] && echo "test-cgroup2: the VM did not finish within ${timeout_s}s"
marker=$(grep -a "SANDRUN-CG2-RESULT:" "$work/out/log" "$work/console" 2>/dev/null | tail -n1 || true)
case "$marker" in
*"SANDRUN-CG2-RESULT: PASS"*) echo "test-cgroup2: PASS"; exit 0 ;;
*) echo "test-cgroup2: FAIL: ${marker:-no result marker}"; exit 1 ;;
esac
