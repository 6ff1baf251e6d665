package lsp

import (
	"bufio"
	"bytes"
	"context"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/segmentio/encoding/json"
	"go.lsp.dev/jsonrpc2"
)

// maxFrame bounds one incoming message. Bigger frames are skipped with an error answer.
const maxFrame = 64 << 20

// stream is LSP framing ("Content-Length: N\r\n\r\n" then N bytes of JSON) over a byte stream,
// like jsonrpc2.NewStream, with one difference: a frame that cannot be read (bad header, bad
// JSON, not a JSON-RPC message) is answered with a JSON-RPC error and skipped, so one bad message
// does not end the session. Only the end of the input or a failed write ends it.
type stream struct {
	in     *bufio.Reader
	out    io.Writer
	closer io.Closer
	logf   func(format string, args ...any)

	// resync is set after a broken header: lines are skipped until one holds a Content-Length.
	// Only Read touches it.
	resync bool

	writeMu sync.Mutex // one frame at a time on out
}

var _ jsonrpc2.Stream = (*stream)(nil)

func newStream(rwc io.ReadWriteCloser, logf func(string, ...any)) *stream {
	return &stream{in: bufio.NewReaderSize(rwc, 64<<10), out: rwc, closer: rwc, logf: logf}
}

// badFrame is a frame that was skipped; id is the request's id when it could be read.
type badFrame struct {
	code jsonrpc2.Code
	msg  string
	id   stdjson.RawMessage
}

func (b *badFrame) Error() string { return b.msg }

// Read returns the next message, answering and skipping bad frames.
func (s *stream) Read(ctx context.Context) (jsonrpc2.Message, int64, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		msg, n, err := s.readFrame()
		var bad *badFrame
		if !errors.As(err, &bad) {
			return msg, n, err
		}
		s.logf("skipped a bad message: %s", bad.msg)
		if err := s.writeError(bad); err != nil {
			return nil, n, err
		}
	}
}

func (s *stream) readFrame() (jsonrpc2.Message, int64, error) {
	var total, length int64
	haveLength := false
	for {
		line, err := s.in.ReadString('\n')
		total += int64(len(line))
		if err != nil {
			if err == io.EOF && total > 0 && !s.resync {
				err = io.ErrUnexpectedEOF
			}
			return nil, total, err
		}
		if s.resync {
			i := strings.Index(strings.ToLower(line), "content-length:")
			if i < 0 {
				continue
			}
			line, s.resync = line[i:], false
		}
		line = strings.TrimSpace(line)
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		if !ok || !isToken(name) {
			s.resync = true
			return nil, total, &badFrame{code: jsonrpc2.ParseError, msg: fmt.Sprintf(
				"bad header line %q: each message must start with \"Content-Length: N\" and a blank line", clip(line))}
		}
		if !strings.EqualFold(name, jsonrpc2.HdrContentLength) {
			continue // Content-Type and unknown headers are ignored
		}
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n <= 0 {
			s.resync = true
			return nil, total, &badFrame{code: jsonrpc2.ParseError, msg: fmt.Sprintf(
				"bad Content-Length %q: it must be a positive number of bytes", clip(value))}
		}
		length, haveLength = n, true
	}
	if !haveLength {
		s.resync = true
		return nil, total, &badFrame{code: jsonrpc2.ParseError, msg: "a message had no Content-Length header"}
	}
	if length > maxFrame {
		n, err := io.CopyN(io.Discard, s.in, length)
		total += n
		if err != nil {
			return nil, total, err
		}
		return nil, total, &badFrame{code: jsonrpc2.InvalidRequest, msg: fmt.Sprintf(
			"a message of %d bytes was skipped: at most %d bytes are accepted", length, maxFrame)}
	}
	data := make([]byte, length)
	if _, err := io.ReadFull(s.in, data); err != nil {
		return nil, total, fmt.Errorf("read message body: %w", err)
	}
	total += length
	msg, err := jsonrpc2.DecodeMessage(data)
	if err != nil {
		return nil, total, undecodable(data, err)
	}
	return msg, total, nil
}

// isToken reports whether s is a valid header name (RFC 7230 token, here letters, digits, '-').
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// undecodable explains why data is not a JSON-RPC message, keeping its id when it has one.
func undecodable(data []byte, err error) *badFrame {
	if !stdjson.Valid(data) {
		return &badFrame{code: jsonrpc2.ParseError, msg: fmt.Sprintf("a message is not valid JSON: %s", clip(string(data)))}
	}
	var probe struct {
		Version stdjson.RawMessage `json:"jsonrpc"`
		ID      stdjson.RawMessage `json:"id"`
		Method  stdjson.RawMessage `json:"method"`
	}
	isObject := stdjson.Unmarshal(data, &probe) == nil && bytes.HasPrefix(bytes.TrimSpace(data), []byte("{"))
	var id stdjson.RawMessage
	d := bytes.TrimSpace(probe.ID)
	idOK := len(d) == 0 || string(d) == "null" || d[0] == '"' || d[0] == '-' || (d[0] >= '0' && d[0] <= '9')
	if len(d) > 0 && idOK && string(d) != "null" {
		id = d
	}
	// Why, in the protocol's words (the decoder's own error names Go types).
	why := "it has no \"method\" (a request or notification) and no \"result\" or \"error\" (a response)"
	switch m := bytes.TrimSpace(probe.Method); {
	case !isObject:
		why = "it is not a JSON object"
	case string(bytes.TrimSpace(probe.Version)) != `"2.0"`:
		why = fmt.Sprintf("its \"jsonrpc\" is %s, not \"2.0\"", orMissing(probe.Version))
	case !idOK:
		why = "its \"id\" is neither a number nor a string"
	case len(m) > 0 && m[0] != '"':
		why = "its \"method\" is not a string"
	}
	return &badFrame{code: jsonrpc2.InvalidRequest, id: id, msg: fmt.Sprintf(
		"a message is not a JSON-RPC 2.0 request, notification or response: %s: %s", why, clip(string(data)))}
}

// orMissing is a raw JSON value as written, or "missing".
func orMissing(v stdjson.RawMessage) string {
	if v = bytes.TrimSpace(v); len(v) == 0 {
		return "missing"
	}
	return clip(string(v))
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// Write sends msg as one frame.
func (s *stream) Write(ctx context.Context, msg jsonrpc2.Message) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return 0, fmt.Errorf("marshal message: %w", err)
	}
	return s.writeFrame(data)
}

func (s *stream) writeError(bad *badFrame) error {
	id := bad.id
	if id == nil {
		id = stdjson.RawMessage("null")
	}
	data, err := stdjson.Marshal(struct {
		JSONRPC string             `json:"jsonrpc"`
		ID      stdjson.RawMessage `json:"id"`
		Error   jsonrpc2.Error     `json:"error"`
	}{"2.0", id, jsonrpc2.Error{Code: bad.code, Message: bad.msg}})
	if err != nil {
		return err
	}
	_, err = s.writeFrame(data)
	return err
}

func (s *stream) writeFrame(data []byte) (int64, error) {
	frame := make([]byte, 0, len(data)+32)
	frame = fmt.Appendf(frame, "Content-Length: %d\r\n\r\n", len(data))
	frame = append(frame, data...)
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	n, err := s.out.Write(frame)
	if err != nil {
		return int64(n), fmt.Errorf("write message: %w", err)
	}
	return int64(n), nil
}

// Close closes the underlying connection; a blocked Read returns.
func (s *stream) Close() error { return s.closer.Close() }
