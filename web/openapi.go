package web

import (
	_ "embed"
	"net/http"
)

// openAPI is the OpenAPI 3.1 description of every route (hand-written; a test checks that it
// lists exactly the routes the server serves).
//
//go:embed openapi.json
var openAPI []byte

// handleOpenAPI answers GET /api/openapi.json.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(openAPI)
}
