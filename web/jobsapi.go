package web

import (
	"encoding/json"
	"errors"
	"net/http"
)

// JobRequest is POST /api/v1/jobs's body: a RunRequest plus where to report the end.
type JobRequest struct {
	RunRequest
	// CallbackURL, when set, receives the done job (a JobView) as a PUT; only hosts the operator
	// allowed with --callback-allow may be called.
	CallbackURL string `json:"callback_url,omitempty"`
}

// maxBatch is how many jobs one POST /api/v1/jobs/batch may submit.
const maxBatch = 100

// handleJobSubmit answers POST /api/v1/jobs: 202 {id, state} at once.
func (s *Server) handleJobSubmit(w http.ResponseWriter, r *http.Request) {
	var jr JobRequest
	if err := decodeJSON(w, r, &jr, true); err != nil {
		writeDecodeError(w, r, err)
		return
	}
	rec, err := s.submitJob(r, jr)
	if err != nil {
		s.writeRunError(w, r, v1FieldError(err))
		return
	}
	w.Header().Set("Location", "/api/v1/jobs/"+rec.ID)
	writeJSON(w, http.StatusAccepted, rec.view())
}

func (s *Server) submitJob(r *http.Request, jr JobRequest) (jobRecord, error) {
	if jr.CallbackURL != "" {
		if err := s.checkCallback(jr.CallbackURL); err != nil {
			return jobRecord{}, err
		}
	}
	req, err := s.prepare(r.Context(), jr.RunRequest)
	if err != nil {
		return jobRecord{}, err
	}
	return s.jobs.submit(r.Context(), clientIP(r), req, jr.CallbackURL, nil)
}

// handleJobBatch answers POST /api/v1/jobs/batch: {"jobs": [JobRequest…]} in, 202 {"jobs":
// [JobView or {"error", "field"}…]} out, one entry per job in order: a bad job, malformed ones
// (a wrong type, an unknown field) included, does not stop the others.
func (s *Server) handleJobBatch(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Jobs []json.RawMessage `json:"jobs"`
	}
	if err := decodeJSON(w, r, &body, true); err != nil {
		writeDecodeError(w, r, err)
		return
	}
	if len(body.Jobs) == 0 || len(body.Jobs) > maxBatch {
		writeError(w, r, http.StatusBadRequest, "jobs", "jobs must hold 1 to 100 jobs")
		return
	}
	if !s.chargeBatch(w, r, len(body.Jobs)) {
		return
	}
	type entry struct {
		*JobView
		Error string `json:"error,omitempty"`
		Field string `json:"field,omitempty"`
	}
	out := make([]entry, len(body.Jobs))
	for i, raw := range body.Jobs {
		var jr JobRequest
		err := unmarshalValue("the job", raw, &jr, true)
		var rec jobRecord
		if err == nil {
			rec, err = s.submitJob(r, jr)
		}
		if err != nil {
			err = v1FieldError(err)
			out[i].Error = err.Error()
			out[i].Field, _, _ = fieldError(err)
			continue
		}
		v := rec.view()
		out[i].JobView = &v
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"jobs": out})
}

// handleJobGet answers GET /api/v1/jobs/{id}; ?wait=true waits (up to 60 s, or until the client
// leaves) for the job to be done.
func (s *Server) handleJobGet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var rec jobRecord
	var ok bool
	var err error
	if r.URL.Query().Get("wait") == "true" {
		rec, ok, err = s.jobs.wait(r.Context(), id, maxJobWait)
	} else {
		rec, ok, err = s.jobs.get(r.Context(), id)
	}
	switch {
	case err != nil:
		s.writeJobStoreError(w, r, err)
	case !ok:
		writeError(w, r, http.StatusNotFound, "id", "no job "+id+" here (jobs are kept for a while after they end; "+s.jobsKept()+")")
	default:
		writeJSON(w, http.StatusOK, rec.view())
	}
}

// handleJobDelete answers DELETE /api/v1/jobs/{id}: the job is canceled (killed if it runs).
func (s *Server) handleJobDelete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	rec, ok, err := s.jobs.cancelJob(r.Context(), id)
	switch {
	case err != nil:
		s.writeJobStoreError(w, r, err)
	case !ok:
		writeError(w, r, http.StatusNotFound, "id", "no job "+id+" here")
	default:
		writeJSON(w, http.StatusOK, rec.view())
	}
}

// jobsKept says where this server keeps its jobs, for a 404's sentence.
func (s *Server) jobsKept() string {
	if _, ok := s.jobs.back.(*kvJobs); ok {
		return "in the fleet's key-value store"
	}
	return "in this server's memory, which a restart empties"
}

// writeJobStoreError answers a failure to read or change a job: 409 when another server of
// the fleet runs it, 503 when the store did not answer (errJobStore wraps executor.ErrBusy).
func (s *Server) writeJobStoreError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errElsewhere) {
		writeError(w, r, http.StatusConflict, "id", err.Error())
		return
	}
	s.writeRunError(w, r, err)
}
