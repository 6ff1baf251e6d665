package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/sandrun/sandrun/executor"
)

// ProgramTimeout is how long a hook program may take before it is killed: a pre hook that takes
// longer refuses the job ("the pre hook … did not answer within 10s"), a post hook's is logged.
const ProgramTimeout = 10 * time.Second

// programInput is what a hook program reads on stdin (docs/hooks.md).
type programInput struct {
	Phase    string            `json:"phase"` // "pre" or "post"
	Deadline time.Time         `json:"deadline"`
	ID       string            `json:"id"`
	Client   string            `json:"client,omitempty"`
	Tags     map[string]string `json:"tags,omitempty"`
	Request  json.RawMessage   `json:"request"`          // see wire.go: the Request with its bytes as text
	Result   *executor.Result  `json:"result,omitempty"` // post only, when the run gave one
	Error    string            `json:"error,omitempty"`  // post only, when it did not
}

// ProgramPre returns a pre hook that runs the program at path (the operator's: trusted, on the
// host, not sandboxed) with the job as JSON on stdin. Exit 0 lets the job run, changed to what
// it printed on stdout if anything (a whole request object, as "request" on stdin, plus optional
// "tags");
// any other exit refuses the job with the first line of its stderr as the sentence.
func ProgramPre(path string) Pre {
	return func(ctx context.Context, job *Job) error {
		rj, err := requestJSON(job.Request)
		if err != nil {
			return err
		}
		in := programInput{Phase: "pre", ID: job.ID, Client: job.Client, Tags: job.Tags, Request: rj}
		out, stderr, err := runProgram(ctx, path, &in)
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				msg := firstLine(stderr)
				if msg == "" {
					msg = fmt.Sprintf("the operator's pre hook refused the job (exit %d)", ee.ExitCode())
				}
				return &executor.RefusedError{Msg: msg}
			}
			return &executor.RefusedError{Msg: fmt.Sprintf("the pre hook %s failed: %v", path, err)}
		}
		if len(bytes.TrimSpace(out)) == 0 {
			return nil
		}
		req, tags, err := requestFromJSON(out)
		if err != nil {
			return &executor.RefusedError{Msg: fmt.Sprintf("the pre hook %s printed something that is not a request: %v", path, err)}
		}
		stream := job.Request.StdinStream
		job.Request = req
		job.Request.StdinStream = stream
		if tags != nil {
			job.Tags = tags
		}
		return nil
	}
}

// ProgramPost returns a post hook that runs the program at path with the finished job as JSON
// on stdin. Its failure is given to logf and changes nothing.
func ProgramPost(path string, logf func(format string, args ...any)) Post {
	return func(d Done) {
		rj, _ := requestJSON(d.Request)
		in := programInput{Phase: "post", ID: d.ID, Client: d.Client, Tags: d.Tags, Request: rj}
		if d.Err != nil {
			in.Error = d.Err.Error()
		} else {
			r := d.Result
			in.Result = &r
		}
		if _, stderr, err := runProgram(context.Background(), path, &in); err != nil && logf != nil {
			logf("post hook %s: %v: %s", path, err, firstLine(stderr))
		}
	}
}

// runProgram runs path with in as JSON on stdin, its deadline ProgramTimeout from now (or ctx's).
func runProgram(ctx context.Context, path string, in *programInput) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, ProgramTimeout)
	defer cancel()
	in.Deadline, _ = ctx.Deadline()
	body, err := json.Marshal(in)
	if err != nil {
		return nil, nil, err
	}
	var out, errb limitedBuffer
	out.max, errb.max = 16<<20, 64<<10
	cmd := exec.CommandContext(ctx, path)
	cmd.Stdin = bytes.NewReader(body)
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(cmd.Environ(), "SANDRUN_HOOK="+in.Phase, "SANDRUN_JOB_ID="+in.ID)
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("did not answer within %v", ProgramTimeout)
	}
	return out.Bytes(), errb.Bytes(), err
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// limitedBuffer keeps at most max bytes and drops the rest (a hook cannot fill the host's memory).
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

var _ io.Writer = (*limitedBuffer)(nil)
