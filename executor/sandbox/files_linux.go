//go:build linux

package sandbox

import (
	"fmt"
	"os"
	"path"

	"golang.org/x/sys/unix"
)

// maxListDepth bounds how deep ListFiles walks; maxListPaths bounds the paths' length together,
// so that the answer fits one control message.
const (
	maxListDepth = 16
	maxListPaths = 64 << 10
)

// ListFiles lists the regular files under /work, at most max of them (more is an error), with
// their permission bits and sizes: what a compile produced, for the compile cache. Symbolic
// links are neither followed nor listed; nor are devices, FIFOs or sockets. Call it between
// commands: the listing is made by the init while nothing of the sandbox runs.
func (s *Sandbox) ListFiles(max int) ([]FileInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waitPending()
	if s.closed {
		return nil, ErrClosed
	}
	if err := s.ctl.send(&msg{Op: "list", Max: max}); err != nil {
		return nil, fmt.Errorf("sandbox: list files: %w", s.deadErr(err))
	}
	reply, files, err := s.ctl.recv()
	closeAll(files)
	if err != nil {
		return nil, fmt.Errorf("sandbox: list files: %w", s.deadErr(err))
	}
	if reply.Err != "" {
		return nil, fmt.Errorf("sandbox: list files: %s", reply.Err)
	}
	return reply.List, nil
}

// listWork serves "list" in the init.
func listWork(max int) ([]FileInfo, error) {
	fd, err := unix.Open("/work", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /work: %w", err)
	}
	out := []FileInfo{}
	return out, walkDir(fd, "", 0, max, &out)
}

// walkDir lists the dir open as fd (and closes it), below prefix.
func walkDir(fd int, prefix string, depth, max int, out *[]FileInfo) error {
	dir := os.NewFile(uintptr(fd), prefix)
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	for _, name := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("stat %s: %w", path.Join(prefix, name), err)
		}
		rel := path.Join(prefix, name)
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG:
			if len(*out) >= max {
				return fmt.Errorf("more than %d files under /work", max)
			}
			if pathBytes(*out)+len(rel) > maxListPaths {
				return fmt.Errorf("the paths under /work are longer than %d bytes together", maxListPaths)
			}
			*out = append(*out, FileInfo{Path: rel, Mode: os.FileMode(st.Mode & 0o777), Size: st.Size})
		case unix.S_IFDIR:
			if depth >= maxListDepth {
				return fmt.Errorf("%s: more than %d directories deep", rel, maxListDepth)
			}
			sub, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				return fmt.Errorf("open %s: %w", rel, err)
			}
			if err := walkDir(sub, rel, depth+1, max, out); err != nil {
				return err
			}
		}
	}
	return nil
}

func pathBytes(list []FileInfo) int {
	n := 0
	for _, f := range list {
		n += len(f.Path)
	}
	return n
}
