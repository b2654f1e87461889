// Package eventaction implements lava's event action (spec 3.7, decisions
// 0.8–0.10): it puts one event on an EventBridge bus.
//
// The entry is {"Source": "lava.<realm>", "DetailType": "Lava Job Action",
// "Detail": <JSON text>} with source, detail_type, event_bus and resources
// overriding the defaults when given. A map detail has its string values
// rendered (other JSON values kept) and is sent as json.dumps text; a string
// detail must render to a JSON object text, which is sent as it is; without
// a detail, {realm, worker, job_id, run_id, exit_status} is sent, with
// exit_status from result.exit_status, else result.error_data.exit_status,
// else null.
package eventaction

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/lava-actions/lava-actions/plugins/internal/awsx"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// Version is the plugin version.
const Version = "1.0.0"

// DefaultDetailType is the DetailType used when detail_type is absent.
const DefaultDetailType = "Lava Job Action"

// Action is the event action.
type Action struct{}

// Error texts of the action.
var (
	errDetailKind   = errors.New("detail must be a string or map of strings")
	errDetailObject = errors.New("detail must render to a JSON object")
	errNonTemplate  = errors.New("Can't compile non template nodes")
)

// Describe declares the optional fields source, detail_type, detail,
// resources and event_bus; other keys are rejected, as in lava.
func (Action) Describe() sdk.Description {
	return sdk.Description{
		Type:    "event",
		Version: Version,
		Summary: "Put an event on an EventBridge bus.",
		Fields: []sdk.Field{
			{Name: "source", Kind: sdk.KindString, Render: sdk.RenderText, Doc: "Event source; default lava.<realm>."},
			{Name: "detail_type", Kind: sdk.KindString, Render: sdk.RenderText, Doc: "Detail type; default \"Lava Job Action\"."},
			{Name: "detail", Kind: sdk.KindStringOrMap, KindError: errDetailKind.Error(),
				Doc: "A string template that must render to a JSON object text, or a map whose string values are rendered " +
					"(keys and other values kept). Default: realm, worker, job_id, run_id and exit_status."},
			{Name: "resources", Kind: sdk.KindList, Render: sdk.RenderEach, KindError: "resources must be a list",
				Doc: "List of resource templates; omitted when absent."},
			{Name: "event_bus", Kind: sdk.KindString, Render: sdk.RenderText, Doc: "Event bus name or ARN; default bus when absent."},
		},
		Capabilities: []string{"dry-run"},
	}
}

// Validate checks detail's template syntax and that resources are strings.
func (Action) Validate(_ context.Context, req *sdk.Request) error { return check(req) }

func check(req *sdk.Request) error {
	if d, ok := req.Item.Get("detail"); ok {
		switch t := d.(type) {
		case string:
			if err := req.Engine().Check(t); err != nil {
				return err
			}
		case *value.Map:
			var err error
			t.Range(func(_ string, v any) bool {
				if s, ok := v.(string); ok {
					err = req.Engine().Check(s)
				}
				return err == nil
			})
			if err != nil {
				return err
			}
		default:
			return errDetailKind
		}
	}
	if r, ok := req.Item.Get("resources"); ok {
		l, ok := r.([]any)
		if !ok {
			return errors.New("resources must be a list")
		}
		for _, e := range l {
			if _, ok := e.(string); !ok {
				return errNonTemplate
			}
		}
	}
	return nil
}

// Entry builds the PutEvents entry of req, rendering its templates. It
// returns the entry and the same entry as a map for reports.
func Entry(req *sdk.Request) (ebtypes.PutEventsRequestEntry, *value.Map, error) {
	var entry ebtypes.PutEventsRequestEntry
	detail, err := detailText(req)
	if err != nil {
		return entry, nil, err
	}
	src := "lava." + req.RealmName()
	dt := DefaultDetailType
	if req.Item.Has("source") {
		if src, err = req.Render(req.Item.String("source")); err != nil {
			return entry, nil, err
		}
	}
	if req.Item.Has("detail_type") {
		if dt, err = req.Render(req.Item.String("detail_type")); err != nil {
			return entry, nil, err
		}
	}
	entry = ebtypes.PutEventsRequestEntry{Source: aws.String(src), DetailType: aws.String(dt), Detail: aws.String(detail)}
	shown := value.NewMap("Source", src, "DetailType", dt, "Detail", detail)
	if req.Item.Has("event_bus") {
		bus, err := req.Render(req.Item.String("event_bus"))
		if err != nil {
			return entry, nil, err
		}
		entry.EventBusName = aws.String(bus)
		shown.Set("EventBusName", bus)
	}
	if r, ok := req.Item.Get("resources"); ok {
		l, _ := r.([]any)
		out := make([]any, len(l))
		entry.Resources = make([]string, len(l))
		for i, e := range l {
			s, ok := e.(string)
			if !ok {
				return entry, nil, errNonTemplate
			}
			if s, err = req.Render(s); err != nil {
				return entry, nil, err
			}
			entry.Resources[i], out[i] = s, s
		}
		shown.Set("Resources", out)
	}
	return entry, shown, nil
}

func detailText(req *sdk.Request) (string, error) {
	d, ok := req.Item.Get("detail")
	if !ok {
		return encode(value.NewMap(
			"realm", req.RealmName(),
			"worker", jobValue(req, "worker"),
			"job_id", jobValue(req, "job_id"),
			"run_id", jobValue(req, "run_id"),
			"exit_status", exitStatus(req.Result),
		))
	}
	switch t := d.(type) {
	case string:
		text, err := req.Render(t)
		if err != nil {
			return "", err
		}
		v, err := value.DecodeJSON([]byte(text), value.PythonNumbers)
		if _, isMap := v.(*value.Map); err != nil || !isMap {
			return "", errDetailObject
		}
		return text, nil
	case *value.Map:
		out := &value.Map{}
		for _, k := range t.Keys() {
			v, _ := t.Get(k)
			if s, ok := v.(string); ok {
				r, err := req.Render(s)
				if err != nil {
					return "", err
				}
				v = r
			}
			out.Set(k, v)
		}
		return encode(out)
	}
	return "", errDetailKind
}

func jobValue(req *sdk.Request, key string) any {
	v, _ := req.Job.Get(key)
	return v
}

// exitStatus is decision 0.8: result.exit_status, else
// result.error_data.exit_status, else None.
func exitStatus(result *value.Map) any {
	if v, ok := result.Get("exit_status"); ok {
		return v
	}
	if v, ok := result.Map("error_data").Get("exit_status"); ok {
		return v
	}
	return nil
}

func encode(v any) (string, error) {
	return value.EncodeJSON(v, value.EncodeOptions{DecimalAsNumber: true, DateTimeAsISO: true})
}

// Execute builds the entry and puts it. A failed entry gives "Failed to put
// event to EventBridge: <code>: <message>". In a dry run it reports the
// PutEvents it would make.
// Retried AWS call attempts are reported in Result.Retries, failures included.
func (Action) Execute(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	ctx, retries := awsx.CountRetries(ctx)
	res, err := Action{}.execute(ctx, req)
	return awsx.WithRetries(res, retries), err
}

// execute is Execute without the retry count.
func (Action) execute(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	// The SDK ran the field checks and Validate before Execute.
	entry, shown, err := Entry(req)
	if err != nil {
		return nil, err
	}
	bus := aws.ToString(entry.EventBusName)
	if bus == "" {
		bus = "default"
	}
	eff := sdk.Effect{Operation: "events:PutEvents", Target: bus, Detail: sdk.EncodeDetail(value.NewMap("Entries", []any{shown}))}
	if req.DryRun {
		return &sdk.Result{Summary: "would put an event on bus " + bus, Effects: []sdk.Effect{eff}}, nil
	}
	c, err := client(ctx)
	if err != nil {
		return nil, err
	}
	out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry}})
	if err != nil {
		return &sdk.Result{Effects: []sdk.Effect{eff}}, fmt.Errorf("%s", awsx.ErrorText(err))
	}
	if out.FailedEntryCount > 0 {
		var code, msg string
		if len(out.Entries) > 0 {
			code, msg = aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage)
		}
		eff.Outcome = "failed: " + code
		return &sdk.Result{Effects: []sdk.Effect{eff}}, fmt.Errorf("Failed to put event to EventBridge: %s: %s", code, msg)
	}
	var ids []string
	for _, e := range out.Entries {
		ids = append(ids, aws.ToString(e.EventId))
	}
	eff.Outcome = strings.Join(ids, ",")
	return &sdk.Result{Summary: "put event " + eff.Outcome + " on bus " + bus, Effects: []sdk.Effect{eff}}, nil
}

// client returns the process's EventBridge client.
var client = awsx.Lazy(func(cfg aws.Config) (*eventbridge.Client, error) { return eventbridge.NewFromConfig(cfg), nil })
