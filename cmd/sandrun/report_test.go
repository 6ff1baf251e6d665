package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/executortest"
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

// TestStatusLineAfterUnfinishedLine: the status line starts a line of its own on stderr. A
// program's unfinished last line on stderr (or on stdout when both are one file) is ended
// first; an unfinished line on a stdout of its own puts no blank line into stderr.
func TestStatusLineAfterUnfinishedLine(t *testing.T) {
	const status = "sandrun: runtime_error: exited with code 3 (exit 3 · cpu 0 ms · wall 0 ms · mem 0 B)\n"
	for _, tc := range []struct {
		name, script           string
		merge                  bool
		wantStdout, wantStderr string
	}{
		{"stdout apart", `raw "partial"` + "\nexit 3", false, "partial", status},
		{"stderr apart", "out whole\nerr whole\nexit 3", false, "whole\n", "whole\n" + status},
		{"one file", `raw "partial"` + "\nexit 3", true, "partial", "\n" + status},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			req := executor.Request{Language: "python", Files: []executor.File{{Name: "main.py", Content: []byte(tc.script)}}, MergeOutput: tc.merge}
			err := runOnce(context.Background(), executortest.NewFake(), req, false, &stdout, &stderr)
			var ee exitError
			if !errors.As(err, &ee) || ee.code != 3 {
				t.Fatalf("runOnce = %v, want exit code 3", err)
			}
			if stdout.String() != tc.wantStdout || stderr.String() != tc.wantStderr {
				t.Errorf("stdout %q, stderr %q; want %q, %q", stdout.String(), stderr.String(), tc.wantStdout, tc.wantStderr)
			}
		})
	}
}
