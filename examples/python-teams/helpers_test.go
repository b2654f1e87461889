package pythonteams_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// python is the interpreter the Python SDK targets: Debian's, with
// python3-grpcio and python3-protobuf.
const python = "/usr/bin/python3"

// needPython skips the test when Debian's grpcio or protobuf is missing,
// unless LAVA_REQUIRE_PYTHON is set (.ci/run sets it after installing them),
// in which case it fails.
func needPython(tb testing.TB) {
	tb.Helper()
	out, err := exec.Command(python, "-c", "import grpc, google.protobuf").CombinedOutput()
	if err == nil {
		return
	}
	msg := "Python plugin tests need " + python + " with python3-grpcio and python3-protobuf " +
		"(apt-get install python3-grpcio python3-protobuf): " + string(out)
	if os.Getenv("LAVA_REQUIRE_PYTHON") != "" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// repo returns the repository root.
func repo(tb testing.TB) string {
	tb.Helper()
	abs, err := filepath.Abs("../..")
	if err != nil {
		tb.Fatal(err)
	}
	return abs
}

// pluginDir returns a fresh plugin directory holding symlinks to the given
// Python plugin executables (paths relative to the repository root), as
// lava-action-<type> files.
func pluginDir(tb testing.TB, rel ...string) string {
	tb.Helper()
	dir := tb.TempDir()
	for _, r := range rel {
		src := filepath.Join(repo(tb), r)
		if err := os.Symlink(src, filepath.Join(dir, filepath.Base(src))); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

const (
	teamsExe = "examples/python-teams/lava-action-teams"
	faultExe = "sdk/python/testdata/lava-action-pyfault"
)
