package pythonteams_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/lava-actions/lava-actions/tests/testkit"
)

func newHost(tb testing.TB, cfg host.Config) (*host.Host, *testkit.SyncBuffer) {
	tb.Helper()
	logs := &testkit.SyncBuffer{}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 30 * time.Second // a Python start on a loaded 2-core CI machine
	}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := host.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { h.Close() })
	return h, logs
}

func jobJSON(tb testing.TB, text string) *value.Map {
	tb.Helper()
	v, err := value.DecodeJSON([]byte(text), value.DecimalNumbers)
	if err != nil {
		tb.Fatal(err)
	}
	return v.(*value.Map)
}

// TestHostRendersForPythonPlugin: the host renders the declared fields of a
// host-render plugin with lava's engine before Execute, in runs and dry
// runs, and checks their template syntax when it validates the list.
func TestHostRendersForPythonPlugin(t *testing.T) {
	t.Parallel()
	needPython(t)
	bodies := make(chan []byte, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
	}))
	defer srv.Close()
	h, logs := newHost(t, host.Config{PluginPath: []string{pluginDir(t, teamsExe)}})
	job := jobJSON(t, `{"job_id": "demo/job1", "run_id": "run-0001", "ts_start": "2024-03-01T10:00:00+11:00",
		"parameters": {"rows": 1200.50},
		"on_fail": [{"action": "teams", "webhook_url": "`+srv.URL+`/hook", "title": "{{ job.job_id }} failed",
		  "text": "{{ result.error | upper }} at {{ job.ts_start.strftime('%H:%M') }}",
		  "facts": {"Rows": "{{ job.parameters.rows }}", "{{ not.a.key }}": "{{ realm.realm }}", "Kept": 5}}]}`)
	realm := value.NewMap("realm", "dev")
	result := value.NewMap("exit_status", int64(1), "error", "disk full")
	rep, err := h.Run(ctx(t), host.OnFail, job, realm, result)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, logs)
	}
	var card map[string]any
	if err := json.Unmarshal(<-bodies, &card); err != nil {
		t.Fatal(err)
	}
	if card["title"] != "demo/job1 failed" || card["text"] != "DISK FULL at 10:00" {
		t.Errorf("card = %v", card)
	}
	facts, _ := json.Marshal(card["sections"])
	if want := `[{"facts":[{"name":"Rows","value":"1200.50"},{"name":"{{ not.a.key }}","value":"dev"},{"name":"Kept","value":"5"}]}]`; string(facts) != want {
		t.Errorf("facts = %s, want %s (keys of an each field are not rendered)", facts, want)
	}
	if rep.Actions[0].Status != host.StatusOK || !strings.Contains(logs.String(), "card posted") {
		t.Errorf("report %+v, logs:\n%s", rep, logs)
	}

	dry, err := h.DryRun(ctx(t), host.OnFail, job, realm, result)
	if err != nil || dry.Actions[0].Status != host.StatusPreview || !strings.Contains(string(dry.Actions[0].Effects[0].Detail), "DISK FULL at 10:00") {
		t.Fatalf("dry run: %v %+v", err, dry)
	}
	select {
	case b := <-bodies:
		t.Errorf("dry run sent %s", b)
	case <-time.After(50 * time.Millisecond):
	}

	for _, tc := range []struct{ field, want string }{
		// Template syntax: checked when the list is validated, nothing sent.
		{`"text": "{{ job.job_id "`, "on_fail action: teams: "},
		{`"text": "x", "facts": {"a": "{% if %}"}`, "on_fail action: teams: "},
		// A render error at run time is the action's error, nothing sent.
		{`"text": "{{ job.missing.deeper }}"`, "on_fail action: teams: "},
	} {
		bad := jobJSON(t, `{"job_id": "j", "on_fail": [{"action": "teams", "webhook_url": "`+srv.URL+`/hook", `+tc.field+`}]}`)
		rep, err := h.Run(ctx(t), host.OnFail, bad, realm, result)
		var ae *host.ActionError
		if !errors.As(err, &ae) || ae.Index != 0 || ae.Type != "teams" || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, report %+v", tc.field, err, rep)
		}
		select {
		case b := <-bodies:
			t.Errorf("%s: sent %s", tc.field, b)
		default:
		}
	}
}

// TestHostRenderErrorsMatchGo: a host-render plugin's template errors read
// exactly as the Go SDK's renderer words them, checked at validation.
func TestHostRenderErrorsMatchGo(t *testing.T) {
	t.Parallel()
	needPython(t)
	h, _ := newHost(t, host.Config{PluginPath: []string{pluginDir(t, faultExe)}})
	list := []any{value.NewMap("action", "pyfault", "mode", "ok", "message", "{{ job.job_id ")}
	err := h.ValidateList(ctx(t), "on_success", list, nil, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "on_success action: pyfault: ") || strings.Contains(err.Error(), "Traceback") {
		t.Fatalf("err = %v", err)
	}
	// The Go engine gives the same words for the same template.
	if _, gerr := renderCheck("{{ job.job_id "); gerr == nil || !strings.HasSuffix(err.Error(), gerr.Error()) {
		t.Errorf("python plugin: %v; go engine: %v", err, gerr)
	}
}

// TestHostFaults: a crashing Python plugin gives a crash error with its
// stderr, and a fresh process serves the next action; a hung one is killed
// at the deadline; an author bug is the action's error; stdout noise never
// breaks the protocol.
func TestHostFaults(t *testing.T) {
	t.Parallel()
	needPython(t)
	h, logs := newHost(t, host.Config{PluginPath: []string{pluginDir(t, faultExe)}, ActionTimeout: 3 * time.Second})
	run := func(mode string) (*host.Report, error) {
		job := value.NewMap("job_id", "j", "on_success", []any{value.NewMap("action", "pyfault", "mode", mode, "message", "m {{ job.job_id }}")})
		return h.Run(ctx(t), host.OnSuccess, job, nil, nil)
	}
	_, err := run("crash")
	var pe *host.PluginError
	if !errors.As(err, &pe) || pe.Kind != host.KindCrash || !strings.Contains(pe.StderrTail, "crashing on purpose") {
		t.Fatalf("crash: %v", err)
	}
	if rep, err := run("print"); err != nil || rep.Actions[0].Summary != "m j" {
		t.Fatalf("after crash: %v %+v\n%s", err, rep, logs)
	}
	// stderr reaches the host's log asynchronously.
	waitFor(t, func() bool { return strings.Contains(logs.String(), "noise on stdout") })
	start := time.Now()
	_, err = run("hang")
	if !errors.As(err, &pe) || pe.Kind != host.KindDeadline || time.Since(start) > 10*time.Second {
		t.Fatalf("hang: %v after %v", err, time.Since(start))
	}
	if _, err := run("raise"); err == nil || err.Error() != "on_success action: pyfault: internal error in pyfault plugin: KeyError: 'no-such-key'" {
		t.Fatalf("raise: %v", err)
	}
	waitFor(t, func() bool { return strings.Contains(logs.String(), "Traceback") }) // on the plugin's stderr
}

// TestHostSecurity: a Python plugin gets only the allow-listed environment
// and does not outlive the host.
func TestHostSecurity(t *testing.T) {
	t.Parallel()
	needPython(t)
	env := []string{"PATH=/usr/bin:/bin", "AWS_REGION=x", "SECRET_TOKEN=s", "PYTHONPATH=/evil", "LAVA_X=1"}
	h, _ := newHost(t, host.Config{PluginPath: []string{pluginDir(t, faultExe)}, Environ: func() []string { return env }})
	job := value.NewMap("job_id", "j", "on_success", []any{value.NewMap("action", "pyfault", "mode", "env")})
	rep, err := h.Run(ctx(t), host.OnSuccess, job, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := rep.Actions[0].Summary
	for _, k := range []string{"SECRET_TOKEN", "PYTHONPATH"} {
		if strings.Contains(got, k) {
			t.Errorf("plugin saw %s: %s", k, got)
		}
	}
	for _, k := range []string{"AWS_REGION", "LAVA_X", "LAVA_ACTION_PLUGIN"} {
		if !strings.Contains(got, k) {
			t.Errorf("plugin did not see %s: %s", k, got)
		}
	}
	pid := h.PIDs()["pyfault"]
	if pid == 0 {
		t.Fatal("no plugin pid")
	}
	start := time.Now()
	h.Close()
	// go-plugin's graceful stop calls GRPCController/Shutdown and waits up to
	// 2 s for the process to exit before killing it: the Python plugin exits
	// at once.
	t.Logf("host closed the python plugin in %v", time.Since(start))
	if d := time.Since(start); d >= 1900*time.Millisecond {
		t.Errorf("closing took %v: the plugin ignored GRPCController/Shutdown", d)
	}
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("plugin %d outlived the host", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPythonPluginDiesWithHost SIGKILLs a host process (the CLI serving)
// and checks that its Python plugin goes too.
func TestPythonPluginDiesWithHost(t *testing.T) {
	t.Parallel()
	needPython(t)
	cli := buildCLI(t)
	dir := pluginDir(t, faultExe)
	sock := filepath.Join(t.TempDir(), "s.sock")
	cmd := exec.Command(cli, "--plugin-dir", dir, "serve", "--listen", sock)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	c := unixClient(sock)
	waitFor(t, func() bool { r, err := c.Get("http://x/healthz"); return err == nil && r.StatusCode == 200 })
	body := `{"trigger": "on_success", "job": {"job_id": "j", "on_success": [{"action": "pyfault", "mode": "env"}]}}`
	r, err := c.Post("http://x/v1/run", "application/json", strings.NewReader(body))
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("run: %v %v", err, r)
	}
	r.Body.Close()
	pids := childPIDs(t, cmd.Process.Pid)
	if len(pids) == 0 {
		t.Fatal("no plugin process found")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for syscall.Kill(pid, 0) == nil {
			if time.Now().After(deadline) {
				t.Fatalf("plugin %d outlived its SIGKILLed host", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// childPIDs lists the direct children of pid (Linux /proc).
func childPIDs(tb testing.TB, pid int) []int {
	tb.Helper()
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		var state string
		var ppid, self int
		if n, _ := fmtSscan(s[i+2:], &state, &ppid); n == 2 && ppid == pid {
			if n, _ := fmtSscan(e.Name(), &self); n == 1 {
				out = append(out, self)
			}
		}
	}
	return out
}

// TestHostBadHandshakes: a Python script that dies before the handshake (its
// interpreter lacks a module) or prints something else is refused with a
// clear start error quoting its stderr, never a hang.
func TestHostBadHandshakes(t *testing.T) {
	t.Parallel()
	needPython(t)
	dir := t.TempDir()
	scripts := map[string]string{
		"lava-action-pybroken": "#!/usr/bin/python3\nimport lava_no_such_module\n",
		"lava-action-pynoise":  "#!/usr/bin/python3\nimport time\nprint('hello from a script', flush=True)\ntime.sleep(30)\n",
	}
	for name, text := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h, _ := newHost(t, host.Config{PluginPath: []string{dir}, StartTimeout: 10 * time.Second})
	for typ, want := range map[string]string{
		"pybroken": "exited before",
		"pynoise":  `it printed "hello from a script" instead of the go-plugin handshake`,
	} {
		start := time.Now()
		err := h.Start(ctx(t), typ)
		var pe *host.PluginError
		if !errors.As(err, &pe) || pe.Kind != host.KindStart || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", typ, err)
		}
		if typ == "pybroken" && !strings.Contains(pe.StderrTail, "ModuleNotFoundError") {
			t.Errorf("%s: stderr tail %q", typ, pe.StderrTail)
		}
		if time.Since(start) > 15*time.Second {
			t.Errorf("%s: took %v", typ, time.Since(start))
		}
	}
}

// TestHostConcurrentPythonRuns: concurrent runs share one Python plugin
// process, each getting its own rendered item back.
func TestHostConcurrentPythonRuns(t *testing.T) {
	t.Parallel()
	needPython(t)
	h, _ := newHost(t, host.Config{PluginPath: []string{pluginDir(t, faultExe)}})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := "job-" + string(rune('a'+i))
			job := value.NewMap("job_id", id, "on_success", []any{value.NewMap("action", "pyfault", "mode", "ok", "message", "{{ job.job_id }}")})
			rep, err := h.Run(ctx(t), host.OnSuccess, job, nil, nil)
			if err == nil && rep.Actions[0].Summary != id {
				err = errors.New("run " + id + " got " + rep.Actions[0].Summary)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(h.PIDs()); n != 1 {
		t.Errorf("%d plugin processes, want 1", n)
	}
}
