package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/plugintest"
	"github.com/lava-actions/lava-actions/sdk/protocol"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// counting is an action whose Execute counts its calls and leaks whatever
// secrets it has into its error, logs and effects.
type counting struct {
	calls   *atomic.Int32
	lenient bool
}

func (a counting) Describe() sdk.Description {
	return sdk.Description{Type: "counting", Lenient: a.lenient, Fields: []sdk.Field{
		{Name: "to", Required: true, Kind: sdk.KindString, Render: sdk.RenderText},
		{Name: "n", Kind: sdk.KindNumber},
		{Name: "password", Kind: sdk.KindString, Render: sdk.RenderText, Secret: true},
	}}
}

func (a counting) Validate(_ context.Context, req *sdk.Request) error {
	if req.Item.String("to") == "nobody" {
		return errors.New("to must name somebody")
	}
	return nil
}

func (a counting) Execute(_ context.Context, req *sdk.Request) (*sdk.Result, error) {
	a.calls.Add(1)
	pw, _ := req.Render(req.Item.String("password"))
	found := "runtime-secret-" + req.RunID()
	req.Secret(found)
	req.Logger().Info("sending with "+pw, "found", found)
	return &sdk.Result{Effects: []sdk.Effect{{Operation: "x:Send", Target: found, Detail: sdk.EncodeDetail(value.NewMap("pw", pw))}}},
		fmt.Errorf("refused: %s / %s", pw, found)
}

// Execute alone (without Validate first, as a careless host might call it)
// never runs an invalid item: the SDK runs the field checks, strict by
// default, and the action's Validator first.
func TestBareExecuteOfInvalidItemSendsNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		lenient bool
		item    *value.Map
		want    string
	}{
		{"missing", false, value.NewMap("action", "counting"), "Missing keys: to"},
		{"unexpected", false, value.NewMap("action", "counting", "to", "a", "zz", 1), "Unexpected keys: zz"},
		{"kind", false, value.NewMap("action", "counting", "to", "a", "n", "x"), "n must be a number"},
		{"template syntax", false, value.NewMap("action", "counting", "to", "{{ x"), "unexpected end of template"},
		{"validator", false, value.NewMap("action", "counting", "to", "nobody"), "to must name somebody"},
		{"lenient still checks kinds", true, value.NewMap("action", "counting", "to", "a", "zz", 1, "n", "x"), "n must be a number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			conn := plugintest.InProcess(t, counting{calls: &calls, lenient: tc.lenient})
			out, err := conn.Execute(context.Background(), plugintest.Input{Item: tc.item})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.Error, tc.want) {
				t.Errorf("error = %q, want it to hold %q", out.Error, tc.want)
			}
			if n := calls.Load(); n != 0 {
				t.Errorf("Execute ran %d times for an invalid item", n)
			}
		})
	}
	var calls atomic.Int32
	conn := plugintest.InProcess(t, counting{calls: &calls, lenient: true})
	out, err := conn.Execute(context.Background(), plugintest.Input{Item: value.NewMap("action", "counting", "to", "a", "zz", 1)})
	if err != nil || calls.Load() != 1 || !strings.HasPrefix(out.Error, "refused") {
		t.Fatalf("lenient action with an extra key: err %v, calls %d, out %+v", err, calls.Load(), out)
	}
}

// Values of a field declared Secret (as written and as rendered) and
// strings marked with Request.Secret are redacted from the error, logs and
// effects; the host gets the list in the response (plugintest redacts as
// the host does).
func TestSecretsAreReportedAndRedacted(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	conn := plugintest.InProcess(t, counting{calls: &calls})
	out, err := conn.Execute(context.Background(), plugintest.Input{Item: value.NewMap(
		"action", "counting", "to", "a", "password", "pw-{{ job.run_id }}-x")})
	if err != nil {
		t.Fatal(err)
	}
	shown := fmt.Sprintf("%+v", out)
	for _, s := range []string{"pw-run-0001-x", "runtime-secret-run-0001"} {
		if strings.Contains(shown, s) {
			t.Errorf("secret %q shown: %s", s, shown)
		}
	}
	if out.Error != "refused: "+protocol.Redacted+" / "+protocol.Redacted {
		t.Errorf("error = %q", out.Error)
	}
	if len(out.Logs) != 1 || out.Logs[0].Message != "sending with "+protocol.Redacted || out.Logs[0].Attrs["found"] != protocol.Redacted {
		t.Errorf("logs = %+v", out.Logs)
	}
	if len(out.Effects) != 1 || out.Effects[0].Target != protocol.Redacted || out.Effects[0].Detail != `{"pw": "[REDACTED]"}` {
		t.Errorf("effects = %+v", out.Effects)
	}
}

// The raw protocol server (no transport) reports the secrets it met.
func TestNewServerReportsSecrets(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := sdk.NewServer(counting{calls: &calls})
	job, realm, result := plugintest.Fixture()
	resp, err := srv.Execute(context.Background(), &protocol.Request{
		Item: value.NewMap("action", "counting", "to", "a", "password", "pw-{{ job.run_id }}-x"),
		Job:  job, Realm: realm, Result: result,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"pw-{{ job.run_id }}-x": true, "pw-run-0001-x": true, "runtime-secret-run-0001": true}
	for _, s := range resp.Secrets {
		delete(want, s)
	}
	if len(want) != 0 {
		t.Errorf("secrets %q miss %v", resp.Secrets, want)
	}
}
