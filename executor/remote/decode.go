package remote

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"go.lsp.dev/jsonrpc2"
)

// wireMessage is any JSON-RPC 2.0 message, as read.
type wireMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   *jsonrpc2.Error `json:"error"`
}

// errOrphan is a response without an id: the peer's answer to something it could not read.
type errOrphan struct{ err *jsonrpc2.Error }

func (e *errOrphan) Error() string { return "the executor said: " + e.err.Message }

// decodeMessage is jsonrpc2.DecodeMessage with encoding/json, which allocates far less than the
// decoder jsonrpc2 v0.10 uses (a fresh 32 KiB+ buffer per message). An error response with a
// null id comes back as *errOrphan.
func decodeMessage(data []byte) (jsonrpc2.Message, error) {
	var m wireMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m.JSONRPC != "" && m.JSONRPC != jsonrpc2.Version {
		return nil, fmt.Errorf("jsonrpc is %q, want %q", m.JSONRPC, jsonrpc2.Version)
	}
	hasID := len(m.ID) > 0 && !bytes.Equal(m.ID, []byte("null"))
	var id jsonrpc2.ID
	if hasID {
		var err error
		if id, err = parseID(m.ID); err != nil {
			return nil, err
		}
	}
	params := any(nil)
	if len(m.Params) > 0 {
		params = m.Params
	}
	switch {
	case m.Method != "" && hasID:
		return jsonrpc2.NewCall(id, m.Method, params)
	case m.Method != "":
		return jsonrpc2.NewNotification(m.Method, params)
	case !hasID && m.Error != nil:
		return nil, &errOrphan{m.Error}
	case !hasID:
		return nil, errors.New("a message needs a method (request) or an id (response)")
	case m.Error != nil:
		return jsonrpc2.NewResponse(id, nil, m.Error)
	default:
		return jsonrpc2.NewResponse(id, m.Result, nil)
	}
}

func parseID(raw json.RawMessage) (jsonrpc2.ID, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return jsonrpc2.NewStringID(s), nil
	}
	var n float64
	if err := json.Unmarshal(raw, &n); err != nil || n != math.Trunc(n) || n < math.MinInt32 || n > math.MaxInt32 {
		return jsonrpc2.ID{}, fmt.Errorf("id %.40s is neither a string nor a 32-bit integer", raw)
	}
	return jsonrpc2.NewNumberID(int32(n)), nil
}
