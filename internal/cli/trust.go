package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/host/deadletter"
	"github.com/lava-actions/lava-actions/host/lockfile"
	"github.com/lava-actions/lava-actions/internal/serve"
	"github.com/spf13/cobra"
)

// pluginDirsArg returns the directories named on the command line, else
// the plugin path.
func (e *env) pluginDirsArg(args []string) []string {
	if len(args) > 0 {
		return args
	}
	return e.pluginPath()
}

// lockJSON is one directory in `plugins lock -o json`.
type lockJSON struct {
	Dir      string            `json:"dir"`
	Lock     map[string]string `json:"sha256"`
	Warnings []string          `json:"warnings,omitempty"`
}

func newLockCmd(e *env) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "lock [DIR...]",
		Short: "Write " + lockfile.FileName + " (sha256 of each plugin) in plugin directories",
		Long: `Lock hashes every lava-action-* executable in each directory (default: the
plugin path) and writes the directory's ` + lockfile.FileName + `. With --verify,
the host then refuses any plugin that is missing from the lock or whose
executable changed.

Lock refuses (exit 2, nothing written) a directory or executable that fails
the plugin-path trust checks: writable by group or others, owned by a user
other than root or you, or a symbolic link out of the directory.
--insecure-plugin-path locks such a directory anyway (not an outside link),
with a warning.`,
		RunE: e.runE(func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			var docs []lockJSON
			for _, dir := range e.pluginDirsArg(args) {
				lock, warnings, err := host.WriteLock(dir, e.insecure)
				if errors.Is(err, host.ErrUntrusted) || errors.Is(err, fs.ErrNotExist) {
					return badInput(fmt.Errorf("lock %s: %w", dir, err))
				}
				if err != nil {
					return failed(fmt.Errorf("lock %s: %w", dir, err))
				}
				for _, w := range warnings {
					fmt.Fprintf(e.stderr, "lava-actions: warning: %s\n", w)
				}
				docs = append(docs, lockJSON{Dir: dir, Lock: lock, Warnings: warnings})
				if output == "text" {
					for _, n := range lock.Names() {
						fmt.Fprintf(e.stdout, "%s  %s\n", lock[n], filepath.Join(dir, n))
					}
				}
			}
			if output == "json" {
				return writeJSON(e.stdout, map[string]any{"locked": docs})
			}
			return nil
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// verifyJSON is one check in `plugins verify -o json`.
type verifyJSON struct {
	Status  string `json:"status"` // ok, warn or fail
	Path    string `json:"path,omitempty"`
	Message string `json:"message,omitempty"`
}

func newVerifyCmd(e *env) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "verify [DIR...]",
		Short: "Check plugins against their directory's lock file",
		Long: `Verify checks every plugin in each directory (default: the plugin path)
against the directory's ` + lockfile.FileName + ` (or SHA256SUMS): listed, same sha256,
not a symlink out of the directory, and the plugin-path trust checks
(reported as warnings with --insecure-plugin-path). The exit status is 1
when any check fails.`,
		RunE: e.runE(func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			var checks []verifyJSON
			add := func(status, path, msg string) { checks = append(checks, verifyJSON{status, path, msg}) }
			bad := 0
			for _, dir := range e.pluginDirsArg(args) {
				found, problems := host.Discover([]string{dir})
				for _, p := range problems {
					add("fail", "", p.Error())
					bad++
				}
				if len(found) == 0 {
					continue
				}
				lock, path, err := lockfile.Read(dir)
				if err != nil {
					add("fail", path, err.Error())
					bad++
					continue
				}
				for _, c := range found {
					v := host.VerifyPlugin(c, lock, e.insecure)
					for _, w := range v.Warnings {
						add("warn", c.Path, w)
					}
					if v.Err != nil {
						add("fail", c.Path, v.Err.Error())
						bad++
						continue
					}
					add("ok", c.Path, "")
				}
			}
			if output == "json" {
				if err := writeJSON(e.stdout, map[string]any{"checks": checks, "failed": bad}); err != nil {
					return failed(err)
				}
			} else {
				for _, c := range checks {
					switch c.Status {
					case "ok":
						fmt.Fprintf(e.stdout, "ok   %s\n", c.Path)
					case "warn":
						fmt.Fprintf(e.stdout, "WARN %s\n", oneLine(c.Message))
					default:
						fmt.Fprintf(e.stdout, "FAIL %s\n", oneLine(c.Message))
					}
				}
			}
			if bad > 0 {
				return &reportedError{code: ExitFailed}
			}
			return nil
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

func newReplayCmd(e *env) *cobra.Command {
	var (
		output string
		dry    bool
	)
	cmd := &cobra.Command{
		Use:   "replay [--dry-run] FILE...",
		Short: "Run failed actions saved by --dead-letter again",
		Long: `Replay runs each dead-letter file's action again, alone, with the job, realm
and result it failed with. Use it once the cause of the failure is fixed.
A replay that fails again is dead-lettered again when --dead-letter is set.

Every file is checked before anything runs; replay refuses (exit 2, nothing
ran) a letter that is not private to you (mode 0600, your file), fails its
recorded checksum (it was edited), or whose type and item.action disagree.
Before running a letter it says on stderr what it will run: the list and
index, the type, and each outside call a dry run shows (operation and
target). --dry-run stops there and prints the dry-run report. With -o json
stdout holds one object: {"replays":[{"file":…,"report":{…}}…]}.

` + exitCodesHelp,
		Args: cobra.MinimumNArgs(1),
		RunE: e.runE(func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			letters := make([]*deadletter.Letter, len(args))
			for i, file := range args {
				l, err := host.ReadDeadLetter(file)
				if err != nil {
					return badInput(err)
				}
				letters[i] = l
			}
			h, err := e.newHost(0)
			if err != nil {
				return err
			}
			defer shutdown(h, e.logger())
			code := ExitOK
			var replays []replayJSON
			defer func() {
				// -o json: one object for all files, printed even when a
				// replay broke off.
				if output == "json" && len(replays) > 0 {
					writeJSON(e.stdout, map[string]any{"replays": replays})
				}
			}()
			for i, file := range args {
				rep, err := replayOne(cmd.Context(), e, h, file, letters[i], dry)
				if rep != nil {
					if output == "json" {
						replays = append(replays, replayJSON{File: file, Report: rep})
					} else if perr := printReport(e, output, rep, err); perr != nil {
						return failed(perr)
					}
				}
				var ae *host.ActionError
				if errors.As(err, &ae) {
					fmt.Fprintf(e.stderr, "lava-actions: %s: %s\n", file, err)
					code = max(code, actionErrorCode(ae))
				} else if err != nil {
					return failed(err)
				}
			}
			if code != ExitOK {
				return &reportedError{code: code}
			}
			return nil
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	cmd.Flags().BoolVar(&dry, "dry-run", false, "show what each letter would send, and send nothing")
	return cmd
}

// replayJSON is one letter's replay in `replay -o json`.
type replayJSON struct {
	File   string       `json:"file"`
	Report *host.Report `json:"report"`
}

// replayOne tells what a letter will run (from a dry run), then runs it
// unless dry.
func replayOne(ctx context.Context, e *env, h *host.Host, file string, l *deadletter.Letter, dry bool) (*host.Report, error) {
	preview, perr := h.ReplayDryRun(ctx, l)
	var b strings.Builder
	fmt.Fprintf(&b, "lava-actions: replay %s: %s[%d] %s (failed %s)", file, l.Trigger, l.Index, l.Type, l.Time.Format(time.RFC3339))
	if perr == nil && preview != nil {
		for _, a := range preview.Actions {
			for _, eff := range a.Effects {
				fmt.Fprintf(&b, "\n    would: %s", eff.Operation)
				if eff.Target != "" {
					fmt.Fprintf(&b, " %s", oneLine(eff.Target))
				}
			}
		}
	}
	fmt.Fprintln(e.stderr, b.String())
	if dry {
		return preview, perr
	}
	return h.Replay(ctx, l)
}

func newServeCmd(e *env) *cobra.Command {
	var (
		addr   string
		cfg    serve.Config
		drain  = shutdownGrace
		warmup bool
	)
	cmd := &cobra.Command{
		Use:   "serve --listen SOCKET|tcp:127.0.0.1:PORT",
		Short: "Serve a JSON API that runs action lists with warm plugins",
		Long: `Serve keeps one plugin host, and so warm plugin processes, for workers in any
language. It listens on a unix socket (mode 0600) or, with tcp:, a loopback
address, and offers:

  POST /v1/run       {"trigger":"on_fail","job":{…},"realm":{…},"result":{…}}
  POST /v1/render    the same; a dry run that sends nothing
  POST /v1/validate  {"job":{…},"realm":{…}}
  GET  /healthz      GET /metrics (Prometheus)

Status codes: 200 the list ran (or nothing to run; an action that failed
sets the report's "error"), 400 malformed request (bad JSON, a missing job,
an unknown trigger), 404 unknown path, 405 wrong method, 413 body over
--max-body, 422 invalid list (nothing ran), 429 more than --max-concurrent
runs in flight, 503 draining. Each request is logged in one line; see
README.md for the fields.

With --warm (the default) every plugin starts at once, and serve exits with
status 2 when one is refused by the plugin-path trust or integrity checks;
without it a refused plugin makes each list using it invalid (422).

SIGTERM or SIGINT stops accepting requests, lets in-flight runs finish
(up to --drain), stops the plugins and logs "stopped".

` + exitCodesHelp,
		Args: noArgs,
		RunE: e.runE(func(cmd *cobra.Command, _ []string) error {
			if addr == "" {
				return badInput(errors.New("serve needs --listen"))
			}
			if err := intInRange("max-body", cfg.MaxBodyBytes, 1, maxBodyLimit); err != nil {
				return err
			}
			if err := intInRange("max-concurrent", int64(cfg.MaxConcurrent), 1, maxConcurrentLimit); err != nil {
				return err
			}
			if err := durationInRange("drain", drain, time.Millisecond, maxDrain); err != nil {
				return err
			}
			l, err := serve.Listen(addr)
			if err != nil {
				return badInput(fmt.Errorf("serve: %w", err))
			}
			h, err := e.newHost(0)
			if err != nil {
				l.Close()
				return err
			}
			log := e.logger()
			defer shutdown(h, log)
			if warmup {
				err := h.Start(cmd.Context())
				if errors.Is(err, host.ErrUntrusted) || errors.Is(err, host.ErrIntegrity) {
					l.Close()
					return badInput(fmt.Errorf("serve: warm-up: %w", err))
				}
				if err != nil {
					log.Warn("warm-up: a plugin did not start", "error", err)
				}
			}
			cfg.Host, cfg.Logger = h, log
			log.Info("serving", "listen", addr)
			return serve.New(cfg).Serve(cmd.Context(), l, drain)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&addr, "listen", "", "unix socket path, or tcp:127.0.0.1:PORT")
	f.Int64Var(&cfg.MaxBodyBytes, "max-body", 1<<20, fmt.Sprintf("largest request body in bytes (1 to %d)", maxBodyLimit))
	f.IntVar(&cfg.MaxConcurrent, "max-concurrent", 64, fmt.Sprintf("most runs in flight (1 to %d); more wait briefly, then get 429", maxConcurrentLimit))
	f.DurationVar(&drain, "drain", drain, "how long in-flight runs may take after SIGTERM (up to 1h)")
	f.BoolVar(&warmup, "warm", true, "start every plugin at once instead of on first use")
	return cmd
}
