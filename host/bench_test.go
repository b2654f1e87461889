package host_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/plugins/log/logaction"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/value"
)

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
	pct := func(p float64) float64 { return float64(s[int(p*float64(len(s)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.95), "p95-µs")
}

func benchHost(b *testing.B, cfg host.Config) *host.Host {
	b.Helper()
	if cfg.PluginPath == nil {
		cfg.PluginPath = []string{binDir}
	}
	cfg.Logger = discardLogger()
	h, err := host.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
	return h
}

// BenchmarkColdStart measures one plugin from nothing until it has answered
// Describe.
func BenchmarkColdStart(b *testing.B) {
	var lat latencies
	for b.Loop() {
		h, err := host.New(host.Config{PluginPath: []string{binDir}, Logger: discardLogger()})
		if err != nil {
			b.Fatal(err)
		}
		lat.time(func() {
			if err := h.Start(context.Background(), "log"); err != nil {
				b.Fatal(err)
			}
		})
		b.StopTimer()
		h.Close()
		b.StartTimer()
	}
	lat.report(b)
}

// BenchmarkColdStartAll starts every plugin on the path in parallel.
func BenchmarkColdStartAll(b *testing.B) {
	dir := b.TempDir()
	var lat latencies
	for b.Loop() {
		h, err := host.New(host.Config{PluginPath: []string{binDir, dir}, Logger: discardLogger()})
		if err != nil {
			b.Fatal(err)
		}
		types := []string{}
		for _, c := range h.Candidates() {
			if c.Type != "proto2" {
				types = append(types, c.Type)
			}
		}
		lat.time(func() {
			if err := h.Start(context.Background(), types...); err != nil {
				b.Fatal(err)
			}
		})
		b.ReportMetric(float64(len(types)), "plugins")
		b.StopTimer()
		h.Close()
		b.StartTimer()
	}
	lat.report(b)
}

func logJob() (job, realm, result *value.Map) {
	job, realm, result = plugintest.Fixture()
	job.Set("on_success", []any{value.NewMap("action", "log", "message", "Job {{ job.job_id }} done")})
	return job, realm, result
}

// BenchmarkWarmLog runs a one-action list through a warm host.
func BenchmarkWarmLog(b *testing.B) {
	h := benchHost(b, host.Config{})
	job, realm, result := logJob()
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

// BenchmarkWarmLogParallel8 runs the same with 8 concurrent runs; ns/op is
// the inverse of throughput.
func BenchmarkWarmLogParallel8(b *testing.B) {
	h := benchHost(b, host.Config{})
	job, realm, result := logJob()
	ctx := context.Background()
	if _, err := h.Run(ctx, host.OnSuccess, job, realm, result); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(4) // 4 × GOMAXPROCS(2) = 8 goroutines
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.Run(ctx, host.OnSuccess, job, realm, result); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkBareRoundTrip is the floor: the same plugin process, one Execute
// of the same log item straight over go-plugin's gRPC connection, without
// the host.
func BenchmarkBareRoundTrip(b *testing.B) {
	conn := plugintest.Exec(b, filepath.Join(binDir, "lava-action-log"))
	job, realm, result := logJob()
	in := plugintest.Input{Item: value.NewMap("action", "log", "message", "Job {{ job.job_id }} done"), Job: job, Realm: realm, Result: result}
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
