package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/hooks"
	"github.com/sandrun/sandrun/web"
)

// hookFlags are the operator's hooks of serve and executor (docs/hooks.md): --hook pre=PROGRAM,
// --hook post=PROGRAM (repeatable, run in order), --webhook URL (repeatable) and
// --webhook-secret-file FILE.
type hookFlags struct {
	hooks      []string
	webhooks   []string
	secretFile string
}

func (h *hookFlags) register(fs *flag.FlagSet) {
	fs.Func("hook", "pre=PROGRAM or post=PROGRAM: a program of yours that gets each job as JSON on stdin; a pre hook's non-zero exit refuses the job (repeatable, run in order)", func(v string) error {
		h.hooks = append(h.hooks, v)
		return nil
	})
	fs.Func("webhook", "URL that receives each finished job as a signed JSON POST (repeatable)", func(v string) error {
		h.webhooks = append(h.webhooks, v)
		return nil
	})
	fs.StringVar(&h.secretFile, "webhook-secret-file", "", "file holding the secret that signs webhook bodies (X-Sandrun-Signature: sha256=HMAC)")
}

// wrap returns next inside a hook chain of the flags' hooks (next itself when there are none)
// and what to call to stop it, after the queued post hooks and webhook deliveries ran.
func (h *hookFlags) wrap(next executor.Executor, log *slog.Logger) (executor.Executor, func(), error) {
	var pre []hooks.Pre
	var post []hooks.Post
	logf := func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) }
	for _, v := range h.hooks {
		phase, prog, ok := strings.Cut(v, "=")
		if !ok || prog == "" || (phase != "pre" && phase != "post") {
			return nil, nil, usageError("--hook %q: write pre=PROGRAM or post=PROGRAM", v)
		}
		path, err := exec.LookPath(prog)
		if err != nil {
			return nil, nil, usageError("--hook %s: %q is not a program that can be run: %v", phase, prog, err)
		}
		if phase == "pre" {
			pre = append(pre, hooks.ProgramPre(path))
		} else {
			post = append(post, hooks.ProgramPost(path, logf))
		}
	}
	var secret []byte
	if h.secretFile != "" {
		b, err := os.ReadFile(h.secretFile)
		if err != nil {
			return nil, nil, usageError("--webhook-secret-file: %v", err)
		}
		if secret = []byte(strings.TrimSpace(string(b))); len(secret) < 16 {
			return nil, nil, usageError("--webhook-secret-file %s: the secret must be at least 16 bytes; make one with: head -c 32 /dev/urandom | base64 > %s", h.secretFile, h.secretFile)
		}
	}
	var webhooks []*hooks.Webhook
	for _, u := range h.webhooks {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return nil, nil, usageError("--webhook %q: want an http:// or https:// URL", u)
		}
		wh := hooks.NewWebhook(u, secret, logf)
		webhooks = append(webhooks, wh)
		post = append(post, wh.Post)
	}
	if len(webhooks) > 0 && secret == nil {
		log.Warn("webhooks are not signed: give --webhook-secret-file so that receivers can check X-Sandrun-Signature")
	}
	if len(pre) == 0 && len(post) == 0 {
		return next, func() {}, nil
	}
	c := hooks.New(next, pre, post)
	return c, func() {
		c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, wh := range webhooks {
			wh.Close(ctx)
		}
	}, nil
}

// jobFlags are serve's flags for the jobs API and Judge0's submissions (docs/jobs.md):
// --callback-allow HOST (repeatable), --job-ttl and --max-jobs.
type jobFlags struct {
	callbackAllow multiFlag
	ttl           time.Duration
	max           int
}

func (j *jobFlags) register(fs *flag.FlagSet) {
	fs.Var(&j.callbackAllow, "callback-allow", "host (name or name:port) a job's callback_url may name (repeatable; default: none, so no callback is called)")
	fs.DurationVar(&j.ttl, "job-ttl", web.DefaultJobTTL, "how long a finished job's result is kept for GET /api/v1/jobs/{id} (in memory, or in a fleet's JetStream)")
	fs.IntVar(&j.max, "max-jobs", web.DefaultMaxJobs, "most jobs kept at once (queued, running and finished; in front of a fleet, queued and running here); past it a new job is refused as busy")
}

// apply checks the flags and puts them in opts.
func (j *jobFlags) apply(opts *web.Options) error {
	if j.ttl <= 0 {
		return usageError("--job-ttl must be positive, e.g. 1h")
	}
	if j.max <= 0 {
		return usageError("--max-jobs must be positive, e.g. %d", web.DefaultMaxJobs)
	}
	for _, h := range j.callbackAllow {
		if strings.ContainsAny(h, "/ ") {
			return usageError("--callback-allow %q: give a host name such as hooks.example.com or 127.0.0.1:9000 (no scheme, no path)", h)
		}
	}
	opts.CallbackAllow, opts.JobTTL, opts.MaxJobs = j.callbackAllow, j.ttl, j.max
	return nil
}
