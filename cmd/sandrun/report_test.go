package main

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
)

// TestCouldNotRunDial: a dial that failed names the executor's address, or the host name that
// did not resolve, never "<nil>".
func TestCouldNotRunDial(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1},
			Err: &net.OpError{Op: "connect", Err: syscall.ECONNREFUSED}},
			"could not run the program: cannot reach the executor at 127.0.0.1:1: connection refused"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "nohost.invalid", Server: "10.0.0.53:53", IsNotFound: true}},
			"could not run the program: cannot reach the executor: cannot look up the host nohost.invalid: no such host"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("i/o timeout")},
			"could not run the program: cannot reach the executor: i/o timeout"},
	} {
		got := couldNotRun(tc.err).Error()
		if got != tc.want || strings.Contains(got, "<nil>") {
			t.Errorf("couldNotRun(%#v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
