package hooks

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/sandrun/sandrun/executor"
)

// The request hooks read and write is executor.Request's JSON with the bytes as text, so that a
// hook in shell can grep the source: files[].content, stdin and cases[].stdin are strings of
// UTF-8 text; where the bytes are not valid UTF-8 they stay base64 and the object says so with
// "content_encoding" / "stdin_encoding": "base64". Every other field is the Request's own, so
// fields added to the Request reach hooks unchanged.

// requestJSON is req as hooks see it.
func requestJSON(req executor.Request) (json.RawMessage, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if files, ok := m["files"].([]any); ok {
		for _, f := range files {
			if fm, ok := f.(map[string]any); ok {
				toText(fm, "content", "content_encoding")
			}
		}
	}
	toText(m, "stdin", "stdin_encoding")
	if cases, ok := m["cases"].([]any); ok {
		for _, c := range cases {
			if cm, ok := c.(map[string]any); ok {
				toText(cm, "stdin", "stdin_encoding")
			}
		}
	}
	return json.Marshal(m)
}

// requestFromJSON parses what a hook printed (the shape requestJSON gives) into a Request.
func requestFromJSON(b []byte) (executor.Request, map[string]string, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return executor.Request{}, nil, err
	}
	var tags map[string]string
	if t, ok := m["tags"]; ok {
		tb, _ := json.Marshal(t)
		if err := json.Unmarshal(tb, &tags); err != nil {
			return executor.Request{}, nil, fmt.Errorf("tags: want an object of strings")
		}
		delete(m, "tags")
	}
	if files, ok := m["files"].([]any); ok {
		for i, f := range files {
			fm, ok := f.(map[string]any)
			if !ok {
				return executor.Request{}, nil, fmt.Errorf("files[%d]: want an object", i)
			}
			if err := fromText(fm, "content", "content_encoding"); err != nil {
				return executor.Request{}, nil, fmt.Errorf("files[%d]: %v", i, err)
			}
		}
	}
	if err := fromText(m, "stdin", "stdin_encoding"); err != nil {
		return executor.Request{}, nil, err
	}
	if cases, ok := m["cases"].([]any); ok {
		for i, c := range cases {
			if cm, ok := c.(map[string]any); ok {
				if err := fromText(cm, "stdin", "stdin_encoding"); err != nil {
					return executor.Request{}, nil, fmt.Errorf("cases[%d]: %v", i, err)
				}
			}
		}
	}
	nb, err := json.Marshal(m)
	if err != nil {
		return executor.Request{}, nil, err
	}
	var req executor.Request
	if err := json.Unmarshal(nb, &req); err != nil {
		return executor.Request{}, nil, err
	}
	return req, tags, nil
}

// toText turns m[key], base64 as encoding/json writes []byte, into text where it is UTF-8.
func toText(m map[string]any, key, encKey string) {
	s, ok := m[key].(string)
	if !ok {
		return
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return
	}
	if utf8.Valid(b) {
		m[key] = string(b)
	} else {
		m[encKey] = "base64"
	}
}

// fromText is toText's inverse: text becomes base64 for encoding/json's []byte.
func fromText(m map[string]any, key, encKey string) error {
	enc, _ := m[encKey].(string)
	delete(m, encKey)
	v, ok := m[key]
	if !ok || v == nil {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("%s: want a string", key)
	}
	switch enc {
	case "", "text", "utf-8":
		m[key] = base64.StdEncoding.EncodeToString([]byte(s))
	case "base64":
	default:
		return fmt.Errorf("%s: unknown %s %q (want base64, or none for text)", key, encKey, enc)
	}
	return nil
}
