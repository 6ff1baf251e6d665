// Package remote serves an executor.Executor over TCP (Server, behind `sandrun executor`) and
// reaches one (Client, behind `--executor tcp://host:port`), speaking JSON-RPC 2.0 with the
// LSP-style Content-Length framing of go.lsp.dev/jsonrpc2. docs/remote.md describes the wire.
//
// A client authenticates with a shared token before anything else, then runs requests (output
// streams back as notifications tied to a run id, in order, before the answer), cancels them,
// lists languages and asks for capacity. Open picks the executor a front end asked for.
//
// It is not for running programs: the Server delegates every run to the executor it wraps (the
// local sandbox in production) and never looks inside a Request.
package remote

import "github.com/sandrun/sandrun/executor"

// ProtocolVersion is the version of the wire described in docs/remote.md. It grows when a
// method or field changes meaning; adding optional fields does not change it.
const ProtocolVersion = 1

// Method names, as on the wire.
const (
	MethodAuthenticate = "authenticate" // client → server, call, first message on every connection
	MethodRun          = "run"          // client → server, call, answered with an executor.Result
	MethodCancel       = "cancel"       // client → server, call or notification
	MethodLanguages    = "languages"    // client → server, call, answered with []executor.LanguageInfo
	MethodHealth       = "health"       // client → server, call, answered with executor.Capacity
	MethodOutput       = "output"       // server → client, notification, one executor.Event of a run
	MethodStdin        = "stdin"        // client → server, call, input for an interactive run
)

// AuthParams are the params of MethodAuthenticate.
type AuthParams struct {
	Token string `json:"token"`
}

// AuthResult answers MethodAuthenticate.
type AuthResult struct {
	Protocol int    `json:"protocol"` // ProtocolVersion of the server
	Version  string `json:"version"`  // sandrun version of the server
	// MaxMessage is the largest frame body the server reads; a client refuses larger requests
	// itself instead of losing its connection over them.
	MaxMessage int64 `json:"max_message"`
	// Interactive says the server takes RunParams.Interactive and MethodStdin (servers before
	// it left the field out).
	Interactive bool `json:"interactive,omitempty"`
}

// RunParams are the params of MethodRun. The client picks RunID, unique among its runs in flight
// on the connection, so that output notifications and cancel can name the run before it ends.
type RunParams struct {
	RunID   string           `json:"run_id"`
	Request executor.Request `json:"request"`
	// Interactive keeps the program's stdin open after Request.Stdin, fed by MethodStdin calls
	// until one carries EOF or the run ends (executor.Request.StdinStream on the server).
	Interactive bool `json:"interactive,omitempty"`
}

// StdinParams are the params of MethodStdin: more input for the interactive run RunID (Data is
// base64), and EOF to end its stdin after Data. The call is answered (with null) once the run
// has read Data, so a client sends the next chunk only then: that is the flow control. At most
// one stdin call per run may wait for its answer.
type StdinParams struct {
	RunID string `json:"run_id"`
	Data  []byte `json:"data,omitempty"`
	EOF   bool   `json:"eof,omitempty"`
}

// OutputParams are the params of MethodOutput: one Event of the run RunID. Data is base64, as
// encoding/json writes a []byte.
type OutputParams struct {
	RunID string `json:"run_id"`
	executor.Event
}

// CancelParams are the params of MethodCancel.
type CancelParams struct {
	RunID string `json:"run_id"`
}

// CancelResult answers MethodCancel when it is a call: whether a run of that id was in flight.
type CancelResult struct {
	Canceled bool `json:"canceled"`
}

// maxRunIDLen bounds a run id; ids are the client's and only need to be unique per connection.
const maxRunIDLen = 128
