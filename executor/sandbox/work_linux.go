//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// cleanRel checks a path relative to /work: not empty, not absolute, no "." or ".." element,
// no NUL. It returns the path's elements.
func cleanRel(p string) ([]string, error) {
	if p == "" || strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) || path.Clean(p) != p {
		return nil, fmt.Errorf("path %q: want a clean relative path under /work such as \"main.py\" or \"src/a.c\"", p)
	}
	parts := strings.Split(p, "/")
	for _, e := range parts {
		if e == "." || e == ".." {
			return nil, fmt.Errorf("path %q: \"..\" and \".\" are not allowed", p)
		}
	}
	return parts, nil
}

// openWork serves "create" and "open" in the init: it walks from /work one element at a time,
// never following a symbolic link, and returns the file.
func (in *initProc) openWork(m *msg) (*os.File, error) {
	parts, err := cleanRel(m.Path)
	if err != nil {
		return nil, err
	}
	create := m.Op == "create"
	dirfd, err := unix.Open("/work", unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /work: %w", err)
	}
	for _, name := range parts[:len(parts)-1] {
		if create {
			if err := unix.Mkdirat(dirfd, name, 0o755); err == nil {
				if err := unix.Fchownat(dirfd, name, in.setup.UID, in.setup.GID, unix.AT_SYMLINK_NOFOLLOW); err != nil {
					unix.Close(dirfd)
					return nil, fmt.Errorf("%s: chown: %w", m.Path, err)
				}
			} else if !errors.Is(err, unix.EEXIST) {
				unix.Close(dirfd)
				return nil, fmt.Errorf("%s: mkdir %s: %w", m.Path, name, err)
			}
		}
		next, err := unix.Openat(dirfd, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(dirfd)
		if err != nil {
			return nil, fmt.Errorf("%s: %s is not a directory (links are not followed): %w", m.Path, name, err)
		}
		dirfd = next
	}
	defer unix.Close(dirfd)
	last := parts[len(parts)-1]
	if create {
		mode := m.Mode & 0o777
		if mode == 0 {
			mode = 0o644
		}
		fd, err := unix.Openat(dirfd, last, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", m.Path, err)
		}
		if err := unix.Fchown(fd, in.setup.UID, in.setup.GID); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("create %s: chown: %w", m.Path, err)
		}
		if err := unix.Fchmod(fd, mode); err != nil { // the umask must not matter
			unix.Close(fd)
			return nil, fmt.Errorf("create %s: chmod: %w", m.Path, err)
		}
		return os.NewFile(uintptr(fd), m.Path), nil
	}
	fd, err := unix.Openat(dirfd, last, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, fmt.Errorf("open %s: is a symbolic link, which is never followed", m.Path)
		}
		return nil, fmt.Errorf("open %s: %w", m.Path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, fmt.Errorf("open %s: not a regular file", m.Path)
	}
	return os.NewFile(uintptr(fd), m.Path), nil
}
