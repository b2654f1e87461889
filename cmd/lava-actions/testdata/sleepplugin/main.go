// Command lava-action-sleep is a test plugin for the lava-actions command's
// tests: it writes its process id to the file named by the TEST_MARKER
// configuration key (LAVA_TEST_MARKER in the host's environment), then
// waits until its request is cancelled.
package main

import (
	"context"
	"os"
	"strconv"
	"time"

	"github.com/lava-actions/lava-actions/sdk"
)

type action struct{}

func (action) Describe() sdk.Description {
	return sdk.Description{Type: "sleep", Version: "0.0.0", Summary: "Wait until cancelled (test plugin)."}
}

func (action) Execute(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	if path := req.Config.Get("TEST_MARKER", ""); path != "" {
		if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
			return nil, err
		}
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(time.Minute):
		return &sdk.Result{Summary: "slept"}, nil
	}
}

func main() { sdk.Serve(action{}) }
