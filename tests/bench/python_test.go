package bench_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// The Python plugin benchmarks (issue 11) measure the Python SDK's test
// plugin, lava-action-pyfault, beside the Go log plugin above: the same
// one-field rendered message, a log record and an effect per call. They
// need Debian's /usr/bin/python3 with python3-grpcio and python3-protobuf
// (make python-deps) and are skipped without them.

// pythonDir returns a plugin directory holding only the Python plugin.
func pythonDir(b *testing.B) string {
	b.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import grpc, google.protobuf").Run(); err != nil {
		b.Skip("Python plugin benchmarks need /usr/bin/python3 with python3-grpcio and python3-protobuf")
	}
	src, err := filepath.Abs("../../sdk/python/testdata/lava-action-pyfault")
	if err != nil {
		b.Fatal(err)
	}
	// A copy, not a symlink (the plugin-path trust checks refuse a link out
	// of its directory), that still finds the SDK beside the original.
	text, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	pinned := strings.Replace(string(text), `here = os.path.dirname(os.path.realpath(__file__))`,
		`here = `+strconv.Quote(filepath.Dir(src)), 1)
	if pinned == string(text) {
		b.Fatal("lava-action-pyfault no longer sets here: update pythonDir")
	}
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lava-action-pyfault"), []byte(pinned), 0o755); err != nil {
		b.Fatal(err)
	}
	return dir
}

func pyJob() (job, realm, result *value.Map) {
	job, realm, result = plugintest.Fixture()
	job.Set("on_success", []any{value.NewMap("action", "pyfault", "mode", "ok", "message", "Job {{ job.job_id }} done")})
	return job, realm, result
}

// BenchmarkPythonColdStart starts the Python plugin until it has answered
// Describe (compare BenchmarkColdStartOne, the Go log plugin).
func BenchmarkPythonColdStart(b *testing.B) {
	dir := pythonDir(b)
	var lat latencies
	for b.Loop() {
		h, err := host.New(host.Config{PluginPath: []string{dir}, Logger: quiet()})
		if err != nil {
			b.Fatal(err)
		}
		lat.time(func() {
			if err := h.Start(context.Background(), "pyfault"); err != nil {
				b.Fatal(err)
			}
		})
		b.StopTimer()
		h.Close()
		b.StartTimer()
	}
	lat.report(b)
}

// BenchmarkPythonWarm is a one-action list through a warm host, the host
// rendering the message for the plugin (compare BenchmarkWarmLog).
func BenchmarkPythonWarm(b *testing.B) {
	dir := pythonDir(b)
	h, err := host.New(host.Config{PluginPath: []string{dir}, Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
	job, realm, result := pyJob()
	warmRuns(b, h, job, realm, result)
}

// BenchmarkPythonBareRoundTrip is one Execute on the Python plugin straight
// over go-plugin's gRPC connection (compare BenchmarkBareRoundTrip).
func BenchmarkPythonBareRoundTrip(b *testing.B) {
	conn := plugintest.Exec(b, filepath.Join(pythonDir(b), "lava-action-pyfault"))
	job, realm, result := pyJob()
	bareRoundTrips(b, conn, plugintest.Input{Item: value.NewMap("action", "pyfault", "mode", "ok", "message", "Job demo/job1 done"), Job: job, Realm: realm, Result: result})
}
