// Package logaction implements lava's log action: it renders a message and
// writes it at INFO on the worker's log, with event_type, job_id and run_id
// fields (lava spec 3.4).
package logaction

import (
	"context"

	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// Version is the plugin version.
const Version = "1.0.0"

// Action is the log action.
type Action struct{}

// Describe declares the one field, message.
func (Action) Describe() sdk.Description {
	return sdk.Description{
		Type:    "log",
		Version: Version,
		Summary: "Write a rendered message to the worker log at INFO.",
		// Lenient: lava checks only the required keys of this type (spec 3).
		Lenient: true,
		Fields: []sdk.Field{{
			Name: "message", Required: true, Kind: sdk.KindString, Render: sdk.RenderText,
			KindError: "message must be a string",
			Doc:       "Jinja template of the message.",
		}},
		Capabilities: []string{"dry-run"},
	}
}

// Execute renders the message and logs it through the host.
func (Action) Execute(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	msg, err := req.Render(req.Item.String("message"))
	if err != nil {
		return nil, err
	}
	eff := sdk.Effect{Operation: "log:INFO", Target: "lava", Detail: sdk.EncodeDetail(value.NewMap("message", msg))}
	if !req.DryRun {
		req.Logger().InfoContext(ctx, msg, "event_type", "job", "job_id", req.JobID(), "run_id", req.RunID())
	}
	return &sdk.Result{Summary: msg, Effects: []sdk.Effect{eff}}, nil
}
