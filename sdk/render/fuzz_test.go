package render

import (
	"encoding/json"
	"os"
	"testing"
	"time"
)

// FuzzRender renders arbitrary templates with the spec fixture: no panic,
// an error or a text within the engine's output bound, and a bounded time
// (the engine's range, iteration, depth and size limits keep template bombs
// small). The golden cases are the seed corpus.
func FuzzRender(f *testing.F) {
	raw, err := os.ReadFile("testdata/cases.json")
	if err != nil {
		f.Fatal(err)
	}
	var doc struct {
		Groups []struct {
			Cases []struct {
				Template string `json:"tpl"`
			} `json:"cases"`
		} `json:"groups"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		f.Fatal(err)
	}
	for _, g := range doc.Groups {
		for _, c := range g.Cases {
			f.Add(c.Template)
		}
	}
	e := New()
	e.MaxOutput = 64 << 10
	e.MaxRange = 1000
	e.MaxIterations = 10000
	vars := specVars(f)
	f.Fuzz(func(t *testing.T, src string) {
		start := time.Now()
		out, err := e.Render(src, vars)
		if err == nil && len(out) > e.MaxOutput {
			t.Fatalf("output of %d bytes over the %d limit", len(out), e.MaxOutput)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("render took %v", d)
		}
		_ = e.Check(src)
	})
}
