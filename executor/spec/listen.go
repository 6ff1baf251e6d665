package spec

import (
	"fmt"
	"net"

	"github.com/sandrun/sandrun/executor/remote"
)

// CheckListen is the one rule for a server that runs code on request (serve's HTTP API, the TCP
// executor): without a token it listens on loopback only. addr is HOST:PORT; example is the
// caller's own default address, shown as the form to use; tokenFlag names the flag that gives
// the token, for the sentence. It returns nil or an *Error.
func CheckListen(addr, example string, haveToken bool, tokenFlag string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return &Error{fmt.Sprintf("listen address %q: %v; want HOST:PORT such as %s", addr, err, example)}
	}
	if haveToken || IsLoopback(host) {
		return nil
	}
	return &Error{fmt.Sprintf("listen address %q is not loopback, so a token is required: pass %s FILE (%s), or listen on 127.0.0.1", addr, tokenFlag, remote.MakeTokenHint("FILE"))}
}

// IsLoopback reports whether host is a loopback name or address.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
