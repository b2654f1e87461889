package host_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk/protocol"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// receiver counts the POSTs that arrive.
func receiver(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// A plugin that does not declare "dry-run" and ignores the flag is never
// asked to execute in a dry run: nothing arrives, and the report says why.
// The same item run for real does arrive, so the count can fail.
func TestDryRunSkipsPluginWithoutCapability(t *testing.T) {
	t.Parallel()
	srv, hits := receiver(t)
	h, _ := newHost(t, host.Config{})
	job, realm, result := fixture()
	job.Set("on_success", []any{
		value.NewMap("action", "log", "message", "hello"),
		value.NewMap("action", "thirdparty", "url", srv.URL),
	})
	rep, err := h.DryRun(context.Background(), host.OnSuccess, job, realm, result)
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if got := hits.Load(); got != 0 {
		t.Fatalf("dry run sent %d requests", got)
	}
	want := []host.Status{host.StatusPreview, host.StatusSkipped}
	for i, a := range rep.Actions {
		if a.Status != want[i] {
			t.Errorf("action %d status = %s, want %s", i, a.Status, want[i])
		}
	}
	if a := rep.Actions[1]; a.Error != "plugin does not support dry run" || len(a.Effects) != 0 {
		t.Errorf("skipped action = %+v", a)
	}
	if rep.Error != "" {
		t.Errorf("report error = %q", rep.Error)
	}
	b, _ := json.Marshal(rep.Actions[1])
	if !strings.Contains(string(b), `"status":"skipped"`) || !strings.Contains(string(b), `"error":"plugin does not support dry run"`) {
		t.Errorf("json = %s", b)
	}

	if _, err := h.Run(context.Background(), host.OnSuccess, job, realm, result); err == nil {
		t.Fatal("the plugin always fails when run")
	}
	if got := hits.Load(); got != 1 {
		t.Fatalf("real run sent %d requests, want 1", got)
	}
}

// The host runs the declared field checks itself, in lava's wording, even
// for a plugin whose Validate accepts anything; nothing is sent.
func TestHostRunsDeclaredFieldChecks(t *testing.T) {
	t.Parallel()
	srv, hits := receiver(t)
	h, _ := newHost(t, host.Config{})
	cases := []struct {
		name string
		item *value.Map
		want string
	}{
		{"missing", value.NewMap("action", "thirdparty"), "on_success action: thirdparty: Missing keys: url"},
		{"unexpected (strict by default)", value.NewMap("action", "thirdparty", "url", srv.URL, "zz", 1, "X-a", 2),
			"on_success action: thirdparty: Unexpected keys: X-a, zz"},
		{"kind", value.NewMap("action", "thirdparty", "url", int64(5)), "on_success action: thirdparty: url must be a string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job, realm, result := fixture()
			job.Set("on_success", []any{tc.item})
			rep, err := h.Run(context.Background(), host.OnSuccess, job, realm, result)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			var ae *host.ActionError
			if !errors.As(err, &ae) || !ae.Invalid {
				t.Errorf("not an invalid-list error: %#v", err)
			}
			if rep.Actions[0].Status != host.StatusNotRun { // nothing ran (issue 10)
				t.Errorf("status = %s", rep.Actions[0].Status)
			}
		})
	}
	if got := hits.Load(); got != 0 {
		t.Fatalf("%d requests sent for invalid items", got)
	}
}

// Everything a plugin returns passes the host's redactor: the AWS secret
// key of its environment, the value of a field it declares secret and the
// secrets it reports never reach the report or the host's log.
func TestHostRedactsPluginOutput(t *testing.T) {
	t.Parallel()
	srv, _ := receiver(t)
	const awsSecret, token, leak = "aws-secret-Zq81x/+k", "tok-4471-secret", "reported-at-runtime-991"
	h, sink := newHost(t, host.Config{Environ: func() []string {
		return append(os.Environ(), "AWS_SECRET_ACCESS_KEY="+awsSecret, "AWS_ACCESS_KEY_ID=AKIATESTKEY0001")
	}})
	job, realm, result := fixture()
	job.Set("on_success", []any{value.NewMap("action", "thirdparty", "url", srv.URL, "token", token, "leak", leak)})
	rep, err := h.Run(context.Background(), host.OnSuccess, job, realm, result)
	if err == nil {
		t.Fatal("the plugin always fails")
	}
	// A plugin's stderr reaches the host's log asynchronously: wait for its
	// line (or give up after a while and let the checks below report it).
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(sink.String(), "stderr line with key") && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	b, _ := json.Marshal(rep)
	shown := err.Error() + "\n" + string(b) + "\n" + sink.String()
	for name, s := range map[string]string{"AWS secret key": awsSecret, "declared secret": token, "reported secret": leak} {
		esc, _ := json.Marshal(s)
		if strings.Contains(shown, s) || strings.Contains(shown, string(esc[1:len(esc)-1])) {
			t.Errorf("%s %q shown:\n%s", name, s, shown)
		}
	}
	for _, want := range []string{"failed with key " + protocol.Redacted, "posted with " + protocol.Redacted, "using key " + protocol.Redacted,
		"stderr line with key " + protocol.Redacted} {
		if !strings.Contains(shown, want) {
			t.Errorf("missing %q in:\n%s", want, shown)
		}
	}
}

// A plugin started by hand with --debug (as under a debugger) prints its
// reattach variable; a host whose environment has it attaches to that
// process instead of starting one, and leaves it running when it closes.
func TestDebugModeReattach(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(filepath.Join(binDir, "lava-action-log"), "--debug")
	cmd.Env = append(os.Environ(), "LAVA_ACTION_PLUGIN=") // not started by a host
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read reattach line: %v", err)
	}
	name, val, ok := strings.Cut(strings.TrimSpace(line), "=")
	if !ok || name != "LAVA_ACTION_REATTACH_LOG" || !strings.HasPrefix(val, "'") || !strings.HasSuffix(val, "'") {
		t.Fatalf("reattach line = %q", line)
	}
	env := name + "=" + strings.Trim(val, "'")
	h, sink := newHost(t, host.Config{
		PluginPath: []string{t.TempDir()}, // the plugin is not on the path
		Environ:    func() []string { return append(os.Environ(), env) },
	})
	job, realm, result := fixture()
	job.Set("on_success", []any{value.NewMap("action", "log", "message", "attached {{ job.run_id }}")})
	if _, err := h.Run(context.Background(), host.OnSuccess, job, realm, result); err != nil {
		t.Fatalf("run: %v", err)
	}
	if got := h.PIDs()["log"]; got != cmd.Process.Pid {
		t.Errorf("host runs log as pid %d, want the debug process %d", got, cmd.Process.Pid)
	}
	if got := logMessages(sink); len(got) != 1 || got[0] != "attached run-0001" {
		t.Errorf("log messages = %q", got)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("closing the host stopped the debug process: %v", err)
	}
}

// A malformed reattach variable is a clear start error, not a crash.
func TestBadReattachVariable(t *testing.T) {
	t.Parallel()
	h, _ := newHost(t, host.Config{Environ: func() []string {
		return append(os.Environ(), "LAVA_ACTION_REATTACH_LOG={not json")
	}})
	job, realm, result := fixture()
	job.Set("on_success", []any{value.NewMap("action", "log", "message", "x")})
	_, err := h.Run(context.Background(), host.OnSuccess, job, realm, result)
	if err == nil || !strings.Contains(err.Error(), "LAVA_ACTION_REATTACH_LOG: parse reattach config") {
		t.Fatalf("err = %v", err)
	}
}

// With verification on, the host refuses to attach to a debug-mode plugin
// (its binary cannot be checked against the lock file).
func TestReattachRefusedWithVerify(t *testing.T) {
	t.Parallel()
	h, _ := newHost(t, host.Config{Verify: true, Environ: func() []string {
		return append(os.Environ(), `LAVA_ACTION_REATTACH_LOG={"protocol":"grpc","protocol_version":1,"network":"unix","addr":"/nonexistent.sock","pid":1}`)
	}})
	job, realm, result := fixture()
	job.Set("on_success", []any{value.NewMap("action", "log", "message", "x")})
	_, err := h.Run(context.Background(), host.OnSuccess, job, realm, result)
	var pe *host.PluginError
	if !errors.As(err, &pe) || pe.Kind != host.KindIntegrity || !strings.Contains(err.Error(), "attaching to a plugin in debug mode is refused with verification on") {
		t.Fatalf("err = %v", err)
	}
}
