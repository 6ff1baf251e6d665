package web

import (
	"context"
	"net/http"
	"time"

	"github.com/sandrun/sandrun/executor"
)

// health is the answer of GET /healthz.
type health struct {
	Status   string             `json:"status"` // "ok" or "unavailable"
	Version  string             `json:"version"`
	Capacity *executor.Capacity `json:"capacity,omitempty"`
	Error    string             `json:"error,omitempty"`
}

// handleHealth answers GET /healthz: 200 with the executor's capacity when it answers, 503 when
// it does not (a remote executor down).
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	capa, err := s.exec.Capacity(ctx)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, health{Status: "unavailable", Version: executor.Version, Error: "executor: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, health{Status: "ok", Version: executor.Version, Capacity: &capa})
}
