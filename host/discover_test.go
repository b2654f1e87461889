package host_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// copyPlugin copies the test plugin lava-action-<name> to path (mode 0755).
func copyPlugin(t *testing.T, name, path string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(binDir, "lava-action-"+name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestDiscoverDeduplicates checks that one directory named several ways is
// scanned once, so that no plugin shadows itself, while two different files
// of one type are still a shadow, named once.
func TestDiscoverDeduplicates(t *testing.T) {
	t.Parallel()
	dir := pluginDir(t, "log")
	link := filepath.Join(t.TempDir(), "link")
	must(t, os.Symlink(dir, link))
	other := t.TempDir()
	copyPlugin(t, "log", filepath.Join(other, "lava-action-log"))
	sameFile := t.TempDir()
	must(t, os.Symlink(filepath.Join(dir, "lava-action-log"), filepath.Join(sameFile, "lava-action-log")))
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, dir)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		path    []string
		shadows []string
	}{
		{"repeated", []string{dir, dir}, nil},
		{"trailing slash", []string{dir, dir + "/"}, nil},
		{"through a symlink", []string{link, dir}, nil},
		{"relative", []string{dir, rel}, nil},
		{"link to the used file", []string{dir, sameFile}, nil},
		{"real shadow", []string{dir, other, dir + "/", other}, []string{filepath.Join(other, "lava-action-log")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			found, problems := host.Discover(tc.path)
			if len(problems) > 0 || len(found) != 1 {
				t.Fatalf("Discover = %+v, %v", found, problems)
			}
			c := found[0]
			if c.Type != "log" || filepath.Base(c.Path) != "lava-action-log" || strings.Join(c.Shadows, ",") != strings.Join(tc.shadows, ",") {
				t.Errorf("candidate = %+v, want shadows %v", c, tc.shadows)
			}
		})
	}
}

// TestShadowWarnsOnce checks that a real shadow is logged once, naming both
// files, however often the path is rescanned.
func TestShadowWarnsOnce(t *testing.T) {
	t.Parallel()
	dir := pluginDir(t, "log")
	other := t.TempDir()
	copyPlugin(t, "log", filepath.Join(other, "lava-action-log"))
	h, sink := newHost(t, host.Config{PluginPath: []string{dir, dir + "/", other}})
	h.Rescan()
	h.Rescan()
	logs := sink.String()
	if n := strings.Count(logs, "shadowed"); n != 1 {
		t.Errorf("%d shadow warnings, want 1:\n%s", n, logs)
	}
	for _, p := range []string{filepath.Join(dir, "lava-action-log"), filepath.Join(other, "lava-action-log")} {
		if !strings.Contains(logs, p) {
			t.Errorf("warning does not name %s:\n%s", p, logs)
		}
	}
}

// TestNoGracefulExitWarningForNonPlugin checks that refusing an executable
// that is no plugin says why once, without go-plugin's "failed to exit
// gracefully" warning for a process that never had a connection.
func TestNoGracefulExitWarningForNonPlugin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"garbage": "#!/bin/sh\necho hello this is not a plugin\nsleep 5\n",
		"quits":   "#!/bin/sh\necho 'I refuse' >&2\nexit 1\n",
	} {
		must(t, os.WriteFile(filepath.Join(dir, "lava-action-"+name), []byte(text), 0o755))
	}
	h, sink := newHost(t, host.Config{PluginPath: []string{dir}})
	for _, typ := range []string{"garbage", "quits"} {
		if _, err := run(t, h, value.NewMap("action", typ)); err == nil || !strings.Contains(err.Error(), "not a lava-actions plugin") {
			t.Errorf("%s: err = %v", typ, err)
		}
	}
	for _, line := range strings.Split(sink.String(), "\n") {
		if strings.Contains(line, "failed to exit gracefully") && !strings.Contains(line, `"level":"DEBUG"`) {
			t.Errorf("spurious warning: %s", line)
		}
	}
}
