//go:build linux && !(amd64 || arm64)

package seccomp

import "golang.org/x/sys/unix"

// Program returns ErrUnsupported: there is no filter for this architecture.
func Program() ([]unix.SockFilter, error) { return nil, ErrUnsupported }
