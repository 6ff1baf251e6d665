package remote

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"
)

// Framing limits on a header: the body's size is checked against frameOptions.maxMessage before
// a byte of it is read or allocated.
const (
	maxHeaderLine  = 1024
	maxHeaderLines = 16
	// maxPreAuthMessage bounds a frame before authentication: an authenticate call is tiny.
	maxPreAuthMessage = 4 << 10
)

// errFrame marks a frame that breaks the framing; the connection cannot go on after one.
var errFrame = errors.New("bad frame")

// frameOptions shape a frameStream.
type frameOptions struct {
	maxMessage int64 // largest body accepted
	// preAuth, when set, reports whether the peer has yet to authenticate; until it has, a
	// body may be at most maxPreAuthMessage bytes (server side: login must be cheap).
	preAuth      func() bool
	writeTimeout time.Duration // one Write must finish within it, else the connection is closed
	// answerErrors makes the stream answer a bad frame or message with a JSON-RPC error (id null)
	// before failing, so a confused peer learns why it is cut off (server side).
	answerErrors bool
	// keepGoing reports whether a well-framed message that is not JSON-RPC may be answered and
	// skipped instead of closing the connection (server side, after authentication).
	keepGoing func() bool
	// onMessage is called for every message read (activity for idle timeouts).
	onMessage func()
}

// frameStream is a jsonrpc2.Stream with the Content-Length framing of jsonrpc2.NewStream, but it
// refuses oversized frames from their header, bounds header lines, and puts a deadline on writes.
type frameStream struct {
	conn net.Conn
	in   *bufio.Reader
	opts frameOptions

	// writeMu serializes writes: jsonrpc2.Conn's own and the error answers of Read.
	writeMu sync.Mutex
}

var _ jsonrpc2.Stream = (*frameStream)(nil)

func newFrameStream(conn net.Conn, opts frameOptions) *frameStream {
	return &frameStream{conn: conn, in: bufio.NewReaderSize(conn, 4096), opts: opts}
}

// Read implements jsonrpc2.Stream. It returns an error (and jsonrpc2.Conn closes the connection)
// on a broken frame, an oversized frame, or end of stream.
func (s *frameStream) Read(ctx context.Context) (jsonrpc2.Message, int64, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		length, total, err := s.readHeader()
		if err != nil {
			if errors.Is(err, errFrame) {
				s.answer(jsonrpc2.ParseError, err.Error())
				s.linger()
			}
			return nil, total, err
		}
		limit := s.opts.maxMessage
		if s.opts.preAuth != nil && s.opts.preAuth() {
			limit = min(limit, maxPreAuthMessage)
		}
		if length > limit {
			err := fmt.Errorf("message of %d bytes is over the limit of %d bytes", length, limit)
			if limit == maxPreAuthMessage {
				err = fmt.Errorf("message of %d bytes before authentication; until %q succeeds a message may be at most %d bytes", length, MethodAuthenticate, limit)
			}
			s.answer(CodeTooLarge, err.Error())
			s.linger()
			return nil, total, err
		}
		data := make([]byte, length)
		if _, err := io.ReadFull(s.in, data); err != nil {
			return nil, total, fmt.Errorf("read message body: %w", err)
		}
		total += length
		if s.opts.onMessage != nil {
			s.opts.onMessage()
		}
		msg, err := decodeMessage(data)
		if err == nil {
			return msg, total, nil
		}
		var orphan *errOrphan
		if errors.As(err, &orphan) {
			return nil, total, err // the peer is about to close; its sentence ends the connection
		}
		err = fmt.Errorf("message is not JSON-RPC 2.0: %w", err)
		s.answer(jsonrpc2.InvalidRequest, err.Error())
		if s.opts.keepGoing == nil || !s.opts.keepGoing() {
			s.linger()
			return nil, total, err
		}
	}
}

// readHeader reads header lines up to the empty line and returns the Content-Length.
func (s *frameStream) readHeader() (length, total int64, err error) {
	length = -1
	for i := 0; ; i++ {
		if i == maxHeaderLines {
			return 0, total, fmt.Errorf("%w: more than %d header lines", errFrame, maxHeaderLines)
		}
		line, err := s.readLine()
		total += int64(len(line))
		if err != nil {
			if i == 0 && len(line) == 0 && errors.Is(err, io.EOF) {
				return 0, total, io.EOF
			}
			return 0, total, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !isToken(name) {
			// An HTTP request line ("POST /x:y HTTP/1.1") lands here: a browser page must not
			// be able to speak this protocol by accident or on purpose.
			return 0, total, fmt.Errorf("%w: header line %.40q is not \"Name: value\" with a name of token characters; want \"Content-Length: N\"", errFrame, line)
		}
		if !bytes.EqualFold(name, []byte(jsonrpc2.HdrContentLength)) {
			continue // Content-Type and unknown headers are ignored, as in LSP
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(value)), 10, 64)
		if err != nil || n <= 0 {
			return 0, total, fmt.Errorf("%w: Content-Length %.20q is not a positive number", errFrame, value)
		}
		length = n
	}
	if length < 0 {
		return 0, total, fmt.Errorf("%w: header has no Content-Length", errFrame)
	}
	return length, total, nil
}

// isToken reports whether b is a non-empty header field name: RFC 9110 token characters only.
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0:
		default:
			return false
		}
	}
	return true
}

// readLine reads one header line of at most maxHeaderLine bytes.
func (s *frameStream) readLine() ([]byte, error) {
	var line []byte
	for {
		chunk, err := s.in.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxHeaderLine {
			return line, fmt.Errorf("%w: header line longer than %d bytes", errFrame, maxHeaderLine)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) && len(line) > 0 {
			return line, fmt.Errorf("read header: %w", io.ErrUnexpectedEOF)
		}
		return line, err
	}
}

// answer writes a JSON-RPC error with a null id, best effort, when answerErrors is set.
func (s *frameStream) answer(code jsonrpc2.Code, msg string) {
	if !s.opts.answerErrors {
		return
	}
	body, err := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      *int            `json:"id"`
		Error   *jsonrpc2.Error `json:"error"`
	}{"2.0", nil, jsonrpc2.NewError(code, msg)})
	if err != nil {
		return
	}
	_, _ = s.writeFrame(body)
}

// linger, before a connection is dropped for a bad frame, shuts down the sending side and reads
// (and drops) what the peer still sends for a moment, so that the error answer reaches it
// instead of being lost to a reset. It only ever holds a small buffer.
func (s *frameStream) linger() {
	if !s.opts.answerErrors {
		return
	}
	if cw, ok := s.conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = s.conn.SetReadDeadline(time.Now().Add(250 * time.Millisecond))
	_, _ = io.CopyN(io.Discard, s.in, 4<<20)
}

// Write implements jsonrpc2.Stream. A write that fails or passes the write timeout closes the
// connection, so that the reading side fails too and the whole connection ends.
//
// A successful Response (a run's Result: up to the request's output budget, each control byte
// of it 6 in JSON) is written around its already-encoded result, not marshaled again: the
// library's MarshalJSON would hold two more copies of it, json.Marshal a third. Header and body
// go out in one writev, without a copy that joins them.
func (s *frameStream) Write(ctx context.Context, msg jsonrpc2.Message) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if r, ok := msg.(*jsonrpc2.Response); ok && r.Err() == nil && len(r.Result()) > 0 {
		rid := r.ID()
		id, err := json.Marshal(&rid) // ID marshals through a pointer
		if err != nil {
			return 0, fmt.Errorf("marshal message: %w", err)
		}
		return s.writeFrame([]byte(`{"jsonrpc":"2.0","result":`), r.Result(), []byte(`,"id":`), id, []byte(`}`))
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return 0, fmt.Errorf("marshal message: %w", err)
	}
	return s.writeFrame(body)
}

// writeFrame writes one frame whose body is the parts, in order.
func (s *frameStream) writeFrame(parts ...[]byte) (int64, error) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	bufs := net.Buffers{fmt.Appendf(nil, "%s: %d\r\n\r\n", jsonrpc2.HdrContentLength, n)}
	bufs = append(bufs, parts...)

	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.opts.writeTimeout > 0 {
		_ = s.conn.SetWriteDeadline(time.Now().Add(s.opts.writeTimeout))
	}
	written, err := bufs.WriteTo(s.conn)
	if err != nil {
		s.conn.Close()
		return written, fmt.Errorf("write message: %w", err)
	}
	return written, nil
}

// Close implements jsonrpc2.Stream.
func (s *frameStream) Close() error { return s.conn.Close() }
