package main

import (
	"net"
	"testing"
)

// TestListenTaken: a port another program holds is one sentence naming the address and the flag,
// without Go's "listen tcp …: bind:" prefixes.
func TestListenTaken(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	l := listenFlags{name: "serve", flag: "addr", addr: held.Addr().String()}
	ln, err := l.listen()
	if err == nil {
		ln.Close()
		t.Fatal("listening on a held port worked")
	}
	if want := "cannot listen on " + l.addr + " (--addr): address already in use"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}
