package web

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/sandrun/sandrun/executor"
)

// handleJudge0Submit answers POST /judge0/submissions: 201 {"token"} at once, or with ?wait=true
// the finished submission (Judge0 keeps wait for small deployments; so do we, up to 60 s).
func (s *Server) handleJudge0Submit(w http.ResponseWriter, r *http.Request) {
	if !judge0FieldsOK(w, r) {
		return
	}
	var sub judge0Submission
	if err := decodeJSON(w, r, &sub, false); err != nil {
		judge0DecodeError(w, r, err)
		return
	}
	rec, err := s.judge0Submit(r, sub)
	if err != nil {
		s.judge0RunError(w, r, err)
		return
	}
	if queryBool(r, "wait") {
		rec, _, err = s.jobs.wait(r.Context(), rec.ID, maxJobWait)
		if err == nil {
			// A refusal by an operator's pre hook answers as on the other run routes: 403 and
			// its sentence.
			err = rec.refusal()
		}
		if err != nil {
			s.judge0RunError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, s.judge0View(b64(r), rec, r.URL.Query().Get("fields")))
		return
	}
	writeJSON(w, http.StatusCreated, judge0Answer{"token": rec.ID})
}

func (s *Server) judge0Submit(r *http.Request, sub judge0Submission) (jobRecord, error) {
	callback := ""
	if sub.CallbackURL != nil && *sub.CallbackURL != "" {
		if err := s.checkCallback(*sub.CallbackURL); err != nil {
			return jobRecord{}, err
		}
		callback = *sub.CallbackURL
	}
	req, expected, err := s.judge0Request(r, sub)
	if err != nil {
		return jobRecord{}, err
	}
	// Judge0 PUTs the submission to its callback_url as GET /submissions/{token} shows it, in
	// the encoding it was sent in (jobStore.notify).
	j0 := &judge0Job{Source: req.Files[0].Content, Stdin: req.Stdin, Expected: expected, LanguageID: int(*sub.LanguageID), Base64: b64(r)}
	return s.jobs.submit(r.Context(), clientIP(r), req, callback, j0)
}

// handleJudge0Get answers GET /judge0/submissions/{token}.
func (s *Server) handleJudge0Get(w http.ResponseWriter, r *http.Request) {
	if !judge0FieldsOK(w, r) {
		return
	}
	rec, ok, err := s.jobs.get(r.Context(), r.PathValue("token"))
	s.judge0Answer(w, r, rec, ok, err)
}

// handleJudge0Delete answers DELETE /judge0/submissions/{token}: the run is canceled (killed if
// it runs) and the submission answered as it ended.
func (s *Server) handleJudge0Delete(w http.ResponseWriter, r *http.Request) {
	if !judge0FieldsOK(w, r) {
		return
	}
	rec, ok, err := s.jobs.cancelJob(r.Context(), r.PathValue("token"))
	s.judge0Answer(w, r, rec, ok, err)
}

// judge0Answer answers one submission looked up by its token: the submission, 404 for a token
// not here, or the error as the run routes say it.
func (s *Server) judge0Answer(w http.ResponseWriter, r *http.Request, rec jobRecord, ok bool, err error) {
	switch {
	case err != nil:
		s.judge0RunError(w, r, err)
	case !ok:
		judge0Error(w, http.StatusNotFound, "", "Not Found")
	default:
		writeJSON(w, http.StatusOK, s.judge0View(b64(r), rec, r.URL.Query().Get("fields")))
	}
}

// handleJudge0BatchSubmit answers POST /judge0/submissions/batch: {"submissions": [...]} in,
// 201 [{"token"} or {"field": ["error"]}…] out, in order.
func (s *Server) handleJudge0BatchSubmit(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Submissions []json.RawMessage `json:"submissions"`
	}
	if err := decodeJSON(w, r, &body, false); err != nil {
		judge0DecodeError(w, r, err)
		return
	}
	if len(body.Submissions) == 0 || len(body.Submissions) > maxBatch {
		judge0Error(w, http.StatusUnprocessableEntity, "submissions", "give 1 to 100 submissions")
		return
	}
	if !s.chargeBatch(w, r, len(body.Submissions)) {
		return
	}
	out := make([]any, len(body.Submissions))
	for i, raw := range body.Submissions {
		var sub judge0Submission
		err := unmarshalValue("the submission", raw, &sub, false)
		var rec jobRecord
		if err == nil {
			rec, err = s.judge0Submit(r, sub)
		}
		if err != nil {
			out[i] = judge0ErrorBody(err)
			continue
		}
		out[i] = judge0Answer{"token": rec.ID}
	}
	writeJSON(w, http.StatusCreated, out)
}

// handleJudge0BatchGet answers GET /judge0/submissions/batch?tokens=A,B: {"submissions": [...]},
// null for a token that is not here.
func (s *Server) handleJudge0BatchGet(w http.ResponseWriter, r *http.Request) {
	if !judge0FieldsOK(w, r) {
		return
	}
	tokens := strings.Split(r.URL.Query().Get("tokens"), ",")
	if len(tokens) == 0 || tokens[0] == "" || len(tokens) > maxBatch {
		judge0Error(w, http.StatusUnprocessableEntity, "tokens", "give 1 to 100 tokens, separated by commas")
		return
	}
	out := make([]any, len(tokens))
	for i, t := range tokens {
		rec, ok, err := s.jobs.get(r.Context(), strings.TrimSpace(t))
		if err != nil {
			s.judge0RunError(w, r, err)
			return
		}
		if ok {
			out[i] = s.judge0View(b64(r), rec, r.URL.Query().Get("fields"))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"submissions": out})
}

// handleJudge0Languages answers GET /judge0/languages: the Judge0 ids served here, with our version.
func (s *Server) handleJudge0Languages(w http.ResponseWriter, r *http.Request) {
	s.judge0LanguageList(w, r, false)
}

// handleJudge0AllLanguages answers GET /judge0/languages/all: Judge0 adds archived languages
// there, each with is_archived; none is archived here.
func (s *Server) handleJudge0AllLanguages(w http.ResponseWriter, r *http.Request) {
	s.judge0LanguageList(w, r, true)
}

// judge0LanguageList answers the list of the Judge0 ids served here; archived adds the
// is_archived key of /languages/all.
func (s *Server) judge0LanguageList(w http.ResponseWriter, r *http.Request, archived bool) {
	infos, err := s.exec.Languages(r.Context())
	if err != nil {
		s.writeRunError(w, r, err)
		return
	}
	type lang struct {
		ID         int    `json:"id"`
		Name       string `json:"name"`
		IsArchived *bool  `json:"is_archived,omitempty"`
	}
	var out []lang
	for _, jl := range judge0Langs {
		for _, li := range infos {
			if v, ok := runtimeVersion(li, jl.Runtime); li.ID == jl.Lang && li.Available && ok {
				l := lang{ID: jl.ID, Name: jl.Name + " (" + v + ")"}
				if archived {
					l.IsArchived = new(bool)
				}
				out = append(out, l)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if out == nil {
		out = []lang{}
	}
	writeJSON(w, http.StatusOK, out)
}

// handleJudge0Language answers GET /judge0/languages/{id}.
func (s *Server) handleJudge0Language(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	jl, ok := s.judge0Language(r, id)
	if err != nil || !ok {
		judge0Error(w, http.StatusNotFound, "", "Not Found")
		return
	}
	name := jl.Name // named as in the list: "Python (3.11.2)"
	if infos, err := s.exec.Languages(r.Context()); err == nil {
		for _, li := range infos {
			if v, ok := runtimeVersion(li, jl.Runtime); li.ID == jl.Lang && li.Available && ok {
				name += " (" + v + ")"
				break
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": jl.ID, "name": name, "is_archived": false})
}

// handleJudge0Statuses answers GET /judge0/statuses.
func (s *Server) handleJudge0Statuses(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, judge0Statuses)
}

// judge0DecodeError answers a body that does not decode: a field of the wrong type is Judge0's
// 422 {"field": ["sentence"]}; malformed JSON is 400 and a body too large 413, {"error"}.
func judge0DecodeError(w http.ResponseWriter, r *http.Request, err error) {
	if f, msg, ok := fieldError(err); ok && f != "" {
		judge0Error(w, http.StatusUnprocessableEntity, f, msg)
		return
	}
	writeDecodeError(w, r, err)
}

func judge0ErrorBody(err error) any {
	if f, msg, ok := fieldError(err); ok {
		return map[string][]string{judge0Field(f): {msg}}
	}
	return map[string]string{"error": err.Error()}
}

// handleJudge0About answers GET /judge0/about as Judge0 does, with this server's version.
func (s *Server) handleJudge0About(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"version": executor.Version, "homepage": nil, "source_code": nil, "maintainer": "sandrun"})
}

// handleJudge0ConfigInfo answers GET /judge0/config_info: Judge0's configuration keys, with the
// defaults and maxima this server applies (seconds, KB), so a client can size its submissions.
func (s *Server) handleJudge0ConfigInfo(w http.ResponseWriter, r *http.Request) {
	def, max := executor.DefaultLimits(), s.opts.MaxLimits
	fileMax := max.FileBytes
	if fileMax == 0 {
		fileMax = executor.MaxLimits().FileBytes
	}
	sec := func(ms int64) float64 { return float64(ms) / 1000 }
	writeJSON(w, http.StatusOK, map[string]any{
		"maintenance_mode":                                 false,
		"enable_wait_result":                               true,
		"enable_compiler_options":                          false,
		"allowed_languages_for_compile_options":            []string{},
		"enable_command_line_arguments":                    true,
		"enable_submission_delete":                         true,
		"enable_callbacks":                                 len(s.opts.CallbackAllow) > 0,
		"callbacks_max_tries":                              5,
		"callbacks_timeout":                                10.0,
		"enable_additional_files":                          false,
		"max_queue_size":                                   s.opts.MaxJobs,
		"cpu_time_limit":                                   sec(def.CPUTimeMs),
		"max_cpu_time_limit":                               sec(max.CPUTimeMs),
		"cpu_extra_time":                                   0.0,
		"max_cpu_extra_time":                               0.0,
		"wall_time_limit":                                  sec(2*def.CPUTimeMs + 1000),
		"max_wall_time_limit":                              sec(max.WallTimeMs),
		"memory_limit":                                     def.MemoryBytes >> 10,
		"max_memory_limit":                                 max.MemoryBytes >> 10,
		"stack_limit":                                      def.MemoryBytes >> 10,
		"max_stack_limit":                                  max.MemoryBytes >> 10,
		"max_processes_and_or_threads":                     def.Processes,
		"max_max_processes_and_or_threads":                 max.Processes,
		"enable_per_process_and_thread_time_limit":         false,
		"allow_enable_per_process_and_thread_time_limit":   false,
		"enable_per_process_and_thread_memory_limit":       false,
		"allow_enable_per_process_and_thread_memory_limit": false,
		"max_file_size":                                    def.FileBytes >> 10,
		"max_max_file_size":                                fileMax >> 10,
		"number_of_runs":                                   1,
		"max_number_of_runs":                               1,
		"redirect_stderr_to_stdout":                        false,
		"max_extract_size":                                 0,
		"enable_batched_submissions":                       true,
		"max_submission_batch_size":                        maxBatch,
		"submission_cache_duration":                        s.opts.JobTTL.Seconds(),
		"use_docs_as_homepage":                             false,
		"allow_enable_network":                             false,
		"enable_network":                                   false,
	})
}
