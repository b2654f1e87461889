package bench_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pyDriver times run_actions of examples/serve-client/client.py (the Python
// standard-library client, one connection per run, as a worker would use
// it) for a one-log list, after a warm-up, and prints the p50 and p95 in µs.
const pyDriver = `
import sys, time
sys.path.insert(0, sys.argv[1])
from client import run_actions
sock, n = sys.argv[2], int(sys.argv[3])
job = {"job_id": "demo/job1", "run_id": "run-0001", "realm": "dev",
       "on_success": [{"action": "log", "message": "Job {{ job.job_id }} finished"}]}
def once():
    status, report = run_actions(sock, "on_success", job, {"realm": "dev"}, {"exit_status": 0})
    if status != 200 or report.get("error"):
        sys.exit("failed: %s %s" % (status, report.get("error")))
for _ in range(20):
    once()
lat = []
for _ in range(n):
    t = time.perf_counter_ns()
    once()
    lat.append(time.perf_counter_ns() - t)
lat.sort()
print(lat[len(lat) // 2] / 1000, lat[int(0.95 * (len(lat) - 1))] / 1000)
`

// BenchmarkPythonClientServe is a one-log list sent by the Python stdlib
// client (examples/serve-client/client.py) to `lava-actions serve` over
// its unix socket, warm. The Python process times b.N runs itself.
func BenchmarkPythonClientServe(b *testing.B) {
	if _, err := exec.LookPath("python3"); err != nil {
		b.Skip("no python3")
	}
	dir := b.TempDir()
	sock := filepath.Join(dir, "serve.sock")
	srv := exec.Command(cliPath, "--plugin-dir", pluginDir, "serve", "--listen", sock)
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Process.Signal(os.Interrupt); srv.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("serve did not create its socket")
		}
	}
	clientDir, err := filepath.Abs("../../examples/serve-client")
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		n++
	}
	var out bytes.Buffer
	py := exec.Command("python3", "-c", pyDriver, clientDir, sock, strconv.Itoa(max(n, 20)))
	py.Stdout, py.Stderr = &out, &out
	if err := py.Run(); err != nil {
		b.Fatalf("python client: %v\n%s", err, out.String())
	}
	var p50, p95 float64
	if _, err := fmt.Sscan(strings.TrimSpace(out.String()), &p50, &p95); err != nil {
		b.Fatalf("python client output %q: %v", out.String(), err)
	}
	b.ReportMetric(p50, "p50-µs")
	b.ReportMetric(p95, "p95-µs")
}
