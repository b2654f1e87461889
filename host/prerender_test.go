package host

import (
	"testing"

	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/render"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// TestRenderField checks host-side rendering per render mode, against the
// template checks sdk.CheckTemplates makes for the same modes.
func TestRenderField(t *testing.T) {
	t.Parallel()
	vars := &render.Vars{Job: value.NewMap("job_id", "j1", "n", value.MustDecimal("2.50")), Realm: value.NewMap("realm", "dev"), Result: value.NewMap()}
	nested := func() any {
		return value.NewMap("{{ realm.realm }}", "{{ job.job_id }}", "list", []any{"{{ job.n }}", int64(3), true, nil},
			"deep", value.NewMap("k", "{{ job.job_id }}-x"))
	}
	for _, tc := range []struct {
		name string
		mode sdk.RenderMode
		in   any
		want string
	}{
		{"none keeps templates", sdk.RenderNone, "{{ job.job_id }}", `"{{ job.job_id }}"`},
		{"text", sdk.RenderText, "{{ job.job_id }}/{{ job.n }}", `"j1/2.50"`},
		{"text leaves a non-string", sdk.RenderText, nested(), `{"{{ realm.realm }}": "{{ job.job_id }}", "list": ["{{ job.n }}", 3, true, null], "deep": {"k": "{{ job.job_id }}-x"}}`},
		{"each renders values at any depth, not keys", sdk.RenderEach, nested(), `{"{{ realm.realm }}": "j1", "list": ["2.50", 3, true, null], "deep": {"k": "j1-x"}}`},
		{"each on a list", sdk.RenderEach, []any{"{{ realm.realm }}", int64(1)}, `["dev", 1]`},
		{"structural renders keys too", sdk.RenderStructural, nested(), `{"dev": "j1", "list": ["2.50", 3, true, null], "deep": {"k": "j1-x"}}`},
	} {
		got, err := renderField(tc.in, tc.mode, vars)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		text, err := value.EncodeJSON(got, value.EncodeOptions{DecimalAsNumber: true})
		if err != nil {
			t.Fatal(err)
		}
		if text != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, text, tc.want)
		}
	}
	if _, err := renderField(value.NewMap("a", "{{ job.missing.x }}"), sdk.RenderEach, vars); err == nil {
		t.Error("a render error was not reported")
	}
}
