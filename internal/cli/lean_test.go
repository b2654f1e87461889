package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLeanBuildLinksNoAWS: the lean build of the command (make cli) links
// no AWS SDK package, so run, render and version pay for no AWS SDK
// initialisation; the full build does link them (the state commands).
func TestLeanBuildLinksNoAWS(t *testing.T) {
	t.Parallel()
	cases := []struct {
		tags    []string
		wantAWS bool
	}{
		{[]string{"-tags", "lava_lean"}, false},
		{nil, true},
	}
	for _, tc := range cases {
		args := append(append([]string{"list", "-deps"}, tc.tags...), "../../cmd/lava-actions")
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
		var aws []string
		for _, p := range strings.Fields(string(out)) {
			if strings.HasPrefix(p, "github.com/aws/") || p == "github.com/lava-actions/lava-actions/state" {
				aws = append(aws, p)
			}
		}
		if got := len(aws) > 0; got != tc.wantAWS {
			t.Errorf("tags %v: AWS packages linked = %v (%d: %v), want %v", tc.tags, got, len(aws), aws[:min(len(aws), 5)], tc.wantAWS)
		}
	}
}

// TestLeanDelegatesState: the lean build hands the state commands and
// --import-state to lava-actions-full beside it, with the same arguments,
// and says what is missing when it is not there.
func TestLeanDelegatesState(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command twice")
	}
	t.Parallel()
	dir := t.TempDir()
	lean, full := filepath.Join(dir, "lava-actions"), filepath.Join(dir, "lava-actions-full")
	for out, tags := range map[string]string{lean: "lava_lean", full: ""} {
		cmd := exec.Command("go", "build", "-tags", tags, "-o", out, "../../cmd/lava-actions")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build: %v\n%s", err, b)
		}
	}
	run := func(args ...string) (string, int) {
		cmd := exec.Command(lean, args...)
		cmd.Env = append(os.Environ(), "PATH="+t.TempDir())
		out, _ := cmd.CombinedOutput()
		return string(out), cmd.ProcessState.ExitCode()
	}
	// The full build answers: its state put validates the id before any
	// AWS call (exit 2, nothing sent), and its help lists get and put.
	out, code := run("state", "put", "--realm", "r", "--id", "lava-x", "--value", "1")
	if code != 2 || !strings.Contains(out, "bad state_id") {
		t.Errorf("state put: exit %d, output %q; want 2 and the full build's bad state_id", code, out)
	}
	out, code = run("state", "--help")
	if code != 0 || !strings.Contains(out, "get") || !strings.Contains(out, "put") {
		t.Errorf("state --help: exit %d, output %q", code, out)
	}
	if out, code := run("version"); code != 0 || !strings.HasPrefix(out, "lava-actions ") {
		t.Errorf("version: exit %d, output %q", code, out)
	}
	if err := os.Remove(full); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"state", "get", "--realm", "r", "x"}, {"--import-state", "run", "--on", "success", "--job", "-", "--realm", "-"}} {
		out, code := run(args...)
		if code != 3 || !strings.Contains(out, "lava-actions-full beside it or on PATH") {
			t.Errorf("%v without the full build: exit %d, output %q", args, code, out)
		}
	}
}
