//go:build !linux

package sandbox

// ListFiles returns ErrUnsupported.
func (s *Sandbox) ListFiles(max int) ([]FileInfo, error) { return nil, ErrUnsupported }
