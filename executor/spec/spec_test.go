package spec

import "testing"

func TestCheckListen(t *testing.T) {
	for _, tt := range []struct {
		addr  string
		token bool
		ok    bool
	}{
		{"127.0.0.1:7070", false, true},
		{"[::1]:7070", false, true},
		{"localhost:7070", false, true},
		{"0.0.0.0:7070", false, false},
		{":7070", false, false},
		{"192.168.1.5:7070", false, false},
		{"0.0.0.0:7070", true, true},
		{"nonsense", false, false},
	} {
		err := CheckListen(tt.addr, "127.0.0.1:7070", tt.token, "--token-file")
		if (err == nil) != tt.ok {
			t.Errorf("CheckListen(%q, token=%v) = %v, want ok=%v", tt.addr, tt.token, err, tt.ok)
		}
	}
}

func TestCheck(t *testing.T) {
	for spec, ok := range map[string]bool{
		"": true, "local": true, "tcp://127.0.0.1:7070": true, "tcp://[::1]:1": true,
		"tcp://nohost": false, "tcp://h:1/x": false, "remote": false, "nats://": false,
		"nats://127.0.0.1:4222": true, "nats://a:4222,nats://b:4222": true, "nats://a:4222,tcp://b:1": false,
	} {
		err := Check(spec)
		if (err == nil) != ok {
			t.Errorf("Check(%q) = %v, want ok=%v", spec, err, ok)
		}
		if err != nil {
			if _, isSpec := err.(*Error); !isSpec {
				t.Errorf("Check(%q) = %T, want *Error", spec, err)
			}
		}
	}
}
