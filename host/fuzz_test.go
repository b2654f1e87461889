package host_test

import (
	"testing"
	"time"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/render"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// FuzzSpecValidation feeds arbitrary job specifications through what the
// host does before any plugin is involved (PrepareJob, Select) and through
// the SDK's item checks, which must never panic.
func FuzzSpecValidation(f *testing.F) {
	for _, s := range []string{
		`{"job_id":"j","on_success":[{"action":"log","message":"{{ job.job_id }}"}]}`,
		`{"on_fail":null}`, `{"on_retry":{"action":"log"}}`, `{"on_success":[5,"x",[],{}]}`,
		`{"ts_start":"2024-03-01T10:00:00+11:00","globals":{"lava":{"master_start":"nope"}}}`,
		`{"globals":[1],"on_success":[{"action":"log","message":"{% for %}"}]}`,
		`{"on_success":[{"action":"log","message":"{{ range(10000000) | list }}"}]}`,
	} {
		f.Add([]byte(s))
	}
	desc := sdk.Description{Type: "t", Fields: []sdk.Field{
		{Name: "message", Required: true, Kind: sdk.KindString, Render: sdk.RenderText},
		{Name: "detail", Kind: sdk.KindStringOrMap, Render: sdk.RenderEach},
		{Name: "parameters", Kind: sdk.KindMap, Render: sdk.RenderStructural},
	}}
	engine := render.New()
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := value.DecodeJSON(data, value.DecimalNumbers)
		job, ok := v.(*value.Map)
		if err != nil || !ok {
			return
		}
		prepared, err := host.PrepareJob(job, time.Unix(1709247600, 0))
		if err != nil {
			return
		}
		for _, trig := range host.Triggers {
			list, _, _ := host.Select(trig, prepared, &value.Map{})
			items, _ := list.([]any)
			for _, it := range items {
				if m, ok := it.(*value.Map); ok {
					_ = sdk.CheckItem(desc, m, engine.Check)
				}
			}
		}
	})
}
