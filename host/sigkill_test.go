package host_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/tests/testkit"
)

// helperHost runs in a re-executed test binary: it starts every plugin in
// LAVA_TEST_HOST_HELPER's directory, prints their pids and waits to be
// killed.
func helperHost() {
	h, err := host.New(host.Config{PluginPath: []string{os.Getenv("LAVA_TEST_HOST_HELPER")}})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	if err := h.Start(context.Background(), "log", "misbehave"); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for _, pid := range h.PIDs() {
		fmt.Println("pid", pid)
	}
	fmt.Println("ready")
	time.Sleep(time.Minute)
	os.Exit(0)
}

func TestSIGKILLedHostLeavesNoPlugin(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LAVA_TEST_HOST_HELPER="+binDir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pids []int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if line == "ready" {
			break
		}
		if p, ok := strings.CutPrefix(line, "pid "); ok {
			n, _ := strconv.Atoi(p)
			pids = append(pids, n)
		} else {
			t.Fatalf("helper: %s", line)
		}
	}
	if len(pids) != 2 {
		t.Fatalf("helper started %d plugins, want 2", len(pids))
	}
	for _, p := range pids {
		if !testkit.Alive(p) {
			t.Fatalf("plugin %d not running before the kill", p)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	deadline := time.Now().Add(2 * time.Second)
	for _, p := range pids {
		if !testkit.Gone(p, time.Until(deadline)) {
			t.Errorf("plugin %d still alive 2s after its host was SIGKILLed", p)
		}
	}
}
