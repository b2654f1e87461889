package serve

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lava-actions/lava-actions/host"
)

func TestRateLimit(t *testing.T) {
	t.Parallel()
	l := newRateLimit(1, 3)
	now := time.Unix(1000, 0)
	var allowed []bool
	for range 5 {
		ok, _ := l.allow(now)
		allowed = append(allowed, ok)
	}
	if want := []bool{true, true, true, false, false}; !equal(allowed, want) {
		t.Errorf("burst: %v, want %v", allowed, want)
	}
	// A second later one more line is allowed; it reports the two dropped.
	ok, dropped := l.allow(now.Add(time.Second))
	if !ok || dropped != 2 {
		t.Errorf("after a second: %v, %d dropped; want true, 2", ok, dropped)
	}
	if ok, _ := l.allow(now.Add(time.Second)); ok {
		t.Error("allowed past the rate")
	}
}

func equal(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTypeLabel(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lava-action-known"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h, err := host.New(host.Config{PluginPath: []string{dir}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	s := New(Config{Host: h})
	for typ, want := range map[string]string{"known": "known", "junk": "unknown", "": "unknown"} {
		if got := s.typeLabel(typ); got != want {
			t.Errorf("typeLabel(%q) = %q, want %q", typ, got, want)
		}
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	long := ""
	for range 40 {
		long += "é"
	}
	for in, want := range map[string]string{"short": "short", long: long[:64] + "…"} {
		if got := clip(in); got != want {
			t.Errorf("clip(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkObserve is the per-request cost of the request metrics and
// access log: "quiet" with logging off, "logged" with a text log line
// written (to io.Discard).
func BenchmarkObserve(b *testing.B) {
	h, err := host.New(host.Config{PluginPath: []string{b.TempDir()}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	noop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in := info(r)
		in.outcome, in.runID, in.types = outcomeOK, "run-0001", []string{"log"}
		w.WriteHeader(http.StatusOK)
	})
	for name, logger := range map[string]*slog.Logger{
		"quiet":  slog.New(slog.DiscardHandler),
		"logged": slog.New(slog.NewTextHandler(io.Discard, nil)),
	} {
		b.Run(name, func(b *testing.B) {
			handler := New(Config{Host: h, Logger: logger}).observe(noop)
			req := httptest.NewRequest("POST", "/v1/run", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				handler.ServeHTTP(w, req)
			}
		})
	}
}
