package main_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lava-actions/lava-actions/tests/testkit"
)

// logPluginDir copies the log plugin into a fresh directory and returns it.
func logPluginDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "plugins")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(binDir, "plugins", "lava-action-log"), filepath.Join(dir, "lava-action-log"), 0o755)
	return dir
}

// jsonFailure decodes the one JSON object -o json prints for a failure.
func jsonFailure(t *testing.T, res result) (msg string, code int) {
	t.Helper()
	var out struct {
		Error    string `json:"error"`
		ExitCode int    `json:"exit_code"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%q", err, res.stdout)
	}
	return out.Error, out.ExitCode
}

// TestPluginPathTrust checks that run, render, validate, serve, plugins and
// plugins lock refuse an untrusted plugin path with exit 2 and a clear
// error, and that --insecure-plugin-path lets it run with a warning.
func TestPluginPathTrust(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"world-writable directory", func(t *testing.T, dir string) { os.Chmod(dir, 0o777) }, "is writable by group or others (mode drwxrwxrwx)"},
		{"group-writable binary", func(t *testing.T, dir string) { os.Chmod(filepath.Join(dir, "lava-action-log"), 0o775) }, "lava-action-log is writable by group or others (mode -rwxrwxr-x)"},
		{"symlink out of the directory", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "lava-action-log"))
			if err := os.Symlink(filepath.Join(binDir, "plugins", "lava-action-log"), filepath.Join(dir, "lava-action-log")); err != nil {
				t.Fatal(err)
			}
		}, "outside its directory"},
	}
	if os.Geteuid() == 0 {
		cases = append(cases, struct {
			name  string
			setup func(t *testing.T, dir string)
			want  string
		}{"binary of another user", func(t *testing.T, dir string) { os.Chown(filepath.Join(dir, "lava-action-log"), 65534, -1) }, "owned by uid 65534"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := logPluginDir(t)
			tc.setup(t, dir)
			pd := []string{"--plugin-dir", dir}
			for _, args := range [][]string{
				append(pd, runArgs("success", "job-two.json", "realm.json")...),
				append(pd, "render", "--on", "success", "--job", "testdata/job-two.json", "--realm", "testdata/realm.json"),
				append(pd, "validate", "testdata/job-two.json"),
				append(pd, "plugins", "lock"),
				append(pd, "plugins"),
			} {
				res := lava(t, "", args...)
				if res.code != 2 || !strings.Contains(res.stdout+res.stderr, tc.want) || !strings.Contains(res.stdout+res.stderr, "untrusted plugin path") {
					t.Errorf("%q: exit %d, want 2 and %q\nstdout: %s\nstderr: %s", args[2:], res.code, tc.want, res.stdout, res.stderr)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "lava-actions.lock")); !os.IsNotExist(err) {
				t.Errorf("plugins lock wrote a lock file for an untrusted directory")
			}
			// JSON output: the refused run is a report with not-run items.
			res := lava(t, "", append(pd, runArgs("success", "job-two.json", "realm.json", "-o", "json")...)...)
			var rep struct {
				Actions []struct{ Status string } `json:"actions"`
				Error   string                    `json:"error"`
			}
			if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil || res.code != 2 || len(rep.Actions) != 2 ||
				rep.Actions[0].Status != "not-run" || rep.Actions[1].Status != "not-run" || !strings.Contains(rep.Error, tc.want) {
				t.Errorf("run -o json: %+v (%v)", res, err)
			}
			// Turned off: it runs, with a warning.
			res = lava(t, "", append([]string{"--insecure-plugin-path"}, append(pd, runArgs("success", "job-two.json", "realm.json")...)...)...)
			if res.code != 0 || !strings.Contains(res.stderr, "trust checks are off") {
				t.Errorf("--insecure-plugin-path run: %+v", res)
			}
		})
	}
}

// TestServeRefusesUntrustedPlugins checks that serve's warm-up refuses an
// untrusted plugin (exit 2), and that without warm-up its runs do (422:
// nothing ran).
func TestServeRefusesUntrustedPlugins(t *testing.T) {
	t.Parallel()
	dir := logPluginDir(t)
	os.Chmod(dir, 0o777)
	res := lava(t, "", "--plugin-dir", dir, "serve", "--listen", filepath.Join(t.TempDir(), "w.sock"))
	if res.code != 2 || !strings.Contains(res.stderr, "serve: warm-up: plugin "+filepath.Join(dir, "lava-action-log")+": untrusted plugin path") {
		t.Errorf("serve with warm-up: %+v", res)
	}
	sock := filepath.Join(t.TempDir(), "s.sock")
	client, stop := startServe(t, sock, []string{"--plugin-dir", dir}, "--warm=false")
	job, _ := os.ReadFile("testdata/job-two.json")
	resp, err := client.Post("http://lava/v1/run", "application/json", strings.NewReader(`{"trigger":"success","job":`+string(job)+`}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 422 || !strings.Contains(string(body), "untrusted plugin path") {
		t.Errorf("run with an untrusted plugin: status %d, want 422: %s", resp.StatusCode, body)
	}
	if stderr := stop(); !strings.Contains(stderr, "status=422") || !strings.Contains(stderr, `msg=stopped`) {
		t.Errorf("serve log:\n%s", stderr)
	}
}

// TestPluginPathDeduplicated checks that the default plugin directory named
// again through LAVA_ACTION_PATH (also with a trailing slash or through a
// symlink) or a repeated --plugin-dir is no shadow.
func TestPluginPathDeduplicated(t *testing.T) {
	t.Parallel()
	pluginsDir := filepath.Join(binDir, "plugins")
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(pluginsDir, link); err != nil {
		t.Fatal(err)
	}
	other := logPluginDir(t)
	// A different file of the same type: a real shadow.
	copyFile(t, filepath.Join(binDir, "sleep", "lava-action-sleep"), filepath.Join(other, "lava-action-log"), 0o755)
	run := runArgs("success", "job-two.json", "realm.json")
	cases := []struct {
		name    string
		env     []string
		args    []string
		shadows int
	}{
		{"LAVA_ACTION_PATH names the default directory", []string{"LAVA_ACTION_PATH=" + pluginsDir}, run, 0},
		{"with a trailing slash", []string{"LAVA_ACTION_PATH=" + pluginsDir + "/"}, run, 0},
		{"through a symlink", []string{"LAVA_ACTION_PATH=" + link}, run, 0},
		{"repeated --plugin-dir", nil, append([]string{"--plugin-dir", pluginsDir, "--plugin-dir", pluginsDir + "/"}, runArgs("success", "job-two.json", "realm.json")...), 0},
		{"real shadow", []string{"LAVA_ACTION_PATH=" + other + ":" + other}, run, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := lavaEnv(t, tc.env, tc.args...)
			if res.code != 0 {
				t.Fatalf("run: %+v", res)
			}
			if n := strings.Count(res.stderr, "shadowed"); n != tc.shadows {
				t.Errorf("%d shadow warnings, want %d:\n%s", n, tc.shadows, res.stderr)
			}
			if tc.shadows == 1 && (!strings.Contains(res.stderr, filepath.Join(pluginsDir, "lava-action-log")) || !strings.Contains(res.stderr, filepath.Join(other, "lava-action-log"))) {
				t.Errorf("the shadow warning must name both files:\n%s", res.stderr)
			}
			plugins := append([]string{}, tc.args[:len(tc.args)-len(run)]...)
			res = lavaEnv(t, tc.env, append(plugins, "plugins")...)
			if n := strings.Count(res.stdout, "shadows:"); n != tc.shadows {
				t.Errorf("plugins shows %d shadows, want %d:\n%s", n, tc.shadows, res.stdout)
			}
		})
	}
}

// TestExitCodesPerCommand checks each documented exit code on the commands
// that give it (state get's 4 is in TestStateCommands, 130 in
// TestInterrupt, integrity failures in TestLockVerifyAndRunVerified).
func TestExitCodesPerCommand(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	cases := []cliCase{
		{name: "run ok", args: runArgs("success", "job-two.json", "realm.json"), code: 0},
		{name: "run action failed", args: runArgs("success", "job-runtime.json", "realm.json"), code: 1},
		{name: "run invalid list", args: runArgs("success", "job-a13.json", "realm.json"), code: 2},
		{name: "run missing file", args: runArgs("success", "nope.json", "realm.json"), code: 2, stderrHas: []string{"nope.json"}},
		{name: "run negative timeout", args: runArgs("success", "job-two.json", "realm.json", "--timeout", "-1s"), code: 2,
			stderrHas: []string{"--timeout -1s: want 0 (none) or a positive duration up to 24h0m0s"}},
		{name: "run zero action timeout", args: runArgs("success", "job-two.json", "realm.json", "--action-timeout", "0"), code: 2,
			stderrHas: []string{"--action-timeout 0s: want a duration from 1ms to 24h0m0s"}},
		{name: "render invalid list", args: []string{"render", "--on", "success", "--job", "testdata/job-a13.json", "--realm", "testdata/realm.json"}, code: 2},
		{name: "validate ok", args: []string{"validate", "testdata/validate-ok.json"}, code: 0},
		{name: "validate invalid", args: []string{"validate", "testdata/validate-bad.json"}, code: 2},
		{name: "serve negative max-body", args: []string{"serve", "--listen", filepath.Join(t.TempDir(), "s"), "--max-body", "-5", "--max-concurrent", "0"}, code: 2,
			stderrHas: []string{"--max-body -5: want a whole number from 1 to 1073741824"}},
		{name: "serve zero max-concurrent", args: []string{"serve", "--listen", filepath.Join(t.TempDir(), "s"), "--max-concurrent", "0"}, code: 2,
			stderrHas: []string{"--max-concurrent 0: want a whole number from 1 to 10000"}},
		{name: "serve huge max-concurrent", args: []string{"serve", "--listen", filepath.Join(t.TempDir(), "s"), "--max-concurrent", "100000"}, code: 2},
		{name: "serve zero drain", args: []string{"serve", "--listen", filepath.Join(t.TempDir(), "s"), "--drain", "0s"}, code: 2},
		{name: "serve bind failure", args: []string{"serve", "--listen", "tcp:" + busy.Addr().String()}, code: 2,
			stderrHas: []string{"address already in use"}, stderrNot: []string{"serving"}},
		{name: "serve socket in a missing directory", args: []string{"serve", "--listen", "/nonexistent/dir/s.sock"}, code: 2},
		{name: "serve non-loopback", args: []string{"serve", "--listen", "tcp:0.0.0.0:0"}, code: 2, stderrHas: []string{"only loopback"}},
		{name: "replay not a dead letter", args: []string{"replay", "testdata/job.json"}, code: 2},
		{name: "state get without an id", args: []string{"state", "get", "--realm", "r"}, code: 2, stderrHas: []string{"state get needs --id"}},
		{name: "unknown output format", args: []string{"validate", "-o", "yaml", "testdata/validate-ok.json"}, code: 2, stderrHas: []string{`unknown output format "yaml": want text or json`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.check(t)
		})
	}
}

// TestJSONOutputOnEveryFailure checks that with -o json every failure,
// input errors included, prints one JSON object on stdout.
func TestJSONOutputOnEveryFailure(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"run missing file", runArgs("success", "nope.json", "realm.json", "-o", "json"), 2, "nope.json"},
		{"run malformed", runArgs("success", "malformed.json", "realm.json", "--output=json"), 2, "testdata/malformed.json:"},
		{"run unknown flag", append(runArgs("success", "job.json", "realm.json", "-o", "json"), "--bogus"), 2, "unknown flag: --bogus"},
		{"run bad trigger", []string{"run", "-o", "json", "--on", "later", "--job", "testdata/job.json", "--realm", "testdata/realm.json"}, 2, "unknown trigger"},
		{"render missing flag", []string{"render", "-o", "json", "--on", "success"}, 2, "required flag"},
		{"replay not a dead letter", []string{"replay", "-o", "json", "testdata/job.json"}, 2, "dead letter refused"},
		{"plugins lock missing dir", []string{"plugins", "lock", "-o", "json", "/nonexistent"}, 2, "lock /nonexistent: plugin directory /nonexistent: lstat /nonexistent: no such file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := lava(t, "", tc.args...)
			msg, code := jsonFailure(t, res)
			if res.code != tc.code || code != tc.code || !strings.Contains(msg, tc.want) {
				t.Errorf("exit %d, JSON %q (exit_code %d); want %d and %q", res.code, msg, code, tc.code, tc.want)
			}
		})
	}
}

func TestValidateJSON(t *testing.T) {
	t.Parallel()
	res := lava(t, "", "validate", "-o", "json", "testdata/validate-ok.json", "testdata/validate-bad.json", "testdata/malformed.json")
	var out struct {
		Results []struct {
			Source, Key, Status, Error string
		} `json:"results"`
		Invalid int `json:"invalid"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, res.stdout)
	}
	if res.code != 2 || out.Invalid < 2 || len(out.Results) < 3 {
		t.Fatalf("validate -o json: exit %d, %+v", res.code, out)
	}
	statuses := map[string]bool{}
	for _, r := range out.Results {
		statuses[r.Status] = true
		if r.Status == "invalid" && r.Error == "" {
			t.Errorf("invalid result without error: %+v", r)
		}
	}
	if !statuses["ok"] || !statuses["invalid"] {
		t.Errorf("results %+v", out.Results)
	}
}

// TestJSONIsNotHTMLEscaped checks that JSON output keeps <, > and & as
// they are.
func TestJSONIsNotHTMLEscaped(t *testing.T) {
	t.Parallel()
	job := `{"job_id":"j","run_id":"r","on_success":[{"action":"log","message":"<b>x</b> & <redacted>"}]}`
	res := lava(t, job, "render", "-o", "json", "--on", "success", "--job", "-", "--realm", "testdata/realm.json")
	if res.code != 0 || !strings.Contains(res.stdout, "<b>x</b> & <redacted>") || strings.Contains(res.stdout, `\u003c`) {
		t.Errorf("render -o json: %+v", res)
	}
}

// startServe starts `lava-actions [global] serve --listen sock [flags]` and
// waits until it answers. stop sends SIGTERM, waits and returns its stderr.
func startServe(t *testing.T, sock string, global []string, flags ...string) (*http.Client, func() string) {
	t.Helper()
	args := append(append(append([]string{}, global...), "serve", "--listen", sock), flags...)
	cmd := exec.Command(filepath.Join(binDir, "lava-actions"), args...)
	cmd.Env = baseEnv()
	stderr := &testkit.SyncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	var err error
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		var resp *http.Response
		if resp, err = client.Get("http://lava/healthz"); err == nil {
			resp.Body.Close()
			break
		}
	}
	if err != nil {
		t.Fatalf("server not up: %v\n%s", err, stderr)
	}
	return client, func() string {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve exit after SIGTERM: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop on SIGTERM")
		}
		return stderr.String()
	}
}

// deadLetter runs a failing job with --dead-letter and returns the letter.
func deadLetter(t *testing.T) string {
	t.Helper()
	dl := t.TempDir()
	res := lava(t, "", "--dead-letter", dl, "run", "--on", "success", "--job", "testdata/job-runtime.json", "--realm", "testdata/realm.json")
	files, _ := filepath.Glob(filepath.Join(dl, "*.json"))
	if res.code != 1 || len(files) != 1 {
		t.Fatalf("run: %+v, letters %v", res, files)
	}
	return files[0]
}

// TestReplayRefusesTamperedLetters checks replay's checks, that nothing
// runs when one of several letters is refused, and --dry-run.
func TestReplayRefusesTamperedLetters(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		tamper func(t *testing.T, path string)
		want   string
	}{
		{"item changed to another action", func(t *testing.T, path string) {
			b, _ := os.ReadFile(path)
			b = []byte(strings.Replace(string(b), `"action": "log"`, `"action": "sleep"`, 1))
			os.WriteFile(path, b, 0o600)
		}, "does not match its checksum"},
		{"job edited", func(t *testing.T, path string) {
			b, _ := os.ReadFile(path)
			b = []byte(strings.Replace(string(b), `"job_id": "`, `"job_id": "x`, 1))
			os.WriteFile(path, b, 0o600)
		}, "does not match its checksum"},
		{"readable by others", func(t *testing.T, path string) { os.Chmod(path, 0o644) }, "is not private (mode -rw-r--r--"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			good, bad := deadLetter(t), deadLetter(t)
			tc.tamper(t, bad)
			res := lava(t, "", "replay", good, bad)
			if res.code != 2 || !strings.Contains(res.stderr, tc.want) || strings.Contains(res.stderr, "replay "+good) {
				t.Errorf("replay: exit %d, want 2, %q and nothing replayed\nstderr: %s", res.code, tc.want, res.stderr)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		a, b := deadLetter(t), deadLetter(t)
		res := lava(t, "", "replay", "-o", "json", a, b)
		var out struct {
			Replays []struct {
				File   string `json:"file"`
				Report struct {
					Actions []struct{ Status string } `json:"actions"`
				} `json:"report"`
			} `json:"replays"`
		}
		if err := json.Unmarshal([]byte(res.stdout), &out); err != nil || res.code != 1 || len(out.Replays) != 2 ||
			out.Replays[1].File != b || out.Replays[1].Report.Actions[0].Status != "failed" {
			t.Errorf("replay -o json: %+v (%v)", res, err)
		}
	})
	t.Run("dry run", func(t *testing.T) {
		t.Parallel()
		// The letter's action fails when rendered, so its dry run fails
		// too; it says what it would replay and saves no new letter.
		letter := deadLetter(t)
		again := t.TempDir()
		res := lava(t, "", "--dead-letter", again, "replay", "--dry-run", letter)
		if res.code != 1 || !strings.Contains(res.stderr, "replay "+letter+": on_success[1] log (failed ") ||
			!strings.Contains(res.stdout, "[0] log: failed") {
			t.Errorf("replay --dry-run: %+v", res)
		}
		if files, _ := filepath.Glob(filepath.Join(again, "*")); len(files) != 0 {
			t.Errorf("a dry run saved dead letters: %v", files)
		}
	})
}
