package serve

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lava-actions/lava-actions/host"
	"github.com/prometheus/client_golang/prometheus"
)

// Request outcomes, the outcome label of lava_actions_requests_total and
// the outcome field of request logs.
const (
	outcomeOK       = "ok"       // the list ran (or there was nothing to run), or validated
	outcomeFailed   = "failed"   // an action failed (200 with the report's error)
	outcomeRejected = "rejected" // 4xx or draining: see the reason
	outcomeError    = "error"    // the server could not serve it (5xx)
)

// Rejection reasons, the reason label of lava_actions_requests_rejected_total.
const (
	reasonBadJSON    = "bad_json"    // the body is not JSON of the request's shape
	reasonBadRequest = "bad_request" // no job, unknown trigger, a job field the host refuses
	reasonTooLarge   = "too_large"   // body over --max-body (413)
	reasonInvalid    = "invalid"     // the list failed validation; nothing ran (422)
	reasonBusy       = "busy"        // no run slot within the queue wait (429)
	reasonDraining   = "draining"    // the server is stopping (503)
	reasonNotFound   = "not_found"   // unknown path (404)
	reasonMethod     = "method"      // wrong method (405)
)

// unknownType is the type label of every action type that is not on the
// plugin path, so that clients cannot create metric series at will.
const unknownType = "unknown"

// Bounds of what a request log line repeats from the request.
const (
	maxLoggedTypes = 10
	maxLoggedText  = 64
)

// reqInfo is what a handler tells the access log and metrics about a
// request. The middleware puts a fresh one in each request's context.
type reqInfo struct {
	outcome string
	reason  string
	runID   string
	types   []string
}

type infoKey struct{}

// info returns the request's reqInfo (a throwaway one outside the
// middleware, as in handler tests).
func info(r *http.Request) *reqInfo {
	if in, ok := r.Context().Value(infoKey{}).(*reqInfo); ok {
		return in
	}
	return &reqInfo{}
}

// statusWriter records the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// endpoints are the endpoint label values; any other path is "other".
var endpoints = map[string]string{
	"/v1/run": "run", "/v1/render": "render", "/v1/validate": "validate", "/healthz": "healthz", "/metrics": "metrics",
}

// observe wraps the API: it counts each request by endpoint, outcome and
// status (and rejections by reason) and logs it in one line.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		in := &reqInfo{}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), infoKey{}, in)))
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		endpoint, known := endpoints[r.URL.Path]
		if !known {
			endpoint = "other"
		}
		if in.outcome == "" {
			switch {
			case status == http.StatusNotFound:
				in.outcome, in.reason = outcomeRejected, reasonNotFound
			case status == http.StatusMethodNotAllowed:
				in.outcome, in.reason = outcomeRejected, reasonMethod
			case status >= 500:
				in.outcome = outcomeError
			case status >= 400:
				in.outcome, in.reason = outcomeRejected, reasonBadRequest
			default:
				in.outcome = outcomeOK
			}
		}
		s.requests.WithLabelValues(endpoint, in.outcome, strconv.Itoa(status)).Inc()
		if in.outcome == outcomeRejected {
			s.rejected.WithLabelValues(in.reason).Inc()
		}
		s.logRequest(r, endpoint, known, status, time.Since(start), in)
	})
}

// logRequest writes the access log line: method, path, status, duration,
// run id, action types, outcome (and reason). It never logs bodies, so no
// secret reaches it; what it repeats from the request is bounded. Health
// checks and scrapes log at debug; rejections are rate limited.
func (s *Server) logRequest(r *http.Request, endpoint string, known bool, status int, d time.Duration, in *reqInfo) {
	level := slog.LevelInfo
	switch {
	case endpoint == "healthz" || endpoint == "metrics":
		level = slog.LevelDebug
	case in.outcome == outcomeRejected || in.outcome == outcomeError:
		level = slog.LevelWarn
	}
	ctx := r.Context()
	if !s.log.Enabled(ctx, level) {
		return
	}
	var suppressed int
	if in.outcome == outcomeRejected {
		var ok bool
		if ok, suppressed = s.rejectLog.allow(time.Now()); !ok {
			return
		}
	}
	path := r.URL.Path
	if !known {
		path = clip(path)
	}
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs,
		slog.String("method", clip(r.Method)),
		slog.String("path", path),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("outcome", in.outcome))
	if in.reason != "" {
		attrs = append(attrs, slog.String("reason", in.reason))
	}
	if in.runID != "" {
		attrs = append(attrs, slog.String("run_id", clip(in.runID)))
	}
	if len(in.types) > 0 {
		attrs = append(attrs, slog.Any("types", loggedTypes(in.types)))
	}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int("rejections_not_logged", suppressed))
	}
	s.log.LogAttrs(ctx, level, "request", attrs...)
}

// loggedTypes clips each action type a log line repeats (listTypes bounds
// their number).
func loggedTypes(types []string) []string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = clip(t)
	}
	return out
}

// clip bounds a client-supplied string in a log line.
func clip(s string) string {
	if len(s) <= maxLoggedText {
		return s
	}
	cut := maxLoggedText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// rateLimit is a token bucket: burst lines at once, then rate per second.
// It counts what it drops, to say so in the next line it allows.
type rateLimit struct {
	mu      sync.Mutex
	tokens  float64
	last    time.Time
	rate    float64
	burst   float64
	dropped int
}

func newRateLimit(rate, burst float64) *rateLimit {
	return &rateLimit{tokens: burst, rate: rate, burst: burst}
}

// allow reports whether a line may be logged now and how many were dropped
// since the last one allowed.
func (l *rateLimit) allow(now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	}
	l.last = now
	if l.tokens < 1 {
		l.dropped++
		return false, 0
	}
	l.tokens--
	n := l.dropped
	l.dropped = 0
	return true, n
}

// typeLabel is typ when it is on the plugin path, else "unknown".
func (s *Server) typeLabel(typ string) string {
	s.typesMu.Lock()
	defer s.typesMu.Unlock()
	if s.types[typ] {
		return typ
	}
	// A plugin added since the last look: look again, at most once a second.
	if now := time.Now(); now.Sub(s.typesAt) >= time.Second {
		s.typesAt = now
		s.types = map[string]bool{}
		for _, c := range s.cfg.Host.Candidates() {
			s.types[c.Type] = true
		}
		if s.types[typ] {
			return typ
		}
	}
	return unknownType
}

// record counts the actions of a run's report: those that ran, by type.
func (s *Server) record(rep *host.Report) {
	for _, a := range rep.Actions {
		if a.Status == host.StatusNotRun {
			continue
		}
		typ := s.typeLabel(a.Type)
		s.runs.WithLabelValues(typ).Inc()
		s.duration.WithLabelValues(typ).Observe(a.Duration.Seconds())
		if a.Status == host.StatusFailed {
			s.failures.WithLabelValues(typ).Inc()
		}
	}
}

// newRequestMetrics returns the request counters.
func newRequestMetrics() (requests, rejected *prometheus.CounterVec) {
	requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lava_actions_requests_total",
		Help: "API requests, by endpoint (run, render, validate, healthz, metrics, other), outcome (ok, failed, rejected, error) and HTTP status.",
	}, []string{"endpoint", "outcome", "code"})
	rejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lava_actions_requests_rejected_total",
		Help: "Rejected API requests, by reason (bad_json, bad_request, too_large, invalid, busy, draining, not_found, method).",
	}, []string{"reason"})
	return requests, rejected
}
