//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// The root filesystem is built the way bubblewrap does it: a scratch tmpfs on /tmp becomes the
// root for a moment, the host root is reachable under /oldroot while the sandbox's own root is
// assembled in /newroot, then /newroot becomes / and the old root is detached.
const (
	scratch = "/tmp"
	oldRoot = "/oldroot"
	newRoot = "/newroot"
)

// systemDirs are bound read-only (or recreated as the symlinks they are on merged-/usr hosts).
var systemDirs = []string{"/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin"}

// etcEntries are the parts of the host's /etc programs need (glob patterns); everything else of
// /etc stays hidden. passwd, group, hosts and hostname are generated instead.
var etcEntries = []string{
	"nsswitch.conf", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "ssl",
	"ca-certificates", "ca-certificates.conf", "localtime", "timezone", "os-release",
	"debian_version", "mime.types", "magic", "magic.mime", "protocols", "services",
	"locale.alias", "locale.conf", "gai.conf", "host.conf", "inputrc", "bash.bashrc", "profile",
	"java-*", "mono", "fpc.cfg", "fpc-*.cfg", "gnucobol", "nim", "R", "groovy", "octaverc",
	"php", "php*", "perl", "python3*", "ruby*", "fonts", "gprolog", "swi-prolog", "ocaml*",
	"ghc*", "dotnet", "emacs", "scala*", "kotlin*",
}

// credentialNames are files (or dirs) that hold tokens, passwords or keys when a toolchain or a
// user keeps them: none of them is bound into the sandbox. Each is looked for at the top of
// every extra bind (a toolchain dir such as /root/.cargo) and in the etc dirs under /usr, and
// masked where found: a file by /dev/null, a dir by an empty read-only tmpfs. (The host's /etc
// is not bound: only etcEntries are, and they name no file that holds credentials: not npmrc,
// gitconfig or mercurial's hgrc.)
var credentialNames = []string{
	"credentials", "credentials.toml", // cargo registry tokens
	".npmrc", "npmrc", ".yarnrc", ".yarnrc.yml", // npm and yarn auth tokens
	".gitconfig", "gitconfig", ".git-credentials", // git credential helpers, extraheader tokens
	".netrc", ".pypirc", ".pgpass", ".gem", ".m2", ".gradle", ".nuget", ".docker",
	".aws", ".azure", ".kube", ".ssh", ".gnupg", ".config",
}

// credentialDirs are the dirs, beyond each extra bind, searched for credentialNames.
var credentialDirs = []string{"/usr/etc", "/usr/local/etc", "/usr/local"}

const (
	defaultWorkSize = 256 << 20
	defaultTmpSize  = 256 << 20
	defaultShmSize  = 16 << 20
	maxInodes       = 16384
)

// The sandbox's filesystem is built once, in the init, in two parts: buildBase, what every
// sandbox has (the init does it as soon as it starts, while the host may still be busy choosing
// the sandbox's configuration), then buildRest, what the host's setupSpec decides, which ends
// with the pivot into it.

// rootStep is one named step of building the root.
type rootStep struct {
	name string
	fn   func() error
}

func runSteps(steps []rootStep) error {
	for _, st := range steps {
		if err := st.fn(); err != nil {
			return fmt.Errorf("build root: %s: %w", st.name, err)
		}
	}
	return nil
}

// buildBase is the part of the root that depends on nothing the host sends: the scratch root,
// the new root's tmpfs, the system dirs, the host's /etc entries (etcEntries), /dev (but for
// /dev/shm, whose size the host chooses), /proc, and the credential masks of credentialDirs.
// rootless is how the host started the init (the set-up request must say the same).
func buildBase(rootless bool) error {
	return runSteps([]rootStep{
		{"make mounts private", func() error { return unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "") }},
		{"scratch root", func() error {
			if err := unix.Mount("tmpfs", scratch, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0700,size=64k"); err != nil {
				return err
			}
			for _, d := range []string{scratch + newRoot, scratch + oldRoot} {
				if err := os.Mkdir(d, 0o755); err != nil {
					return err
				}
			}
			if err := unix.Chdir(scratch); err != nil {
				return err
			}
			if err := unix.PivotRoot(".", "."+oldRoot); err != nil {
				return fmt.Errorf("pivot_root: %w", err)
			}
			return unix.Chdir("/")
		}},
		{"new root", func() error {
			return unix.Mount("tmpfs", newRoot, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755,size=1m,nr_inodes=4096")
		}},
		{"system dirs", func() error { return bindSystem() }},
		{"/etc", func() error { return bindEtc() }},
		{"/dev", func() error { return buildDev() }},
		{"/proc", func() error { return buildProc(rootless) }},
		{"credentials", func() error { return maskUnder(credentialDirs) }},
	})
}

// buildRest finishes the root buildBase began, as s says, and pivots into it.
func buildRest(s *setupSpec) error {
	return runSteps([]rootStep{
		// A bind whose target is one of the /etc entries already bound is mounted over it.
		{"binds", func() error { return bindExtra(s.Binds) }},
		{"credentials", func() error { return maskCredentials(s.Binds, s.Masks) }},
		{"/etc", func() error { return writeEtc(s) }},
		{"/work and /tmp", func() error { return buildScratchDirs(s) }},
		{"overlays", func() error { return buildOverlays(s) }},
		{"/dev/shm", func() error { return mountShm(s) }},
		{"read-only root", func() error {
			return setattr(newRoot, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV, false)
		}},
		{"detach the host root", func() error {
			if err := unix.Unmount(oldRoot, unix.MNT_DETACH); err != nil {
				return err
			}
			if err := unix.Chdir(newRoot); err != nil {
				return err
			}
			if err := unix.PivotRoot(".", "."); err != nil {
				return fmt.Errorf("pivot_root: %w", err)
			}
			if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
				return err
			}
			return unix.Chdir("/")
		}},
	})
}

// setattr sets mount attributes on the mount at path (and, with recursive, every mount below).
func setattr(path string, set uint64, recursive bool) error {
	flags := unix.AT_SYMLINK_NOFOLLOW
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	if err := unix.MountSetattr(unix.AT_FDCWD, path, uint(flags), &unix.MountAttr{Attr_set: set}); err != nil {
		return fmt.Errorf("mount_setattr %s: %w", path, err)
	}
	return nil
}

// bindRO binds the host path src (seen under /oldroot) at dst inside the new root, read-only,
// nosuid, nodev, recursively. dst is created (as a dir or an empty file, like src).
func bindRO(src, dst string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	return bindAs(src, dst, fi.IsDir())
}

// bindAs is bindRO for a src already known to be a dir or not (bindEtc has its Lstat).
func bindAs(src, dst string, dir bool) error {
	if err := makeMountpoint(dst, dir); err != nil {
		return err
	}
	if err := unix.Mount(src, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s: %w", strings.TrimPrefix(src, oldRoot), err)
	}
	return setattr(dst, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV, true)
}

// makeMountpoint creates dst inside the new root, as an empty dir or file, unless something is
// there already (not followed if it is a link), and its parents when they are missing. The
// common case, a new name in an existing dir, is one system call.
func makeMountpoint(dst string, dir bool) error {
	create := func() error {
		if dir {
			return unix.Mkdir(dst, 0o755)
		}
		fd, err := unix.Open(dst, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
		if err == nil {
			err = unix.Close(fd)
		}
		return err
	}
	err := create()
	if errors.Is(err, unix.ENOENT) {
		if err = os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
			err = create()
		}
	}
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	return err
}

// copyLink recreates the host symlink src at dst.
func copyLink(src, dst string) error {
	target, err := os.Readlink(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.Symlink(target, dst)
}

func bindSystem() error {
	for _, d := range systemDirs {
		src := oldRoot + d
		fi, err := os.Lstat(src)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			err = copyLink(src, newRoot+d)
		} else {
			err = bindRO(src, newRoot+d)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// bindExtra binds the Config's dirs; their host paths were resolved (no links) by the host.
func bindExtra(binds []Bind) error {
	for _, b := range binds {
		if err := bindRO(oldRoot+b.Source, newRoot+b.Target); err != nil {
			return fmt.Errorf("%s: %w", b.Target, err)
		}
	}
	return nil
}

// maskCredentials hides every credentialNames entry at the top of the extra binds and of
// credentialDirs (see credentialNames), then the credential files the host found deeper
// (masks, from credentialMasks). Links are left alone: they point into the sandbox's own
// tree, where a target that is itself a credential file is masked in its own place.
func maskCredentials(binds []Bind, masks []string) error {
	var dirs []string
	for _, b := range binds {
		dirs = append(dirs, b.Target)
	}
	if err := maskUnder(dirs); err != nil {
		return err
	}
	return maskNested(masks)
}

// maskUnder masks the credentialNames found at the top of each of dirs (new-root paths).
func maskUnder(dirs []string) error {
	for _, d := range dirs {
		for _, name := range credentialNames {
			if err := maskPath(newRoot + d + "/" + name); err != nil {
				return fmt.Errorf("mask %s: %w", d+"/"+name, err)
			}
		}
	}
	return nil
}

// bindEtc binds the host's etcEntries (read-only; links are copied) into the new root's /etc.
// The host's /etc is read once and every pattern matched against its names.
func bindEtc() error {
	etc := newRoot + "/etc"
	if err := os.MkdirAll(etc, 0o755); err != nil {
		return err
	}
	dir, err := os.Open(oldRoot + "/etc")
	if err != nil {
		return err
	}
	names, err := dir.Readdirnames(-1)
	dir.Close()
	if err != nil {
		return err
	}
	sort.Strings(names) // the order filepath.Glob gave
	done := make(map[string]bool, 64)
	for _, pat := range etcEntries {
		glob := strings.ContainsAny(pat, "*?[")
		for _, name := range names {
			if glob {
				if ok, _ := filepath.Match(pat, name); !ok {
					continue
				}
			} else if name != pat {
				continue
			}
			if done[name] { // matched by an earlier pattern
				continue
			}
			done[name] = true
			src, dst := oldRoot+"/etc/"+name, etc+"/"+name
			fi, err := os.Lstat(src)
			if err != nil {
				continue
			}
			if fi.Mode()&os.ModeSymlink != 0 {
				err = copyLink(src, dst)
			} else if fi.Mode().IsDir() || fi.Mode().IsRegular() {
				err = bindAs(src, dst, fi.IsDir())
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// writeEtc writes the files of /etc the sandbox generates: passwd and group (with the uid and
// gid commands run as), hosts and hostname.
func writeEtc(s *setupSpec) error {
	etc := newRoot + "/etc"
	user := fmt.Sprintf("sandbox:x:%d:%d:sandbox:/work:/bin/sh\n", s.UID, s.GID)
	group := fmt.Sprintf("sandbox:x:%d:\n", s.GID)
	if s.UID != 0 {
		user = "root:x:0:0:root:/root:/bin/sh\n" + user
		group = "root:x:0:\n" + group
	}
	files := map[string]string{
		"passwd":   user + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		"group":    group + "nogroup:x:65534:\n",
		"hosts":    "127.0.0.1\tlocalhost sandrun\n::1\tlocalhost ip6-localhost ip6-loopback\n",
		"hostname": "sandrun\n",
	}
	for name, data := range files {
		if err := os.WriteFile(etc+"/"+name, []byte(data), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func sizeOr(n, def int64) int64 {
	if n > 0 {
		return n
	}
	return def
}

func buildScratchDirs(s *setupSpec) error {
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV)
	for _, m := range []struct {
		dir  string
		opts string
	}{
		{"/work", fmt.Sprintf("mode=0755,uid=%d,gid=%d,size=%d,nr_inodes=%d", s.UID, s.GID, sizeOr(s.WorkSize, defaultWorkSize), maxInodes)},
		{"/tmp", fmt.Sprintf("mode=1777,size=%d,nr_inodes=%d", sizeOr(s.TmpSize, defaultTmpSize), maxInodes)},
	} {
		if err := os.MkdirAll(newRoot+m.dir, 0o755); err != nil {
			return err
		}
		if err := unix.Mount("tmpfs", newRoot+m.dir, "tmpfs", flags, m.opts); err != nil {
			return fmt.Errorf("mount %s: %w", m.dir, err)
		}
	}
	return nil
}

// buildDev makes a minimal /dev: the harmless character devices, the usual links into
// /proc/self/fd, and the dir of /dev/shm (a size-capped tmpfs mountShm mounts there).
func buildDev() error {
	dev := newRoot + "/dev"
	if err := os.MkdirAll(dev, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", dev, "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=0755,size=64k,nr_inodes=64"); err != nil {
		return err
	}
	for _, name := range []string{"null", "zero", "full", "random", "urandom"} {
		if err := makeMountpoint(dev+"/"+name, false); err != nil {
			return err
		}
		if err := unix.Mount(oldRoot+"/dev/"+name, dev+"/"+name, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind /dev/%s: %w", name, err)
		}
		if err := setattr(dev+"/"+name, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOEXEC, false); err != nil {
			return err
		}
	}
	links := map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
		"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"}
	for name, target := range links {
		if err := os.Symlink(target, dev+"/"+name); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dev+"/shm", 0o755); err != nil {
		return err
	}
	return setattr(dev, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOEXEC, false)
}

// mountShm mounts /dev/shm (buildDev made the dir), of the size s asks for.
func mountShm(s *setupSpec) error {
	if err := unix.Mount("tmpfs", newRoot+"/dev/shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC,
		fmt.Sprintf("mode=1777,size=%d,nr_inodes=%d", sizeOr(s.ShmSize, defaultShmSize), maxInodes)); err != nil {
		return fmt.Errorf("mount /dev/shm: %w", err)
	}
	return nil
}

// maskedProc are hidden (files under /dev/null, dirs under an empty read-only tmpfs);
// readonlyProc are made read-only. Docker's masked and read-only paths (/proc/sysrq-trigger
// masked rather than read-only), plus the kernel's symbols, build configuration and command line.
var (
	maskedProc = []string{"kcore", "keys", "timer_list", "sched_debug", "latency_stats",
		"timer_stats", "acpi", "scsi", "asound", "interrupts", "kallsyms", "sysrq-trigger",
		"config.gz", "cmdline"}
	readonlyProc = []string{"sys", "irq", "bus", "fs"}
)

// buildProc mounts the PID namespace's own /proc. As root the command's uid differs from the
// init's, and hidepid hides the init. Rootless, the command shares the init's uid and hidepid
// would hide the command's own processes from each other (binaries owned by an unmapped root
// make them non-ptraceable from inside), so it is left off: the init is non-dumpable, which
// keeps its /proc entries (environ, fd, mem…) closed anyway.
func buildProc(rootless bool) error {
	proc := newRoot + "/proc"
	if err := os.MkdirAll(proc, 0o555); err != nil {
		return err
	}
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if rootless {
		if err := unix.Mount("proc", proc, "proc", flags, ""); err != nil {
			return fmt.Errorf("mount proc: %w", err)
		}
	} else if err := unix.Mount("proc", proc, "proc", flags, "hidepid=invisible"); err != nil {
		if err := unix.Mount("proc", proc, "proc", flags, "hidepid=2"); err != nil {
			return fmt.Errorf("mount proc: %w", err)
		}
	}
	for _, name := range maskedProc {
		p := proc + "/" + name
		fi, err := os.Lstat(p)
		if err != nil {
			continue
		}
		if fi.IsDir() {
			err = unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY|flags, "size=0,nr_inodes=1")
		} else {
			err = unix.Mount(newRoot+"/dev/null", p, "", unix.MS_BIND, "")
		}
		if err != nil {
			return fmt.Errorf("mask /proc/%s: %w", name, err)
		}
	}
	for _, name := range readonlyProc {
		p := proc + "/" + name
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind /proc/%s: %w", name, err)
		}
		if err := setattr(p, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC, true); err != nil {
			return err
		}
	}
	return nil
}
