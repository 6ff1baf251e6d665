package web

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The guards below keep other web sites away from a server that anyone's browser can reach
// (a `sandrun serve` on a laptop answers every page the laptop's browser opens):
//
//   - Host must name this server: its listen address, localhost, 127.0.0.1 or [::1] with its
//     port, or a --public-host name. Anything else (DNS rebinding: attacker.example resolved to
//     127.0.0.1) is 421.
//   - On the API, a browser request from another site (Sec-Fetch-Site: cross-site, or an Origin
//     that is not this server) is 403 unless --cors-origin allows its Origin.
//   - API POSTs must be Content-Type: application/json (415 otherwise; requireJSON, per route).
//     Browsers cannot send that cross-origin without a CORS preflight, which only --cors-origin
//     origins pass.
//
// Programs (curl, Piston clients, the CLI) send no Origin and are not affected.

// guard applies the Host, origin and Content-Type rules before anything else answers.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host, r.TLS != nil) {
			writeError(w, r, http.StatusMisdirectedRequest, "",
				fmt.Sprintf("Host %q is not this server's name; sandrun answers only to its own address, localhost, 127.0.0.1 and [::1] (a server behind a proxy names its public host with --public-host)", r.Host))
			return
		}
		if !isAPIPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		origin := r.Header.Get("Origin")
		foreign := origin != "" && origin != "null" && !s.isSelf(origin, r)
		if origin == "null" || foreign || r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			if !s.corsAllowed(origin) {
				writeError(w, r, http.StatusForbidden, "",
					fmt.Sprintf("requests from pages of other sites (Origin %q) are refused; the server's operator can allow an origin with --cors-origin", origin))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// requireJSON refuses a POST whose body is not declared application/json with 415. A body
// known to be empty passes (it is refused as empty, with a better sentence).
func requireJSON(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.ContentLength != 0 && !isJSON(r.Header.Get("Content-Type")) {
			msg := fmt.Sprintf("Content-Type %q: send the body as application/json", r.Header.Get("Content-Type"))
			if isPistonPath(r.URL.Path) {
				msg = "requests must be of type application/json" // Piston's sentence
			}
			writeError(w, r, http.StatusUnsupportedMediaType, "", msg)
			return
		}
		next(w, r)
	}
}

// isJSON reports whether a Content-Type is application/json (parameters such as charset allowed).
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// corsAllowed reports whether --cors-origin lets pages of origin call the API.
func (s *Server) corsAllowed(origin string) bool {
	return origin != "" && (slices.Contains(s.opts.CORSOrigins, "*") || slices.Contains(s.opts.CORSOrigins, origin))
}

// isSelf reports whether origin is this server as the request reached it: its Host, or a
// public host name.
func (s *Server) isSelf(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return s.isPublicHost(u.Host)
}

// isPublicHost reports whether host (with or without a port) is a --public-host name.
func (s *Server) isPublicHost(host string) bool {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	for _, p := range s.opts.PublicHosts {
		if strings.EqualFold(p, host) || strings.EqualFold(p, name) {
			return true
		}
	}
	return false
}

// hostAllowed checks a request's Host header against the names this server answers to.
func (s *Server) hostAllowed(host string, tls bool) bool {
	if s.isPublicHost(host) {
		return true
	}
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = host, ""
	}
	name = strings.Trim(name, "[]")
	if port == "" {
		port = map[bool]string{false: "80", true: "443"}[tls]
	}
	s.listenMu.Lock()
	listenHost, listenPort := s.listenHost, s.listenPort
	s.listenMu.Unlock()
	if listenPort != "" && port != listenPort {
		return false
	}
	if strings.EqualFold(name, "localhost") {
		return true
	}
	ip := net.ParseIP(name)
	switch {
	case ip == nil:
		return false
	case ip.IsLoopback():
		return true
	case listenPort == "":
		return false // not serving a listener of its own: only loopback names are known to be it
	}
	// An IP address cannot be rebound by DNS: a page that uses it as its origin was loaded from
	// that address. Accept the listen address, or any address when listening on all of them.
	lip := net.ParseIP(listenHost)
	return lip == nil || lip.IsUnspecified() || lip.Equal(ip)
}

// listening records the address Serve listens on, for hostAllowed.
func (s *Server) listening(addr net.Addr) {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return
	}
	s.listenMu.Lock()
	s.listenHost, s.listenPort = host, port
	s.listenMu.Unlock()
}
