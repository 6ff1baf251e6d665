package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestCORSPreflightEveryRoute: a page of an allowed origin may use every route the API has,
// cancelling a job with DELETE and authenticating to /judge0 with X-Auth-Token included; the
// browser asks first (a preflight) and must be told yes.
func TestCORSPreflightEveryRoute(t *testing.T) {
	s := newTestServer(t, nil, Options{CORSOrigins: []string{"https://ok.example"}})
	for _, tc := range []struct{ path, method, headers string }{
		{"/api/v1/run", "POST", "content-type"},
		{"/api/v1/jobs/abc", "DELETE", ""},
		{"/judge0/submissions/abc", "DELETE", "x-auth-token"},
		{"/judge0/submissions", "POST", "content-type,x-auth-token"},
	} {
		w := do(t, s, "OPTIONS", tc.path, "", "Origin", "https://ok.example",
			"Access-Control-Request-Method", tc.method, "Access-Control-Request-Headers", tc.headers)
		methods := strings.Split(w.Header().Get("Access-Control-Allow-Methods"), ", ")
		allowed := strings.ToLower(w.Header().Get("Access-Control-Allow-Headers"))
		ok := w.Code == http.StatusNoContent && containsString(methods, tc.method)
		for _, h := range strings.Split(tc.headers, ",") {
			ok = ok && (h == "" || strings.Contains(allowed, h))
		}
		if !ok {
			t.Errorf("preflight of %s %s with headers %q: status %d, Allow-Methods %q, Allow-Headers %q",
				tc.method, tc.path, tc.headers, w.Code, w.Header().Get("Access-Control-Allow-Methods"), w.Header().Get("Access-Control-Allow-Headers"))
		}
	}
	// The DELETE itself then reaches its route (404: no such job), not the cross-site guard.
	w := do(t, s, "DELETE", "/api/v1/jobs/abc", "", "Origin", "https://ok.example")
	if w.Code != http.StatusNotFound || w.Header().Get("Access-Control-Allow-Origin") != "https://ok.example" {
		t.Errorf("DELETE from the allowed origin: status %d, headers %v: %s", w.Code, w.Header(), w.Body)
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
