package sdk

import (
	"log/slog"
	"slices"
	"testing"
)

// TestLogAttrOrder: a record's attributes reach the wire in the order the
// action logged them (the logger's own first), every time.
func TestLogAttrOrder(t *testing.T) {
	t.Parallel()
	want := []string{"event_type", "job_id", "zeta", "alpha", "run_id", "mid"}
	for i := range 50 {
		rec := newRecorder()
		slog.New(rec).With("event_type", "job", "job_id", "j").Info("m", "zeta", 1, "alpha", true, "run_id", "r", "mid", 2.5)
		logs := rec.take()
		if len(logs) != 1 {
			t.Fatalf("%d records", len(logs))
		}
		var got []string
		for _, a := range logToProtocol(logs[0]).Attrs {
			got = append(got, a.Key)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("run %d: keys %v, want %v", i, got, want)
		}
	}
	// A record built without Keys is sent in sorted key order.
	lr := LogRecord{Message: "m", Attrs: map[string]any{"b": "1", "a": "2", "c": "3"}}
	var got []string
	for _, a := range logToProtocol(lr).Attrs {
		got = append(got, a.Key)
	}
	if !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("keys %v, want sorted", got)
	}
}
