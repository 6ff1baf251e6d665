package remote

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/jsonrpc2"
)

func TestDecodeMessage(t *testing.T) {
	tests := []struct {
		in      string
		want    string // the message re-encoded by jsonrpc2, or the start of the error
		wantErr bool
	}{
		{`{"jsonrpc":"2.0","id":1,"method":"run","params":{"a":1}}`, `{"jsonrpc":"2.0","method":"run","params":{"a":1},"id":1}`, false},
		{`{"jsonrpc":"2.0","id":"x","method":"health"}`, `{"jsonrpc":"2.0","method":"health","params":null,"id":"x"}`, false},
		{`{"jsonrpc":"2.0","method":"cancel","params":{"run_id":"r1"}}`, `{"jsonrpc":"2.0","method":"cancel","params":{"run_id":"r1"}}`, false},
		{`{"jsonrpc":"2.0","id":3,"result":{"ok":true}}`, `{"jsonrpc":"2.0","result":{"ok":true},"id":3}`, false},
		{`{"jsonrpc":"2.0","id":4,"error":{"code":-32010,"message":"busy"}}`, `{"jsonrpc":"2.0","error":{"code":-32010,"message":"busy"},"id":4}`, false},
		{`{"jsonrpc":"2.0","id":null,"error":{"code":-32013,"message":"too big"}}`, "the executor said: too big", true},
		{`{"jsonrpc":"1.0","id":1,"method":"x"}`, `jsonrpc is "1.0"`, true},
		{`{"jsonrpc":"2.0","id":1.5,"method":"x"}`, "id 1.5 is neither", true},
		{`{"jsonrpc":"2.0","id":99999999999,"method":"x"}`, "id 99999999999 is neither", true},
		{`{"jsonrpc":"2.0"}`, "a message needs a method", true},
		{`[1]`, "json: cannot unmarshal array", true},
	}
	for _, tt := range tests {
		msg, err := decodeMessage([]byte(tt.in))
		if tt.wantErr {
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("decodeMessage(%s): error %v, want one starting %q", tt.in, err, tt.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("decodeMessage(%s): %v", tt.in, err)
			continue
		}
		got, err := json.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, string(got)); diff != "" {
			t.Errorf("decodeMessage(%s) re-encoded (-want +got):\n%s", tt.in, diff)
		}
	}
	_, err := decodeMessage([]byte(`{"id":null,"error":{"code":1,"message":"m"}}`))
	var orphan *errOrphan
	if !errors.As(err, &orphan) || orphan.err.Code != jsonrpc2.Code(1) {
		t.Errorf("null-id error: got %v, want *errOrphan", err)
	}
}
