package lsp

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
)

var update = flag.Bool("update", false, "rewrite testdata/lsp-protocol.json from the Go types")

// protocolFile is the wire contract both sides check: this test against the Go types, and
// vscode-extension/test/protocol.test.ts against vscode-extension/src/protocol.ts.
var protocolFile = filepath.Join("..", "testdata", "lsp-protocol.json")

// wireNames lists the names on the wire: the commands, the notifications, and the JSON fields of
// every type the extension mirrors (by its TypeScript name).
type wireNames struct {
	Commands      []string            `json:"commands"`
	Notifications []string            `json:"notifications"`
	Types         map[string][]string `json:"types"`
	// Subsets are types whose TypeScript mirror may leave fields out (it reads only some of
	// the executor's fields); every field it declares must be one of these.
	Subsets map[string][]string `json:"subsets"`
}

// jsonFields returns the JSON names of v's fields, embedded structs flattened, sorted.
func jsonFields(v any) []string {
	var out []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case f.Anonymous && name == "":
				walk(f.Type)
			case name == "-" || !f.IsExported():
			case name == "":
				out = append(out, f.Name)
			default:
				out = append(out, name)
			}
		}
	}
	walk(reflect.TypeOf(v))
	sort.Strings(out)
	return out
}

func goProtocol() wireNames {
	var stopArgs struct {
		URI string `json:"uri"`
	}
	return wireNames{
		Commands:      []string{CommandLanguages, CommandRun, CommandStdin, CommandStop, CommandWatch},
		Notifications: []string{NotifyOutput, NotifyResult, NotifyStart},
		Types: map[string][]string{
			"Position":     jsonFields(position{}),
			"Range":        jsonFields(textRange{}),
			"RunArgs":      jsonFields(runArgs{}),
			"StdinArgs":    jsonFields(stdinArgs{}),
			"StdinReply":   jsonFields(StdinReply{}),
			"WatchArgs":    jsonFields(watchArgs{}),
			"WatchReply":   jsonFields(WatchReply{}),
			"StopArgs":     jsonFields(stopArgs),
			"RunReply":     jsonFields(RunReply{}),
			"StartParams":  jsonFields(StartParams{}),
			"OutputParams": jsonFields(OutputParams{}),
			"ResultParams": jsonFields(ResultParams{}),
		},
		Subsets: map[string][]string{
			"Result":       jsonFields(executor.Result{}),
			"LanguageInfo": jsonFields(executor.LanguageInfo{}),
		},
	}
}

// TestProtocolFile: testdata/lsp-protocol.json says what the Go types put on the wire. After a
// change to them, run `go test ./lsp -run TestProtocolFile -update` and bring
// vscode-extension/src/protocol.ts along (its test checks it against the same file).
func TestProtocolFile(t *testing.T) {
	got := goProtocol()
	if *update {
		data, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(protocolFile, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(protocolFile)
	if err != nil {
		t.Fatal(err)
	}
	var want wireNames
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("%s: %v", protocolFile, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s is stale (-file +Go); run go test ./lsp -run TestProtocolFile -update, then update vscode-extension/src/protocol.ts:\n%s", protocolFile, diff)
	}
}
