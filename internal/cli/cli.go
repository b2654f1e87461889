// Package cli implements the lava-actions command: it runs, renders (dry
// run) and validates lava job action lists through the plugin host, and
// lists the action plugins the host finds.
//
// The command is a thin layer over package host: it reads job, realm and
// result items from JSON files, hands them to the host and prints the
// host's report. cmd/lava-actions is its main package.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/internal/version"
	"github.com/spf13/cobra"
)

// Exit codes of the lava-actions command. README.md and --help show the
// same table (exitCodesHelp).
const (
	// ExitOK means success: every action of the chosen list ran (or there
	// was nothing to run).
	ExitOK = 0
	// ExitFailed means an action failed (or a plugin could not run it);
	// earlier actions of the list have run. For the other commands: the
	// operation failed (an AWS error, a failed plugin check).
	ExitFailed = 1
	// ExitBadInput means nothing ran: bad flags or flag values, an
	// unreadable or malformed file, an action list that failed validation,
	// a plugin refused by the trust or integrity checks, a dead letter
	// refused by replay, or serve unable to listen.
	ExitBadInput = 2
	// ExitInternal means an internal error of the command itself.
	ExitInternal = 3
	// ExitNotFound means the item asked for does not exist (state get).
	ExitNotFound = 4
	// ExitInterrupted means SIGINT or SIGTERM cancelled the command.
	ExitInterrupted = 130
)

const exitCodesHelp = `Exit codes:
  0    ok: the list ran (or there was nothing to run)
  1    an action failed, or a plugin could not run it; earlier actions ran.
       Other commands: the operation failed (AWS error, plugins verify
       found a problem, a plugin could not describe itself)
  2    bad input, nothing ran: bad flags or flag values, unreadable or
       malformed JSON (reported as FILE:LINE:COL: message), a list that
       failed validation, a plugin refused by the plugin-path trust or
       integrity checks, a dead letter refused by replay, serve unable to
       listen on --listen
  3    internal error
  4    not found: state get of an item that does not exist
  130  interrupted by SIGINT or SIGTERM (the host is drained first)`

// shutdownGrace bounds the drain of the host before the command exits.
const shutdownGrace = 10 * time.Second

// Main runs the lava-actions command with args (without the program name)
// and returns its exit code. SIGINT and SIGTERM cancel the running command;
// a second signal kills the process. A panic is reported as one line on
// stderr with ExitInternal; no stack trace is printed.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return safely(stderr, func() int {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		go func() {
			<-ctx.Done()
			stop() // a second signal now takes the default action
		}()
		return execute(ctx, args, stdin, stdout, stderr)
	})
}

// safely calls f and turns a panic into a one-line message and
// ExitInternal.
func safely(stderr io.Writer, f func() int) (code int) {
	defer func() {
		if r := recover(); r != nil {
			msg := strings.Join(strings.Fields(fmt.Sprint(r)), " ")
			fmt.Fprintf(stderr, "lava-actions: internal error: %s\n", msg)
			code = ExitInternal
		}
	}()
	return f()
}

// execute builds the command tree, runs it and maps its error to an exit
// code, printing the error on stderr.
func execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	out := &countingWriter{w: stdout}
	env := &env{stdin: stdin, stdout: out, stderr: stderr, args: args}
	root := newRoot(env)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(out)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	code := exitCode(err, env.ran)
	if ctx.Err() != nil {
		code = ExitInterrupted
	}
	if !errors.Is(err, errReported) {
		fmt.Fprintf(stderr, "lava-actions: %s\n", err)
		if code == ExitBadInput && !env.ran {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	}
	// With -o json, stdout always holds one JSON object, also when the
	// command failed before it printed anything.
	if wantsJSON(args) && out.n == 0 {
		writeJSON(out, errorJSON{Error: oneLine(err.Error()), ExitCode: code})
	}
	return code
}

// errorJSON is what -o json prints for a failure that has no report.
type errorJSON struct {
	Error    string `json:"error"`
	ExitCode int    `json:"exit_code"`
}

// wantsJSON reports whether args ask for -o json / --output json, as far
// as can be told without parsing (the flags may be what failed to parse).
func wantsJSON(args []string) bool {
	for i, a := range args {
		switch {
		case a == "--":
			return false
		case a == "-o" || a == "--output":
			if i+1 < len(args) && args[i+1] == "json" {
				return true
			}
		case a == "-ojson" || a == "-o=json" || a == "--output=json":
			return true
		}
	}
	return false
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// env is what the commands share: the standard streams and the global
// flags.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// args are the command's arguments, for delegateAWS.
	args []string

	pluginDirs  []string
	logLevel    string
	logFormat   string
	verify      bool
	insecure    bool
	deadLetter  string
	importState bool

	// ran is set once a command's RunE starts: errors before that come
	// from cobra's parsing and checking of arguments and flags.
	ran bool
}

// runE wraps a command body so that env knows it started.
func (e *env) runE(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		e.ran = true
		return f(cmd, args)
	}
}

// codedError is an error with the exit code it causes.
type codedError struct {
	code int
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

// badInput marks err as bad input (ExitBadInput).
func badInput(err error) error { return &codedError{code: ExitBadInput, err: err} }

// failed marks err as a run failure (ExitFailed).
func failed(err error) error { return &codedError{code: ExitFailed, err: err} }

// errReported is wrapped into errors whose text the command has already
// printed as part of its output.
var errReported = errors.New("reported")

// reportedError is an error already shown to the user, with its exit code.
type reportedError struct{ code int }

func (e *reportedError) Error() string { return fmt.Sprintf("exit status %d", e.code) }
func (e *reportedError) Is(target error) bool {
	return target == errReported
}

// exitCode maps an error of a command to an exit code. ran says whether
// the command itself started (else the error is cobra's, from parsing).
func exitCode(err error, ran bool) int {
	var rep *reportedError
	if errors.As(err, &rep) {
		return rep.code
	}
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.code
	}
	var ae *host.ActionError
	if errors.As(err, &ae) {
		return actionErrorCode(ae)
	}
	if errors.Is(err, host.ErrUntrusted) || errors.Is(err, host.ErrIntegrity) {
		return ExitBadInput
	}
	if ran {
		return ExitFailed
	}
	// cobra's own errors: unknown command, bad arguments.
	return ExitBadInput
}

// actionErrorCode is ExitBadInput for a list that failed validation
// (including a plugin refused by the trust or integrity checks), except when
// a plugin could not start (an environment problem, ExitFailed), and
// ExitFailed for an action that failed when run.
func actionErrorCode(ae *host.ActionError) int {
	var pe *host.PluginError
	if ae.Invalid && (!errors.As(ae, &pe) || pe.Kind == host.KindIntegrity) {
		return ExitBadInput
	}
	return ExitFailed
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "lava-actions",
		Short: "Run, render and validate lava job actions through action plugins",
		Long: `lava-actions runs the post-job actions of a lava job (on_success, on_retry,
on_fail) outside a lava worker, through the same plugin host the worker uses.
Each action type is an executable named lava-action-<type> found on the
plugin path: a "plugins" directory beside this binary, then the directories
in ` + host.PathEnv + `; --plugin-dir replaces that path. A directory named
twice (or through a link) is searched once.

Plugin-path trust is on by default, as sshd's StrictModes: a plugin whose
directory or executable is writable by group or others, or owned by a user
other than root or you, or a symbolic link out of its directory, is refused
(exit 2). --insecure-plugin-path turns that off, with a warning.

Job and realm files hold lava DynamoDB items as JSON (numbers kept as
decimals); a result file holds the job's result. "-" reads a file from stdin.

Host and plugin logs (including the log action's records) go to stderr.

` + exitCodesHelp,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := parseLevel(e.logLevel); err != nil {
				return badInput(err)
			}
			if e.logFormat != "text" && e.logFormat != "json" {
				return badInput(fmt.Errorf("unknown log format %q: want text or json", e.logFormat))
			}
			return delegateAWS(cmd, e)
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return badInput(err) })
	pf := root.PersistentFlags()
	pf.StringArrayVar(&e.pluginDirs, "plugin-dir", nil, "plugin directory to search (repeatable; replaces the default plugin path)")
	pf.StringVar(&e.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	pf.StringVar(&e.logFormat, "log-format", "text", "log format on stderr: text or json")
	pf.BoolVar(&e.verify, "verify", false, "refuse plugins not matching the lock file (lava-actions.lock or SHA256SUMS) of their directory")
	pf.BoolVar(&e.insecure, "insecure-plugin-path", false, "turn off the plugin-path trust checks (refusing plugins and directories writable by group or others, owned by another user, or linked from outside their directory)")
	pf.StringVar(&e.deadLetter, "dead-letter", "", "directory to save each failed action in (mode 0600), for replay")
	pf.BoolVar(&e.importState, "import-state", false, "fill the job's declared state map from lava.<realm>.state before rendering, as lava's worker does")
	root.AddCommand(newRunCmd(e, false), newRunCmd(e, true), newValidateCmd(e), newPluginsCmd(e), newVersionCmd(e),
		newReplayCmd(e), newServeCmd(e), newStateCmd(e))
	return root
}

func parseLevel(s string) (slog.Level, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(s)); err != nil {
		return lv, fmt.Errorf("unknown log level %q: want debug, info, warn or error", s)
	}
	return lv, nil
}

// logger returns the stderr logger the flags ask for.
func (e *env) logger() *slog.Logger {
	lv, _ := parseLevel(e.logLevel)
	opts := &slog.HandlerOptions{Level: lv}
	if e.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

// newHost creates a host on the chosen plugin path.
func (e *env) newHost(actionTimeout time.Duration) (*host.Host, error) {
	cfg := host.Config{Logger: e.logger(), ActionTimeout: actionTimeout, Verify: e.verify, DeadLetterDir: e.deadLetter,
		InsecurePluginPath: e.insecure}
	if e.importState {
		imp, err := stateImporter(context.Background())
		if err != nil {
			return nil, failed(err)
		}
		cfg.ImportState = imp
	}
	if len(e.pluginDirs) > 0 {
		cfg.PluginPath = e.pluginDirs
	}
	h, err := host.New(cfg)
	if err != nil {
		return nil, &codedError{code: ExitInternal, err: fmt.Errorf("start the plugin host: %w", err)}
	}
	return h, nil
}

// pluginPath is the plugin path the host searches.
func (e *env) pluginPath() []string {
	if len(e.pluginDirs) > 0 {
		return e.pluginDirs
	}
	return host.DefaultPath()
}

// shutdown drains the host and stops its plugins, whether or not the
// command's context was cancelled.
func shutdown(h *host.Host, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		log.Warn("plugin host did not drain in time; plugins stopped", "error", err)
	}
}

// noArgs rejects positional arguments as bad input.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return badInput(fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0]))
	}
	return nil
}

// buildVersion returns the command's version: the one stamped at link time
// (internal/version), else the module version from the build information.
func buildVersion() string {
	if version.Version != "" && version.Version != "dev" {
		return version.Version
	}
	v := "dev"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if mv := info.Main.Version; mv != "" && mv != "(devel)" {
		v = mv
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " (" + s.Value[:12] + ")"
		}
	}
	return v
}
