// Package jsonerr turns the errors of encoding/json into sentences a person can act on ("the
// request is not valid JSON at byte 2"), so that no front end shows Go's own text ("invalid
// character 'o' looking for beginning of object key string").
//
// It is not for validating what a decoded value means; that is each front end's job.
package jsonerr

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
)

// Error is a decoding error said in words. Field is the JSON field it is about ("" for the
// whole value).
type Error struct {
	Field string
	Msg   string // the sentence, without the field
}

func (e *Error) Error() string { return e.Msg }

// Explain describes err, an error of json.Unmarshal or a json.Decoder, for what was decoded
// (e.g. "the request", "the message", "the argument"). It returns nil for nil.
func Explain(what string, err error) *Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &syn) && strings.HasPrefix(syn.Error(), "unexpected end of JSON input"):
		return &Error{Msg: what + " is not valid JSON: it ends too early"}
	case errors.As(err, &syn):
		return &Error{Msg: what + " is not valid JSON at byte " + itoa(syn.Offset)}
	case errors.As(err, &typ):
		if typ.Field == "" {
			return &Error{Msg: what + " must be " + Kind(typ.Type) + ", not " + article(typ.Value)}
		}
		return &Error{Field: typ.Field, Msg: typ.Field + " must be " + Kind(typ.Type) + ", not " + article(typ.Value)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Msg: what + " is not valid JSON: it ends too early"}
	case errors.Is(err, io.EOF):
		return &Error{Msg: what + " is empty; send a JSON value"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &Error{Field: name, Msg: what + " has an unknown field \"" + name + "\""}
	}
	return &Error{Msg: what + " could not be decoded as JSON"}
}

// Kind names a Go type the way a JSON user thinks of it: "a string", "an array", "an object".
func Kind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return Kind(t.Elem())
	}
	return "a value"
}

// article puts "a"/"an" before a JSON kind as encoding/json names it ("number", "object").
func article(v string) string {
	switch {
	case v == "":
		return "something else"
	case strings.HasPrefix(v, "number "):
		return "the number " + strings.TrimPrefix(v, "number ")
	case strings.ContainsAny(v[:1], "aeiou"):
		return "an " + v
	}
	return "a " + v
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
