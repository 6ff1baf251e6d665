//go:build !linux

package sandbox

import (
	"context"
	"runtime"
)

// ProbeHost reports that this OS has no sandbox.
func ProbeHost(ctx context.Context) Host {
	return Host{OS: runtime.GOOS, Arch: runtime.GOARCH, Cgroup: Cgroups{Version: "none"},
		Problems: []string{ErrUnsupported.Error()}}
}
