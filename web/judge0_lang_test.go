package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
)

// TestJudge0LanguageNameAsListed: GET /judge0/languages/{id} names a language exactly as the list
// does ("C (GCC) (12.2.0)"), as Judge0 does.
func TestJudge0LanguageNameAsListed(t *testing.T) {
	s := newTestServer(t, &judgeExec{}, Options{})
	var list []struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}
	if w := do(t, s, "GET", "/judge0/languages", ""); w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &list) != nil || len(list) == 0 {
		t.Fatalf("GET /judge0/languages: %d %s", w.Code, w.Body)
	}
	for _, l := range list {
		var one struct {
			ID       int    `json:"id"`
			Name     string `json:"name"`
			Archived bool   `json:"is_archived"`
		}
		w := do(t, s, "GET", "/judge0/languages/"+strconv.Itoa(l.ID), "")
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &one) != nil || one.ID != l.ID || one.Name != l.Name || one.Archived {
			t.Errorf("GET /judge0/languages/%d: %d %s; want the list's name %q", l.ID, w.Code, w.Body, l.Name)
		}
	}
}
