package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/lava-actions/lava-actions/host"
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

func newLockCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "lock [DIR...]",
		Short: "Write " + host.LockFileName + " (sha256 of each plugin) in plugin directories",
		Long: `Lock hashes every lava-action-* executable in each directory (default: the
plugin path) and writes the directory's ` + host.LockFileName + `. With --verify,
the host then refuses any plugin that is missing from the lock or whose
executable changed.`,
		RunE: e.runE(func(cmd *cobra.Command, args []string) error {
			for _, dir := range e.pluginDirsArg(args) {
				lock, err := host.WriteLock(dir)
				if err != nil {
					return failed(fmt.Errorf("lock %s: %w", dir, err))
				}
				names := make([]string, 0, len(lock))
				for n := range lock {
					names = append(names, n)
				}
				slices.Sort(names)
				for _, n := range names {
					fmt.Fprintf(e.stdout, "%s  %s\n", lock[n], filepath.Join(dir, n))
				}
			}
			return nil
		}),
	}
}

func newVerifyCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "verify [DIR...]",
		Short: "Check plugins against their directory's lock file",
		Long: `Verify checks every plugin in each directory (default: the plugin path)
against the directory's ` + host.LockFileName + ` (or SHA256SUMS): listed, same sha256,
not a symlink out of the directory. Directories and executables writable by
group or others are reported. The exit status is 1 when any check fails.`,
		RunE: e.runE(func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, dir := range e.pluginDirsArg(args) {
				found, problems := host.Discover([]string{dir})
				for _, p := range problems {
					fmt.Fprintf(e.stdout, "FAIL %v\n", p)
					bad++
				}
				if len(found) == 0 {
					continue
				}
				lock, path, err := host.ReadLock(dir)
				if err != nil {
					fmt.Fprintf(e.stdout, "FAIL %s: %v\n", path, err)
					bad++
					continue
				}
				for _, c := range found {
					v := host.VerifyPlugin(dir, c, lock)
					for _, w := range v.Warnings {
						fmt.Fprintf(e.stdout, "WARN %s\n", w)
					}
					if v.Err != nil {
						fmt.Fprintf(e.stdout, "FAIL %v\n", v.Err)
						bad++
						continue
					}
					fmt.Fprintf(e.stdout, "ok   %s\n", c.Path)
				}
			}
			if bad > 0 {
				return &reportedError{code: ExitFailed}
			}
			return nil
		}),
	}
}

func newReplayCmd(e *env) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "replay FILE...",
		Short: "Run failed actions saved by --dead-letter again",
		Long: `Replay runs each dead-letter file's action again, alone, with the job, realm
and result it failed with. Use it once the cause of the failure is fixed.
A replay that fails again is dead-lettered again when --dead-letter is set.

` + exitCodesHelp,
		Args: cobra.MinimumNArgs(1),
		RunE: e.runE(func(cmd *cobra.Command, args []string) error {
			h, err := e.newHost(0)
			if err != nil {
				return err
			}
			defer shutdown(h, e.logger())
			code := ExitOK
			for _, file := range args {
				dl, err := host.ReadDeadLetter(file)
				if err != nil {
					return badInput(err)
				}
				rep, err := h.Replay(cmd.Context(), dl)
				if rep != nil {
					if perr := printReport(e, output, rep, err); perr != nil {
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
	return cmd
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

SIGTERM or SIGINT stops accepting requests, lets in-flight runs finish
(up to --drain) and stops the plugins.`,
		Args: noArgs,
		RunE: e.runE(func(cmd *cobra.Command, _ []string) error {
			if addr == "" {
				return badInput(errors.New("serve needs --listen"))
			}
			h, err := e.newHost(0)
			if err != nil {
				return err
			}
			log := e.logger()
			defer shutdown(h, log)
			if warmup {
				if err := h.Start(cmd.Context()); err != nil {
					log.Warn("warm-up: a plugin did not start", "error", err)
				}
			}
			l, err := serve.Listen(addr)
			if err != nil {
				return failed(fmt.Errorf("serve: %w", err))
			}
			cfg.Host, cfg.Logger = h, log
			log.Info("serving", "listen", addr)
			return serve.New(cfg).Serve(cmd.Context(), l, drain)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&addr, "listen", "", "unix socket path, or tcp:127.0.0.1:PORT")
	f.Int64Var(&cfg.MaxBodyBytes, "max-body", 1<<20, "largest request body in bytes")
	f.IntVar(&cfg.MaxConcurrent, "max-concurrent", 64, "most runs in flight; more wait briefly, then get 429")
	f.DurationVar(&drain, "drain", drain, "how long in-flight runs may take after SIGTERM")
	f.BoolVar(&warmup, "warm", true, "start every plugin at once instead of on first use")
	return cmd
}
