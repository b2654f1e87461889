// Command rogue is a test plugin that breaks the go-plugin contract in the
// way its file name says. It is built once and copied under several names:
//
//	lava-action-garbagepre   prints garbage on stdout before the handshake
//	lava-action-garbagepost  serves normally, then writes garbage on its
//	                         real stdout (fd 1) and on the redirected
//	                         os.Stdout after the handshake and in Execute
//	lava-action-nodescribe   completes the handshake and serves gRPC, but
//	                         never answers Describe
//	lava-action-exitnow      exits at once with status 4, saying nothing
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/protocol"
	"github.com/lava-actions/lava-actions/sdk/protocol/rpc"
)

func typeName() string {
	return strings.TrimPrefix(filepath.Base(os.Args[0]), "lava-action-")
}

type action struct{ typ string }

func (a action) Describe() sdk.Description {
	return sdk.Description{Type: a.typ, Version: "0.0.1", Fields: []sdk.Field{{Name: "mode", Kind: sdk.KindString}}}
}

// realStdout is fd 1 as the host sees it: go-plugin reads it line by line
// for the handshake and discards what follows.
var realStdout = os.NewFile(1, "stdout")

func (a action) Execute(_ context.Context, req *sdk.Request) (*sdk.Result, error) {
	fmt.Fprintln(os.Stdout, "garbage on the redirected stdout during Execute")
	fmt.Fprintln(realStdout, "garbage on fd 1 during Execute \x00\x01\xff")
	if req.Item.String("mode") == "bigline" {
		// One line longer than go-plugin's 64 KiB scanner buffer.
		fmt.Fprintln(realStdout, strings.Repeat("g", 1<<20))
	}
	return &sdk.Result{Summary: "ok"}, nil
}

// stuck serves the action service but blocks in Describe forever.
type stuck struct{}

func (stuck) Describe(context.Context) (*protocol.DescribeResponse, error) {
	select {} // ignores cancellation too
}

func (stuck) Validate(context.Context, *protocol.Request) (string, error) { return "", nil }

func (stuck) Execute(context.Context, *protocol.Request) (*protocol.Response, error) {
	return &protocol.Response{}, nil
}

func main() {
	typ := typeName()
	switch typ {
	case "garbagepre":
		fmt.Println("garbage before the handshake")
		sdk.Serve(action{typ: typ})
	case "garbagepost":
		go func() {
			for range 20 {
				time.Sleep(5 * time.Millisecond)
				fmt.Fprintln(realStdout, "garbage on fd 1 after the handshake")
			}
		}()
		sdk.Serve(action{typ: typ})
	case "nodescribe":
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig: protocol.Handshake,
			Plugins:         rpc.PluginSet(&rpc.Plugin{Impl: stuck{}}),
			GRPCServer:      plugin.DefaultGRPCServer,
		})
	case "exitnow":
		os.Exit(4)
	default:
		fmt.Fprintf(os.Stderr, "rogue: unknown name %q\n", typ)
		os.Exit(1)
	}
}
