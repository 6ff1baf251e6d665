package local

import (
	"context"

	"github.com/sandrun/sandrun/executor/sandbox"
)

// Sandbox is what a run needs of one sandbox: put files in /work, run a command, read back what
// a compile left. *sandbox.Sandbox is the real one; tests use a fake.
type Sandbox interface {
	WriteFiles(files []sandbox.File) error
	ListFiles(max int) ([]sandbox.FileInfo, error)
	ReadFile(path string, max int64) ([]byte, error)
	Run(ctx context.Context, cmd sandbox.Cmd) (sandbox.Outcome, error)
	// Checkpoint keeps /work as it is now as the state Restore returns to (and leaves the
	// sandbox in it: a fresh /tmp too); Restore gives a fresh /tmp, /dev/shm and a /work as at
	// the checkpoint. The cases of one request each start from the compile's output this way.
	Checkpoint(ctx context.Context) error
	Restore(ctx context.Context) error
	Close() error
}

// Sandboxes hands out a Sandbox per run and takes it back after.
type Sandboxes interface {
	// Get returns a sandbox as fresh as a new one, configured as cfg says.
	Get(ctx context.Context, cfg sandbox.Config) (Sandbox, error)
	// Put takes sb back after a run; healthy says the sandbox itself saw the run through, so
	// that it may be reused. Otherwise sb is closed.
	Put(sb Sandbox, healthy bool)
	// Close releases the sandboxes kept for reuse.
	Close() error
}

// realSandboxes are namespaces sandboxes on this machine, from a pool of ready ones when pool is
// set.
type realSandboxes struct {
	pool    *sandbox.Pool
	abandon bool // without a pool: Abandon a sandbox after its run instead of closing it
}

func (r realSandboxes) Get(ctx context.Context, cfg sandbox.Config) (Sandbox, error) {
	if r.pool != nil {
		return r.pool.Get(ctx, cfg)
	}
	return sandbox.New(ctx, cfg)
}

func (r realSandboxes) Put(sb Sandbox, healthy bool) {
	s, real := sb.(*sandbox.Sandbox)
	switch {
	case real && r.pool != nil && healthy:
		r.pool.Put(s)
	case real && r.abandon:
		s.Abandon()
	default:
		sb.Close()
	}
}

func (r realSandboxes) Close() error {
	if r.pool != nil {
		return r.pool.Close()
	}
	return nil
}
