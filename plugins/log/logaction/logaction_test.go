package logaction_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/plugins/log/logaction"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/value"
)

func TestLog(t *testing.T) {
	t.Parallel()
	conns := map[string]*plugintest.Conn{
		"in-process": plugintest.InProcess(t, logaction.Action{}),
		"subprocess": plugintest.Exec(t, plugintest.Build(t, "github.com/lava-actions/lava-actions/plugins/log", "log")),
	}
	cases := []struct {
		name    string
		item    *value.Map
		wantMsg string
		wantErr string
	}{
		{"renders", value.NewMap("action", "log", "message", "realm-level {{ job.job_id }}"), "realm-level demo/job1", ""},
		{"missing message", value.NewMap("action", "log"), "", "Missing keys: message"},
		{"A15 not a string", value.NewMap("action", "log", "message", int64(42)), "", "message must be a string"},
		{"R09 trailing newline", value.NewMap("action", "log", "message", "line1\n"), "line1", ""},
		{"extra keys accepted", value.NewMap("action", "log", "message", "x", "zzz", int64(1)), "x", ""},
	}
	for mode, conn := range conns {
		for _, tc := range cases {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				out, err := conn.Run(context.Background(), plugintest.Input{Item: tc.item})
				if err != nil {
					t.Fatal(err)
				}
				if out.Error != tc.wantErr {
					t.Fatalf("error = %q, want %q", out.Error, tc.wantErr)
				}
				if tc.wantErr != "" {
					return
				}
				want := []plugintest.Log{{Level: "INFO", Message: tc.wantMsg, Attrs: map[string]any{
					"event_type": "job", "job_id": "demo/job1", "run_id": "run-0001"}}}
				if diff := cmp.Diff(want, out.Logs); diff != "" {
					t.Errorf("logs (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestLogDryRunSendsNothing(t *testing.T) {
	t.Parallel()
	conn := plugintest.InProcess(t, logaction.Action{})
	out, err := conn.Run(context.Background(), plugintest.Input{DryRun: true, Item: value.NewMap("action", "log", "message", "hi {{ job.run_id }}")})
	if err != nil || out.Error != "" {
		t.Fatalf("run: %v %q", err, out.Error)
	}
	if len(out.Logs) != 0 {
		t.Errorf("dry run logged %v", out.Logs)
	}
	if len(out.Effects) != 1 || out.Effects[0].Detail != `{"message": "hi run-0001"}` {
		t.Errorf("effects = %+v", out.Effects)
	}
}
