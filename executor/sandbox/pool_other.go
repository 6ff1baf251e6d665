//go:build !linux

package sandbox

import "context"

func (s *Sandbox) reset(ctx context.Context) error { return ErrUnsupported }
