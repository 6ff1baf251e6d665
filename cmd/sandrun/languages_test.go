package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLanguagesSaysWhatToInstall: `sandrun languages` tells, for each language whose toolchain
// is missing, what to install (README: "a missing one says what to install"), not only "not
// installed".
func TestLanguagesSaysWhatToInstall(t *testing.T) {
	out, stderr, code := sandrunCLI(t, "", "languages", "--json")
	var langs []struct {
		ID        string `json:"id"`
		Available bool   `json:"available"`
		Missing   string `json:"missing"`
	}
	if err := json.Unmarshal([]byte(out), &langs); code != 0 || err != nil {
		t.Fatalf("languages --json: exit %d, %v; stderr %s", code, err, stderr)
	}
	var id, how string
	for _, l := range langs {
		if _, h, ok := strings.Cut(l.Missing, "install with: "); !l.Available && ok {
			id, how = l.ID, h
			break
		}
	}
	if id == "" {
		t.Skip("every language's toolchain is installed here")
	}
	_, stderr, code = sandrunCLI(t, "", "languages")
	if code != 0 || !strings.Contains(stderr, "\n  "+id+": "+how+"\n") {
		t.Errorf("languages: exit %d, stderr %q; want a line %q", code, stderr, id+": "+how)
	}
}
