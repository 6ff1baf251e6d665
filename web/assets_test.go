package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

var assetFS = fstest.MapFS{
	"index.html":         {Data: []byte("<!doctype html>" + strings.Repeat("<p>page</p>", 100))},
	"app.js":             {Data: []byte(strings.Repeat("console.log(1);", 100))},
	"tiny.css":           {Data: []byte("a{}")},
	"chunks/lang-AB1.js": {Data: []byte(strings.Repeat("export const x=1;", 100))},
}

func TestAssets(t *testing.T) {
	a, err := newAssets(assetFS)
	if err != nil {
		t.Fatal(err)
	}
	etag := func(name string) string { return a.files[name].etag }
	type answer struct {
		Status                     int
		Type, Encoding, Cache, Tag string
		Body                       string // decompressed
	}
	tests := []struct {
		name, method, url string
		header            map[string]string
		want              answer
	}{
		{"page", "GET", "/", nil,
			answer{200, "text/html; charset=utf-8", "", "no-cache", etag("index.html"), string(assetFS["index.html"].Data)}},
		{"page by name", "GET", "/index.html", nil,
			answer{200, "text/html; charset=utf-8", "", "no-cache", etag("index.html"), string(assetFS["index.html"].Data)}},
		{"gzip", "GET", "/", map[string]string{"Accept-Encoding": "br, gzip"},
			answer{200, "text/html; charset=utf-8", "gzip", "no-cache", strings.TrimSuffix(etag("index.html"), `"`) + `-gz"`, string(assetFS["index.html"].Data)}},
		{"gzip refused", "GET", "/", map[string]string{"Accept-Encoding": "gzip;q=0, deflate"},
			answer{200, "text/html; charset=utf-8", "", "no-cache", etag("index.html"), string(assetFS["index.html"].Data)}},
		{"too small to gzip", "GET", "/tiny.css", map[string]string{"Accept-Encoding": "gzip"},
			answer{200, "text/css; charset=utf-8", "", "no-cache", etag("tiny.css"), "a{}"}},
		{"versioned asset is immutable", "GET", "/app.js?v=0123456789ab", nil,
			answer{200, "text/javascript; charset=utf-8", "", "public, max-age=31536000, immutable", etag("app.js"), string(assetFS["app.js"].Data)}},
		{"chunk is immutable", "GET", "/chunks/lang-AB1.js", nil,
			answer{200, "text/javascript; charset=utf-8", "", "public, max-age=31536000, immutable", etag("chunks/lang-AB1.js"), string(assetFS["chunks/lang-AB1.js"].Data)}},
		{"revalidated", "GET", "/", map[string]string{"If-None-Match": `"other", ` + etag("index.html")},
			answer{304, "", "", "no-cache", etag("index.html"), ""}},
		{"revalidated weak gzip", "GET", "/app.js", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": "W/" + strings.TrimSuffix(etag("app.js"), `"`) + `-gz"`},
			answer{304, "", "", "no-cache", strings.TrimSuffix(etag("app.js"), `"`) + `-gz"`, ""}},
		{"stale tag", "GET", "/tiny.css", map[string]string{"If-None-Match": `"old"`},
			answer{200, "text/css; charset=utf-8", "", "no-cache", etag("tiny.css"), "a{}"}},
		{"head", "HEAD", "/tiny.css", nil,
			answer{200, "text/css; charset=utf-8", "", "no-cache", etag("tiny.css"), ""}},
		{"missing", "GET", "/nope.js", nil,
			answer{404, "text/plain; charset=utf-8", "", "", "", "404 page not found: the page is at /\n"}},
		{"directory", "GET", "/chunks/", nil,
			answer{404, "text/plain; charset=utf-8", "", "", "", "404 page not found: the page is at /\n"}},
		{"dot dot", "GET", "/chunks/../app.js", nil,
			answer{200, "text/javascript; charset=utf-8", "", "no-cache", etag("app.js"), string(assetFS["app.js"].Data)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.url, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			a.ServeHTTP(w, r)
			res := w.Result()
			body, _ := io.ReadAll(res.Body)
			if res.Header.Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			got := answer{res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Encoding"),
				res.Header.Get("Cache-Control"), res.Header.Get("ETag"), string(body)}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s %s (-want +got):\n%s", tt.method, tt.url, diff)
			}
		})
	}
}

// TestPageServesBundle checks the real server's page route end to end: the embedded bundle,
// the CSP, and a reload that costs a 304.
func TestPageServesBundle(t *testing.T) {
	s, err := New(Options{Executor: newFake(nil)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `data-testid="run-button"`) {
		t.Fatalf("GET / = %d, %.200q", res.StatusCode, body)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	res2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != http.StatusNotModified {
		t.Errorf("reload with If-None-Match %s = %d, want 304", res.Header.Get("ETag"), res2.StatusCode)
	}
}
