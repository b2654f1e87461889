package host_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/lava-actions/lava-actions/tests/testkit"
	"go.uber.org/goleak"
)

// binDir holds the test plugins, built once in TestMain.
var binDir string

func TestMain(m *testing.M) {
	if os.Getenv("LAVA_TEST_HOST_HELPER") != "" {
		helperHost() // never returns
	}
	dir, err := os.MkdirTemp("", "host-test-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	for name, pkg := range map[string]string{
		"log":        "github.com/lava-actions/lava-actions/plugins/log",
		"misbehave":  "github.com/lava-actions/lava-actions/host/testdata/misbehave",
		"proto2":     "github.com/lava-actions/lava-actions/host/testdata/proto2",
		"thirdparty": "github.com/lava-actions/lava-actions/host/testdata/thirdparty",
	} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "lava-action-"+name), pkg).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(goleakOptions...); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

var goleakOptions = []goleak.Option{
	// grpc-go's process-wide resolver and balancer goroutines.
	goleak.IgnoreAnyFunction("google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run"),
	goleak.IgnoreAnyFunction("google.golang.org/grpc.(*addrConn).resetTransportAndUnlock"),
	// go-plugin polls a reattached (debug-mode) plugin's pid once a second
	// until it exits; TestDebugModeReattach kills it only at cleanup.
	goleak.IgnoreAnyFunction("github.com/hashicorp/go-plugin/internal/cmdrunner.pidWait"),
}

// logSink collects host log records.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func newHost(t *testing.T, cfg host.Config) (*host.Host, *logSink) {
	t.Helper()
	sink := &logSink{}
	if cfg.PluginPath == nil {
		cfg.PluginPath = []string{binDir}
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := host.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h, sink
}

func fixture() (job, realm, result *value.Map) { return plugintest.Fixture() }

// logMessages returns the messages of INFO records the log action emitted.
func logMessages(sink *logSink) []string {
	var out []string
	for _, line := range strings.Split(sink.String(), "\n") {
		if strings.Contains(line, `"action":"log"`) && strings.Contains(line, `"level":"INFO"`) {
			v, err := value.DecodeJSON([]byte(line), value.PythonNumbers)
			if err == nil {
				out = append(out, v.(*value.Map).String("msg"))
			}
		}
	}
	return out
}

func TestSelectionAndValidation(t *testing.T) {
	t.Parallel()
	h, _ := newHost(t, host.Config{})
	realmList := plugintest.MustJSON(`{"realm":"dev","on_success":[{"action":"log","message":"realm-level {{ job.job_id }}"}]}`)
	cases := []struct {
		id      string
		trigger host.Trigger
		jobJSON string // merged into the fixture job
		realm   *value.Map
		wantErr string
		wantLog []string
		source  string
	}{
		{"A01", host.OnSuccess, `{}`, realmList, "", []string{"realm-level demo/job1"}, "realm"},
		{"A03", host.OnSuccess, `{"on_success": null}`, realmList, "on_success: action must be a list", nil, "job"},
		{"A05", host.OnRetry, `{}`, realmList, "", nil, ""},
		{"A07", host.OnSuccess, `{"on_success": {"action":"log","message":"x"}}`, nil, "on_success: action must be a list", nil, "job"},
		{"A09", host.OnSuccess, `{"on_success": [{"message":"x"}]}`, nil, "on_success action: Missing keys: action", nil, "job"},
		{"A11", host.OnFail, `{"on_fail": [{"action":"pagerduty"}]}`, nil, "on_fail action: pagerduty: unknown action", nil, "job"},
		// Decision 0.1: validated before anything runs, so "first" is not logged.
		{"A13", host.OnSuccess, `{"on_success": [{"action":"log","message":"first"},{"action":"log"},{"action":"log","message":"third"}]}`, nil, "on_success action: log: Missing keys: message", nil, "job"},
		{"A15", host.OnSuccess, `{"on_success": [{"action":"log","message":42}]}`, nil, "on_success action: log: message must be a string", nil, "job"},
		{"A17", host.OnSuccess, `{"on_success": [5]}`, nil, "on_success action: Missing keys: action", nil, "job"},
		{"job [] hides realm", host.OnSuccess, `{"on_success": []}`, realmList, "", nil, "job"},
		{"order", host.OnSuccess, `{"on_success": [{"action":"log","message":"one"},{"action":"log","message":"two {{ 1 + 1 }}"}]}`, nil, "", []string{"one", "two 2"}, "job"},
		{"R05 syntax", host.OnSuccess, `{"on_success": [{"action":"log","message":"ok"},{"action":"log","message":"x {{ job.job_id "}]}`, nil, "on_success action: log: ", nil, "job"},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			h2, sink := newHost(t, host.Config{})
			_ = h
			job, realm, result := fixture()
			plugintest.MustJSON(tc.jobJSON).Range(func(k string, v any) bool { job.Set(k, v); return true })
			if tc.realm != nil {
				realm = tc.realm
			}
			rep, err := h2.Run(context.Background(), tc.trigger, job, realm, result)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
				var ae *host.ActionError
				if !errors.As(err, &ae) {
					t.Fatalf("error %T is not an *ActionError", err)
				}
			}
			if !strings.HasPrefix(gotErr, tc.wantErr) || (tc.wantErr == "") != (gotErr == "") {
				t.Fatalf("error = %q, want %q", gotErr, tc.wantErr)
			}
			if diff := cmp.Diff(tc.wantLog, logMessages(sink)); diff != "" {
				t.Errorf("logged (-want +got):\n%s", diff)
			}
			if rep.Source != tc.source {
				t.Errorf("source = %q, want %q", rep.Source, tc.source)
			}
		})
	}
}

func TestReportStatuses(t *testing.T) {
	t.Parallel()
	h, _ := newHost(t, host.Config{})
	job, realm, result := fixture()
	job.Set("on_fail", []any{
		value.NewMap("action", "log", "message", "a"),
		value.NewMap("action", "misbehave", "mode", "fail"),
		value.NewMap("action", "log", "message", "never"),
	})
	rep, err := h.Run(context.Background(), host.OnFail, job, realm, result)
	if err == nil || err.Error() != "on_fail action: misbehave: failed on purpose" {
		t.Fatalf("err = %v", err)
	}
	var got []host.Status
	for _, a := range rep.Actions {
		got = append(got, a.Status)
	}
	if diff := cmp.Diff([]host.Status{host.StatusOK, host.StatusFailed, host.StatusNotRun}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func run(t *testing.T, h *host.Host, items ...*value.Map) (*host.Report, error) {
	t.Helper()
	job, realm, result := fixture()
	l := make([]any, len(items))
	for i, it := range items {
		l[i] = it
	}
	job.Set("on_success", l)
	return h.Run(context.Background(), host.OnSuccess, job, realm, result)
}

func mode(m string) *value.Map { return value.NewMap("action", "misbehave", "mode", m) }

func pidOf(t *testing.T, h *host.Host) int {
	t.Helper()
	rep, err := run(t, h, mode("pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(rep.Actions[0].Summary)
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func TestCrashIsTypedAndNextActionGetsFreshProcess(t *testing.T) {
	t.Parallel()
	h, _ := newHost(t, host.Config{})
	first := pidOf(t, h)
	if again := pidOf(t, h); again != first {
		t.Fatalf("process not reused: %d then %d", first, again)
	}
	_, err := run(t, h, mode("crash"))
	var pe *host.PluginError
	if !errors.As(err, &pe) || pe.Kind != host.KindCrash {
		t.Fatalf("err = %v, want a crash PluginError", err)
	}
	if !strings.Contains(pe.StderrTail, "panic: boom: crash on purpose") {
		t.Errorf("stderr tail %q lacks the plugin's last words", pe.StderrTail)
	}
	if !strings.Contains(err.Error(), "(stderr: panic: boom: crash on purpose)") || strings.Contains(err.Error(), "goroutine") {
		t.Errorf("error text %q: want the panic line and no stack", err)
	}
	if !strings.HasPrefix(err.Error(), "on_success action: misbehave: plugin ") {
		t.Errorf("error text = %q", err)
	}
	if next := pidOf(t, h); next == first {
		t.Errorf("crashed process %d reused", first)
	}
}

func TestPanicInActionIsAnActionError(t *testing.T) {
	t.Parallel()
	h, _ := newHost(t, host.Config{})
	_, err := run(t, h, mode("panic"))
	if err == nil || err.Error() != "on_success action: misbehave: internal error in misbehave plugin: on purpose" {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "goroutine") {
		t.Errorf("stack trace in error: %v", err)
	}
}

func TestDeadlineKillsHungPlugin(t *testing.T) {
	t.Parallel()
	h, _ := newHost(t, host.Config{ActionTimeout: 300 * time.Millisecond})
	before := pidOf(t, h)
	_, err := run(t, h, mode("hang"))
	var pe *host.PluginError
	if !errors.As(err, &pe) || pe.Kind != host.KindDeadline {
		t.Fatalf("err = %v, want a deadline PluginError", err)
	}
	if !testkit.Gone(before, 2*time.Second) {
		t.Errorf("hung plugin %d still alive", before)
	}
	if after := pidOf(t, h); after == before {
		t.Errorf("hung process reused")
	}
}

func TestStderrBurstDoesNotBreakHost(t *testing.T) {
	t.Parallel()
	h, _ := newHost(t, host.Config{})
	if _, err := run(t, h, mode("stderr")); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, h, mode("ok")); err != nil {
		t.Fatal(err)
	}
}

func TestShutdownDrainsInFlight(t *testing.T) {
	t.Parallel()
	h, _ := newHost(t, host.Config{})
	pid := pidOf(t, h)
	done := make(chan error, 1)
	go func() {
		_, err := run(t, h, value.NewMap("action", "misbehave", "mode", "sleep", "ms", int64(400)))
		done <- err
	}()
	time.Sleep(100 * time.Millisecond) // let the run start
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("in-flight run was cut off: %v", err)
		}
	default:
		t.Fatal("Shutdown returned before the in-flight run finished")
	}
	if _, err := run(t, h, mode("ok")); !errors.Is(err, host.ErrHostClosed) {
		t.Errorf("run after shutdown: %v, want ErrHostClosed", err)
	}
	if !testkit.Gone(pid, 2*time.Second) {
		t.Errorf("plugin %d alive after Shutdown", pid)
	}
}

func TestEnvironmentIsAllowListed(t *testing.T) {
	t.Parallel()
	h, _ := newHost(t, host.Config{Environ: func() []string {
		return []string{"AWS_REGION=ap-southeast-2", "LAVA_X=1", "SECRET_TOKEN=hunter2", "PATH=/usr/bin", "DATABASE_URL=postgres://u:p@h/db"}
	}})
	rep, err := run(t, h, mode("env"))
	if err != nil {
		t.Fatal(err)
	}
	env := rep.Actions[0].Summary
	for _, want := range []string{"AWS_REGION=ap-southeast-2", "LAVA_X=1", "PATH=/usr/bin"} {
		if !strings.Contains(env, want) {
			t.Errorf("plugin env lacks %s", want)
		}
	}
	for _, bad := range []string{"hunter2", "DATABASE_URL"} {
		if strings.Contains(env, bad) {
			t.Errorf("plugin env leaks %s", bad)
		}
	}
}

func TestBadPlugins(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, "lava-action-"+name), []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("garbage", "#!/bin/sh\necho hello this is not a plugin\nsleep 5\n", 0o755)
	write("quits", "#!/bin/sh\necho 'I refuse' >&2\nexit 1\n", 0o755)
	write("noexec", "#!/bin/sh\nexit 0\n", 0o644)
	write("silent", "#!/bin/sh\nsleep 30\n", 0o755)
	copyPlugin(t, "proto2", filepath.Join(dir, "lava-action-proto2"))
	copyPlugin(t, "log", filepath.Join(dir, "lava-action-notlog"))
	h, _ := newHost(t, host.Config{PluginPath: []string{dir}, StartTimeout: time.Second})
	cases := map[string]string{
		"garbage": `not a lava-actions plugin: it printed "hello this is not a plugin" instead of the go-plugin handshake`,
		"quits":   "not a lava-actions plugin: it exited before the go-plugin handshake (stderr: I refuse)",
		"noexec":  "not executable",
		"silent":  "not a lava-actions plugin: no handshake before the start timeout",
		"proto2":  "incompatible protocol 2 (host speaks 1)",
		"notlog":  `describes action type "log", but its file name says "notlog"`,
		"missing": "unknown action",
	}
	for typ, want := range cases {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			_, err := run(t, h, value.NewMap("action", typ))
			if err == nil {
				t.Fatal("no error")
			}
			var ae *host.ActionError
			if !errors.As(err, &ae) || !ae.Invalid || ae.Index != 0 || ae.Type != typ {
				t.Fatalf("err = %#v, want an invalid ActionError for item 0 of type %s", err, typ)
			}
			if !strings.HasPrefix(err.Error(), "on_success action: "+typ+": ") || !strings.Contains(err.Error(), want) {
				t.Errorf("err = %q, want it to contain %q", err, want)
			}
		})
	}
}

func TestShadowingFirstWins(t *testing.T) {
	t.Parallel()
	other := t.TempDir()
	copyPlugin(t, "log", filepath.Join(other, "lava-action-log"))
	h, sink := newHost(t, host.Config{PluginPath: []string{binDir, other}})
	for _, c := range h.Candidates() {
		if c.Type == "log" {
			if c.Path != filepath.Join(binDir, "lava-action-log") || len(c.Shadows) != 1 {
				t.Errorf("log candidate = %+v", c)
			}
		}
	}
	if !strings.Contains(sink.String(), "shadowed") {
		t.Errorf("shadowing not reported: %s", sink)
	}
}

func TestPluginsDescribesAndCaches(t *testing.T) {
	t.Parallel()
	h, _ := newHost(t, host.Config{})
	infos := h.Plugins(context.Background())
	var found bool
	for _, in := range infos {
		if in.Type == "log" {
			found = true
			if in.Err != nil || in.Description.Version == "" || len(in.SHA256) != 64 {
				t.Errorf("log info = %+v", in)
			}
		}
	}
	if !found {
		t.Fatal("log plugin not listed")
	}
}

func TestExitMidActionIsACrash(t *testing.T) {
	t.Parallel()
	h, _ := newHost(t, host.Config{})
	_, err := run(t, h, mode("exit"))
	var pe *host.PluginError
	if !errors.As(err, &pe) || pe.Kind != host.KindCrash {
		t.Fatalf("err = %v, want a crash PluginError", err)
	}
	if _, err := run(t, h, mode("ok")); err != nil {
		t.Fatalf("next action after a crash: %v", err)
	}
}

func TestConcurrentRunsShareOneProcess(t *testing.T) {
	t.Parallel()
	h, sink := newHost(t, host.Config{})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Go(func() {
			_, err := run(t, h, value.NewMap("action", "log", "message", fmt.Sprintf("n=%d {{ job.run_id }}", i)))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := len(logMessages(sink)); got != 64 {
		t.Errorf("%d log records, want 64", got)
	}
	if n := len(h.PIDs()); n != 1 {
		t.Errorf("%d plugin processes, want 1", n)
	}
}

// TestImportStateBeforeRendering is spec case W11: the job's declared state
// is filled before any template is rendered.
func TestImportStateBeforeRendering(t *testing.T) {
	t.Parallel()
	var gotRealm string
	h, sink := newHost(t, host.Config{ImportState: func(_ context.Context, realm string, job *value.Map) error {
		gotRealm = realm
		job.Map("state").Set("sid", value.NewMap("x", int64(1)))
		return nil
	}})
	job, realm, result := fixture()
	job.Set("state", value.NewMap("sid", "default", "missing", "dflt"))
	job.Set("on_success", []any{value.NewMap("action", "log", "message", `{{ state.sid.x }} {{ state["missing"] }} {{ job.state.sid }}`)})
	if _, err := h.Run(context.Background(), host.OnSuccess, job, realm, result); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1 dflt {'x': 1}"}, logMessages(sink)); diff != "" {
		t.Errorf("logged (-want +got):\n%s", diff)
	}
	if gotRealm != "dev" {
		t.Errorf("realm = %q", gotRealm)
	}
	if job.Map("state").String("sid") != "default" {
		t.Errorf("the caller's job was changed")
	}
	h2, _ := newHost(t, host.Config{ImportState: func(context.Context, string, *value.Map) error {
		return errors.New("Unknown state type: xml")
	}})
	if _, err := h2.Run(context.Background(), host.OnSuccess, job, realm, result); err == nil || err.Error() != "import state: Unknown state type: xml" {
		t.Errorf("err = %v", err)
	}
}

// TestDescribeCachedByChecksum: a second listing of unchanged binaries
// starts nothing; here the host is already shut down, so only the cache
// (keyed by each binary's SHA-256) can answer.
func TestDescribeCachedByChecksum(t *testing.T) {
	t.Parallel()
	dir := pluginDir(t, "log")
	h, _ := newHost(t, host.Config{PluginPath: []string{dir}})
	first := h.Plugins(context.Background())
	if len(first) != 1 || first[0].Err != nil {
		t.Fatalf("first listing: %+v", first)
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	second := h.Plugins(context.Background())
	if len(second) != 1 || second[0].Err != nil || second[0].Description.Type != "log" {
		t.Fatalf("second listing after shutdown: %+v", second)
	}
	// A changed binary is a cache miss, and a closed host cannot start it.
	tamper(t, filepath.Join(dir, "lava-action-log"))
	third := h.Plugins(context.Background())
	if len(third) != 1 || !errors.Is(third[0].Err, host.ErrHostClosed) {
		t.Fatalf("listing of a changed binary: %+v", third)
	}
}
