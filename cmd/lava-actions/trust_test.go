package main_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLockVerifyAndRunVerified(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	copyFile(t, filepath.Join(binDir, "plugins", "lava-action-log"), filepath.Join(dir, "lava-action-log"), 0o755)
	res := lava(t, "", "plugins", "lock", dir)
	if res.code != 0 || !strings.Contains(res.stdout, "lava-action-log") {
		t.Fatalf("lock: %+v", res)
	}
	if res := lava(t, "", "plugins", "verify", dir); res.code != 0 || !strings.Contains(res.stdout, "ok   ") {
		t.Fatalf("verify: %+v", res)
	}
	args := []string{"--verify", "--plugin-dir", dir, "run", "--on", "success", "--job", "testdata/job-two.json", "--realm", "testdata/realm.json"}
	if res := lava(t, "", args...); res.code != 0 {
		t.Fatalf("verified run: %+v", res)
	}
	// Replace the executable: verification must now refuse it.
	b, _ := os.ReadFile(filepath.Join(dir, "lava-action-log"))
	os.WriteFile(filepath.Join(dir, "x"), append(b, 0), 0o755)
	os.Rename(filepath.Join(dir, "x"), filepath.Join(dir, "lava-action-log"))
	if res := lava(t, "", "plugins", "verify", dir); res.code != 1 || !strings.Contains(res.stdout, "FAIL") {
		t.Errorf("verify after tampering: %+v", res)
	}
	res = lava(t, "", args...)
	// Refused before anything ran: exit 2.
	if res.code != 2 || !strings.Contains(res.stderr, "sha256 differs from the lock file") {
		t.Errorf("verified run after tampering: %+v", res)
	}
}

func TestDeadLetterAndReplayCommand(t *testing.T) {
	t.Parallel()
	dl := t.TempDir()
	res := lava(t, "", "--dead-letter", dl, "run", "--on", "success", "--job", "testdata/job-runtime.json", "--realm", "testdata/realm.json")
	if res.code != 1 {
		t.Fatalf("run: %+v", res)
	}
	files, _ := filepath.Glob(filepath.Join(dl, "*.json"))
	if len(files) != 1 {
		t.Fatalf("dead letters: %v", files)
	}
	if fi, _ := os.Stat(files[0]); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	res = lava(t, "", "replay", files[0])
	if res.code != 1 || !strings.Contains(res.stderr, files[0]) {
		t.Errorf("replay of a still-broken action: %+v", res)
	}
	if res := lava(t, "", "replay", "testdata/job.json"); res.code != 2 {
		t.Errorf("replay of a non-dead-letter: %+v", res)
	}
}

func TestServeCommand(t *testing.T) {
	t.Parallel()
	client, stop := startServe(t, filepath.Join(t.TempDir(), "lava.sock"), nil)
	job, _ := os.ReadFile("testdata/job-two.json")
	resp, err := client.Post("http://lava/v1/run", "application/json", strings.NewReader(`{"trigger":"success","job":`+string(job)+`}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"status":"ok"`) {
		t.Errorf("run: %d %s", resp.StatusCode, body)
	}
	stop() // SIGTERM: serve must exit 0 within 15 s
}
