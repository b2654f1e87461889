package demo_test

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lava-actions/lava-actions/internal/demo"
)

// TestDemo runs `make demo`'s program against freshly built plugins: all
// eight bundled actions end to end, through real processes, read back from
// the local services.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"dispatch", "email", "event", "log", "slack", "sns", "sqs", "state"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "lava-action-"+p), "../../plugins/"+p).CombinedOutput()
		if err != nil {
			t.Fatalf("build %s: %v\n%s", p, err, out)
		}
	}
	var out bytes.Buffer
	if err := demo.Run(context.Background(), &out, io.Discard, dir); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		`msg="Job demo/nightly-load finished at 2024-03-01 10:00:00+11:00 (1 line of output)"`,
		`{"job": "demo/nightly-load", "run": "0f8c3c1e-5b7a-4d39-9a51-2f6f5d0e7c11", "rows": 42}`,
		`"job_id": "demo/child"`, `"parameters": {"parent": "demo/nightly-load", "day": "2024-03-01"}`,
		"Subject: demo/nightly-load succeeded",
		`"exit_status": 0}`, `"exit_status": 3}`,
		`nightly-load-status (json, publisher demo/nightly-load): {"status": "ok", "when": "2024-02-29T23:00:00+00:00", "rows": 42}`,
		"nightly-load-secret (secure",
		`"text": "*Lava demo*: Job *demo/nightly-load* loaded 42 rows"`, `"color": "danger"`,
		"Subject: FAILED: demo/nightly-load\n",
		"Subject: FAILED: demo/nightly-load (via SES)",
		"HTML: <html><body><p>Job <b>demo/nightly-load</b> failed: psql: connection refused</p></body></html>",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(got, " failed ") && strings.Contains(got, "error:") {
		t.Errorf("an action failed:\n%s", got)
	}
	if t.Failed() {
		t.Logf("output:\n%s", got)
	}
}
