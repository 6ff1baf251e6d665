package web

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/sandrun/sandrun/executor"
)

// An answer may carry a request's whole output budget, and JSON can make a byte six (\u0001).
// encodeStreaming writes such a value without building its encoding in memory: the large
// strings are swapped for placeholders, the small rest is marshaled, and each placeholder is
// replaced on the way out by its string, escaped a chunk at a time.

// encodeStreaming writes v as JSON to w. big points at v's large strings (duplicates allowed);
// they are restored before it returns.
func encodeStreaming(w io.Writer, v any, big []*string) error {
	var nonceBytes [12]byte
	_, _ = rand.Read(nonceBytes[:])
	nonce := hex.EncodeToString(nonceBytes[:]) // a program cannot guess it into its own output
	seen := map[*string]bool{}
	var ptrs []*string
	var saved []string
	for _, p := range big {
		if p == nil || seen[p] || len(*p) < 4<<10 {
			continue
		}
		seen[p] = true
		ptrs = append(ptrs, p)
		saved = append(saved, *p)
		*p = "\x00" + nonce + ":" + strconv.Itoa(len(ptrs)-1)
	}
	skel, err := json.Marshal(v)
	for i, p := range ptrs {
		*p = saved[i]
	}
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	marker := []byte(`"\u0000` + nonce + ":")
	for {
		i := bytes.Index(skel, marker)
		if i < 0 {
			break
		}
		bw.Write(skel[:i])
		rest := skel[i+len(marker):]
		j := bytes.IndexByte(rest, '"')
		n, err := strconv.Atoi(string(rest[:max(j, 0)]))
		if j < 0 || err != nil || n < 0 || n >= len(saved) {
			bw.Write(skel[i : i+len(marker)]) // cannot happen: the nonce is ours
			skel = rest
			continue
		}
		if err := writeJSONString(bw, saved[n]); err != nil {
			return err
		}
		skel = rest[j+1:]
	}
	bw.Write(skel)
	bw.WriteByte('\n')
	return bw.Flush()
}

// writeJSONString writes s as a JSON string, escaped exactly as encoding/json does, in chunks.
func writeJSONString(w *bufio.Writer, s string) error {
	const chunk = 32 << 10
	w.WriteByte('"')
	for len(s) > 0 {
		n := min(chunk, len(s))
		for n < len(s) && n > 0 && !utf8.RuneStart(s[n]) {
			n-- // never split a character
		}
		if n == 0 {
			n = min(chunk, len(s))
		}
		b, err := json.Marshal(s[:n])
		if err != nil {
			return err
		}
		if _, err := w.Write(b[1 : len(b)-1]); err != nil {
			return err
		}
		s = s[n:]
	}
	return w.WriteByte('"')
}

// writeStreaming sends v as JSON with the given status, streaming its big strings.
func writeStreaming(w http.ResponseWriter, status int, v any, big []*string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = encodeStreaming(w, v, big) // a failed write means the client left
}

// resultStrings points at a Result's outputs, its compile stage's and its cases'.
func resultStrings(r *executor.Result) []*string {
	if r == nil {
		return nil
	}
	ptrs := []*string{&r.Stdout, &r.Stderr}
	ptrs = append(ptrs, resultStrings(r.Compile)...)
	for i := range r.Cases {
		ptrs = append(ptrs, resultStrings(&r.Cases[i].Result)...)
	}
	return ptrs
}
