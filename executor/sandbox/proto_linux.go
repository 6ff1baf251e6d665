//go:build linux

package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
)

// The host and the sandbox init talk over a SOCK_SEQPACKET socket pair: one JSON message per
// packet, file descriptors attached with SCM_RIGHTS. The host asks, the init answers; during a
// run the host may also send "kill", and the init sends "done" when it is over.

// maxMsg bounds one control message (the whole Cmd: args and env); a SOCK_SEQPACKET message
// must fit the socket's send buffer (about 200 KiB by default).
const maxMsg = 160 << 10

// msg is every message of the protocol; Op says which fields matter.
type msg struct {
	Op  string `json:"op"`
	Err string `json:"err,omitempty"` // an answer's failure, as a sentence

	Setup *setupSpec `json:"setup,omitempty"` // op "setup"
	Path  string     `json:"path,omitempty"`  // ops "create", "open"
	Mode  uint32     `json:"mode,omitempty"`  // op "create"
	Run   *runSpec   `json:"run,omitempty"`   // op "run"; op "prepare" carries cgroup.procs files
	Into  bool       `json:"into,omitempty"`  // op "prepare": the file is a v2 cgroup dir to clone into
	Done  *doneInfo  `json:"done,omitempty"`  // op "done"
	Max   int        `json:"max,omitempty"`   // op "list": at most this many files
	List  []FileInfo `json:"list,omitempty"`  // op "list": the answer
}

// setupSpec is what the init needs to build the filesystem.
type setupSpec struct {
	Binds    []Bind    `json:"binds"`
	Overlays []Overlay `json:"overlays"`
	WorkSize int64     `json:"work_size"`
	TmpSize  int64     `json:"tmp_size"`
	ShmSize  int64     `json:"shm_size"`
	UID      int       `json:"uid"` // the uid commands run as, inside
	GID      int       `json:"gid"`
	Rootless bool      `json:"rootless"`
	// Fork: commands start by fork+exec from the init (package internal/rawfork), not from a
	// stage-2 re-exec of this binary.
	Fork bool `json:"fork,omitempty"`
	// Masks are credential files and dirs below the top of the binds and of /usr/local, found
	// by the host's walk (credentialMasks), for the init to mask.
	Masks []string `json:"masks,omitempty"`
}

// runSpec is one command as the init and the stage-2 see it. Its stdin, stdout and stderr
// travel beside it. (The cgroup.procs files came earlier, with "prepare".)
type runSpec struct {
	Args     []string `json:"args"`
	Env      []string `json:"env"`
	Dir      string   `json:"dir"`
	UID      int      `json:"uid"`
	GID      int      `json:"gid"`
	Rootless bool     `json:"rootless"`
	Rlimits  []rlimit `json:"rlimits"`
	// DataLimit is RLIMIT_DATA in bytes (private writable memory: heap, anonymous mappings),
	// set last, right before execve (0: none). Not RLIMIT_AS: runtimes reserve far more address
	// space than they use (V8, the JVM and Go would not start under it).
	DataLimit uint64 `json:"data_limit,omitempty"`
}

// rlimit is one setrlimit call of the stage-2.
type rlimit struct {
	Resource int    `json:"resource"`
	Cur      uint64 `json:"cur"`
	Max      uint64 `json:"max"`
}

// doneInfo is how the command's main process ended, as the init saw it.
type doneInfo struct {
	ExitCode int `json:"exit_code"` // -1 when signaled
	Signal   int `json:"signal"`
	// CPUNanos is the CPU time of every process of the command (RUSAGE_CHILDREN delta); when
	// ProgramCPU is set, less what the stage-2 used before its execve: the program's own.
	CPUNanos   int64 `json:"cpu_ns"`
	ProgramCPU bool  `json:"program_cpu,omitempty"`
	MaxRSS     int64 `json:"max_rss"` // bytes, largest process
	// WallNano runs from the hand-over to the stage-2 (privilege drop, execve) to the main
	// process's end.
	WallNano int64  `json:"wall_ns"`
	StartErr string `json:"start_err,omitempty"`
}

// conn is one end of the control socket. Sends are serialised; receives happen on one goroutine.
type conn struct {
	c      *net.UnixConn
	sendMu sync.Mutex
	buf    []byte
	oob    []byte
}

// newConn wraps a SOCK_SEQPACKET socket fd; f is closed (the conn holds a dup).
func newConn(f *os.File) (*conn, error) {
	defer f.Close()
	nc, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	uc, ok := nc.(*net.UnixConn)
	if !ok {
		nc.Close()
		return nil, errors.New("control socket: not a unix socket")
	}
	return &conn{c: uc, buf: make([]byte, maxMsg), oob: make([]byte, syscall.CmsgSpace(64*4))}, nil
}

func (c *conn) send(m *msg, files ...*os.File) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("control send: %w", err)
	}
	if len(b) > maxMsg {
		return fmt.Errorf("control send: message of %d bytes is over the %d byte limit (too many or too long args or env)", len(b), maxMsg)
	}
	var oob []byte
	if len(files) > 0 {
		fds := make([]int, len(files))
		for i, f := range files {
			fds[i] = int(f.Fd())
		}
		oob = syscall.UnixRights(fds...)
	}
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	if _, _, err := c.c.WriteMsgUnix(b, oob, nil); err != nil {
		return fmt.Errorf("control send: %w", err)
	}
	return nil
}

// recv reads one message and the files that came with it (the caller owns them).
func (c *conn) recv() (*msg, []*os.File, error) {
	n, oobn, flags, _, err := c.c.ReadMsgUnix(c.buf, c.oob)
	if err != nil {
		return nil, nil, fmt.Errorf("control recv: %w", err)
	}
	var files []*os.File
	if oobn > 0 {
		cms, err := syscall.ParseSocketControlMessage(c.oob[:oobn])
		if err != nil {
			return nil, nil, fmt.Errorf("control recv: %w", err)
		}
		for _, cm := range cms {
			fds, err := syscall.ParseUnixRights(&cm)
			if err != nil {
				continue
			}
			for _, fd := range fds {
				syscall.CloseOnExec(fd)
				files = append(files, os.NewFile(uintptr(fd), "fd"))
			}
		}
	}
	if n == 0 && oobn == 0 {
		return nil, nil, fmt.Errorf("control recv: %w", errPeerGone)
	}
	if flags&(syscall.MSG_TRUNC|syscall.MSG_CTRUNC) != 0 {
		closeAll(files)
		return nil, nil, errors.New("control recv: message truncated")
	}
	m := new(msg)
	if err := json.Unmarshal(c.buf[:n], m); err != nil {
		closeAll(files)
		return nil, nil, fmt.Errorf("control recv: %w", err)
	}
	return m, files, nil
}

func (c *conn) close() error { return c.c.Close() }

// errPeerGone means the other end closed the socket (the init died or the host went away).
var errPeerGone = errors.New("peer closed the control socket")

func closeAll(files []*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}
