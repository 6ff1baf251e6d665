package jsonerr

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
)

// ExplainIn is Explain for an error of decoding body into v, with the field named by its whole
// JSON path: "limits.bogus" for an unknown key inside "limits", "jobs[2].source" for a wrong
// type in the third job, "args[0]" for an array element. encoding/json names only the key of
// an unknown field, and names a wrong type by Go's struct path (an embedded struct's Go name
// included, array indexes left out); neither says where a person should look. strict is
// whether the decoder refused unknown fields.
func ExplainIn(what string, err error, body []byte, v any, strict bool) *Error {
	e := Explain(what, err)
	if e == nil || e.Field == "" {
		return e
	}
	path, ok := Path(body, reflect.TypeOf(v), strict)
	if !ok || path == "" {
		return e
	}
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ) && hasKey(path, lastKey(e.Field)):
		return &Error{Field: path, Msg: path + strings.TrimPrefix(e.Msg, e.Field)}
	case strings.HasPrefix(e.Msg, what+" has an unknown field ") && lastKey(path) == e.Field:
		return &Error{Field: path, Msg: what + " has an unknown field \"" + path + "\""}
	}
	return e
}

// hasKey reports whether key is one of path's object keys ("source" of "jobs[1].source"): the
// decoder's own name for the field at fault, so the path found is that field's or below it.
func hasKey(path, key string) bool {
	for _, k := range strings.Split(path, ".") {
		if i := strings.IndexByte(k, '['); i >= 0 {
			k = k[:i]
		}
		if k == key {
			return true
		}
	}
	return false
}

// lastKey is the last object key of a JSON path ("bogus" of "cases[1].bogus").
func lastKey(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// Path walks body alongside the Go type t and returns the JSON path of the first value, in
// the order written, that encoding/json cannot decode into t: a value of the wrong kind, or,
// when strict, a key t has no field for. ok is false when it finds none (or body is not
// valid JSON); the path of the whole value is "". Values whose types decode themselves
// (json.Unmarshaler, encoding.TextUnmarshaler) are taken as they are.
func Path(body []byte, t reflect.Type, strict bool) (path string, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	w := walker{dec: dec, strict: strict}
	path, ok, err := w.value(t, "")
	if err != nil {
		return "", false
	}
	return path, ok
}

type walker struct {
	dec    *json.Decoder
	strict bool
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberType          = reflect.TypeFor[json.Number]()
)

// value reads one value and reports the path of the first problem in it.
func (w *walker) value(t reflect.Type, path string) (string, bool, error) {
	tok, err := w.dec.Token()
	if err != nil {
		return "", false, err
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface || decodesItself(t) {
		return "", false, w.skipRest(tok)
	}
	switch tok := tok.(type) {
	case nil:
		return "", false, nil
	case json.Delim:
		return w.container(tok, t, path)
	case string:
		if t.Kind() == reflect.String || (t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8) {
			return "", false, nil
		}
	case json.Number:
		if numberFits(string(tok), t) {
			return "", false, nil
		}
	case bool:
		if t.Kind() == reflect.Bool {
			return "", false, nil
		}
	}
	return path, true, nil
}

// container walks an object or array whose opening delimiter was read.
func (w *walker) container(open json.Delim, t reflect.Type, path string) (string, bool, error) {
	switch {
	case open == '{' && t.Kind() == reflect.Struct:
		fields := fieldsOf(t)
		for w.dec.More() {
			tok, err := w.dec.Token()
			if err != nil {
				return "", false, err
			}
			key, _ := tok.(string)
			ft, known := lookup(fields, key)
			if !known && w.strict {
				return join(path, key), true, nil
			}
			if p, found, err := w.value(ft, join(path, key)); err != nil || found {
				return p, found, err
			}
		}
	case open == '{' && t.Kind() == reflect.Map:
		for w.dec.More() {
			tok, err := w.dec.Token()
			if err != nil {
				return "", false, err
			}
			key, _ := tok.(string)
			if p, found, err := w.value(t.Elem(), join(path, key)); err != nil || found {
				return p, found, err
			}
		}
	case open == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for i := 0; w.dec.More(); i++ {
			if p, found, err := w.value(t.Elem(), path+"["+strconv.Itoa(i)+"]"); err != nil || found {
				return p, found, err
			}
		}
	default:
		return path, true, nil
	}
	_, err := w.dec.Token() // the closing delimiter
	return "", false, err
}

// skipRest reads the rest of a value whose first token was tok.
func (w *walker) skipRest(tok json.Token) error {
	if d, ok := tok.(json.Delim); !ok || (d != '{' && d != '[') {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decodesItself reports whether encoding/json hands t's values to t's own methods.
func decodesItself(t reflect.Type) bool {
	if t == numberType {
		return false
	}
	pt := reflect.PointerTo(t)
	return t.Implements(unmarshalerType) || pt.Implements(unmarshalerType) ||
		t.Implements(textUnmarshalerType) || pt.Implements(textUnmarshalerType)
}

// numberFits reports whether encoding/json decodes the number literal n into t.
func numberFits(n string, t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		_, err := strconv.ParseInt(n, 10, t.Bits())
		return err == nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		_, err := strconv.ParseUint(n, 10, t.Bits())
		return err == nil
	case reflect.Float32, reflect.Float64:
		_, err := strconv.ParseFloat(n, t.Bits())
		return err == nil
	case reflect.String:
		return t == numberType
	}
	return false
}

// field is one JSON key of a struct and the type of its value.
type field struct {
	name string
	typ  reflect.Type
}

// fieldsOf lists t's JSON keys as encoding/json sees them: a tag's name or the Go name, the
// fields of untagged embedded structs promoted (the outer struct's own fields first).
func fieldsOf(t reflect.Type) []field {
	var own, promoted []field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			et := sf.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				promoted = append(promoted, fieldsOf(et)...)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		own = append(own, field{name, sf.Type})
	}
	return append(own, promoted...)
}

// lookup finds key among fields as encoding/json does: an exact match first, else one that
// differs only in case.
func lookup(fields []field, key string) (reflect.Type, bool) {
	for _, f := range fields {
		if f.name == key {
			return f.typ, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, key) {
			return f.typ, true
		}
	}
	return nil, false
}
