//go:build lava_lean

package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/spf13/cobra"
)

// FullBinary is the name of the full build of this command (built without
// the lava_lean tag), which the lean build runs for the commands that call
// AWS itself: `state get|put` and any command with --import-state.
//
// The lean build (make cli builds bin/lava-actions with -tags lava_lean)
// links no AWS SDK package, so `run`, `render`, `validate`, `version`,
// `serve` and the rest pay for no AWS SDK initialisation: the plugins make
// the AWS calls. The full build sits beside it as bin/lava-actions-full.
const FullBinary = "lava-actions-full"

// fullBinary finds FullBinary beside this executable, then on PATH.
func fullBinary() (string, error) {
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			p := filepath.Join(filepath.Dir(exe), FullBinary)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p, nil
			}
		}
	}
	p, err := exec.LookPath(FullBinary)
	if err != nil {
		return "", fmt.Errorf("this lava-actions is the lean build: the state commands and --import-state need %s beside it or on PATH (make cli builds it)", FullBinary)
	}
	return p, nil
}

// delegateAWS replaces this process with the full build, with the same
// arguments, standard streams and environment, when the command is a state
// command or --import-state is set. It runs before any input is read.
func delegateAWS(cmd *cobra.Command, e *env) error {
	isState := false
	for c := cmd; c != nil; c = c.Parent() {
		if c.Name() == "state" && c.Parent() != nil && !c.Parent().HasParent() {
			isState = true
		}
	}
	if !isState && !e.importState {
		return nil
	}
	path, err := fullBinary()
	if err != nil {
		return &codedError{code: ExitInternal, err: err}
	}
	err = syscall.Exec(path, append([]string{path}, e.args...), os.Environ())
	return &codedError{code: ExitInternal, err: fmt.Errorf("run %s: %w", path, err)}
}

// stateImporter is never reached in the lean build: delegateAWS hands
// --import-state to the full build first.
func stateImporter(context.Context) (func(context.Context, string, *value.Map) error, error) {
	return nil, errors.New("--import-state needs the full build")
}

func newStateCmd(*env) *cobra.Command {
	return &cobra.Command{
		Use:   "state",
		Short: "Read and write lava state items (lava.<realm>.state)",
		Long: `State reads and writes the state items that jobs publish with the state action
and read through their "state" map, in the DynamoDB table lava.<realm>.state.
This lean build runs ` + FullBinary + ` for it; "` + FullBinary + ` state --help"
lists the subcommands.`,
		DisableFlagParsing: true,
		// RunE is set so that the root's PersistentPreRunE (delegateAWS)
		// runs; it does not return.
		RunE: func(*cobra.Command, []string) error { return nil },
	}
}
