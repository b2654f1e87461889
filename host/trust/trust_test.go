package trust_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/lava-actions/lava-actions/host/trust"
)

// layout builds a plugin directory holding lava-action-x (mode 0755) and
// returns the directory and the plugin's path.
func layout(t *testing.T) (dir, plugin string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "plugins")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	plugin = filepath.Join(dir, "lava-action-x")
	if err := os.WriteFile(plugin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, plugin
}

func TestCheckPlugin(t *testing.T) {
	t.Parallel()
	root := os.Geteuid() == 0
	cases := []struct {
		name     string
		setup    func(t *testing.T, dir, plugin string) string // returns the path to check
		want     string                                        // "" means trusted
		needRoot bool
	}{
		{name: "private", setup: func(t *testing.T, dir, plugin string) string { return plugin }},
		{name: "dir 0700", setup: func(t *testing.T, dir, plugin string) string { chmod(t, dir, 0o700); return plugin }},
		{name: "world-writable dir", want: "plugin directory", setup: func(t *testing.T, dir, plugin string) string {
			chmod(t, dir, 0o777)
			return plugin
		}},
		{name: "group-writable dir", want: "writable by group or others (mode drwxrwxr-x)", setup: func(t *testing.T, dir, plugin string) string {
			chmod(t, dir, 0o775)
			return plugin
		}},
		{name: "world-writable binary", want: "writable by group or others (mode -rwxrwxrwx)", setup: func(t *testing.T, dir, plugin string) string {
			chmod(t, plugin, 0o777)
			return plugin
		}},
		{name: "group-writable binary", want: "lava-action-x is writable by group", setup: func(t *testing.T, dir, plugin string) string {
			chmod(t, plugin, 0o775)
			return plugin
		}},
		{name: "binary owned by another user", needRoot: true, want: "owned by uid 65534", setup: func(t *testing.T, dir, plugin string) string {
			chown(t, plugin, 65534)
			return plugin
		}},
		{name: "dir owned by another user", needRoot: true, want: "owned by uid 65534", setup: func(t *testing.T, dir, plugin string) string {
			chown(t, dir, 65534)
			return plugin
		}},
		{name: "symlink inside", setup: func(t *testing.T, dir, plugin string) string {
			link := filepath.Join(dir, "lava-action-y")
			symlink(t, "lava-action-x", link)
			return link
		}},
		{name: "symlink outside", want: "outside its directory", setup: func(t *testing.T, dir, plugin string) string {
			other := filepath.Join(filepath.Dir(dir), "lava-action-z")
			if err := os.WriteFile(other, []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(dir, "lava-action-z")
			symlink(t, other, link)
			return link
		}},
		{name: "dangling symlink", want: "no such file", setup: func(t *testing.T, dir, plugin string) string {
			link := filepath.Join(dir, "lava-action-gone")
			symlink(t, filepath.Join(dir, "nothing"), link)
			return link
		}},
		{name: "directory reached through a symlink", setup: func(t *testing.T, dir, plugin string) string {
			link := filepath.Join(filepath.Dir(dir), "via")
			symlink(t, dir, link)
			return filepath.Join(link, "lava-action-x")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.needRoot && !root {
				t.Skip("needs root to chown")
			}
			if runtime.GOOS == "windows" {
				t.Skip("unix permissions")
			}
			dir, plugin := layout(t)
			path := tc.setup(t, dir, plugin)
			checkDir := dir
			if tc.name == "directory reached through a symlink" {
				checkDir = filepath.Dir(path)
			}
			real, err := trust.CheckPlugin(checkDir, path)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("CheckPlugin: %v", err)
			case tc.want == "" && !strings.HasPrefix(real, filepath.Dir(dir)):
				t.Errorf("real path %s", real)
			case tc.want != "" && err == nil:
				t.Fatalf("CheckPlugin accepted it, want an error containing %q", tc.want)
			case tc.want != "" && (!errors.Is(err, trust.ErrUntrusted) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("err = %v, want ErrUntrusted containing %q", err, tc.want)
			}
		})
	}
}

func TestCheckDirRefusesAFile(t *testing.T) {
	t.Parallel()
	_, plugin := layout(t)
	if _, err := trust.CheckDir(plugin); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("err = %v", err)
	}
}

func TestInside(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dir, path string
		want      bool
	}{
		{"/a/b", "/a/b/c", true},
		{"/a/b", "/a/b/c/d", true},
		{"/a/b", "/a/b", true},
		{"/a/b", "/a/bc", false},
		{"/a/b", "/a", false},
		{"/a/b", "/x/b/c", false},
		{"/a/b", "/a/b/../c", false},
	} {
		if got := trust.Inside(tc.dir, filepath.Clean(tc.path)); got != tc.want {
			t.Errorf("Inside(%q, %q) = %v", tc.dir, tc.path, got)
		}
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func chown(t *testing.T, path string, uid int) {
	t.Helper()
	if err := os.Chown(path, uid, -1); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// A plugin directory given as a relative path (e.g. --plugin-dir
// bin/plugins) holds its plugins even when their paths are absolute.
func TestCheckPluginRelativeDir(t *testing.T) {
	t.Parallel()
	dir, plugin := layout(t)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, dir)
	if err != nil || filepath.IsAbs(rel) {
		t.Skipf("no relative path from %s to %s", wd, dir)
	}
	for _, p := range []string{plugin, filepath.Join(rel, filepath.Base(plugin))} {
		if _, err := trust.CheckPlugin(rel, p); err != nil {
			t.Errorf("CheckPlugin(%q, %q): %v", rel, p, err)
		}
	}
}
