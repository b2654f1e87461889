package pythonteams_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lava-actions/lava-actions/sdk/render"
)

func fmtSscan(s string, args ...any) (int, error) { return fmt.Sscan(s, args...) }

func renderCheck(src string) (string, error) { return "", render.New().Check(src) }

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// buildCLI builds cmd/lava-actions once per test binary.
func buildCLI(tb testing.TB) string {
	tb.Helper()
	cliOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lava-actions-cli-")
		if err != nil {
			cliErr = err
			return
		}
		cliPath = filepath.Join(dir, "lava-actions")
		if out, err := exec.Command("go", "build", "-o", cliPath, "github.com/lava-actions/lava-actions/cmd/lava-actions").CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if cliErr != nil {
		tb.Fatal(cliErr)
	}
	return cliPath
}

func unixClient(sock string) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
}

func waitFor(tb testing.TB, ok func() bool) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			tb.Fatal("timed out waiting")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cli runs the CLI with the plugin directory dir and returns its stdout,
// stderr and exit code.
func cli(tb testing.TB, dir string, args ...string) (string, string, int) {
	tb.Helper()
	cmd := exec.Command(buildCLI(tb), append([]string{"--plugin-dir", dir}, args...)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		tb.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// TestCLIWithPythonPlugin drops the Python example into a plugin directory:
// lava-actions plugins lists it, validate checks it, render previews it and
// run sends the card.
func TestCLIWithPythonPlugin(t *testing.T) {
	t.Parallel()
	needPython(t)
	bodies := make(chan []byte, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
	}))
	defer srv.Close()
	dir := pluginDir(t, teamsExe)
	files := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(files, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	job := write("job.json", `{"job_id": "demo/job1", "run_id": "run-0001", "realm": "dev",
		"on_success": [{"action": "teams", "webhook_url": "`+srv.URL+`/hook?sig=SECRET",
		  "title": "{{ job.job_id }} done", "text": "exit {{ result.exit_status }}"}],
		"on_fail": [{"action": "teams", "webhook_url": "`+srv.URL+`/hook", "text": "{{ oops"}]}`)
	realm := write("realm.json", `{"realm": "dev"}`)
	result := write("result.json", `{"exit_status": 0}`)

	out, errs, code := cli(t, dir, "plugins", "--output", "json")
	var listed struct {
		Plugins []struct{ Type, Version string }
	}
	if code != 0 || json.Unmarshal([]byte(out), &listed) != nil || len(listed.Plugins) != 1 || listed.Plugins[0].Type != "teams" {
		t.Fatalf("plugins: %d %s %s", code, out, errs)
	}

	out, errs, code = cli(t, dir, "validate", job)
	if code != 2 || !strings.Contains(out+errs, "on_fail action: teams: ") {
		t.Errorf("validate: %d %s %s", code, out, errs)
	}

	out, errs, code = cli(t, dir, "render", "--on", "success", "--job", job, "--realm", realm, "--result", result, "--output", "json")
	if code != 0 || !strings.Contains(out, `demo/job1 done`) || strings.Contains(out+errs, "SECRET") {
		t.Errorf("render: %d %s %s", code, out, errs)
	}
	select {
	case b := <-bodies:
		t.Errorf("render sent %s", b)
	default:
	}

	out, errs, code = cli(t, dir, "run", "--on", "success", "--job", job, "--realm", realm, "--result", result)
	if code != 0 {
		t.Fatalf("run: %d %s %s", code, out, errs)
	}
	var card map[string]any
	if err := json.Unmarshal(<-bodies, &card); err != nil || card["title"] != "demo/job1 done" || card["text"] != "exit 0" {
		t.Errorf("card = %v (%v)", card, err)
	}
}

// TestCLIVerifyPythonPlugin: a Python plugin obeys the lock file like any
// other: listed with its SHA-256 it runs under --verify, changed it is
// refused.
func TestCLIVerifyPythonPlugin(t *testing.T) {
	t.Parallel()
	needPython(t)
	dir := t.TempDir()
	exe := filepath.Join(dir, "lava-action-pyfault")
	// A copy, not a symlink (which --verify refuses when it leaves the
	// directory), that finds the SDK in the repository.
	src, err := os.ReadFile(filepath.Join(repo(t), faultExe))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), `here = os.path.dirname(os.path.realpath(__file__))`,
		`here = `+fmt.Sprintf("%q", filepath.Join(repo(t), "sdk/python/testdata")), 1)
	if err := os.WriteFile(exe, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, errs, code := cli(t, dir, "plugins", "lock", dir); code != 0 {
		t.Fatalf("lock: %d %s %s", code, out, errs)
	}
	job := filepath.Join(t.TempDir(), "job.json")
	os.WriteFile(job, []byte(`{"job_id": "j", "on_success": [{"action": "pyfault", "mode": "ok"}]}`), 0o600)
	realm := filepath.Join(t.TempDir(), "realm.json")
	os.WriteFile(realm, []byte(`{"realm": "dev"}`), 0o600)
	if out, errs, code := cli(t, dir, "--verify", "run", "--on", "success", "--job", job, "--realm", realm); code != 0 {
		t.Fatalf("verified run: %d %s %s", code, out, errs)
	}
	if err := os.WriteFile(exe, []byte(text+"\n# changed\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, errs, code := cli(t, dir, "--verify", "run", "--on", "success", "--job", job, "--realm", realm)
	if code == 0 || !strings.Contains(out+errs, "lock file") {
		t.Errorf("changed plugin ran under --verify: %d %s %s", code, out, errs)
	}
}
