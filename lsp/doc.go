// Package lsp is sandrun's editor front end: an LSP-framed JSON-RPC server ("sandrun lsp", on
// stdio) that runs the open buffer, a selection or a file in an executor and streams its output
// back as notifications. The contract (commands sandrun.run, sandrun.watch, sandrun.stop,
// sandrun.languages; notifications sandrun/start, sandrun/output, sandrun/result; $/progress) is
// in docs/architecture.md and docs/lsp.md.
//
// It is not a language server in the usual sense (no diagnostics, completion or hover), and it
// knows nothing of sandboxes: it turns editor state into an executor.Request and shows the
// executor.Result. It uses go.lsp.dev/jsonrpc2 v0.10.0 for the connection and go.lsp.dev/protocol
// v0.12.0 for message types, with its own handler chain (see dispatch.go for why).
package lsp
