package host_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/host/lockfile"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// pluginDir copies the named test plugins into a fresh directory.
func pluginDir(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		src, err := os.Open(filepath.Join(binDir, "lava-action-"+n))
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.OpenFile(filepath.Join(dir, "lava-action-"+n), os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			t.Fatal(err)
		}
		src.Close()
		dst.Close()
	}
	return dir
}

// tamper replaces the file at path with a copy one byte longer, as an
// attacker or a careless upgrade would (a running binary cannot be written).
func tamper(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".new", append(b, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
}

func wantIntegrityError(t *testing.T, err error, text string) {
	t.Helper()
	var pe *host.PluginError
	if !errors.As(err, &pe) || pe.Kind != host.KindIntegrity || !errors.Is(err, host.ErrIntegrity) && !errors.Is(err, host.ErrUntrusted) {
		t.Fatalf("err = %v, want an integrity PluginError", err)
	}
	if !strings.Contains(err.Error(), text) {
		t.Errorf("err = %q, want it to mention %q", err, text)
	}
}

func TestVerifyAcceptsLockedPlugins(t *testing.T) {
	t.Parallel()
	dir := pluginDir(t, "log", "misbehave")
	lock, _, err := host.WriteLock(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(lock) != 2 {
		t.Fatalf("lock = %v", lock)
	}
	h, _ := newHost(t, host.Config{PluginPath: []string{dir}, Verify: true})
	if _, err := run(t, h, value.NewMap("action", "log", "message", "x")); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyHashesEveryStart(t *testing.T) {
	t.Parallel()
	dir := pluginDir(t, "misbehave")
	if _, _, err := host.WriteLock(dir, false); err != nil {
		t.Fatal(err)
	}
	h, _ := newHost(t, host.Config{PluginPath: []string{dir}, Verify: true})
	if _, err := run(t, h, mode("ok")); err != nil {
		t.Fatal(err)
	}
	tamper(t, filepath.Join(dir, "lava-action-misbehave"))
	// The running process is unaffected; the next start must notice.
	if _, err := run(t, h, mode("exit")); err == nil {
		t.Fatal("exit mode did not fail")
	}
	_, err := run(t, h, mode("ok"))
	wantIntegrityError(t, err, "sha256 differs from the lock file")
}

func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		setup func(t *testing.T, dir string)
		want  string
	}{
		"modified binary": {
			setup: func(t *testing.T, dir string) { tamper(t, filepath.Join(dir, "lava-action-log")) },
			want:  "sha256 differs from the lock file",
		},
		"not in lock": {
			setup: func(t *testing.T, dir string) {
				os.WriteFile(filepath.Join(dir, lockfile.FileName), []byte(strings.Repeat("0", 64)+"  lava-action-other\n"), 0o644)
			},
			want: "lava-action-log is not in the lock file",
		},
		"symlink out of the directory": {
			setup: func(t *testing.T, dir string) {
				os.Remove(filepath.Join(dir, "lava-action-log"))
				if err := os.Symlink(filepath.Join(binDir, "lava-action-log"), filepath.Join(dir, "lava-action-log")); err != nil {
					t.Fatal(err)
				}
			},
			want: "outside its directory",
		},
		"no lock file": {
			setup: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, lockfile.FileName)) },
			want:  "no lava-actions.lock or SHA256SUMS",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := pluginDir(t, "log")
			if _, _, err := host.WriteLock(dir, false); err != nil {
				t.Fatal(err)
			}
			tc.setup(t, dir)
			h, _ := newHost(t, host.Config{PluginPath: []string{dir}, Verify: true})
			_, err := run(t, h, value.NewMap("action", "log", "message", "x"))
			wantIntegrityError(t, err, tc.want)
			if !strings.HasPrefix(err.Error(), "on_success action: log: ") {
				t.Errorf("err = %q", err)
			}
		})
	}
}

func TestInsecureVerifyReportsWritablePlugins(t *testing.T) {
	t.Parallel()
	dir := pluginDir(t, "log")
	if _, _, err := host.WriteLock(dir, false); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "lava-action-log"), 0o777); err != nil {
		t.Fatal(err)
	}
	h, sink := newHost(t, host.Config{PluginPath: []string{dir}, Verify: true, InsecurePluginPath: true})
	if err := h.Start(context.Background(), "log"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"trust checks are off", "writable by group or others (mode -rwxrwxrwx)"} {
		if !strings.Contains(sink.String(), want) {
			t.Errorf("log lacks %q: %s", want, sink)
		}
	}
}

// TestTrustByDefault checks that a host, with no option set, refuses a
// plugin its user cannot trust, and that InsecurePluginPath lets it run.
func TestTrustByDefault(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		setup    func(t *testing.T, dir string)
		want     string
		needRoot bool
	}{
		{name: "world-writable directory", want: "is writable by group or others (mode drwxrwxrwx)", setup: func(t *testing.T, dir string) {
			must(t, os.Chmod(dir, 0o777))
		}},
		{name: "group-writable binary", want: "lava-action-log is writable by group or others (mode -rwxrwxr-x)", setup: func(t *testing.T, dir string) {
			must(t, os.Chmod(filepath.Join(dir, "lava-action-log"), 0o775))
		}},
		{name: "binary of another user", needRoot: true, want: "owned by uid 65534", setup: func(t *testing.T, dir string) {
			must(t, os.Chown(filepath.Join(dir, "lava-action-log"), 65534, -1))
		}},
		{name: "directory of another user", needRoot: true, want: "owned by uid 65534", setup: func(t *testing.T, dir string) {
			must(t, os.Chown(dir, 65534, -1))
		}},
		{name: "symlink out of the directory", want: "outside its directory", setup: func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, "lava-action-log")))
			must(t, os.Symlink(filepath.Join(binDir, "lava-action-log"), filepath.Join(dir, "lava-action-log")))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.needRoot && os.Geteuid() != 0 {
				t.Skip("needs root to chown")
			}
			dir := pluginDir(t, "log")
			tc.setup(t, dir)
			h, _ := newHost(t, host.Config{PluginPath: []string{dir}})
			_, err := run(t, h, value.NewMap("action", "log", "message", "x"))
			wantIntegrityError(t, err, tc.want)
			if !errors.Is(err, host.ErrUntrusted) || !strings.HasPrefix(err.Error(), "on_success action: log: ") {
				t.Errorf("err = %q", err)
			}
			if err := h.Start(context.Background(), "log"); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Start: %v", err)
			}
			if _, _, err := host.WriteLock(dir, false); !errors.Is(err, host.ErrUntrusted) {
				t.Errorf("WriteLock: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, lockfile.FileName)); !os.IsNotExist(err) {
				t.Errorf("a lock file was written: %v", err)
			}
			// Turned off, the plugin runs.
			insecure, sink := newHost(t, host.Config{PluginPath: []string{dir}, InsecurePluginPath: true})
			if _, err := run(t, insecure, value.NewMap("action", "log", "message", "x")); err != nil {
				t.Errorf("insecure run: %v", err)
			}
			if !strings.Contains(sink.String(), "trust checks are off") {
				t.Errorf("no warning: %s", sink)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
