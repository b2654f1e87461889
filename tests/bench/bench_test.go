// Package bench holds the project's benchmark suite (make bench): plugin
// cold starts, a warm log action beside the bare go-plugin round trip and an
// in-process call, throughput, the full eight-action list against the local
// services, and resident memory. No test here asserts a time; the
// benchmarks report, and BENCHMARKS.md records the figures.
package bench_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/internal/demo"
	"github.com/lava-actions/lava-actions/plugins/log/logaction"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// Bundled are the eight bundled action types.
var bundled = []string{"dispatch", "email", "event", "log", "slack", "sns", "sqs", "state"}

// pluginDir holds the plugins, built as `make plugins` builds them (or taken
// from LAVA_BENCH_PLUGINS); cliPath is the CLI.
var pluginDir, cliPath string

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "lava-bench-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)
	pluginDir = os.Getenv("LAVA_BENCH_PLUGINS")
	builds := map[string]string{filepath.Join(tmp, "lava-actions"): "../../cmd/lava-actions",
		filepath.Join(tmp, "lava-actions-full"): "../../cmd/lava-actions"}
	if pluginDir == "" {
		pluginDir = filepath.Join(tmp, "plugins")
		for _, p := range bundled {
			builds[filepath.Join(pluginDir, "lava-action-"+p)] = "../../plugins/" + p
		}
	}
	cliPath = filepath.Join(tmp, "lava-actions")
	for out, pkg := range builds {
		tags := "" // the CLI as make cli builds it: lean, with the full build beside it
		if filepath.Base(out) == "lava-actions" {
			tags = "lava_lean"
		}
		cmd := exec.Command("go", "build", "-trimpath", "-tags", tags, "-ldflags", "-s -w", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, b)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

// latencies records per-iteration times and reports p50 and p95.
type latencies []time.Duration

func (l *latencies) time(f func()) {
	start := time.Now()
	f()
	*l = append(*l, time.Since(start))
}

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	s := slices.Clone(l)
	slices.Sort(s)
	pct := func(p float64) float64 { return float64(s[int(p*float64(len(s)-1))].Nanoseconds()) / 1e3 }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.95), "p95-µs")
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newHost(b *testing.B) *host.Host {
	b.Helper()
	h, err := host.New(host.Config{PluginPath: []string{pluginDir}, Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
	return h
}

func coldStart(b *testing.B, types ...string) {
	var lat latencies
	for b.Loop() {
		h, err := host.New(host.Config{PluginPath: []string{pluginDir}, Logger: quiet()})
		if err != nil {
			b.Fatal(err)
		}
		lat.time(func() {
			if err := h.Start(context.Background(), types...); err != nil {
				b.Fatal(err)
			}
		})
		b.StopTimer()
		h.Close()
		b.StartTimer()
	}
	lat.report(b)
}

// BenchmarkColdStartOne starts the log plugin until it has answered Describe.
func BenchmarkColdStartOne(b *testing.B) { coldStart(b, "log") }

// BenchmarkColdStartAll8 starts the eight bundled plugins in parallel until
// all are ready.
func BenchmarkColdStartAll8(b *testing.B) { coldStart(b, bundled...) }

func logJob() (job, realm, result *value.Map) {
	job, realm, result = plugintest.Fixture()
	job.Set("on_success", []any{value.NewMap("action", "log", "message", "Job {{ job.job_id }} done")})
	return job, realm, result
}

// BenchmarkWarmLog is a one-action list through a warm host.
func BenchmarkWarmLog(b *testing.B) {
	job, realm, result := logJob()
	warmRuns(b, newHost(b), job, realm, result)
}

// warmRuns runs the job's on_success list once to warm the host, then
// b.N times, reporting the latencies.
func warmRuns(b *testing.B, h *host.Host, job, realm, result *value.Map) {
	ctx := context.Background()
	if _, err := h.Run(ctx, host.OnSuccess, job, realm, result); err != nil {
		b.Fatal(err)
	}
	var lat latencies
	for b.Loop() {
		lat.time(func() {
			if _, err := h.Run(ctx, host.OnSuccess, job, realm, result); err != nil {
				b.Fatal(err)
			}
		})
	}
	lat.report(b)
}

// BenchmarkBareRoundTrip is the floor under BenchmarkWarmLog: one Execute
// of the same item on the same plugin straight over go-plugin's gRPC
// connection, without the host.
func BenchmarkBareRoundTrip(b *testing.B) {
	conn := plugintest.Exec(b, filepath.Join(pluginDir, "lava-action-log"))
	job, realm, result := logJob()
	bareRoundTrips(b, conn, plugintest.Input{Item: value.NewMap("action", "log", "message", "Job {{ job.job_id }} done"), Job: job, Realm: realm, Result: result})
}

// bareRoundTrips times b.N Executes of in straight over conn.
func bareRoundTrips(b *testing.B, conn *plugintest.Conn, in plugintest.Input) {
	ctx := context.Background()
	var lat latencies
	for b.Loop() {
		lat.time(func() {
			if _, err := conn.Execute(ctx, in); err != nil {
				b.Fatal(err)
			}
		})
	}
	lat.report(b)
}

// BenchmarkInProcessLog calls the log action as a Go function.
func BenchmarkInProcessLog(b *testing.B) {
	job, realm, result := logJob()
	req := &sdk.Request{Trigger: "on_success", Item: value.NewMap("action", "log", "message", "Job {{ job.job_id }} done"), Job: job, Realm: realm, Result: result}
	ctx := context.Background()
	var lat latencies
	for b.Loop() {
		lat.time(func() {
			if _, err := (logaction.Action{}).Execute(ctx, req); err != nil {
				b.Fatal(err)
			}
		})
	}
	lat.report(b)
}

func throughput(b *testing.B, workers int) {
	h := newHost(b)
	job, realm, result := logJob()
	ctx := context.Background()
	if _, err := h.Run(ctx, host.OnSuccess, job, realm, result); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for n.Add(1) <= int64(b.N) {
				if _, err := h.Run(ctx, host.OnSuccess, job, realm, result); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "actions/s")
}

// BenchmarkLogThroughput1 runs log actions one at a time.
func BenchmarkLogThroughput1(b *testing.B) { throughput(b, 1) }

// BenchmarkLogThroughput8 runs log actions from 8 concurrent runs.
func BenchmarkLogThroughput8(b *testing.B) { throughput(b, 8) }

// BenchmarkEightActionsWarm runs the eight-action list (one action of each
// bundled type) through a warm host against the local AWS endpoint, SMTP
// server and Slack receiver.
func BenchmarkEightActionsWarm(b *testing.B) {
	w, err := demo.Start(context.Background(), io.Discard, pluginDir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Close)
	result := value.NewMap("error_data", nil, "error", "boom")
	ctx := context.Background()
	perType := map[string][]float64{}
	run := func() {
		rep, err := w.Host.Run(ctx, host.OnRetry, w.Job, w.Realm, result)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Actions) != 8 {
			b.Fatalf("%d actions, want 8", len(rep.Actions))
		}
		for _, a := range rep.Actions {
			perType[a.Type] = append(perType[a.Type], a.DurationMS)
		}
	}
	run()
	clear(perType)
	var lat latencies
	for b.Loop() {
		lat.time(run)
	}
	lat.report(b)
	for typ, ds := range perType { // each action's own p50, as the host's report times it
		slices.Sort(ds)
		b.ReportMetric(ds[len(ds)/2], typ+"-p50-ms")
	}
}

// rssMB reads a process's resident set size (VmRSS) from /proc.
func rssMB(pid int) (float64, error) { return procStatusMB(pid, "VmRSS:") }

// anonMB reads the anonymous (heap, stacks: not file-backed) part of it.
func anonMB(pid int) (float64, error) { return procStatusMB(pid, "RssAnon:") }

// pssMB reads a process's proportional set size (its share of pages
// shared with other processes) from /proc/<pid>/smaps_rollup.
func pssMB(pid int) (float64, error) { return procFileMB(pid, "smaps_rollup", "Pss:") }

func procStatusMB(pid int, field string) (float64, error) { return procFileMB(pid, "status", field) }

func procFileMB(pid int, file, field string) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, file))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			kb, err := strconv.ParseFloat(f[1], 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no %s for %d", field, pid)
}

// BenchmarkIdleRSS reports the resident memory of each idle bundled plugin
// (after one action each) and of this process, the host.
func BenchmarkIdleRSS(b *testing.B) {
	w, err := demo.Start(context.Background(), io.Discard, pluginDir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Close)
	if _, err := w.Host.Run(context.Background(), host.OnRetry, w.Job, w.Realm, value.NewMap("error", "boom")); err != nil {
		b.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // past the SDK's 1 s idle reclaim
	pids := w.Host.PIDs()
	var totalRSS, totalPSS float64
	for b.Loop() {
		// The figures are read once, below; iterations only satisfy testing.B.
	}
	for _, t := range bundled {
		mb, err := rssMB(pids[t])
		if err != nil {
			b.Fatal(err)
		}
		anon, err := anonMB(pids[t])
		if err != nil {
			b.Fatal(err)
		}
		pss, err := pssMB(pids[t])
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(mb, t+"-MB")
		b.ReportMetric(anon, t+"-anon-MB")
		b.ReportMetric(pss, t+"-pss-MB")
		totalRSS += mb
		totalPSS += pss
	}
	b.ReportMetric(totalRSS, "all8-MB")
	b.ReportMetric(totalPSS, "all8-pss-MB")
	self, err := rssMB(os.Getpid())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(self, "host-process-MB")
}

// BenchmarkCLIRunFresh is what a non-Go worker pays without serve: one
// `lava-actions run` process per job, starting its plugin afresh.
func BenchmarkCLIRunFresh(b *testing.B) {
	dir := b.TempDir()
	job := `{"job_id":"demo/job1","run_id":"r","on_success":[{"action":"log","message":"Job {{ job.job_id }} done"}]}`
	os.WriteFile(filepath.Join(dir, "job.json"), []byte(job), 0o644)
	os.WriteFile(filepath.Join(dir, "realm.json"), []byte(`{"realm":"dev"}`), 0o644)
	var lat latencies
	for b.Loop() {
		lat.time(func() {
			cmd := exec.Command(cliPath, "--plugin-dir", pluginDir, "--log-level", "error", "run", "--on", "success",
				"--job", filepath.Join(dir, "job.json"), "--realm", filepath.Join(dir, "realm.json"))
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%v\n%s", err, out)
			}
		})
	}
	lat.report(b)
}

// cliEightActions writes the demo's job, realm and result files and
// returns the command line and environment of a `lava-actions run` of its
// eight-action on_retry list against w's local services.
func cliEightActions(b *testing.B, w *demo.World) (args, env []string) {
	dir := b.TempDir()
	files := map[string]*value.Map{"job.json": w.Job, "realm.json": w.Realm,
		"result.json": value.NewMap("error_data", nil, "error", "boom")}
	for name, v := range files {
		text, err := value.EncodeJSON(v, value.EncodeOptions{DecimalAsText: true, DateTimeAsISO: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	args = []string{"--plugin-dir", pluginDir, "--log-level", "error", "run", "--on", "retry",
		"--job", filepath.Join(dir, "job.json"), "--realm", filepath.Join(dir, "realm.json"),
		"--result", filepath.Join(dir, "result.json")}
	return args, append(os.Environ(), demo.PluginEnv(w.Endpoint())...)
}

// BenchmarkCLIEightActionsCold is the eight-action on_retry list as a user
// without serve runs it: a fresh `lava-actions run` process per job, which
// starts the eight plugins afresh, against the local AWS endpoint, SMTP
// server and Slack receiver. Wall-clock, from fork to exit.
func BenchmarkCLIEightActionsCold(b *testing.B) {
	w, err := demo.Start(context.Background(), io.Discard, pluginDir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Close)
	args, env := cliEightActions(b, w)
	var lat latencies
	for b.Loop() {
		lat.time(func() {
			cmd := exec.Command(cliPath, args...)
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%v\n%s", err, out)
			}
		})
	}
	lat.report(b)
}
