package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
)

// How a client presents the API token (Options.APIToken):
//   - programs send "Authorization: Bearer TOKEN" on every call;
//   - a person opens the page once as /?token=TOKEN: the server checks the token, keeps it in an
//     HttpOnly, SameSite=Strict cookie and redirects to /, and from then on the page's own calls
//     (fetch and WebSocket, same origin) carry the cookie. Other sites' pages never get it sent.
//
// The page itself, its assets, /healthz and /api/openapi.json need no token; every other API
// route and /metrics do.

// tokenCookie is the cookie that carries the API token for the page.
const tokenCookie = "sandrun_token"

// tokenOK compares a presented token with the configured one in constant time (hashing both
// first, so that not even the length leaks).
func (s *Server) tokenOK(presented string) bool {
	want := sha256.Sum256([]byte(s.opts.APIToken))
	got := sha256.Sum256([]byte(presented))
	return subtle.ConstantTimeCompare(want[:], got[:]) == 1
}

// auth refuses a request without the API token with 401, when a token is configured.
func (s *Server) auth(next http.HandlerFunc) http.HandlerFunc {
	if s.opts.APIToken == "" {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, tok, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") || !s.tokenOK(strings.TrimSpace(tok)) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="sandrun"`)
				writeError(w, r, http.StatusUnauthorized, "", "Authorization: wrong API token; send \"Authorization: Bearer TOKEN\" with the server's token")
				return
			}
			next(w, r)
			return
		}
		// Judge0's clients send the token as X-Auth-Token (Judge0's default header): taken under
		// /judge0/ only.
		if h := r.Header.Get("X-Auth-Token"); h != "" && strings.HasPrefix(r.URL.Path, "/judge0/") {
			if !s.tokenOK(strings.TrimSpace(h)) {
				writeError(w, r, http.StatusUnauthorized, "", "X-Auth-Token: wrong API token; send the server's token")
				return
			}
			next(w, r)
			return
		}
		if c, err := r.Cookie(tokenCookie); err == nil && s.tokenOK(c.Value) {
			next(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="sandrun"`)
		writeError(w, r, http.StatusUnauthorized, "",
			"this server needs an API token: send \"Authorization: Bearer TOKEN\", or in a browser open /?token=TOKEN once")
	}
}

// login handles GET /?token=TOKEN: a right token becomes the page's cookie and the browser is
// sent to / (so the token leaves the address bar and history); a wrong one is a 401.
func (s *Server) login(w http.ResponseWriter, r *http.Request, token string) {
	if !s.tokenOK(token) {
		// A base64 token (what "head -c 32 /dev/urandom | base64" makes) pasted into the address
		// bar keeps its '+', which a query string means as a space: try it as typed.
		if typed, ok := rawQueryValue(r.URL.RawQuery, "token"); ok && s.tokenOK(typed) {
			token = typed
		}
	}
	if s.opts.APIToken == "" || !s.tokenOK(token) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte("token: wrong API token; open /?token=TOKEN with the token the server was started with\n"))
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: tokenCookie, Value: token, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// rawQueryValue returns the first value of name in a raw query with its %XX escapes decoded but
// '+' kept as '+' (url.Values turns it into a space).
func rawQueryValue(raw, name string) (string, bool) {
	for _, kv := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k != name {
			continue
		}
		v, err := url.PathUnescape(v)
		return v, err == nil
	}
	return "", false
}
