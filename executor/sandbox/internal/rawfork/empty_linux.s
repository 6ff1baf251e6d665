// The runtime fork hooks are declared in Go without a body (go:linkname); this file lets the
// compiler accept that.
