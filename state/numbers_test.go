package state_test

import (
	"context"
	"testing"

	"github.com/lava-actions/lava-actions/sdk/render"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/lava-actions/lava-actions/state"
)

// TestImportedNumbersArePythonNumbers writes json, secure and raw items to
// kumo, imports them as lava's worker does and renders them: json and
// secure values are json.loads results (int, float), raw values and the
// job's own defaults are DynamoDB numbers (Decimal). The wanted texts are
// Python jinja2's output for the same values.
func TestImportedNumbersArePythonNumbers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	doc := `{"n": 1042, "f": 2.5, "e": 1e3, "neg": -7, "l": [1, 2.0, {"x": 0.1}]}`
	v, err := value.DecodeJSON([]byte(doc), value.PythonNumbers)
	if err != nil {
		t.Fatal(err)
	}
	js, sec, raw := unique("numjson"), unique("numsecure"), unique("numraw")
	for id, typ := range map[string]string{js: "json", sec: "secure", raw: "raw"} {
		val := v
		if typ == "raw" {
			val = value.NewMap("n", value.MustDecimal("1042"))
		}
		if _, err := store().Put(ctx, realm, &state.Item{ID: id, Type: typ, Value: val}, state.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	job := value.NewMap("job_id", "j", "state", value.NewMap(js, nil, sec, nil, raw, nil, "default", value.MustDecimal("3")))
	if err := store().Import(ctx, realm, job); err != nil {
		t.Fatal(err)
	}
	eng := render.New()
	vars := &render.Vars{Job: job, Realm: &value.Map{}, Result: &value.Map{}}
	want := `{'n': 1042, 'f': 2.5, 'e': 1000.0, 'neg': -7, 'l': [1, 2.0, {'x': 0.1}]}` +
		`|1043|{"e": 1000.0, "f": 2.5, "l": [1, 2.0, {"x": 0.1}], "n": 1042, "neg": -7}`
	for _, id := range []string{js, sec} {
		tpl := "{{ state['" + id + "'] }}|{{ state['" + id + "'].n + 1 }}|{{ state['" + id + "'] | tojson }}"
		got, err := eng.Render(tpl, vars)
		if err != nil || got != want {
			t.Errorf("%s: Render = %q, %v\nwant %q", id, got, err, want)
		}
	}
	got, err := eng.Render("{{ state['"+raw+"'] }} {{ state.default }}", vars)
	if want := "{'n': Decimal('1042')} 3"; err != nil || got != want {
		t.Errorf("raw and default: Render = %q, %v; want %q", got, err, want)
	}
}
