// Package serve is `lava-actions serve`: a long-running HTTP server, on a
// unix socket (or loopback TCP), that keeps plugins warm for workers written
// in any language. It offers a small JSON API to run, validate and render
// action lists, a health endpoint and Prometheus metrics.
//
//	POST /v1/run       {"trigger":"on_fail","job":{…},"realm":{…},"result":{…}}
//	POST /v1/render    the same body; a dry run that sends nothing
//	POST /v1/validate  {"job":{…},"realm":{…}}: every on_* list present
//	GET  /healthz      200 {"status":"ok"}, 503 while draining
//	GET  /metrics      Prometheus text format
//
// Status codes: 200 the list ran, or there was nothing to run (the report's
// "error" is set when an action failed); 400 malformed request (bad JSON, no
// job, unknown trigger); 404 unknown path; 405 wrong method; 413 body over
// the limit; 422 the list is invalid and nothing ran; 429 too many runs in
// flight; 503 draining.
//
// Every request is counted (lava_actions_requests_total by endpoint,
// outcome and status; lava_actions_requests_rejected_total by reason) and
// logged in one line. Action metrics take the type label only for types on
// the plugin path, so clients cannot grow the metrics without bound.
package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config configures a Server.
type Config struct {
	// Host runs the actions; the server does not own it.
	Host *host.Host
	// Logger receives request logs; nil means slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes bounds a request body; default 1 MiB.
	MaxBodyBytes int64
	// MaxConcurrent bounds runs in flight; default 64.
	MaxConcurrent int
	// QueueWait is how long a request may wait for a run slot; default 2s.
	QueueWait time.Duration
}

// Server is the HTTP API. Create it with New.
type Server struct {
	cfg      Config
	log      *slog.Logger
	slots    chan struct{}
	draining chan struct{}
	reg      *prometheus.Registry
	runs     *prometheus.CounterVec
	failures *prometheus.CounterVec
	duration *prometheus.HistogramVec
	requests *prometheus.CounterVec
	rejected *prometheus.CounterVec
	handler  http.Handler
	served   atomic.Int64

	rejectLog *rateLimit

	typesMu sync.Mutex
	types   map[string]bool // action types on the plugin path
	typesAt time.Time       // when types was read
}

// New returns a server for cfg.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 64
	}
	if cfg.QueueWait <= 0 {
		cfg.QueueWait = 2 * time.Second
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger,
		slots:    make(chan struct{}, cfg.MaxConcurrent),
		draining: make(chan struct{}),
		reg:      prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lava_actions_runs_total", Help: "Actions run, by action type (unknown: not on the plugin path).",
		}, []string{"type"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lava_actions_failures_total", Help: "Actions that failed, by action type.",
		}, []string{"type"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "lava_actions_duration_seconds", Help: "Action duration, by action type.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
		}, []string{"type"}),
	}
	s.requests, s.rejected = newRequestMetrics()
	s.rejectLog = newRateLimit(1, 10)
	s.reg.MustRegister(s.runs, s.failures, s.duration, s.requests, s.rejected,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/run", s.runHandler(false))
	mux.HandleFunc("POST /v1/render", s.runHandler(true))
	mux.HandleFunc("POST /v1/validate", s.validate)
	mux.HandleFunc("GET /healthz", s.health)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	s.handler = s.observe(mux)
	return s
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Listen opens the listener for addr: a unix socket path (created with
// mode 0600, replacing a stale socket) or, with the tcp: prefix, a loopback
// host:port. Non-loopback TCP addresses are refused.
func Listen(addr string) (net.Listener, error) {
	if hostport, ok := cutPrefix(addr, "tcp:"); ok {
		h, _, err := net.SplitHostPort(hostport)
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", addr, err)
		}
		if ip := net.ParseIP(h); h != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("listen %s: only loopback addresses are allowed", addr)
		}
		return net.Listen("tcp", hostport)
	}
	if fi, err := os.Lstat(addr); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(addr) // stale socket from a previous run
	}
	l, err := net.Listen("unix", addr)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(addr, 0o600); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return s, false
}

// Serve serves on l until ctx ends, then stops accepting, waits for
// in-flight requests (up to drain) and returns.
func (s *Server) Serve(ctx context.Context, l net.Listener, drain time.Duration) error {
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	srv.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateActive {
			s.served.Add(1)
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	close(s.draining)
	s.log.Info("draining", "timeout", drain.String())
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		s.log.Warn("stopped", "drained", false, "error", err.Error())
		return fmt.Errorf("drain: %w", err)
	}
	s.log.Info("stopped", "drained", true)
	return nil
}

func (s *Server) isDraining() bool {
	select {
	case <-s.draining:
		return true
	default:
		return false
	}
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if s.isDraining() {
		in := info(r)
		in.outcome, in.reason = outcomeRejected, reasonDraining
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// request is the body of run, render and validate.
type request struct {
	Trigger string          `json:"trigger"`
	Job     json.RawMessage `json:"job"`
	Realm   json.RawMessage `json:"realm"`
	Result  json.RawMessage `json:"result"`
}

type decoded struct {
	trigger            host.Trigger
	job, realm, result *value.Map
}

func (s *Server) decode(w http.ResponseWriter, r *http.Request, needTrigger bool) (*decoded, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			reject(w, r, http.StatusRequestEntityTooLarge, reasonTooLarge, fmt.Sprintf("request body over %d bytes", s.cfg.MaxBodyBytes))
		} else {
			reject(w, r, http.StatusBadRequest, reasonBadRequest, "read request: "+err.Error())
		}
		return nil, false
	}
	var req request
	if err := json.Unmarshal(body, &req); err != nil {
		reject(w, r, http.StatusBadRequest, reasonBadJSON, "request: "+err.Error())
		return nil, false
	}
	d := &decoded{}
	if needTrigger {
		if d.trigger, err = host.ParseTrigger(req.Trigger); err != nil {
			reject(w, r, http.StatusBadRequest, reasonBadRequest, err.Error())
			return nil, false
		}
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		mode value.NumberMode
		dst  **value.Map
	}{
		{"job", req.Job, value.DecimalNumbers, &d.job},
		{"realm", req.Realm, value.DecimalNumbers, &d.realm},
		{"result", req.Result, value.PythonNumbers, &d.result},
	} {
		if len(f.raw) == 0 || string(f.raw) == "null" {
			if f.name == "job" {
				reject(w, r, http.StatusBadRequest, reasonBadRequest, "request: job is required")
				return nil, false
			}
			continue
		}
		v, err := value.DecodeJSON(f.raw, f.mode)
		m, ok := v.(*value.Map)
		if err != nil || !ok {
			reject(w, r, http.StatusBadRequest, reasonBadJSON, fmt.Sprintf("request: %s must be a JSON object", f.name))
			return nil, false
		}
		*f.dst = m
	}
	in := info(r)
	in.runID = d.job.String("run_id")
	if needTrigger {
		in.types = listTypes(d)
	}
	return d, true
}

// acquire takes a run slot, waiting up to QueueWait.
func (s *Server) acquire(ctx context.Context) bool {
	t := time.NewTimer(s.cfg.QueueWait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (s *Server) runHandler(dry bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.isDraining() {
			reject(w, r, http.StatusServiceUnavailable, reasonDraining, "draining")
			return
		}
		d, ok := s.decode(w, r, true)
		if !ok {
			return
		}
		if !s.acquire(r.Context()) {
			reject(w, r, http.StatusTooManyRequests, reasonBusy, fmt.Sprintf("more than %d runs in flight", s.cfg.MaxConcurrent))
			return
		}
		defer func() { <-s.slots }()
		run := s.cfg.Host.Run
		if dry {
			run = s.cfg.Host.DryRun
		}
		// A run is not cut short when its client goes away: actions may
		// already have been sent.
		rep, err := run(context.WithoutCancel(r.Context()), d.trigger, d.job, d.realm, d.result)
		if rep != nil && !dry {
			s.record(rep)
		}
		in := info(r)
		var ae *host.ActionError
		switch {
		case err == nil:
			in.outcome = outcomeOK
			writeJSON(w, http.StatusOK, rep)
		case errors.As(err, &ae) && ae.Invalid:
			in.outcome, in.reason = outcomeRejected, reasonInvalid
			writeJSON(w, http.StatusUnprocessableEntity, rep)
		case errors.As(err, &ae):
			in.outcome = outcomeFailed
			writeJSON(w, http.StatusOK, rep)
		case errors.Is(err, host.ErrHostClosed):
			reject(w, r, http.StatusServiceUnavailable, reasonDraining, err.Error())
		default:
			reject(w, r, http.StatusBadRequest, reasonBadRequest, err.Error())
		}
	}
}

// validation is one list's result in a validate response.
type validation struct {
	Key   string `json:"key"`
	Error string `json:"error,omitempty"`
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	d, ok := s.decode(w, r, false)
	if !ok {
		return
	}
	out := []validation{}
	status := http.StatusOK
	for _, t := range host.Triggers {
		for _, src := range []*value.Map{d.job, d.realm} {
			list, has := src.Get(string(t))
			if !has {
				continue
			}
			v := validation{Key: string(t)}
			if err := s.cfg.Host.ValidateList(r.Context(), string(t), list, d.job, d.realm); err != nil {
				v.Error = err.Error()
				status = http.StatusUnprocessableEntity
			}
			out = append(out, v)
			break // the job's list hides the realm's
		}
	}
	if status != http.StatusOK {
		in := info(r)
		in.outcome, in.reason = outcomeRejected, reasonInvalid
	}
	writeJSON(w, status, map[string]any{"lists": out})
}

// writeJSON writes v as the JSON response, without HTML escaping (so that
// "<redacted>" reads as it is).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// reject answers a request the server refuses, recording why.
func reject(w http.ResponseWriter, r *http.Request, status int, reason, msg string) {
	in := info(r)
	in.outcome, in.reason = outcomeRejected, reason
	writeJSON(w, status, map[string]string{"error": msg})
}

// listTypes returns the action types of the list a run request chose, as
// the client wrote them: the first maxLoggedTypes, then "…+N" for the rest.
func listTypes(d *decoded) []string {
	raw, _, ok := host.Select(d.trigger, d.job, d.realm)
	list, isList := raw.([]any)
	if !ok || !isList {
		return nil
	}
	types := make([]string, 0, min(len(list), maxLoggedTypes+1))
	for i, it := range list {
		if i == maxLoggedTypes {
			types = append(types, fmt.Sprintf("…+%d", len(list)-i))
			break
		}
		if m, ok := it.(*value.Map); ok {
			types = append(types, m.String("action"))
		} else {
			types = append(types, "")
		}
	}
	return types
}
