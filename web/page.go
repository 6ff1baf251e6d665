package web

import "net/http"

// pageCSP keeps the page to its own origin: scripts, styles (CodeMirror injects style elements,
// hence 'unsafe-inline' for styles only), fetch and WebSocket calls. A program's output shown
// in the page can therefore never load or send anything elsewhere.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// handlePage serves the browser page and its assets (StaticFS) at GET /, and the token login
// at /?token=.
func (s *Server) handlePage() http.HandlerFunc {
	files, err := newAssets(StaticFS())
	if err != nil {
		panic("web: the embedded page cannot be read: " + err.Error()) // embedded: cannot happen
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get("token"); tok != "" && r.URL.Path == "/" {
			s.login(w, r, tok)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		files.ServeHTTP(w, r)
	}
}
