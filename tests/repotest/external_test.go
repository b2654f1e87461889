package repotest

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/lava-actions/lava-actions/tests/testkit"
)

// repoRoot is the repository root, from this package's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// goIn runs the go command in dir as an outside author would: module mode
// with downloads allowed (GOFLAGS=-mod=mod), the environment's GOPROXY, no
// workspace.
func goIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s in %s: %v\n%s%s", strings.Join(args, " "), dir, err, out.String(), errb.String())
	}
	return out.String()
}

// forbiddenModules are the root module's heavy dependencies, which a plugin
// author must never inherit from the SDK.
var forbiddenModules = []string{"github.com/aws/aws-sdk-go", "github.com/sivchari/kumo", "github.com/spf13/cobra",
	"github.com/prometheus/", "github.com/slack-go/slack"}

// TestWebhookBuildsAsExternalModule copies examples/webhook (the plugin and
// its plugintest tests; not its host test, which needs the host) to a
// module of its own that requires only the SDK, builds and tests it, and
// checks its module graph.
func TestWebhookBuildsAsExternalModule(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	dir := t.TempDir()
	const oldPath, newPath = "github.com/lava-actions/lava-actions/examples/webhook", "example.com/webhook"
	for _, f := range []string{"main.go", "webhook/webhook.go", "webhook/webhook_test.go"} {
		b, err := os.ReadFile(filepath.Join(root, "examples/webhook", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		b = bytes.ReplaceAll(b, []byte(oldPath), []byte(newPath))
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mod := "module " + newPath + "\n\ngo 1.25\n\nrequire github.com/lava-actions/lava-actions/sdk v0.1.0\n\n" +
		"replace github.com/lava-actions/lava-actions/sdk => " + filepath.Join(root, "sdk") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	goIn(t, dir, "mod", "tidy")
	goIn(t, dir, "build", "-o", filepath.Join(dir, "lava-action-webhook"), ".")
	goIn(t, dir, "vet", "./...")
	all := goIn(t, dir, "list", "-m", "all")
	for _, m := range forbiddenModules {
		if strings.Contains(all, m) {
			t.Errorf("the external module's build list holds %s:\n%s", m, all)
		}
	}
	if !strings.Contains(all, "google.golang.org/grpc") || !strings.Contains(all, "github.com/lava-actions/lava-actions/sdk v0.1.0 => ") {
		t.Errorf("the build list lacks grpc or the replaced sdk:\n%s", all)
	}
	goIn(t, dir, "test", "-count=1", "./webhook/")
}

// snippet returns the fenced block that follows <!-- snippet: name --> in
// text.
func snippet(t *testing.T, text, name string) string {
	t.Helper()
	re := regexp.MustCompile("(?s)<!-- snippet: " + regexp.QuoteMeta(name) + " -->\n```[a-z]*\n(.*?)```")
	m := re.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("README has no snippet %q", name)
	}
	return m[1]
}

// TestREADMEPluginSnippet builds README's "Writing your own action type"
// go.mod and main.go exactly as written (only the replace path points at
// this checkout), then runs and dry-runs the plugin through the host.
func TestREADMEPluginSnippet(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mod := snippet(t, string(readme), "hello go.mod")
	if !strings.Contains(mod, "=> ../lava-actions/sdk") {
		t.Fatalf("go.mod snippet lost its replace line:\n%s", mod)
	}
	mod = strings.Replace(mod, "=> ../lava-actions/sdk", "=> "+filepath.Join(root, "sdk"), 1)
	for name, text := range map[string]string{"go.mod": mod, "main.go": snippet(t, string(readme), "hello main.go")} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goIn(t, dir, "mod", "tidy")
	plugins := filepath.Join(dir, "plugins")
	goIn(t, dir, "build", "-o", filepath.Join(plugins, "lava-action-hello"), ".")

	var logs testkit.SyncBuffer
	h, err := host.New(host.Config{PluginPath: []string{plugins},
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	job := value.NewMap("job_id", "j", "on_success", []any{value.NewMap("action", "hello", "message", "hi {{ job.job_id }}")})
	realm := value.NewMap("realm", "dev")
	rep, err := h.DryRun(context.Background(), host.OnSuccess, job, realm, nil)
	if err != nil || rep.Actions[0].Status != host.StatusPreview || len(rep.Actions[0].Effects) != 1 ||
		rep.Actions[0].Effects[0].Detail != `{"message": "hi j"}` || strings.Contains(logs.String(), "hi j") {
		t.Fatalf("dry run: %v %+v\n%s", err, rep, logs.String())
	}
	rep, err = h.Run(context.Background(), host.OnSuccess, job, realm, nil)
	if err != nil || rep.Actions[0].Status != host.StatusOK || rep.Actions[0].Summary != "hi j" {
		t.Fatalf("run: %v %+v", err, rep)
	}
	if !strings.Contains(logs.String(), `"msg":"hi j","action":"hello"`) {
		t.Errorf("the plugin's log record is not on the host log:\n%s", logs.String())
	}
	job.Set("on_success", []any{value.NewMap("action", "hello", "message", "x", "extra", 1)})
	if _, err := h.Run(context.Background(), host.OnSuccess, job, realm, nil); err == nil ||
		err.Error() != "on_success action: hello: Unexpected keys: extra" {
		t.Errorf("strict by default: err = %v", err)
	}
}
