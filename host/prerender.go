package host

import (
	"context"
	"slices"

	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/protocol"
	"github.com/lava-actions/lava-actions/sdk/render"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// CapabilityHostRender is the capability a plugin declares (in its
// Description) to have the host render its templates: the host checks the
// template syntax of every declared field with a render mode when it
// validates a list, and renders those fields with lava's engine and the
// run's job, realm and result before Execute, so that the item the plugin
// receives holds the rendered values. Plugins written in languages without
// lava's Jinja renderer (the Python SDK) declare it.
const CapabilityHostRender = "host-render"

// hostRenderEngine renders for host-render plugins; it is the engine the Go
// SDK renders with, so texts and errors are the same.
var hostRenderEngine = render.New()

// hostRenders reports whether the plugin behind in asked for host rendering,
// and returns its description.
func hostRenders(ctx context.Context, in *instance) (*sdk.Description, bool) {
	if in == nil {
		return nil, false
	}
	d, err := in.describe(ctx)
	if err != nil || !slices.Contains(d.Capabilities, CapabilityHostRender) {
		return nil, false
	}
	return &d, true
}

// checkHostRender checks the template syntax of the declared rendered fields
// of item for a host-render plugin, in field order, with the Go SDK's error
// texts. It returns "" when there is nothing to report.
func checkHostRender(ctx context.Context, in *instance, item *value.Map) string {
	d, ok := hostRenders(ctx, in)
	if !ok {
		return ""
	}
	for _, f := range d.Fields {
		v, has := item.Get(f.Name)
		if !has || f.Render == sdk.RenderNone {
			continue
		}
		if err := sdk.CheckTemplates(v, f.Render, hostRenderEngine.Check); err != nil {
			return err.Error()
		}
	}
	return ""
}

// prerender returns item with the value of every declared field with a
// render mode replaced by its rendered value, for a host-render plugin; for
// other plugins it returns item itself. The render context is job, realm and
// result. The error is the engine's, as a Go plugin would report it.
func prerender(ctx context.Context, in *instance, item, job, realm, result *value.Map) (*value.Map, error) {
	d, ok := hostRenders(ctx, in)
	if !ok {
		return item, nil
	}
	vars := &render.Vars{Job: job, Realm: realm, Result: result}
	out := &value.Map{}
	var rerr error
	item.Range(func(k string, v any) bool {
		rv, err := renderField(v, fieldRenderMode(d, k), vars)
		if err != nil {
			rerr = err
			return false
		}
		out.Set(k, rv)
		return true
	})
	if rerr != nil {
		return nil, rerr
	}
	return out, nil
}

// prerenderRequest applies prerender to the item of a request, whose job,
// realm and result are the render context.
func prerenderRequest(ctx context.Context, in *instance, req *protocol.Request) error {
	item, err := prerender(ctx, in, req.Item, req.Job, req.Realm, req.Result)
	if err != nil {
		return err
	}
	req.Item = item
	return nil
}

func fieldRenderMode(d *sdk.Description, name string) sdk.RenderMode {
	for _, f := range d.Fields {
		if f.Name == name {
			return f.Render
		}
	}
	return sdk.RenderNone
}

// renderField renders v as mode says, matching what sdk.CheckTemplates
// checks: a string for RenderText; every string item of a list and every
// value of a map, at any depth but not keys, for RenderEach; every string at
// any depth, map keys included, for RenderStructural. Other values keep their
// types.
func renderField(v any, mode sdk.RenderMode, vars *render.Vars) (any, error) {
	switch mode {
	case sdk.RenderText:
		if s, ok := v.(string); ok {
			return hostRenderEngine.Render(s, vars)
		}
	case sdk.RenderEach:
		switch t := v.(type) {
		case string:
			return hostRenderEngine.Render(t, vars)
		case []any:
			out := make([]any, len(t))
			for i, e := range t {
				r, err := renderField(e, sdk.RenderEach, vars)
				if err != nil {
					return nil, err
				}
				out[i] = r
			}
			return out, nil
		case *value.Map:
			out := &value.Map{}
			var err error
			t.Range(func(k string, e any) bool {
				var r any
				if r, err = renderField(e, sdk.RenderEach, vars); err == nil {
					out.Set(k, r)
				}
				return err == nil
			})
			if err != nil {
				return nil, err
			}
			return out, nil
		}
	case sdk.RenderStructural:
		return hostRenderEngine.RenderValue(v, vars)
	}
	return v, nil
}
