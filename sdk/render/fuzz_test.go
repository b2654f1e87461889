package render

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzRender renders arbitrary templates with the spec fixture: no panic,
// an error or a text within the engine's output bound, and a bounded time
// (the engine's range, iteration, depth and size limits keep template bombs
// small). A recovered panic (an internal error) fails too. The golden cases
// of every testdata/cases*.json are the seed corpus.
func FuzzRender(f *testing.F) {
	files, err := filepath.Glob("testdata/cases*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files: %v", err)
	}
	for _, name := range files {
		raw, err := os.ReadFile(name)
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
	}
	e := New()
	e.MaxOutput = 64 << 10
	e.MaxRange = 1000
	e.MaxIterations = 10000
	vars := specVars(f)
	f.Fuzz(func(t *testing.T, src string) {
		start := time.Now()
		out, err := e.Render(src, vars)
		var re *Error
		if errors.As(err, &re) && re.Class == classInternal {
			t.Fatalf("internal error (a recovered panic): %v", err)
		}
		if err == nil && len(out) > e.MaxOutput {
			t.Fatalf("output of %d bytes over the %d limit", len(out), e.MaxOutput)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("render took %v", d)
		}
		if err := e.Check(src); errors.As(err, &re) && re.Class == classInternal {
			t.Fatalf("internal error (a recovered panic) in Check: %v", err)
		}
	})
}
