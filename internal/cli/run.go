package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/spf13/cobra"
)

// runOpts are the flags of run and render.
type runOpts struct {
	on            string
	job           string
	realm         string
	result        string
	output        string
	timeout       time.Duration
	actionTimeout time.Duration
}

// newRunCmd returns the run command, or the render command when dry.
func newRunCmd(e *env, dry bool) *cobra.Command {
	o := &runOpts{}
	cmd := &cobra.Command{
		Use:   "run --on success|retry|fail --job FILE --realm FILE [--result FILE]",
		Short: "Run a job's action list as a lava worker would",
		Long: `Run chooses the action list for --on as lava does (the job's list when the
job has the key at all, else the realm's), validates the whole list, then
runs its actions in order and stops at the first failure. It prints a
summary of each action on stdout (--output json prints the host's report).

` + exitCodesHelp,
		Example: `  lava-actions run --on success --job job.json --realm realm.json --result result.json
  lava-actions run --on fail --job - --realm realm.json < job.json`,
		Args: noArgs,
		RunE: e.runE(func(cmd *cobra.Command, _ []string) error { return runList(cmd.Context(), e, o, dry) }),
	}
	if dry {
		cmd.Use = "render --on success|retry|fail --job FILE --realm FILE [--result FILE]"
		cmd.Short = "Dry run: render a job's action list and show what it would send"
		cmd.Long = `Render validates and renders the action list for --on as run would and prints,
for each action, the outside calls it would make (operation, target and the
rendered request as JSON), without sending anything.

` + exitCodesHelp
		cmd.Example = `  lava-actions render --on success --job job.json --realm realm.json`
	}
	f := cmd.Flags()
	f.StringVar(&o.on, "on", "", "the list to run: success, retry or fail (required)")
	f.StringVar(&o.job, "job", "", "job item JSON file, - for stdin (required)")
	f.StringVar(&o.realm, "realm", "", "realm item JSON file, - for stdin (required)")
	f.StringVar(&o.result, "result", "", "job result JSON file, - for stdin (default {})")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	f.DurationVar(&o.timeout, "timeout", 0, "deadline of the whole run, e.g. 2m (0: none)")
	f.DurationVar(&o.actionTimeout, "action-timeout", 60*time.Second, "deadline of each action")
	for _, name := range []string{"on", "job", "realm"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

// runList is run and render.
func runList(ctx context.Context, e *env, o *runOpts, dry bool) error {
	trigger, err := host.ParseTrigger(o.on)
	if err != nil {
		return badInput(err)
	}
	if err := checkOutput(o.output, "text", "json"); err != nil {
		return err
	}
	if err := durationInRange("timeout", o.timeout, 0, maxTimeout); err != nil {
		return err
	}
	if err := durationInRange("action-timeout", o.actionTimeout, time.Millisecond, maxTimeout); err != nil {
		return err
	}
	if err := oneStdin(o.job, o.realm, o.result); err != nil {
		return err
	}
	job, err := readObject(o.job, "job", e.stdin, value.DecimalNumbers)
	if err != nil {
		return err
	}
	realm, err := readObject(o.realm, "realm", e.stdin, value.DecimalNumbers)
	if err != nil {
		return err
	}
	result := &value.Map{}
	if o.result != "" {
		if result, err = readObject(o.result, "result", e.stdin, value.PythonNumbers); err != nil {
			return err
		}
	}
	// The host checks the job's fields too, but its error would not tell
	// bad input from a failed run.
	if _, err := host.PrepareJob(job, time.Now()); err != nil {
		return badInput(fmt.Errorf("%s: %w", displayName(o.job), err))
	}

	h, err := e.newHost(o.actionTimeout)
	if err != nil {
		return err
	}
	log := e.logger()
	defer shutdown(h, log)
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	var rep *host.Report
	if dry {
		rep, err = h.DryRun(ctx, trigger, job, realm, result)
	} else {
		rep, err = h.Run(ctx, trigger, job, realm, result)
	}
	if rep != nil {
		if perr := printReport(e, o.output, rep, err); perr != nil {
			return failed(perr)
		}
	}
	if err == nil {
		return nil
	}
	var ae *host.ActionError
	if errors.As(err, &ae) {
		// The report shows the error; say it once more on stderr, where
		// scripts look for it.
		fmt.Fprintf(e.stderr, "lava-actions: %s\n", err)
		return &reportedError{code: actionErrorCode(ae)}
	}
	return failed(err)
}

func displayName(name string) string {
	if name == "-" {
		return stdinName
	}
	return name
}

// printReport prints rep on stdout as text or JSON.
func printReport(e *env, format string, rep *host.Report, runErr error) error {
	if format == "json" {
		return writeJSON(e.stdout, rep)
	}
	_, err := e.stdout.Write([]byte(formatReport(rep, runErr)))
	return err
}
