// Command misbehave is a test plugin whose behaviour the action item picks
// with its "mode" field: ok, crash, panic, hang, sleep, pid, env, stderr.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/lava-actions/lava-actions/sdk"
)

type action struct{}

func (action) Describe() sdk.Description {
	return sdk.Description{Type: "misbehave", Version: "0.0.1", Lenient: true, Fields: []sdk.Field{
		{Name: "mode", Required: true, Kind: sdk.KindString},
		{Name: "ms", Kind: sdk.KindNumber},
	}}
}

func (action) Execute(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	switch req.Item.String("mode") {
	case "crash":
		// A panic off the request goroutine is not recovered: the process dies
		// with the stack on fd 2.
		go func() { panic("boom: crash on purpose") }()
		select {}
	case "exit":
		os.Exit(3)
	case "panic":
		panic("on purpose")
	case "hang":
		select {} // ignores cancellation
	case "sleep":
		ms, _ := req.Item.Get("ms")
		d, _ := sdk.ParseDuration(ms)
		time.Sleep(time.Duration(d * float64(time.Millisecond)))
	case "pid":
		return &sdk.Result{Summary: fmt.Sprint(os.Getpid())}, nil
	case "env":
		return &sdk.Result{Summary: strings.Join(os.Environ(), "\n")}, nil
	case "stderr":
		big := strings.Repeat("x", 1<<20)
		for range 10 {
			fmt.Fprintln(os.Stderr, big)
		}
	case "fail":
		return nil, fmt.Errorf("failed on purpose")
	case "needfile":
		p := req.Item.String("path")
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%s is missing", p)
		}
	}
	return &sdk.Result{Summary: "ok"}, nil
}

func main() { sdk.Serve(action{}) }
