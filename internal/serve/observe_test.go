package serve_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/lava-actions/lava-actions/internal/serve"
)

// logBuffer collects JSON log records.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the records with the given message.
func (b *logBuffer) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Text())
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func withLog() (serve.Config, *logBuffer) {
	logs := &logBuffer{}
	return serve.Config{MaxBodyBytes: 4096, Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}, logs
}

func (f *fixture) metrics(t *testing.T) string {
	t.Helper()
	resp, err := f.client.Get("http://lava/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRequestLogAndCounters checks the access log line and the request
// counters for each kind of outcome, and that no secret from a body is
// logged.
func TestRequestLogAndCounters(t *testing.T) {
	t.Parallel()
	cfg, logs := withLog()
	f := start(t, cfg)
	secretJob := `{"job_id":"j","run_id":"run-42","on_success":[{"action":"log","message":"hooks.slack.com/services/SECRET"},{"action":"misbehave","mode":"fail"}]}`
	cases := []struct {
		method, path, body string
		status             int
		outcome, reason    string
	}{
		{"POST", "/v1/run", `{"trigger":"success","job":` + job + `}`, 200, "ok", ""},
		{"POST", "/v1/run", `{"trigger":"success","job":` + secretJob + `}`, 200, "failed", ""},
		{"POST", "/v1/run", `{"trigger":`, 400, "rejected", "bad_json"},
		{"POST", "/v1/run", `{"trigger":"success"}`, 400, "rejected", "bad_request"},
		{"POST", "/v1/run", `{"trigger":"success","job":{"x":"` + strings.Repeat("a", 5000) + `"}}`, 413, "rejected", "too_large"},
		{"POST", "/v1/run", `{"trigger":"fail","job":` + job + `}`, 422, "rejected", "invalid"},
		{"POST", "/v1/validate", `{"job":` + job + `}`, 422, "rejected", "invalid"},
		{"POST", "/nowhere", `{}`, 404, "rejected", "not_found"},
		{"GET", "/v1/run", ``, 405, "rejected", "method"},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(tc.method, "http://lava"+tc.path, strings.NewReader(tc.body))
		resp, err := f.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
		}
	}
	recs := logs.records(t, "request")
	if len(recs) != len(cases) {
		t.Fatalf("%d request log lines, want %d:\n%s", len(recs), len(cases), logs)
	}
	for i, tc := range cases {
		rec := recs[i]
		if rec["method"] != tc.method || rec["path"] != tc.path || rec["status"] != float64(tc.status) || rec["outcome"] != tc.outcome {
			t.Errorf("line %d = %v, want %s %s %d %s", i, rec, tc.method, tc.path, tc.status, tc.outcome)
		}
		if reason, _ := rec["reason"].(string); reason != tc.reason {
			t.Errorf("line %d reason %q, want %q", i, reason, tc.reason)
		}
		if _, ok := rec["duration_ms"].(float64); !ok {
			t.Errorf("line %d has no duration_ms: %v", i, rec)
		}
	}
	if recs[1]["run_id"] != "run-42" || fmt.Sprint(recs[1]["types"]) != "[log misbehave]" {
		t.Errorf("run line = %v", recs[1])
	}
	if strings.Contains(logs.String(), "SECRET") {
		t.Errorf("a request body reached the log:\n%s", logs)
	}
	m := f.metrics(t)
	for _, want := range []string{
		`lava_actions_requests_total{code="200",endpoint="run",outcome="ok"} 1`,
		`lava_actions_requests_total{code="200",endpoint="run",outcome="failed"} 1`,
		`lava_actions_requests_total{code="400",endpoint="run",outcome="rejected"} 2`,
		`lava_actions_requests_total{code="413",endpoint="run",outcome="rejected"} 1`,
		`lava_actions_requests_total{code="422",endpoint="validate",outcome="rejected"} 1`,
		`lava_actions_requests_total{code="404",endpoint="other",outcome="rejected"} 1`,
		`lava_actions_requests_rejected_total{reason="bad_json"} 1`,
		`lava_actions_requests_rejected_total{reason="bad_request"} 1`,
		`lava_actions_requests_rejected_total{reason="too_large"} 1`,
		`lava_actions_requests_rejected_total{reason="invalid"} 2`,
		`lava_actions_requests_rejected_total{reason="not_found"} 1`,
		`lava_actions_requests_rejected_total{reason="method"} 1`,
		// The invalid list ran nothing: only the two runs count.
		`lava_actions_runs_total{type="log"} 2`,
		`lava_actions_failures_total{type="misbehave"} 1`,
	} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestRejectionLogIsRateLimited checks that a burst of bad requests logs a
// bounded number of lines, and that the next line says how many it left
// out.
func TestRejectionLogIsRateLimited(t *testing.T) {
	t.Parallel()
	cfg, logs := withLog()
	f := start(t, cfg)
	for range 200 {
		f.post(t, "/v1/run", `not json`)
	}
	n := len(logs.records(t, "request"))
	if n < 10 || n > 20 {
		t.Errorf("%d log lines for 200 rejections, want 10 (the burst) to 20", n)
	}
	m := f.metrics(t)
	if !strings.Contains(m, `lava_actions_requests_rejected_total{reason="bad_json"} 200`+"\n") {
		t.Errorf("every rejection must still be counted:\n%s", m)
	}
}

// TestJunkTypesKeepMetricsBounded floods the server with 10,000 distinct
// unknown action types and one 100 KB type name: none may become a metric
// series, and /metrics must stay under a fixed size.
func TestJunkTypesKeepMetricsBounded(t *testing.T) {
	t.Parallel()
	f := start(t, serve.Config{MaxBodyBytes: 1 << 20})
	f.post(t, "/v1/run", `{"trigger":"success","job":`+job+`}`)
	before := len(f.metrics(t))
	const n = 10000
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				body := fmt.Sprintf(`{"trigger":"success","job":{"job_id":"j","run_id":"r%d","on_success":[{"action":"junk-%d"}]}}`, i, i)
				resp, err := f.client.Post("http://lava/v1/run", "application/json", strings.NewReader(body))
				if err != nil {
					t.Error(err)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 422 {
					t.Errorf("junk type: status %d", resp.StatusCode)
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	huge := strings.Repeat("x", 100<<10)
	if status, _ := f.post(t, "/v1/run", `{"trigger":"success","job":{"job_id":"j","on_success":[{"action":"`+huge+`"}]}}`); status != 422 {
		t.Errorf("huge type: status %d", status)
	}
	m := f.metrics(t)
	const limit = 64 << 10
	if len(m) > limit || len(m) > before+4096 {
		t.Errorf("/metrics grew from %d to %d bytes (limit %d)", before, len(m), limit)
	}
	if strings.Contains(m, "junk-") || strings.Contains(m, "xxxxxxxx") {
		t.Error("a junk type became a metric label")
	}
	if !strings.Contains(m, fmt.Sprintf(`lava_actions_requests_rejected_total{reason="invalid"} %d`, n+1)) {
		t.Errorf("rejections not counted:\n%s", m)
	}
	if !strings.Contains(m, `lava_actions_runs_total{type="log"} 1`+"\n") {
		t.Errorf("junk counted as runs:\n%s", m)
	}
}
