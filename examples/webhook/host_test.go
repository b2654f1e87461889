package main_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// TestHostDiscoversAndRunsWebhook installs the example as a third party
// would (an executable named lava-action-webhook in a plugin directory) and
// has the host find it and run a job's on_success list with it.
func TestHostDiscoversAndRunsWebhook(t *testing.T) {
	t.Parallel()
	bodies := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
	}))
	defer srv.Close()

	dir := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "lava-action-webhook"), ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var logs strings.Builder
	h, err := host.New(host.Config{PluginPath: []string{dir}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()

	job, err := value.DecodeJSON([]byte(`{"job_id": "demo/job1", "run_id": "run-0001",
		"on_success": [{"action": "webhook", "url": "`+srv.URL+`/hook", "body": {"job": "{{ job.job_id }}"}}]}`), value.DecimalNumbers)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := h.Run(ctx, host.OnSuccess, job.(*value.Map), nil, nil)
	if err != nil {
		t.Fatalf("run: %v\nhost log:\n%s", err, logs.String())
	}
	if len(rep.Actions) != 1 || rep.Actions[0].Status != host.StatusOK || rep.Actions[0].Type != "webhook" {
		t.Fatalf("report = %+v", rep)
	}
	var got map[string]any
	if err := json.Unmarshal(<-bodies, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"job": "demo/job1"}, got); diff != "" {
		t.Errorf("posted body (-want +got):\n%s", diff)
	}
	if c := h.Candidates(); len(c) != 1 || c[0].Type != "webhook" {
		t.Errorf("candidates = %+v, want the webhook plugin", c)
	}
}
