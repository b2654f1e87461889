package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/lava-actions/lava-actions/sdk/protocol"
	"github.com/lava-actions/lava-actions/sdk/protocol/rpc"
	"google.golang.org/grpc"
)

// ServeOption configures Serve and ServeContext.
type ServeOption func(*serveConfig)

type serveConfig struct {
	level  slog.Leveler
	debug  bool
	args   []string
	stdout io.Writer
}

// WithLogLevel sets the level of the plugin's own log (stderr, which the
// host re-emits); default slog.LevelInfo. Records logged through
// Request.Logger are always sent with the response.
func WithLogLevel(l slog.Leveler) ServeOption {
	return func(c *serveConfig) { c.level = l }
}

// WithDebug serves in debug mode, as the --debug argument does: see
// ServeContext.
func WithDebug() ServeOption {
	return func(c *serveConfig) { c.debug = true }
}

// WithArgs replaces os.Args[1:] as the command line Serve looks at.
func WithArgs(args ...string) ServeOption {
	return func(c *serveConfig) { c.args = args }
}

// WithDebugOutput sets where debug mode prints its reattach line (default
// os.Stdout).
func WithDebugOutput(w io.Writer) ServeOption {
	return func(c *serveConfig) { c.stdout = w }
}

// Serve runs a as a lava action plugin and does not return while the host
// keeps it; on an error it prints it to stderr and exits with status 1. It
// must be the first thing main does: the go-plugin handshake is written to
// stdout, so nothing may print there before it.
//
// Run by hand, the executable answers "describe" (the description and JSON
// Schema as JSON), "version" and "--debug" (see ServeContext); anything else
// prints a short notice and exits with status 1.
func Serve(a Action, opts ...ServeOption) {
	if err := ServeContext(context.Background(), a, opts...); err != nil {
		fmt.Fprintf(os.Stderr, "lava-action-%s: %v\n", a.Describe().Type, err)
		os.Exit(1)
	}
}

// ServeContext is Serve returning its error instead of exiting. It returns
// when ctx ends or the host lets the plugin go.
//
// In debug mode (the --debug argument, or WithDebug) the plugin does not
// wait for a host to start it: it listens at once, prints a line
//
//	LAVA_ACTION_REATTACH_<TYPE>='{"protocol":"grpc",…}'
//
// and serves until interrupted. Run it under a debugger (dlv exec
// ./lava-action-hello -- --debug), export that line in the shell of the
// host (lava-actions run …), and the host attaches to this process instead
// of starting one, so breakpoints in Execute hit.
func ServeContext(ctx context.Context, a Action, opts ...ServeOption) error {
	cfg := serveConfig{level: slog.LevelInfo, args: os.Args[1:], stdout: os.Stdout}
	for _, o := range opts {
		o(&cfg)
	}
	log.SetOutput(os.Stderr) // the std logger must never touch stdout
	log.SetFlags(0)
	logger := slog.New(NewLogHandler(os.Stderr, cfg.level))
	cookie := os.Getenv(protocol.Handshake.MagicCookieKey)
	if len(cfg.args) > 0 && cookie == "" {
		if cfg.args[0] == "--debug" || cfg.args[0] == "-debug" {
			cfg.debug = true
		} else if code := runByHand(a, cfg.args[0]); code != 0 {
			return fmt.Errorf("unknown argument %q: a lava-actions plugin answers only describe, version and --debug", cfg.args[0])
		} else {
			return nil
		}
	}
	srv := newServer(a, logger)
	sc := &plugin.ServeConfig{
		HandshakeConfig: protocol.Handshake,
		Plugins:         rpc.PluginSet(&rpc.Plugin{Impl: srv}),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(protocol.MaxMessageBytes), grpc.MaxSendMsgSize(protocol.MaxMessageBytes))
			return grpc.NewServer(opts...)
		},
	}
	if cfg.debug {
		return serveDebug(ctx, a.Describe().Type, sc, cfg.stdout)
	}
	if cookie != protocol.Handshake.MagicCookieValue {
		return fmt.Errorf("this is a lava-actions plugin (%s); it is started by the lava-actions host: "+
			"run it by hand only as '%s describe', '%s version' or '%s --debug'", a.Describe().Type, os.Args[0], os.Args[0], os.Args[0])
	}
	go watchParent(logger)
	guardStdout()
	srv.idle = &idleReclaimer{after: time.Second}
	srv.idle.touch() // start-up garbage too
	done := make(chan struct{})
	go func() { plugin.Serve(sc); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// serveDebug serves in go-plugin's test mode and prints the reattach line.
func serveDebug(ctx context.Context, typ string, sc *plugin.ServeConfig, out io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	sc.Test = &plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: closed}
	go plugin.Serve(sc)
	select {
	case rc := <-reattach:
		val, err := protocol.EncodeReattach(rc)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s='%s'\n", protocol.ReattachEnv(typ), val)
		fmt.Fprintf(os.Stderr, "lava-action-%s: debug mode, serving until interrupted; export the line above where the host runs\n", typ)
	case <-closed:
		return errors.New("debug mode: the plugin server stopped before listening")
	}
	<-closed
	return nil
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
