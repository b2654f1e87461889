//go:build unix

package main_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterrupt sends SIGINT while an action runs: the run is cancelled,
// the host is drained (the plugin process is gone) and the exit code is 130.
func TestInterrupt(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "lava-actions"), "run", "--on", "success",
		"--job", "testdata/job-sleep.json", "--realm", "testdata/realm.json", "--plugin-dir", filepath.Join(binDir, "sleep"))
	cmd.Env = baseEnv("LAVA_TEST_MARKER=" + marker)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(marker); err == nil && len(b) > 0 {
			if pid, err = strconv.Atoi(string(b)); err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the sleep action never started; stderr:\n%s", stderr.String())
		}
	}
	start := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	assertNoPanic(t, res)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("exit = %v, want code 130\nstdout:\n%s\nstderr:\n%s", err, res.stdout, res.stderr)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v to stop after SIGINT", d)
	}
	if !strings.Contains(res.stdout, "[0] sleep: failed") {
		t.Errorf("stdout lacks the failed action:\n%s", res.stdout)
	}
	for deadline := time.Now().Add(2 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("plugin process %d still alive after the command exited", pid)
			syscall.Kill(pid, syscall.SIGKILL)
			break
		}
	}
}
