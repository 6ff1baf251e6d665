//go:build !linux

package languages

import (
	"context"
	"time"
)

// cachedVersion asks the version: answers are kept on disk only on Linux (versioncache.go).
func (l *Language) cachedVersion(ctx context.Context, timeout time.Duration) (string, error) {
	return l.askVersion(ctx, timeout)
}
