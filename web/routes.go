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

	mux.HandleFunc("POST /api/v1/jobs", runs(s.handleJobSubmit))
	mux.HandleFunc("POST /api/v1/jobs/batch", runs(s.handleJobBatch))
	mux.HandleFunc("GET /api/v1/jobs/{id}", s.auth(s.handleJobGet))
	mux.HandleFunc("DELETE /api/v1/jobs/{id}", s.auth(s.handleJobDelete))

	mux.HandleFunc("POST /judge0/submissions", runs(s.handleJudge0Submit))
	mux.HandleFunc("POST /judge0/submissions/batch", runs(s.handleJudge0BatchSubmit))
	mux.HandleFunc("GET /judge0/submissions/batch", s.auth(s.handleJudge0BatchGet))
	mux.HandleFunc("GET /judge0/submissions/{token}", s.auth(s.handleJudge0Get))
	mux.HandleFunc("DELETE /judge0/submissions/{token}", s.auth(s.handleJudge0Delete))
	mux.HandleFunc("GET /judge0/languages", s.auth(s.handleJudge0Languages))
	mux.HandleFunc("GET /judge0/languages/{id}", s.auth(s.handleJudge0Language))
	mux.HandleFunc("GET /judge0/languages/all", s.auth(s.handleJudge0AllLanguages))
	mux.HandleFunc("GET /judge0/statuses", s.auth(s.handleJudge0Statuses))
	mux.HandleFunc("GET /judge0/about", s.auth(s.handleJudge0About))
	mux.HandleFunc("GET /judge0/config_info", s.auth(s.handleJudge0ConfigInfo))

	mux.HandleFunc("GET /api/v2/runtimes", s.auth(s.handleRuntimes))
	mux.HandleFunc("POST /api/v2/execute", runs(s.handleExecute))
	// The public Piston instance's base URL is /api/v2/piston/: a client pointed at it with only
	// the host changed works too.
	mux.HandleFunc("GET /api/v2/piston/runtimes", s.auth(s.handleRuntimes))
	mux.HandleFunc("POST /api/v2/piston/execute", runs(s.handleExecute))

	return s.logRequests(s.guard(s.cors(fallback(mux))))
}
