// Command lava-demo runs a sample lava job's actions through the bundled
// plugins against local stand-ins for AWS, SMTP and Slack, and prints what
// each received. `make demo` builds the plugins and runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/lava-actions/lava-actions/internal/demo"
)

func main() {
	plugins := flag.String("plugins", "bin/plugins", "directory of the lava-action-* plugins")
	verbose := flag.Bool("v", false, "also print the host's and plugins' logs")
	flag.Parse()
	if os.Getenv("KUMO_PORT") == "" {
		reexecWithKumoPort()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var logw io.Writer = io.Discard
	if *verbose {
		logw = os.Stderr
	}
	if err := demo.Run(ctx, os.Stdout, logw, *plugins); err != nil {
		fmt.Fprintf(os.Stderr, "lava-demo: %v\n", err)
		os.Exit(1)
	}
}

// reexecWithKumoPort starts this program again with KUMO_PORT set to a free
// port: the local AWS endpoint's EventBridge reads it at start-up to deliver
// events to SQS. If that cannot be done the demo runs without it and reads
// events back from the endpoint instead.
func reexecWithKumoPort() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	exe, err := os.Executable()
	if err != nil {
		return
	}
	env := append(os.Environ(), "KUMO_PORT="+strconv.Itoa(port))
	_ = syscall.Exec(exe, os.Args, env) // returns only on failure
}
