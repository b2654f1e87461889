package render

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// The golden test renders every template of testdata/cases.json and
// compares the output (or error text) byte for byte with Python jinja2's,
// recorded in testdata/golden.json by testdata/gen_golden.py. Regenerate
// the goldens after changing cases.json with:
//
//	python3 sdk/render/testdata/gen_golden.py
//
// Cases listed in testdata/known_differences.json must differ from Python;
// the test fails when one starts to match (remove it from the list) or
// when any other case differs.

type caseFile struct {
	Context json.RawMessage `json:"context"`
	Groups  []struct {
		Name  string `json:"name"`
		Cases []struct {
			ID     string `json:"id"`
			Tpl    string `json:"tpl"`
			Result string `json:"result"`
		} `json:"cases"`
	} `json:"groups"`
}

type goldenRow struct {
	ID    string  `json:"id"`
	Group string  `json:"group"`
	Out   *string `json:"out"`
	Err   *string `json:"err"`
	Type  string  `json:"type"`
}

type knownDiff struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// fixtureVars decodes the golden context: {"$dt": iso} is a datetime and
// {"$dec": text} a Decimal; other numbers are typed as Python's json.loads
// types them.
func fixtureVars(t testing.TB, raw []byte, result string) *Vars {
	t.Helper()
	v, err := value.DecodeJSON(raw, value.PythonNumbers)
	if err != nil {
		t.Fatal(err)
	}
	ctx := fixtureValue(t, v).(*value.Map)
	results := ctx.Map("results")
	if result == "" {
		result = "success"
	}
	res := results.Map(result)
	if res == nil {
		t.Fatalf("no result %q in context", result)
	}
	return &Vars{Job: ctx.Map("job"), Realm: ctx.Map("realm"), Result: res}
}

func fixtureValue(t testing.TB, v any) any {
	switch x := v.(type) {
	case *value.Map:
		if x.Len() == 1 {
			if s, ok := x.Get("$dt"); ok {
				d, err := value.ParseDateTime(s.(string))
				if err != nil {
					t.Fatal(err)
				}
				return d
			}
			if s, ok := x.Get("$dec"); ok {
				return value.MustDecimal(s.(string))
			}
		}
		out := &value.Map{}
		x.Range(func(k string, e any) bool { out.Set(k, fixtureValue(t, e)); return true })
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fixtureValue(t, e)
		}
		return out
	}
	return v
}

func readJSON(t testing.TB, name string, into any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, into); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// caseFiles lists testdata/cases*.json; each has its golden*.json.
func caseFiles(t testing.TB) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "cases*.json"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no testdata/cases*.json: %v", err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

func TestGolden(t *testing.T) {
	t.Parallel()
	var known []knownDiff
	readJSON(t, "known_differences.json", &known)
	isKnown := map[string]string{}
	for _, k := range known {
		if k.Reason == "" {
			t.Errorf("known difference %s has no reason", k.ID)
		}
		isKnown[k.ID] = k.Reason
	}
	seen := map[string]bool{}
	for _, name := range caseFiles(t) {
		for _, id := range goldenFile(t, name, isKnown) {
			if seen[id] {
				t.Errorf("case id %s appears twice", id)
			}
			seen[id] = true
		}
	}
	for id := range isKnown {
		if !seen[id] {
			t.Errorf("known difference %s is not a golden case", id)
		}
	}
}

// goldenFile checks one cases file against its goldens and returns its ids.
func goldenFile(t *testing.T, name string, isKnown map[string]string) []string {
	var cases caseFile
	readJSON(t, name, &cases)
	goldenName := "golden" + strings.TrimPrefix(name, "cases")
	var golden struct {
		Cases []goldenRow `json:"cases"`
	}
	readJSON(t, goldenName, &golden)
	want := map[string]goldenRow{}
	for _, g := range golden.Cases {
		want[g.ID] = g
	}

	eng := New()
	var ids []string
	for _, g := range cases.Groups {
		for _, c := range g.Cases {
			ids = append(ids, c.ID)
			c := c
			row, ok := want[c.ID]
			if !ok {
				t.Errorf("%s: no golden row in %s; run python3 sdk/render/testdata/gen_golden.py", c.ID, goldenName)
				continue
			}
			t.Run(g.Name+"/"+c.ID, func(t *testing.T) {
				t.Parallel()
				vars := fixtureVars(t, cases.Context, c.Result)
				out, err := eng.Render(c.Tpl, vars)
				got := "out:" + out
				if err != nil {
					got = "err:" + err.Error()
				}
				exp := ""
				if row.Out != nil {
					exp = "out:" + *row.Out
				} else if row.Err != nil {
					exp = "err:" + *row.Err
				}
				diff := cmp.Diff(exp, got)
				if reason, listed := isKnown[c.ID]; listed {
					if diff == "" {
						t.Errorf("%s is listed in known_differences.json (%s) but now matches Python: remove it from the list", c.ID, reason)
					}
					return
				}
				if diff != "" {
					t.Errorf("template %q (-python +go):\n%s", c.Tpl, diff)
				}
			})
		}
	}
	if len(ids) != len(golden.Cases) {
		t.Errorf("%s has %d cases, %s %d: regenerate the goldens", name, len(ids), goldenName, len(golden.Cases))
	}
	return ids
}
