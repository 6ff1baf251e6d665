//go:build !linux || !(amd64 || arm64)

package seccomp

var names = map[int]string{}

func pol() policySet { return policySet{} }

// Install returns ErrUnsupported: there is no filter for this OS or architecture.
func Install() error { return ErrUnsupported }

// Available returns ErrUnsupported.
func Available() error { return ErrUnsupported }
