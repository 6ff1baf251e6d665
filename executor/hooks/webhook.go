package hooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/sandrun/sandrun/executor"
)

// WebhookEvent is the body a webhook receives for each finished job.
type WebhookEvent struct {
	ID       string            `json:"id"`
	Language string            `json:"language"`
	Status   string            `json:"status"` // the Result's status, or "error" when the run gave none
	Error    string            `json:"error,omitempty"`
	Tags     map[string]string `json:"tags,omitempty"`
	Result   *executor.Result  `json:"result,omitempty"`
}

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body under the webhook secret.
const SignatureHeader = "X-Sandrun-Signature"

// Sign returns the SignatureHeader value of body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Webhook POSTs each finished job to one URL, signed, in the order the jobs finished, at least
// once: a delivery that fails (no answer, or not 2xx) is retried with a growing delay (0.5 s
// doubling up to 30 s) for up to RetryFor, the next job waiting behind it.
type Webhook struct {
	url    string
	secret []byte
	client *http.Client
	logf   func(format string, args ...any)
	// RetryFor bounds the retries of one delivery; then it is given up and logged.
	RetryFor time.Duration
	// FirstDelay is the first retry's delay (tests shorten it).
	FirstDelay time.Duration

	queue chan WebhookEvent
	quit  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

// NewWebhook starts the deliveries to url; Post is its post hook. secret may be empty (then no
// signature header is sent).
func NewWebhook(url string, secret []byte, logf func(format string, args ...any)) *Webhook {
	w := &Webhook{url: url, secret: secret, client: &http.Client{Timeout: 10 * time.Second}, logf: logf,
		RetryFor: 5 * time.Minute, FirstDelay: 500 * time.Millisecond,
		queue: make(chan WebhookEvent, PostQueue), quit: make(chan struct{})}
	w.wg.Add(1)
	go w.deliver()
	return w
}

// Post queues the finished job for delivery (waiting while the queue is full).
func (w *Webhook) Post(d Done) {
	ev := WebhookEvent{ID: d.ID, Language: d.Request.Language, Tags: d.Tags}
	if d.Err != nil {
		ev.Status, ev.Error = "error", d.Err.Error()
	} else {
		r := d.Result
		ev.Status, ev.Result = string(r.Status), &r
	}
	select {
	case w.queue <- ev:
	case <-w.quit:
	}
}

func (w *Webhook) deliver() {
	defer w.wg.Done()
	for {
		select {
		case ev := <-w.queue:
			w.send(ev)
		case <-w.quit:
			return
		}
	}
}

func (w *Webhook) send(ev WebhookEvent) {
	body, err := json.Marshal(ev)
	if err != nil {
		w.log("webhook %s: job %s: %v", w.url, ev.ID, err)
		return
	}
	delay, give := w.FirstDelay, time.Now().Add(w.RetryFor)
	for attempt := 1; ; attempt++ {
		err := w.post(body, ev.ID, attempt)
		if err == nil {
			return
		}
		if time.Now().Add(delay).After(give) {
			w.log("webhook %s: job %s given up after %d attempts: %v", w.url, ev.ID, attempt, err)
			return
		}
		select {
		case <-time.After(delay):
		case <-w.quit:
			return
		}
		delay = min(2*delay, 30*time.Second)
	}
}

func (w *Webhook) post(body []byte, id string, attempt int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sandrun/"+executor.Version)
	req.Header.Set("X-Sandrun-Job", id)
	req.Header.Set("X-Sandrun-Attempt", fmt.Sprint(attempt))
	if len(w.secret) > 0 {
		req.Header.Set(SignatureHeader, Sign(w.secret, body))
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}

func (w *Webhook) log(format string, args ...any) {
	if w.logf != nil {
		w.logf(format, args...)
	}
}

// Close stops the deliveries, waiting up to ctx for those queued.
func (w *Webhook) Close(ctx context.Context) {
	for len(w.queue) > 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	w.once.Do(func() { close(w.quit) })
	w.wg.Wait()
}
