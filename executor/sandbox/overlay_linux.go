//go:build linux

package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// An overlay (Config.Overlays) is made of three mounts:
//   - the host dir, bound read-only, nosuid, nodev at /.overlay/N for the sandbox's lifetime
//     (the overlay's lower layer; the program may read it there too, as it reads it through
//     the overlay anyway);
//   - a size-capped tmpfs at the target holding the upper and work dirs;
//   - the overlay itself, on the target above that tmpfs, which it hides.
//
// The last two live under /tmp, so every reset's fresh /tmp takes them (and every write) away
// and mountOverlay makes them again.

const defaultOverlaySize = 64 << 20

// lowerDir is where overlay i's host dir is bound inside the sandbox.
func lowerDir(i int) string { return "/.overlay/" + strconv.Itoa(i) }

// resolveOverlays checks each overlay on the host: the lower dir must exist (links resolved
// here, so the init never follows one), the target must be a plain path under /tmp.
func resolveOverlays(overlays []Overlay) ([]Overlay, error) {
	out := make([]Overlay, 0, len(overlays))
	for _, o := range overlays {
		if !filepath.IsAbs(o.Lower) {
			return nil, fmt.Errorf("sandbox: overlay %q: the lower dir must be an absolute host path", o.Lower)
		}
		lower, err := filepath.EvalSymlinks(o.Lower)
		if err != nil {
			return nil, fmt.Errorf("sandbox: overlay %q: %w", o.Lower, err)
		}
		if fi, err := os.Stat(lower); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("sandbox: overlay %q: the lower dir must be a directory", o.Lower)
		}
		dst := filepath.Clean(o.Target)
		if !strings.HasPrefix(dst, "/tmp/") || strings.ContainsAny(dst, ",:\\\n") {
			return nil, fmt.Errorf("sandbox: overlay target %q: want a path under /tmp without , : or \\", o.Target)
		}
		if o.Size < 0 {
			return nil, fmt.Errorf("sandbox: overlay %q: size %d: want 0 (default) or more bytes", o.Target, o.Size)
		}
		out = append(out, Overlay{Lower: lower, Target: dst, Size: o.Size})
	}
	return out, nil
}

// buildOverlays binds each lower dir and mounts each overlay (in the init, before the pivot).
func buildOverlays(s *setupSpec) error {
	for i, o := range s.Overlays {
		if err := bindRO(oldRoot+o.Lower, newRoot+lowerDir(i)); err != nil {
			return fmt.Errorf("overlay %s: %w", o.Target, err)
		}
		if err := mountOverlay(newRoot, i, o, s); err != nil {
			return err
		}
	}
	return nil
}

// mountOverlay mounts overlay i at root+o.Target over a fresh upper tmpfs. When the kernel
// refuses overlayfs, the target stays a plain empty tmpfs (the run goes on, only slower).
func mountOverlay(root string, i int, o Overlay, s *setupSpec) error {
	target := root + o.Target
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("overlay %s: %w", o.Target, err)
	}
	opts := fmt.Sprintf("mode=0755,uid=%d,gid=%d,size=%d,nr_inodes=%d", s.UID, s.GID, sizeOr(o.Size, defaultOverlaySize), maxInodes)
	if err := unix.Mount("tmpfs", target, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("overlay %s: mount tmpfs: %w", o.Target, err)
	}
	upper, work := target+"/upper", target+"/work"
	if err := os.Mkdir(upper, 0o755); err != nil {
		return fmt.Errorf("overlay %s: %w", o.Target, err)
	}
	if err := os.Chown(upper, s.UID, s.GID); err != nil {
		return fmt.Errorf("overlay %s: %w", o.Target, err)
	}
	if err := os.Mkdir(work, 0o700); err != nil {
		return fmt.Errorf("overlay %s: %w", o.Target, err)
	}
	data := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", root+lowerDir(i), upper, work)
	err := unix.Mount("overlay", target, "overlay", unix.MS_NOSUID|unix.MS_NODEV, data)
	if err != nil {
		// In a user namespace, trusted.* xattrs are out of reach; user.* ones may do.
		err = unix.Mount("overlay", target, "overlay", unix.MS_NOSUID|unix.MS_NODEV, data+",userxattr")
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "sandbox: overlay %s: %v; an empty tmpfs instead\n", o.Target, err)
		if err := os.RemoveAll(upper); err != nil {
			return fmt.Errorf("overlay %s: %w", o.Target, err)
		}
		return os.RemoveAll(work)
	}
	return nil
}
