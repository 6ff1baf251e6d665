package web

import "net/http"

// routes builds the handler tree: one ServeMux with method patterns, one file per route
// family, wrapped in logging (outermost), the Host/origin/Content-Type guard (guard.go), CORS
// and the JSON 404/405 fallback. Per route: auth (API token), rateLimit (runs per client),
// limitBody (request size), and before them requireJSON (Content-Type of a POST).
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	runs := func(h http.HandlerFunc) http.HandlerFunc { return requireJSON(s.auth(s.rateLimit(s.limitBody(h)))) }

	mux.HandleFunc("GET /", s.handlePage())
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /metrics", s.auth(s.metricsHandler()))
	mux.HandleFunc("GET /api/openapi.json", s.handleOpenAPI)

	mux.HandleFunc("GET /api/v1/languages", s.auth(s.handleLanguages))
	mux.HandleFunc("GET /api/v1/fleet", s.auth(s.handleFleet))
	mux.HandleFunc("POST /api/v1/run", runs(s.handleRun))
	mux.HandleFunc("GET /api/v1/run/stream", runs(s.handleStream))

	mux.HandleFunc("GET /api/v2/runtimes", s.auth(s.handleRuntimes))
	mux.HandleFunc("POST /api/v2/execute", runs(s.handleExecute))

	return s.logRequests(s.guard(s.cors(fallback(mux))))
}
