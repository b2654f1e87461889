package sdk

import (
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/lava-actions/lava-actions/internal/wire"
	"google.golang.org/grpc"
)

// Serve runs a as a lava action plugin and does not return while the host
// keeps it. It must be the first thing main does: the go-plugin handshake is
// written to stdout, so nothing may print there before it.
//
// Run by hand, the executable answers "describe" (the description and JSON
// Schema as JSON) and "version"; anything else prints a short notice and
// exits with status 1.
func Serve(a Action) {
	log.SetOutput(os.Stderr) // the std logger must never touch stdout
	log.SetFlags(0)
	logger := slog.New(NewLogHandler(os.Stderr, slog.LevelInfo))
	if len(os.Args) > 1 && os.Getenv(wire.Handshake.MagicCookieKey) == "" {
		os.Exit(runByHand(a, os.Args[1]))
	}
	if os.Getenv(wire.Handshake.MagicCookieKey) != wire.Handshake.MagicCookieValue {
		fmt.Fprintf(os.Stderr, "This is a lava-actions plugin (%s). It is started by the lava-actions host;\n"+
			"run it by hand only as '%s describe' or '%s version'.\n", a.Describe().Type, os.Args[0], os.Args[0])
		os.Exit(1)
	}
	go watchParent(logger)
	guardStdout()
	srv := newServer(a, logger)
	srv.idle = &idleReclaimer{after: time.Second}
	srv.idle.touch() // start-up garbage too
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: wire.Handshake,
		Plugins:         plugin.PluginSet{wire.PluginName: &grpcPlugin{srv: srv}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(wire.MaxMessageBytes), grpc.MaxSendMsgSize(wire.MaxMessageBytes))
			return grpc.NewServer(opts...)
		},
	})
}

func runByHand(a Action, arg string) int {
	d := a.Describe()
	switch arg {
	case "describe", "--describe":
		schema, err := Schema(d)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		out, _ := json.MarshalIndent(map[string]any{
			"type": d.Type, "version": d.Version, "protocol_version": ProtocolVersion,
			"summary": d.Summary, "capabilities": d.Capabilities, "schema": json.RawMessage(schema),
		}, "", "  ")
		fmt.Println(string(out))
		return 0
	case "version", "--version":
		fmt.Printf("lava-action-%s %s (protocol %d)\n", d.Type, d.Version, ProtocolVersion)
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown argument %q: a lava-actions plugin answers only describe and version\n", arg)
	return 1
}

// watchParent exits when the host goes away without stopping the plugin,
// a backstop to the parent-death signal the host sets on Linux.
func watchParent(logger *slog.Logger) {
	ppid := os.Getppid()
	for range time.Tick(500 * time.Millisecond) {
		if os.Getppid() != ppid {
			logger.Warn("host process is gone; plugin exiting")
			os.Exit(2)
		}
	}
}
