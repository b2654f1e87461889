package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/internal/serve"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "serve-test-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	for name, pkg := range map[string]string{
		"log":       "github.com/lava-actions/lava-actions/plugins/log",
		"misbehave": "github.com/lava-actions/lava-actions/host/testdata/misbehave",
	} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "lava-action-"+name), pkg).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type fixture struct {
	client *http.Client
	sock   string
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, cfg serve.Config) *fixture { return startTB(t, cfg) }

func startB(b *testing.B) *fixture { return startTB(b, serve.Config{}) }

func startTB(t testing.TB, cfg serve.Config) *fixture {
	t.Helper()
	h, err := host.New(host.Config{PluginPath: []string{binDir}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	cfg.Host = h
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	sock := filepath.Join(t.TempDir(), "s.sock")
	l, err := serve.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &fixture{sock: sock, cancel: cancel, done: make(chan error, 1)}
	go func() { f.done <- serve.New(cfg).Serve(ctx, l, 10*time.Second) }()
	t.Cleanup(func() { cancel(); <-f.done })
	f.client = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	return f
}

func (f *fixture) post(t *testing.T, path, body string) (int, map[string]any) {
	t.Helper()
	resp, err := f.client.Post("http://lava"+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

const job = `{"job_id":"demo/job1","run_id":"r1","realm":"dev","ts_start":"2024-03-01T10:00:00+11:00",
  "on_success":[{"action":"log","message":"done {{ job.job_id }}"}],
  "on_fail":[{"action":"log"}]}`

func TestAPI(t *testing.T) {
	t.Parallel()
	f := start(t, serve.Config{MaxBodyBytes: 4096})
	cases := []struct {
		name, path, body string
		status           int
		check            func(t *testing.T, out map[string]any)
	}{
		{"run ok", "/v1/run", `{"trigger":"success","job":` + job + `,"realm":{"realm":"dev"}}`, 200, func(t *testing.T, out map[string]any) {
			a := out["actions"].([]any)[0].(map[string]any)
			if a["status"] != "ok" || a["summary"] != "done demo/job1" {
				t.Errorf("action = %v", a)
			}
		}},
		{"render", "/v1/render", `{"trigger":"on_success","job":` + job + `}`, 200, func(t *testing.T, out map[string]any) {
			if out["dry_run"] != true {
				t.Errorf("not a dry run: %v", out)
			}
		}},
		{"invalid list", "/v1/run", `{"trigger":"fail","job":` + job + `}`, 422, func(t *testing.T, out map[string]any) {
			if out["error"] != "on_fail action: log: Missing keys: message" {
				t.Errorf("error = %v", out["error"])
			}
		}},
		{"validate", "/v1/validate", `{"job":` + job + `}`, 422, func(t *testing.T, out map[string]any) {
			lists := out["lists"].([]any)
			if len(lists) != 2 || lists[0].(map[string]any)["error"] != nil || lists[1].(map[string]any)["error"] == nil {
				t.Errorf("lists = %v", lists)
			}
		}},
		{"malformed", "/v1/run", `{"trigger":`, 400, nil},
		{"bad trigger", "/v1/run", `{"trigger":"sometimes","job":{}}`, 400, nil},
		{"no job", "/v1/run", `{"trigger":"success"}`, 400, nil},
		{"too big", "/v1/run", `{"trigger":"success","job":{"x":"` + strings.Repeat("a", 5000) + `"}}`, 413, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, out := f.post(t, tc.path, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d (%v)", status, tc.status, out)
			}
			if tc.check != nil {
				tc.check(t, out)
			}
		})
	}
}

func TestSocketIsPrivateAndTCPLoopbackOnly(t *testing.T) {
	t.Parallel()
	f := start(t, serve.Config{})
	fi, err := os.Stat(f.sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := serve.Listen("tcp:0.0.0.0:0"); err == nil {
		t.Error("a non-loopback TCP address was accepted")
	}
	l, err := serve.Listen("tcp:127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
}

func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	f := start(t, serve.Config{MaxConcurrent: 1, QueueWait: 50 * time.Millisecond})
	slow := `{"trigger":"success","job":{"job_id":"j","on_success":[{"action":"misbehave","mode":"sleep","ms":600}]}}`
	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for range 2 {
		wg.Go(func() {
			status, _ := f.post(t, "/v1/run", slow)
			codes <- status
		})
		time.Sleep(100 * time.Millisecond)
	}
	wg.Wait()
	close(codes)
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
	if got[200] != 1 || got[429] != 1 {
		t.Errorf("status counts %v, want one 200 and one 429", got)
	}
}

func TestDrainOnShutdown(t *testing.T) {
	t.Parallel()
	cfg, logs := withLog()
	f := start(t, cfg)
	slow := `{"trigger":"success","job":{"job_id":"j","on_success":[{"action":"misbehave","mode":"sleep","ms":500}]}}`
	result := make(chan int, 1)
	go func() {
		status, _ := f.post(t, "/v1/run", slow)
		result <- status
	}()
	time.Sleep(150 * time.Millisecond)
	f.cancel() // what SIGTERM does in the CLI
	if err := <-f.done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	f.done <- nil // for the cleanup
	select {
	case status := <-result:
		if status != 200 {
			t.Errorf("in-flight run got %d, want 200", status)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("in-flight run did not finish")
	}
	if _, err := f.client.Get("http://lava/healthz"); err == nil {
		t.Error("server still accepting after drain")
	}
	// The run was logged, then "draining", then "stopped".
	var msgs []string
	for _, m := range []string{"request", "draining", "stopped"} {
		if recs := logs.records(t, m); len(recs) == 1 {
			msgs = append(msgs, m)
		}
	}
	if strings.Join(msgs, ",") != "request,draining,stopped" {
		t.Errorf("log lines %v:\n%s", msgs, logs)
	}
	if i, j := strings.Index(logs.String(), `"msg":"request"`), strings.Index(logs.String(), `"msg":"stopped"`); i < 0 || j < i {
		t.Errorf("stopped is not logged after the drained request:\n%s", logs)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	f := start(t, serve.Config{})
	f.post(t, "/v1/run", `{"trigger":"success","job":`+job+`}`)
	f.post(t, "/v1/run", `{"trigger":"success","job":{"job_id":"j","on_success":[{"action":"misbehave","mode":"fail"}]}}`)
	resp, err := f.client.Get("http://lava/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`lava_actions_runs_total{type="log"} 1`,
		`lava_actions_runs_total{type="misbehave"} 1`,
		`lava_actions_failures_total{type="misbehave"} 1`,
		`lava_actions_duration_seconds_count{type="log"} 1`,
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
	resp, err = f.client.Get("http://lava/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz: %v %v", err, resp)
	}
}

// TestPythonClientExample runs the documented standard-library client.
func TestPythonClientExample(t *testing.T) {
	t.Parallel()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	f := start(t, serve.Config{})
	out, err := exec.Command(py, "../../examples/serve-client/client.py", f.sock).CombinedOutput()
	if err != nil {
		t.Fatalf("client: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "log ok: Job demo/job1 finished") {
		t.Errorf("client output:\n%s", out)
	}
}
