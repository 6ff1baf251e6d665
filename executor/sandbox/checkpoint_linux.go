//go:build linux

package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Checkpoint and Restore let one sandbox run the same program several times (the cases of one
// request), each run as if it were the first after the compile: nothing a run writes reaches
// the next one.
//
// Checkpoint takes the /work tmpfs away from the sandbox's tree (the init keeps an open
// directory of it; no path reaches it any more, from inside or outside). Checkpoint and Restore
// both then do what a pool's reset does to /work, /tmp, /dev/shm and the overlays (a fresh
// tmpfs each) and copy the checkpoint into the new /work: files with their contents,
// modes, owners and times, dirs, symbolic links (never followed). FIFOs, sockets and devices
// are not copied. Unlike the reset it does not refuse a sandbox whose network namespace was
// used: the runs are the same program's, and every process of the last one is gone.

// Checkpoint keeps /work as it is now (the compile's output beside the sources) as the state
// Restore returns to, and leaves the sandbox in that state (a fresh /tmp too). Call it when no
// command runs; a pool's reset drops it.
func (s *Sandbox) Checkpoint(ctx context.Context) error { return s.checkpointOp(ctx, "checkpoint") }

// Restore gives the sandbox a fresh /tmp, /dev/shm and overlays and a /work holding exactly
// what it held at the Checkpoint. It fails when there is no checkpoint or something of the last
// command still runs; the sandbox must then be closed.
func (s *Sandbox) Restore(ctx context.Context) error { return s.checkpointOp(ctx, "restore") }

func (s *Sandbox) checkpointOp(ctx context.Context, op string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waitPending()
	if s.closed {
		return ErrClosed
	}
	if s.broken != nil {
		return s.broken
	}
	if _, err := s.call(ctx, &msg{Op: op}); err != nil {
		return fmt.Errorf("sandbox: %s: %w", op, err)
	}
	return nil
}

// maxCopyDepth bounds how deep a tree the checkpoint copies (each level holds two open dirs).
const maxCopyDepth = 128

// doCheckpoint serves "checkpoint" (restore false) and "restore" in the init.
func (in *initProc) doCheckpoint(running *initRun, restore bool) error {
	if in.setup == nil {
		return errors.New("before setup")
	}
	if err := in.idle(running); err != nil {
		return err
	}
	if restore && in.checkpoint == nil {
		return errors.New("no checkpoint to restore")
	}
	if !restore {
		in.dropCheckpoint()
		fd, err := unix.Open("/work", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open /work: %w", err)
		}
		// The open dir keeps the tmpfs alive, with everything in it, once wipeScratch has
		// detached it from /work.
		in.checkpoint = os.NewFile(uintptr(fd), "checkpoint")
	}
	if err := in.wipeScratch(); err != nil {
		return err
	}
	dst, err := unix.Open("/work", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /work: %w", err)
	}
	defer unix.Close(dst)
	src, err := unix.Dup(int(in.checkpoint.Fd()))
	if err != nil {
		return err
	}
	defer unix.Close(src)
	if _, err := unix.Seek(src, 0, io.SeekStart); err != nil { // rewind the shared dir offset
		return err
	}
	if err := in.copyTree(src, dst, 0); err != nil {
		return fmt.Errorf("copy the checkpoint into /work: %w", err)
	}
	return nil
}

// dropCheckpoint forgets the checkpoint; its tmpfs goes with the last open dir.
func (in *initProc) dropCheckpoint() {
	if in.checkpoint != nil {
		in.checkpoint.Close()
		in.checkpoint = nil
	}
}

// copyTree copies the contents of the dir src into the dir dst (both open fds, not closed).
// Nothing runs in the sandbox meanwhile, and no link is followed: every entry is opened
// relative to its parent with O_NOFOLLOW.
func (in *initProc) copyTree(src, dst, depth int) error {
	if depth > maxCopyDepth {
		return fmt.Errorf("dirs nested deeper than %d", maxCopyDepth)
	}
	d, err := unix.Dup(src)
	if err != nil {
		return err
	}
	dir := os.NewFile(uintptr(d), "dir")
	defer dir.Close()
	if _, err := unix.Seek(d, 0, io.SeekStart); err != nil {
		return err
	}
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return err
	}
	for _, name := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(src, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		mode := uint32(st.Mode & 0o7777)
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			if err := unix.Mkdirat(dst, name, 0o700); err != nil {
				return fmt.Errorf("mkdir %s: %w", name, err)
			}
			s, err := unix.Openat(src, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			t, err := unix.Openat(dst, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				unix.Close(s)
				return fmt.Errorf("%s: %w", name, err)
			}
			err = in.copyTree(s, t, depth+1)
			if err == nil {
				err = in.own(t, "", &st, mode)
			}
			unix.Close(s)
			unix.Close(t)
			if err != nil {
				return fmt.Errorf("%s/%w", name, err)
			}
		case unix.S_IFREG:
			if err := in.copyFile(src, dst, name, &st, mode); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		case unix.S_IFLNK:
			buf := make([]byte, unix.PathMax)
			n, err := unix.Readlinkat(src, name, buf)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := unix.Symlinkat(string(buf[:n]), dst, name); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := in.own(dst, name, &st, 0); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	return nil
}

func (in *initProc) copyFile(src, dst int, name string, st *unix.Stat_t, mode uint32) error {
	s, err := unix.Openat(src, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	from := os.NewFile(uintptr(s), name)
	defer from.Close()
	t, err := unix.Openat(dst, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	to := os.NewFile(uintptr(t), name)
	defer to.Close()
	if _, err := io.Copy(to, from); err != nil { // copy_file_range between the two tmpfs
		return err
	}
	return in.own(t, "", st, mode)
}

// own gives the copy (fd itself when name is "", else the link name in the dir fd) the
// original's owner, mode (not for links) and times. An owner this user namespace does
// not map becomes the sandbox's uid and gid.
func (in *initProc) own(fd int, name string, st *unix.Stat_t, mode uint32) error {
	flags := unix.AT_SYMLINK_NOFOLLOW
	if name == "" {
		flags |= unix.AT_EMPTY_PATH
	}
	if err := unix.Fchownat(fd, name, int(st.Uid), int(st.Gid), flags); err != nil {
		if err := unix.Fchownat(fd, name, in.setup.UID, in.setup.GID, flags); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
	}
	if name == "" {
		if err := unix.Fchmod(fd, mode); err != nil { // after the chown, which may clear set-id bits
			return fmt.Errorf("chmod: %w", err)
		}
	}
	ts := []unix.Timespec{st.Atim, st.Mtim}
	if name == "" {
		return unix.UtimesNanoAt(fd, "", ts, unix.AT_EMPTY_PATH)
	}
	return unix.UtimesNanoAt(fd, name, ts, unix.AT_SYMLINK_NOFOLLOW)
}
