package protocol_test

import (
	"encoding/json"
	"testing"

	"github.com/lava-actions/lava-actions/sdk/protocol"
	"github.com/lava-actions/lava-actions/sdk/value"
)

func TestRedactor(t *testing.T) {
	t.Parallel()
	r := protocol.NewRedactor("test", "abcdefg", "s3cret/with\"quote", "s3cretXY", "")
	cases := []struct{ in, want string }{
		{"test and abcdefg are too short to redact", "test and abcdefg are too short to redact"},
		{"key s3cretXY here", "key [REDACTED] here"},
		{`json {"k": "s3cret/with\"quote"}`, `json {"k": "[REDACTED]"}`},
		{"raw s3cret/with\"quote", "raw [REDACTED]"},
	}
	for _, tc := range cases {
		if got := r.String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	v := r.Value(value.NewMap("s3cretXY", []any{"a s3cretXY", int64(1)}))
	if got := value.Repr(v); got != "{'[REDACTED]': ['a [REDACTED]', 1]}" {
		t.Errorf("Value = %s", got)
	}
	var nilR *protocol.Redactor
	if nilR.String("s3cretXY") != "s3cretXY" || nilR.Clone().String("s3cretXY") != "s3cretXY" {
		t.Error("a nil redactor changed text")
	}
}

func TestResponseRedactionUsesReportedSecrets(t *testing.T) {
	t.Parallel()
	base := protocol.NewRedactor("env-secret")
	resp := &protocol.Response{
		Error: "env-secret and found-secret", Summary: "found-secret",
		Effects: []protocol.Effect{{Operation: "op", Target: "t/found-secret", Detail: `{"a": "env-secret"}`, Outcome: "found-secret"}},
		Logs:    []protocol.LogRecord{{Message: "found-secret", Attrs: []protocol.Attr{{Key: "k", Value: []any{"env-secret"}}}}},
		Secrets: []string{"found-secret"},
	}
	base.Response(resp)
	b, _ := json.Marshal(resp)
	want := `{"Error":"[REDACTED] and [REDACTED]","Summary":"[REDACTED]","Effects":[{"operation":"op","target":"t/[REDACTED]","detail":{"a":"[REDACTED]"},"outcome":"[REDACTED]"}],"Logs":[{"Time":"0001-01-01T00:00:00Z","Level":"","Message":"[REDACTED]","Attrs":[{"Key":"k","Value":["[REDACTED]"]}]}],"Retries":0,"Secrets":null}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	if base.String("found-secret") != "found-secret" {
		t.Error("a response's secrets leaked into the shared redactor")
	}
}

func TestEffectJSON(t *testing.T) {
	t.Parallel()
	for _, e := range []protocol.Effect{
		{Operation: "op", Detail: `{"a": 1}`},
		{Operation: "op", Target: "t", Detail: "not json", Outcome: "id"},
		{Operation: "op"},
	} {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var back protocol.Effect
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if e.Detail == `{"a": 1}` {
			e.Detail = `{"a":1}` // embedded JSON is compacted
		}
		if back != e {
			t.Errorf("round trip of %+v gave %+v (%s)", e, back, b)
		}
	}
}
