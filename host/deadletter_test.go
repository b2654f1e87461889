package host_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/host/deadletter"
	"github.com/lava-actions/lava-actions/sdk/value"
)

func TestDeadLetterAndReplay(t *testing.T) {
	t.Parallel()
	dlDir := filepath.Join(t.TempDir(), "dead")
	h, sink := newHost(t, host.Config{DeadLetterDir: dlDir})
	flag := filepath.Join(t.TempDir(), "fixed")
	item := value.NewMap("action", "misbehave", "mode", "needfile", "path", flag)
	rep, err := run(t, h, value.NewMap("action", "log", "message", "before"), item)
	if err == nil || !strings.HasSuffix(err.Error(), flag+" is missing") {
		t.Fatalf("err = %v", err)
	}
	path := rep.Actions[1].DeadLetter
	if path == "" {
		t.Fatal("no dead letter in the report")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("dead letter mode %v, want 0600", fi.Mode().Perm())
	}
	if !strings.Contains(sink.String(), path) {
		t.Errorf("log does not name the dead letter")
	}
	dl, err := host.ReadDeadLetter(path)
	if err != nil {
		t.Fatal(err)
	}
	if dl.Index != 1 || dl.Type != "misbehave" || dl.Trigger != string(host.OnSuccess) {
		t.Errorf("dead letter = %+v", dl)
	}
	// Still broken: replay fails the same way.
	if _, err := h.Replay(context.Background(), dl); err == nil {
		t.Fatal("replay succeeded before the fix")
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err = h.ReplayDryRun(context.Background(), dl)
	// misbehave has no dry-run capability: the dry run does not ask it.
	if err != nil || len(rep.Actions) != 1 || rep.Actions[0].Status != host.StatusSkipped || !rep.DryRun {
		t.Fatalf("dry-run replay: %+v, %v", rep, err)
	}
	rep, err = h.Replay(context.Background(), dl)
	if err != nil {
		t.Fatalf("replay after the fix: %v", err)
	}
	if len(rep.Actions) != 1 || rep.Actions[0].Status != host.StatusOK {
		t.Errorf("replay report = %+v", rep)
	}
}

func TestDeadLetterKeepsContextTypes(t *testing.T) {
	t.Parallel()
	dlDir := t.TempDir()
	h, _ := newHost(t, host.Config{DeadLetterDir: dlDir})
	job, realm, result := fixture()
	realm.Set("n", value.MustDecimal("1.50"))
	job.Set("on_fail", []any{mode("fail")})
	rep, err := h.Run(context.Background(), host.OnFail, job, realm, result)
	if err == nil {
		t.Fatal("no error")
	}
	dl, err := host.ReadDeadLetter(rep.Actions[0].DeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(dl.Realm), `"n": 1.50`) || !strings.Contains(string(dl.Job), `"ts_start": "2024-03-01T10:00:00+11:00"`) {
		t.Errorf("context not kept exactly:\nrealm %s\njob %s", dl.Realm, dl.Job)
	}
}

// TestReplayRefusesMismatchedType checks that Replay itself, not only
// deadletter.Read, refuses a letter whose item is another action type.
func TestReplayRefusesMismatchedType(t *testing.T) {
	t.Parallel()
	h, _ := newHost(t, host.Config{})
	l := &deadletter.Letter{Trigger: "on_fail", Type: "log", Item: json.RawMessage(`{"action":"misbehave","mode":"pid"}`),
		Job: json.RawMessage(`{"job_id":"j"}`), Realm: json.RawMessage(`{}`), Result: json.RawMessage(`{}`)}
	for _, replay := range []func(context.Context, *deadletter.Letter) (*host.Report, error){h.Replay, h.ReplayDryRun} {
		if _, err := replay(context.Background(), l); err == nil || !strings.Contains(err.Error(), `its type is "log" but its item's action is "misbehave"`) {
			t.Errorf("err = %v", err)
		}
	}
}
