//go:build !linux

package sandbox

import (
	"context"
	"errors"
)

// ErrUnsupported is returned on every OS but Linux: the sandbox needs Linux namespaces.
var ErrUnsupported = errors.New("sandbox: not supported on this OS: sandrun needs Linux namespaces; use --executor tcp://HOST:PORT to run on a Linux executor")

// Sandbox is unavailable here.
type Sandbox struct{}

// New returns ErrUnsupported.
func New(ctx context.Context, cfg Config) (*Sandbox, error) { return nil, ErrUnsupported }

// Prestart does nothing.
func Prestart() {}

// WriteFiles returns ErrUnsupported.
func (s *Sandbox) WriteFiles(files []File) error { return ErrUnsupported }

// Run returns ErrUnsupported.
func (s *Sandbox) Run(ctx context.Context, cmd Cmd) (Outcome, error) {
	return Outcome{}, ErrUnsupported
}

// ReadFile returns ErrUnsupported.
func (s *Sandbox) ReadFile(path string, max int64) ([]byte, error) { return nil, ErrUnsupported }

// Checkpoint returns ErrUnsupported.
func (s *Sandbox) Checkpoint(ctx context.Context) error { return ErrUnsupported }

// Restore returns ErrUnsupported.
func (s *Sandbox) Restore(ctx context.Context) error { return ErrUnsupported }

// Close does nothing.
func (s *Sandbox) Close() error { return nil }

// Abandon is Close.
func (s *Sandbox) Abandon() error { return nil }
func maybeInit() bool           { return false }

func unenforced() []string { return []string{ErrUnsupported.Error()} }
func memoryByRlimit() bool { return true }
