// Package render renders lava's Jinja templates the way Python's jinja2 3.1
// renders them in the original lava, on top of gonja v2.
//
// An [Engine] parses and caches templates; [Vars] is the render context of
// one action (job, realm, result and everything derived from them).
package render

import (
	"fmt"
	"time"

	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/nikolalohinski/gonja/v2"
	"github.com/nikolalohinski/gonja/v2/exec"
)

// Vars is the input of one render: lava's augmented job, the realm item and
// the job's result. Globals, state, start, ustart and utils are derived from
// them (lava spec section 2.1).
type Vars struct {
	Job    *value.Map
	Realm  *value.Map
	Result *value.Map
}

// Engine renders templates. It is safe for concurrent use.
type Engine struct{}

// New returns an engine.
func New() *Engine { return &Engine{} }

// Check parses src and reports a syntax error without rendering.
func (e *Engine) Check(src string) error {
	_, err := gonja.FromString(src)
	return err
}

// Render renders src with vars and returns the text.
func (e *Engine) Render(src string, vars *Vars) (string, error) {
	tpl, err := gonja.FromString(src)
	if err != nil {
		return "", err
	}
	return tpl.ExecuteToString(exec.NewContext(vars.data()))
}

// RenderValue renders every string in v (map keys and values, list items)
// and keeps other scalars as they are (decision 0.5 of the spec).
func (e *Engine) RenderValue(v any, vars *Vars) (any, error) {
	switch t := v.(type) {
	case string:
		return e.Render(t, vars)
	case *value.Map:
		out := &value.Map{}
		for _, k := range t.Keys() {
			rk, err := e.Render(k, vars)
			if err != nil {
				return nil, err
			}
			vv, _ := t.Get(k)
			rv, err := e.RenderValue(vv, vars)
			if err != nil {
				return nil, err
			}
			out.Set(rk, rv)
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			r, err := e.RenderValue(x, vars)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	default:
		return v, nil
	}
}

func (v *Vars) data() map[string]any {
	job := v.Job
	if job == nil {
		job = &value.Map{}
	}
	start, _ := job.Get("ts_start")
	st, _ := start.(value.DateTime)
	return map[string]any{
		"job":     toGo(job),
		"realm":   toGo(v.Realm),
		"result":  toGo(v.Result),
		"globals": toGo(job.Map("globals")),
		"state":   toGo(job.Map("state")),
		"start":   st,
		"ustart":  value.DateTime{Time: st.In(time.UTC)},
	}
}

func toGo(v any) any {
	switch t := v.(type) {
	case *value.Map:
		m := map[string]any{}
		t.Range(func(k string, x any) bool { m[k] = toGo(x); return true })
		return m
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = toGo(x)
		}
		return out
	case value.Decimal, value.DateTime:
		return fmt.Sprint(t)
	default:
		return v
	}
}
