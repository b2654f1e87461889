package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// binDir holds the built command, its default plugin directory "plugins"
// (with the log plugin) and "sleep" (with the test plugin lava-action-sleep).
var binDir string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "lava-actions-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	builds := [][2]string{
		{filepath.Join(dir, "lava-actions"), "."},
		{filepath.Join(dir, "plugins", "lava-action-log"), "../../plugins/log"},
		{filepath.Join(dir, "sleep", "lava-action-sleep"), "./testdata/sleepplugin"},
	}
	for _, b := range builds {
		if out, err := exec.Command("go", "build", "-o", b[0], b[1]).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build %s: %v\n%s", b[1], err, out)
			return 1
		}
	}
	return m.Run()
}

// result is what one run of the command did.
type result struct {
	code           int
	stdout, stderr string
}

// baseEnv is the test process environment without lava settings, so the
// default plugin path is only the "plugins" directory beside the binary.
func baseEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LAVA_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// lava runs the built command in this directory with stdin and args.
func lava(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "lava-actions"), args...)
	cmd.Env = baseEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run lava-actions %q: %v", args, err)
	}
	assertNoPanic(t, res)
	return res
}

// assertNoPanic fails the test when a Go stack trace reached the user.
func assertNoPanic(t *testing.T, res result) {
	t.Helper()
	for _, s := range []string{res.stdout, res.stderr} {
		if strings.Contains(s, "goroutine ") || strings.Contains(s, "panic:") {
			t.Errorf("output holds a Go panic or stack trace:\n%s", s)
		}
	}
}

var durationRE = regexp.MustCompile(`\((\d+(\.\d+)?(ns|µs|ms|s|m|h))+\)`)

// checkGolden compares got (durations masked) with testdata/golden/name,
// or rewrites the file with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	got = durationRE.ReplaceAllString(got, "(DURATION)")
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// cliCase is one run of the command and what it must show.
type cliCase struct {
	name      string
	stdin     string
	args      []string
	code      int
	golden    string   // golden file of stdout, "" for none
	stdoutHas []string // substrings of stdout
	stderrHas []string // substrings of stderr
	stderrNot []string // substrings stderr must not hold
}

func (tc cliCase) check(t *testing.T) {
	t.Helper()
	res := lava(t, tc.stdin, tc.args...)
	if res.code != tc.code {
		t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, tc.code, res.stdout, res.stderr)
	}
	if tc.golden != "" {
		checkGolden(t, tc.golden, res.stdout)
	}
	for _, s := range tc.stdoutHas {
		if !strings.Contains(res.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, res.stdout)
		}
	}
	for _, s := range tc.stderrHas {
		if !strings.Contains(res.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, res.stderr)
		}
	}
	for _, s := range tc.stderrNot {
		if strings.Contains(res.stderr, s) {
			t.Errorf("stderr holds %q:\n%s", s, res.stderr)
		}
	}
}

func runArgs(on, job, realm string, more ...string) []string {
	return append([]string{"run", "--on", on, "--job", "testdata/" + job, "--realm", "testdata/" + realm}, more...)
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRunSpec covers the selection and validation cases of spec 9.1. The
// whole list is validated before anything runs (spec decision 0.1), so an
// invalid list exits 2 and runs nothing.
func TestRunSpec(t *testing.T) {
	t.Parallel()
	cases := []cliCase{
		{name: "A01 realm list used", args: runArgs("success", "job.json", "realm-a01.json", "--result", "testdata/result-rs.json"),
			golden: "run-a01.txt", stderrHas: []string{`msg="realm-level demo/job1"`, "event_type=job", "job_id=demo/job1", "run_id=run-0001"}},
		{name: "A03 job null hides realm list", args: runArgs("success", "job-a03.json", "realm-a01.json"), code: 2,
			golden: "run-a03.txt", stderrHas: []string{"lava-actions: on_success: action must be a list\n"}, stderrNot: []string{"realm-level"}},
		{name: "A05 no list", args: runArgs("retry", "job.json", "realm-a01.json"), golden: "run-a05.txt"},
		{name: "A07 not a list", args: runArgs("success", "job-a07.json", "realm.json"), code: 2,
			golden: "run-a07.txt", stderrHas: []string{"lava-actions: on_success: action must be a list\n"}},
		{name: "A09 missing action", args: runArgs("success", "job-a09.json", "realm.json"), code: 2,
			golden: "run-a09.txt", stderrHas: []string{"lava-actions: on_success action: Missing keys: action\n"}},
		{name: "A11 unknown action", args: runArgs("fail", "job-a11.json", "realm.json"), code: 2,
			golden: "run-a11.txt", stderrHas: []string{"lava-actions: on_fail action: pagerduty: unknown action\n"}},
		{name: "A13 invalid item stops the whole list", args: runArgs("success", "job-a13.json", "realm.json"), code: 2,
			golden:    "run-a13.txt",
			stderrHas: []string{"lava-actions: on_success action: log: Missing keys: message\n"},
			stderrNot: []string{"msg=first", "msg=third"}},
		{name: "A15 message not a string", args: runArgs("success", "job-a15.json", "realm.json"), code: 2,
			golden: "run-a15.txt", stderrHas: []string{"lava-actions: on_success action: log: message must be a string\n"}},
		{name: "A17 number item", args: runArgs("success", "job-a17.json", "realm.json"), code: 2,
			golden: "run-a17.txt", stderrHas: []string{"lava-actions: on_success action: Missing keys: action\n"}},
		{name: "run-time failure stops the list", args: runArgs("success", "job-runtime.json", "realm.json"), code: 1,
			stdoutHas: []string{"[0] log: ok", "[1] log: failed", "[2] log: not-run", "outcome: failed: on_success action: log: "},
			stderrHas: []string{"msg=first", "lava-actions: on_success action: log: "},
			stderrNot: []string{"msg=third"}},
		{name: "result file", args: runArgs("fail", "job-result.json", "realm.json", "--result", "testdata/result-rf.json"),
			stderrHas: []string{`msg="failed: boom"`}},
		{name: "two actions in order", args: runArgs("success", "job-two.json", "realm.json"), golden: "run-two.txt",
			stderrHas: []string{`msg="one run-0001"`, `msg="two G1"`}},
		{name: "json logs", args: runArgs("success", "job.json", "realm-a01.json", "--log-format", "json"),
			stderrHas: []string{`"msg":"realm-level demo/job1"`, `"event_type":"job"`}},
		{name: "log level hides info", args: runArgs("success", "job.json", "realm-a01.json", "--log-level", "warn"),
			stderrNot: []string{"realm-level"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.check(t)
		})
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	cases := []cliCase{
		{name: "malformed JSON", args: runArgs("success", "malformed.json", "realm.json"), code: 2,
			stderrHas: []string{"lava-actions: testdata/malformed.json:4:3: invalid character"}},
		{name: "malformed JSON on stdin", stdin: "{\n  \"job_id\": }\n",
			args: []string{"run", "--on", "success", "--job", "-", "--realm", "testdata/realm.json"}, code: 2,
			stderrHas: []string{"lava-actions: <stdin>:2:13: invalid character '}'"}},
		{name: "missing file", args: runArgs("success", "nope.json", "realm.json"), code: 2,
			stderrHas: []string{"testdata/nope.json", "no such file or directory"}},
		{name: "job not an object", args: runArgs("success", "validate-ok.json", "realm.json"), code: 2,
			stderrHas: []string{"testdata/validate-ok.json: the job must be a JSON object, not a list"}},
		{name: "unknown flag", args: []string{"run", "--bogus"}, code: 2,
			stderrHas: []string{"unknown flag: --bogus", "lava-actions run --help"}},
		{name: "unknown command", args: []string{"frob"}, code: 2, stderrHas: []string{`unknown command "frob"`}},
		{name: "required flags", args: []string{"run", "--job", "testdata/job.json"}, code: 2,
			stderrHas: []string{`required flag(s) "on", "realm" not set`}},
		{name: "unknown trigger", args: runArgs("later", "job.json", "realm.json"), code: 2,
			stderrHas: []string{`unknown trigger "later"`}},
		{name: "bad output format", args: runArgs("success", "job.json", "realm.json", "--output", "yaml"), code: 2,
			stderrHas: []string{`unknown output format "yaml"`}},
		{name: "bad log level", args: runArgs("success", "job.json", "realm.json", "--log-level", "loud"), code: 2,
			stderrHas: []string{`unknown log level "loud"`}},
		{name: "two stdin files", args: []string{"run", "--on", "success", "--job", "-", "--realm", "-"}, code: 2,
			stderrHas: []string{"only one input file may be - (stdin)"}},
		{name: "bad job time", stdin: `{"job_id": "j", "ts_start": "yesterday", "on_success": []}`,
			args: []string{"run", "--on", "success", "--job", "-", "--realm", "testdata/realm.json"}, code: 2,
			stderrHas: []string{"lava-actions: <stdin>: job ts_start:"}},
		{name: "stray argument", args: []string{"plugins", "extra"}, code: 2, stderrHas: []string{"takes no arguments"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.check(t)
		})
	}
}

func TestStdin(t *testing.T) {
	t.Parallel()
	cases := []cliCase{
		{name: "job on stdin", stdin: mustRead(t, "testdata/job.json"),
			args:      []string{"run", "--on", "success", "--job", "-", "--realm", "testdata/realm-a01.json"},
			stdoutHas: []string{"[0] log: ok"}, stderrHas: []string{`msg="realm-level demo/job1"`}},
		{name: "realm on stdin", stdin: mustRead(t, "testdata/realm-a01.json"),
			args:      []string{"run", "--on", "success", "--job", "testdata/job.json", "--realm", "-"},
			stdoutHas: []string{"[0] log: ok"}, stderrHas: []string{`msg="realm-level demo/job1"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.check(t)
		})
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	cliCase{
		args:      []string{"render", "--on", "success", "--job", "testdata/job-two.json", "--realm", "testdata/realm.json"},
		golden:    "render-two.txt",
		stdoutHas: []string{`"message": "one run-0001"`, "effect: log:INFO lava", "[1] log: dry-run"},
		stderrNot: []string{"one run-0001", "two G1"}, // nothing is logged in a dry run
	}.check(t)
}

func TestValidate(t *testing.T) {
	t.Parallel()
	cases := []cliCase{
		{name: "ok", args: []string{"validate", "testdata/validate-ok.json", "testdata/realm-a01.json", "testdata/realm.json"},
			golden: "validate-ok.txt"},
		{name: "bad", args: []string{"validate", "testdata/validate-bad.json", "testdata/malformed.json", "testdata/nope.json"},
			code: 2, golden: "validate-bad.txt"},
		{name: "template syntax", args: []string{"validate", "testdata/validate-template.json"}, code: 2,
			stdoutHas: []string{"testdata/validate-template.json: on_success action: log: "}},
		{name: "stdin", stdin: mustRead(t, "testdata/job-a13.json"), args: []string{"validate", "-"}, code: 2,
			stdoutHas: []string{"<stdin>: on_success action: log: Missing keys: message\n"},
			stderrNot: []string{"msg=first"}},
		{name: "no files", args: []string{"validate"}, code: 2, stderrHas: []string{"validate needs at least one FILE"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.check(t)
		})
	}
}

func TestRunJSON(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		args     []string
		code     int
		source   string
		statuses []string
		errText  string
	}{
		{"ok", runArgs("success", "job-two.json", "realm.json", "--output", "json"), 0, "job", []string{"ok", "ok"}, ""},
		{"realm", runArgs("success", "job.json", "realm-a01.json", "-o", "json"), 0, "realm", []string{"ok"}, ""},
		{"invalid", runArgs("success", "job-a13.json", "realm.json", "-o", "json"), 2, "job",
			[]string{"not-run", "not-run", "not-run"}, "on_success action: log: Missing keys: message"},
		{"dry run", []string{"render", "--on", "success", "--job", "testdata/job-two.json", "--realm", "testdata/realm.json", "-o", "json"},
			0, "job", []string{"dry-run", "dry-run"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := lava(t, "", tc.args...)
			if res.code != tc.code {
				t.Fatalf("exit code = %d, want %d; stderr:\n%s", res.code, tc.code, res.stderr)
			}
			var rep struct {
				Trigger string `json:"trigger"`
				Source  string `json:"source"`
				Actions []struct {
					Status     string   `json:"status"`
					DurationMS *float64 `json:"duration_ms"`
				} `json:"actions"`
				Error string `json:"error"`
			}
			if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, res.stdout)
			}
			var statuses []string
			for _, a := range rep.Actions {
				statuses = append(statuses, a.Status)
				if a.DurationMS == nil {
					t.Error("action without duration_ms")
				}
			}
			got := []string{rep.Trigger, rep.Source, rep.Error}
			want := []string{"on_success", tc.source, tc.errText}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("trigger, source, error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.statuses, statuses); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
		})
	}
}

var sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestPlugins(t *testing.T) {
	t.Parallel()
	t.Run("text", func(t *testing.T) {
		t.Parallel()
		res := lava(t, "", "plugins")
		if res.code != 0 {
			t.Fatalf("exit code %d; stderr:\n%s", res.code, res.stderr)
		}
		for _, re := range []string{
			`(?m)^plugin path: ` + regexp.QuoteMeta(filepath.Join(binDir, "plugins")) + `$`,
			`(?m)^log 1\.0\.0 \(protocol 1\)$`,
			`(?m)^  path: +` + regexp.QuoteMeta(filepath.Join(binDir, "plugins", "lava-action-log")) + `$`,
			`(?m)^  sha256: +[0-9a-f]{64}$`,
		} {
			if !regexp.MustCompile(re).MatchString(res.stdout) {
				t.Errorf("stdout does not match %s:\n%s", re, res.stdout)
			}
		}
	})
	t.Run("json with shadows and problems", func(t *testing.T) {
		t.Parallel()
		extra := t.TempDir()
		copyFile(t, filepath.Join(binDir, "plugins", "lava-action-log"), filepath.Join(extra, "lava-action-log"), 0o755)
		if err := os.WriteFile(filepath.Join(extra, "lava-action-broken"), []byte("#!/bin/sh\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		first := filepath.Join(binDir, "plugins")
		res := lava(t, "", "plugins", "--output", "json", "--plugin-dir", first, "--plugin-dir", extra)
		if res.code != 0 {
			t.Fatalf("exit code %d; stderr:\n%s", res.code, res.stderr)
		}
		var doc struct {
			PluginPath []string `json:"plugin_path"`
			Plugins    []struct {
				Type, Version, Path, SHA256 string
				Protocol                    int
				Shadows                     []string
			} `json:"plugins"`
			Problems []string `json:"problems"`
		}
		if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, res.stdout)
		}
		if len(doc.Plugins) != 1 {
			t.Fatalf("plugins = %+v, want only log", doc.Plugins)
		}
		p := doc.Plugins[0]
		if !sha256RE.MatchString(p.SHA256) {
			t.Errorf("sha256 = %q, want 64 hex digits", p.SHA256)
		}
		got := []any{doc.PluginPath, p.Type, p.Version, p.Protocol, p.Path, p.Shadows}
		want := []any{[]string{first, extra}, "log", "1.0.0", 1, filepath.Join(first, "lava-action-log"),
			[]string{filepath.Join(extra, "lava-action-log")}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("plugin (-want +got):\n%s", diff)
		}
		if len(doc.Problems) != 1 || !strings.Contains(doc.Problems[0], "lava-action-broken: not executable") {
			t.Errorf("problems = %q, want the broken plugin", doc.Problems)
		}
	})
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	res := lava(t, "", "version")
	if res.code != 0 || !regexp.MustCompile(`^lava-actions \S+.* \(plugin protocol 1, go`).MatchString(res.stdout) {
		t.Errorf("version: code %d, stdout %q", res.code, res.stdout)
	}
}

func TestHelpDocumentsExitCodes(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"run", "--help"}} {
		res := lava(t, "", args...)
		if res.code != 0 {
			t.Errorf("%q: exit code %d", args, res.code)
		}
		for _, s := range []string{"Exit codes:", "  1    an action failed", "  2    bad input"} {
			if !strings.Contains(res.stdout, s) {
				t.Errorf("%q: help lacks %q", args, s)
			}
		}
	}
}
