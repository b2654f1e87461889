package sdk_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/value"
)

type delayItem struct{ seconds float64 }

type delayAction struct{ parses *atomic.Int32 }

func (delayAction) Describe() sdk.Description {
	return sdk.Description{Type: "delay", Fields: []sdk.Field{{Name: "delay", Required: true, Kind: sdk.KindDuration}}}
}

func (a delayAction) Parse(_ context.Context, req *sdk.Request) (delayItem, error) {
	a.parses.Add(1)
	v, _ := req.Item.Get("delay")
	s, err := sdk.ParseDuration(v)
	if err == nil && s > 900 {
		err = fmt.Errorf("delay must be at most 900 seconds")
	}
	return delayItem{s}, err
}

func (delayAction) ExecuteParsed(_ context.Context, _ *sdk.Request, p delayItem) (*sdk.Result, error) {
	return &sdk.Result{Summary: fmt.Sprint(p.seconds)}, nil
}

// A Typed action parses each item once per Execute and gets the parsed
// value; a parse error is the validation error and nothing executes.
func TestTypedParsesOnce(t *testing.T) {
	t.Parallel()
	cases := []struct {
		delay   any
		summary string
		err     string
	}{
		{"2m", "120", ""},
		{int64(5), "5", ""},
		{"1h", "", "delay must be at most 900 seconds"},
		{"soon", "", "Invalid duration: soon"},
	}
	for _, tc := range cases {
		var parses atomic.Int32
		conn := plugintest.InProcess(t, sdk.Typed[delayItem](delayAction{parses: &parses}))
		out, err := conn.Execute(context.Background(), plugintest.Input{Item: value.NewMap("action", "delay", "delay", tc.delay)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Summary != tc.summary || out.Error != tc.err {
			t.Errorf("%v: summary %q error %q", tc.delay, out.Summary, out.Error)
		}
		if n := parses.Load(); n != 1 {
			t.Errorf("%v: parsed %d times", tc.delay, n)
		}
	}
}
