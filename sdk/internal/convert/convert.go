// Package convert is the one place that converts between the typed
// protocol (package sdk/protocol) and the generated protobuf messages
// (package actionpb). Nothing else in the project touches actionpb types
// except the generated gRPC plumbing in package sdk/protocol/rpc.
package convert

import (
	"fmt"
	"time"

	"github.com/lava-actions/lava-actions/sdk/internal/actionpb"
	"github.com/lava-actions/lava-actions/sdk/protocol"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// DescribeToProto converts a description for the wire.
func DescribeToProto(d *protocol.DescribeResponse) *actionpb.DescribeResponse {
	out := &actionpb.DescribeResponse{
		Type:            d.Type,
		PluginVersion:   d.Version,
		ProtocolVersion: int32(d.ProtocolVersion),
		Summary:         d.Summary,
		SchemaJson:      d.SchemaJSON,
		Strict:          !d.Lenient,
		Capabilities:    d.Capabilities,
	}
	for _, f := range d.Fields {
		out.Fields = append(out.Fields, &actionpb.Field{
			Name: f.Name, Required: f.Required, Kind: string(f.Kind), Render: string(f.Render),
			Doc: f.Doc, KindError: f.KindError, Secret: f.Secret,
		})
	}
	return out
}

// DescribeFromProto converts a description from the wire. A plugin built
// before the strict default sends strict=false for a lenient action, which
// reads as Lenient.
func DescribeFromProto(p *actionpb.DescribeResponse) *protocol.DescribeResponse {
	out := &protocol.DescribeResponse{
		Description: protocol.Description{
			Type: p.GetType(), Version: p.GetPluginVersion(), Summary: p.GetSummary(),
			Lenient: !p.GetStrict(), Capabilities: p.GetCapabilities(),
		},
		ProtocolVersion: int(p.GetProtocolVersion()),
		SchemaJSON:      p.GetSchemaJson(),
	}
	for _, f := range p.GetFields() {
		out.Fields = append(out.Fields, protocol.Field{
			Name: f.GetName(), Required: f.GetRequired(), Kind: protocol.Kind(f.GetKind()),
			Render: protocol.RenderMode(f.GetRender()), KindError: f.GetKindError(),
			Secret: f.GetSecret(), Doc: f.GetDoc(),
		})
	}
	return out
}

// RequestToProto converts a request for the wire.
func RequestToProto(r *protocol.Request) *actionpb.ExecuteRequest {
	out := &actionpb.ExecuteRequest{
		Trigger: r.Trigger, Index: int32(r.Index),
		Item: MapToProto(r.Item), Job: MapToProto(r.Job), Realm: MapToProto(r.Realm), Result: MapToProto(r.Result),
		Config: r.Config, DryRun: r.DryRun,
	}
	if !r.Deadline.IsZero() {
		out.DeadlineUnixMs = r.Deadline.UnixMilli()
	}
	return out
}

// RequestFromProto converts a request from the wire; maps are never nil.
func RequestFromProto(p *actionpb.ExecuteRequest) (*protocol.Request, error) {
	var maps [4]*value.Map
	for i, pm := range []*actionpb.Map{p.GetItem(), p.GetJob(), p.GetRealm(), p.GetResult()} {
		m, err := MapFromProto(pm)
		if err != nil {
			return nil, fmt.Errorf("decode request: %w", err)
		}
		maps[i] = m
	}
	out := &protocol.Request{
		Trigger: p.GetTrigger(), Index: int(p.GetIndex()),
		Item: maps[0], Job: maps[1], Realm: maps[2], Result: maps[3],
		Config: p.GetConfig(), DryRun: p.GetDryRun(),
	}
	if out.Config == nil {
		out.Config = map[string]string{}
	}
	if ms := p.GetDeadlineUnixMs(); ms > 0 {
		out.Deadline = time.UnixMilli(ms)
	}
	return out, nil
}

// ResponseToProto converts an Execute answer for the wire.
func ResponseToProto(r *protocol.Response) *actionpb.ExecuteResponse {
	out := &actionpb.ExecuteResponse{Error: r.Error, Summary: r.Summary, Retries: int32(r.Retries), Secrets: r.Secrets}
	for _, e := range r.Effects {
		out.Effects = append(out.Effects, &actionpb.Effect{Operation: e.Operation, Target: e.Target, DetailJson: e.Detail, Outcome: e.Outcome})
	}
	for _, l := range r.Logs {
		lr := &actionpb.LogRecord{Level: l.Level, Message: l.Message}
		if !l.Time.IsZero() {
			lr.TimeUnixMicro = l.Time.UnixMicro()
		}
		for _, a := range l.Attrs {
			lr.Attrs = append(lr.Attrs, &actionpb.Attr{Key: a.Key, Value: ValueToProto(a.Value)})
		}
		out.Logs = append(out.Logs, lr)
	}
	return out
}

// ResponseFromProto converts an Execute answer from the wire. A log
// attribute whose value does not decode is kept as its error text.
func ResponseFromProto(p *actionpb.ExecuteResponse) *protocol.Response {
	out := &protocol.Response{Error: p.GetError(), Summary: p.GetSummary(), Retries: int(p.GetRetries()), Secrets: p.GetSecrets()}
	for _, e := range p.GetEffects() {
		out.Effects = append(out.Effects, protocol.Effect{Operation: e.GetOperation(), Target: e.GetTarget(), Detail: e.GetDetailJson(), Outcome: e.GetOutcome()})
	}
	for _, l := range p.GetLogs() {
		lr := protocol.LogRecord{Level: l.GetLevel(), Message: l.GetMessage()}
		if us := l.GetTimeUnixMicro(); us != 0 {
			lr.Time = time.UnixMicro(us)
		}
		for _, a := range l.GetAttrs() {
			v, err := ValueFromProto(a.GetValue())
			if err != nil {
				v = fmt.Sprintf("undecodable value: %v", err)
			}
			lr.Attrs = append(lr.Attrs, protocol.Attr{Key: a.GetKey(), Value: v})
		}
		out.Logs = append(out.Logs, lr)
	}
	return out
}
