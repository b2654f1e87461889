// Package rpc carries the typed protocol (package protocol) over gRPC and
// go-plugin: NewClient gives a protocol.Client on a gRPC connection,
// Register serves a protocol.Server on a gRPC server, and Plugin is the
// go-plugin plugin both sides put in their PluginSet. The host, the SDK's
// server and package plugintest all go through it, so none of them sees a
// generated protobuf type.
package rpc

import (
	"context"
	"errors"

	"github.com/hashicorp/go-plugin"
	"github.com/lava-actions/lava-actions/sdk/internal/actionpb"
	"github.com/lava-actions/lava-actions/sdk/internal/convert"
	"github.com/lava-actions/lava-actions/sdk/protocol"
	"google.golang.org/grpc"
)

// NewClient returns a protocol client on cc.
func NewClient(cc grpc.ClientConnInterface) protocol.Client {
	return client{rpc: actionpb.NewActionClient(cc)}
}

type client struct{ rpc actionpb.ActionClient }

func (c client) Describe(ctx context.Context) (*protocol.DescribeResponse, error) {
	p, err := c.rpc.Describe(ctx, &actionpb.DescribeRequest{})
	if err != nil {
		return nil, err
	}
	return convert.DescribeFromProto(p), nil
}

func (c client) Validate(ctx context.Context, req *protocol.Request) (string, error) {
	p, err := c.rpc.Validate(ctx, convert.RequestToProto(req))
	if err != nil {
		return "", err
	}
	return p.GetError(), nil
}

func (c client) Execute(ctx context.Context, req *protocol.Request) (*protocol.Response, error) {
	p, err := c.rpc.Execute(ctx, convert.RequestToProto(req))
	if err != nil {
		return nil, err
	}
	return convert.ResponseFromProto(p), nil
}

// Register serves srv as the lava action service on s.
func Register(s *grpc.Server, srv protocol.Server) {
	actionpb.RegisterActionServer(s, server{srv: srv})
}

type server struct {
	actionpb.UnimplementedActionServer
	srv protocol.Server
}

func (s server) Describe(ctx context.Context, _ *actionpb.DescribeRequest) (*actionpb.DescribeResponse, error) {
	d, err := s.srv.Describe(ctx)
	if err != nil {
		return nil, err
	}
	return convert.DescribeToProto(d), nil
}

func (s server) Validate(ctx context.Context, p *actionpb.ExecuteRequest) (*actionpb.ValidateResponse, error) {
	req, err := convert.RequestFromProto(p)
	if err != nil {
		return nil, err
	}
	msg, err := s.srv.Validate(ctx, req)
	if err != nil {
		return nil, err
	}
	return &actionpb.ValidateResponse{Error: msg}, nil
}

func (s server) Execute(ctx context.Context, p *actionpb.ExecuteRequest) (*actionpb.ExecuteResponse, error) {
	req, err := convert.RequestFromProto(p)
	if err != nil {
		return nil, err
	}
	resp, err := s.srv.Execute(ctx, req)
	if err != nil {
		return nil, err
	}
	return convert.ResponseToProto(resp), nil
}

// Plugin is the go-plugin plugin of the lava action service. A plugin
// process sets Impl; a host leaves it nil and gets a protocol.Client from
// Dispense.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Impl is served by a plugin process; nil on the host side.
	Impl protocol.Server
}

// GRPCServer registers p.Impl.
func (p *Plugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return errors.New("rpc: Plugin has no Server to serve")
	}
	Register(s, p.Impl)
	return nil
}

// GRPCClient returns a protocol.Client on c.
func (p *Plugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewClient(c), nil
}

// PluginSet returns the go-plugin plugin set holding p under
// protocol.PluginName.
func PluginSet(p *Plugin) plugin.PluginSet {
	return plugin.PluginSet{protocol.PluginName: p}
}
