// Command lava-actions runs, renders and validates lava job action lists
// through the action plugin host, and lists the plugins it finds. Run
// "lava-actions --help" for usage; the work is done by package
// internal/cli.
package main

import (
	"os"
	"runtime/debug"

	"github.com/lava-actions/lava-actions/internal/cli"
)

func main() {
	// A panic that escapes cli.Main's recovery (one in another goroutine)
	// must still not print goroutine stacks at a user.
	debug.SetTraceback("none")
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
