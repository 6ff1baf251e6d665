package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/sandrun/sandrun/executor/hooks"
)

// recorder remembers the status and size of an answer for the request log. It unwraps to the
// real ResponseWriter so that http.ResponseController and WebSocket hijacking still work.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(p []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(p)
	rec.bytes += int64(n)
	return n, err
}

func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// logRequests writes one structured line per request, and turns a handler's panic into a 500
// (logged with its stack) instead of a dropped connection.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeError(rec, r, http.StatusInternalServerError, "", "internal error: the server failed while answering; it is logged")
				}
			}
			s.metrics.observeHTTP(r.Pattern, rec.status)
			s.log.Info("http", "method", r.Method, "path", r.URL.Path, "route", r.Pattern,
				"status", rec.status, "bytes", rec.bytes, "duration_ms", time.Since(start).Milliseconds(),
				"remote", clientIP(r), "user_agent", r.UserAgent())
		}()
		next.ServeHTTP(rec, r)
	})
}

// fallback answers, in JSON, the API paths the mux has no route for (404) or no such method
// for (405, with Allow). The page's catch-all "GET /" does not count as a route for them.
func fallback(mux *http.ServeMux) http.Handler {
	const page = "GET /"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); !isAPIPath(r.URL.Path) || (pattern != "" && pattern != page) {
			mux.ServeHTTP(w, r)
			return
		}
		var allow []string
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
			probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
			if _, p := mux.Handler(probe); p != "" && p != page {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			writeError(w, r, http.StatusNotFound, "", fmt.Sprintf("no route %s %s; see /api/openapi.json for the routes", r.Method, r.URL.Path))
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, r, http.StatusMethodNotAllowed, "", fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, " or ")))
	})
}

func isAPIPath(p string) bool {
	return strings.HasPrefix(p, "/api/") || p == "/api" || strings.HasPrefix(p, "/judge0/") || p == "/healthz" || p == "/metrics"
}

// cors lets the configured origins call the API from their pages: it answers preflights and
// adds Access-Control-Allow-Origin to answers for them. Without origins it does nothing, and the
// browser's same-origin policy applies.
func (s *Server) cors(next http.Handler) http.Handler {
	if len(s.opts.CORSOrigins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		allowed := origin != "" && (slices.Contains(s.opts.CORSOrigins, "*") || slices.Contains(s.opts.CORSOrigins, origin))
		if allowed {
			h := w.Header()
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", "Retry-After")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")                // DELETE cancels a job
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Auth-Token") // X-Auth-Token: Judge0 clients
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody caps the request body at Options.MaxBodyBytes; reading past it fails with
// *http.MaxBytesError, which decodeJSON turns into a 413.
func (s *Server) limitBody(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.opts.MaxBodyBytes {
			writeError(w, r, http.StatusRequestEntityTooLarge, "", (&tooLargeError{limit: s.opts.MaxBodyBytes}).Error())
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
		next(w, r)
	}
}

// rateLimit refuses a run past the client's budget with 429 and Retry-After.
func (s *Server) rateLimit(next http.HandlerFunc) http.HandlerFunc {
	if s.limiter == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if wait, ok := s.limiter.allow(clientIP(r), time.Now()); !ok {
			secs := int(wait/time.Second) + 1
			w.Header().Set("Retry-After", fmt.Sprint(secs))
			writeError(w, r, http.StatusTooManyRequests, "",
				fmt.Sprintf("too many runs from %s: at most %s; try again in %d s", clientIP(r), s.opts.Rate, secs))
			return
		}
		next(w, r)
	}
}

// chargeBatch takes the runs of a batch of n beyond the one rateLimit took, all or none; when
// the client has not that many left it answers 429 and returns false.
func (s *Server) chargeBatch(w http.ResponseWriter, r *http.Request, n int) bool {
	if s.limiter == nil || n <= 1 {
		return true
	}
	wait, ok := s.limiter.allowN(clientIP(r), time.Now(), n-1)
	if ok {
		return true
	}
	if n > s.opts.Rate.N {
		writeError(w, r, http.StatusTooManyRequests, "",
			fmt.Sprintf("a batch of %d jobs counts as %d runs, more than this server lets one client start at once (%s); send smaller batches", n, n, s.opts.Rate))
		return false
	}
	secs := int(wait/time.Second) + 1
	w.Header().Set("Retry-After", fmt.Sprint(secs))
	writeError(w, r, http.StatusTooManyRequests, "",
		fmt.Sprintf("too many runs from %s: a batch of %d jobs counts as %d runs, at most %s; try again in %d s", clientIP(r), n, n, s.opts.Rate, secs))
	return false
}

// clientIP is the request's peer address without the port. Proxies' X-Forwarded-For is not
// trusted: a client could set it to dodge the rate limit.
// The connection caps (conns.go) count by the same address.
func clientIP(r *http.Request) string { return peerIP(r.RemoteAddr) }

// peerIP is a HOST:PORT peer address without the port: the one notion of who a client is.
func peerIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// withClient is r's context naming its client (the peer address) for the hook chain, so that
// hooks and the run's log line say who asked.
func withClient(r *http.Request) context.Context {
	return hooks.WithClient(r.Context(), clientIP(r))
}
