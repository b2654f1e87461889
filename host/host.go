// Package host runs lava job actions, each action type in its own plugin
// process (HashiCorp go-plugin over gRPC).
//
// A worker creates one Host at start, calls Run when a job ends and Shutdown
// when it stops:
//
//	h, err := host.New(host.Config{Logger: logger})
//	...
//	report, err := h.Run(ctx, host.OnFail, job, realm, result)
//
// The host finds executables named lava-action-<type> on its plugin path,
// starts one process per type on first use and reuses it, restarts a process
// that crashed, kills one that runs past its deadline, and never lets a
// plugin outlive it. It applies lava's rules for choosing a list (spec 1.2),
// validates the whole list before anything runs, runs the actions in order
// and stops at the first failure.
package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/lava-actions/lava-actions/sdk/protocol"
	"github.com/lava-actions/lava-actions/sdk/value"

	"golang.org/x/sync/errgroup"
)

// Config configures a Host. The zero value works.
type Config struct {
	// PluginPath lists directories searched in order; nil means DefaultPath().
	PluginPath []string
	// Logger receives host and plugin logs; nil means slog.Default().
	Logger *slog.Logger
	// StartTimeout bounds a plugin start (handshake and Describe); default 10s.
	StartTimeout time.Duration
	// ActionTimeout is each action's deadline; default 60s.
	ActionTimeout time.Duration
	// Env adds KEY=VALUE entries to every plugin's environment, after the
	// allow-listed host variables.
	Env []string
	// Environ returns the host environment (default os.Environ). Plugins get
	// only its allow-listed part: AWS_*, LAVA_*, TZ, HOME, PATH, TMPDIR,
	// SSL_CERT_FILE, SSL_CERT_DIR and the proxy variables. Its credential
	// values are redacted from everything plugins return (README, "Security
	// model"). LAVA_ACTION_REATTACH_<TYPE> in it makes the host attach to a
	// plugin an author runs in debug mode instead of starting one.
	Environ func() []string
	// Now is the clock used for a job without ts_start; default time.Now.
	Now func() time.Time
	// Verify refuses any plugin that is not listed, with its SHA-256, in the
	// lock file of its directory (lava-actions.lock, else SHA256SUMS), or
	// whose path resolves outside that directory. The binary is hashed afresh
	// on every start.
	Verify bool
	// ImportState, when set, is called with each run's prepared job before
	// anything is rendered, to fill the job's declared state map from the
	// state table (spec 2.5); state.Store.Import is such a function. Its
	// error fails the run before any action (as lava's worker would not
	// start the job).
	ImportState func(ctx context.Context, realm string, job *value.Map) error
	// DeadLetterDir, when set, receives a file (mode 0600) for each action
	// that fails when run, holding its item and context; Replay runs it again.
	DeadLetterDir string
}

// Host owns the plugin processes of one worker. It is safe for concurrent use.
type Host struct {
	cfg     Config
	log     *slog.Logger
	sockDir string

	mu        sync.Mutex
	closed    bool
	inflight  sync.WaitGroup
	found     map[string]Candidate
	problems  []error
	instances map[string]*instance
	descBySum map[string]protocol.Description
}

// New returns a host that has scanned its plugin path. No plugin starts yet.
func New(cfg Config) (*Host, error) {
	if cfg.PluginPath == nil {
		cfg.PluginPath = DefaultPath()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 10 * time.Second
	}
	if cfg.ActionTimeout <= 0 {
		cfg.ActionTimeout = 60 * time.Second
	}
	if cfg.Environ == nil {
		cfg.Environ = os.Environ
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	dir, err := os.MkdirTemp("", "lava-actions-")
	if err != nil {
		return nil, fmt.Errorf("create plugin socket directory: %w", err)
	}
	h := &Host{cfg: cfg, log: cfg.Logger, sockDir: dir, instances: map[string]*instance{}, descBySum: map[string]protocol.Description{}}
	h.Rescan()
	return h, nil
}

// Rescan reads the plugin path again, so that executables added since are
// found. Running plugins are kept.
func (h *Host) Rescan() {
	found, problems := Discover(h.cfg.PluginPath)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.found = map[string]Candidate{}
	for _, c := range found {
		h.found[c.Type] = c
		for _, s := range c.Shadows {
			h.log.Warn("plugin shadowed by an earlier one on the plugin path", "type", c.Type, "used", c.Path, "ignored", s)
		}
	}
	h.problems = problems
	for _, p := range problems {
		h.log.Warn("plugin path problem", "error", p)
	}
}

// Candidates returns the plugins found on the path, sorted by type.
func (h *Host) Candidates() []Candidate {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Candidate, 0, len(h.found))
	for _, c := range h.found {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		if a.Type < b.Type {
			return -1
		}
		return 1
	})
	return out
}

// Problems returns the plugin path problems of the last scan.
func (h *Host) Problems() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.problems)
}

func (h *Host) pluginEnv() []string {
	env := filterEnv(h.cfg.Environ())
	env = append(env, h.cfg.Env...)
	return append(env, "PLUGIN_UNIX_SOCKET_DIR="+h.sockDir)
}

// reattach returns the go-plugin reattach configuration of typ when the
// host environment sets LAVA_ACTION_REATTACH_<TYPE> (a plugin an author runs
// in debug mode; see sdk.ServeContext).
func (h *Host) reattach(typ string) (*plugin.ReattachConfig, bool, error) {
	name := protocol.ReattachEnv(typ)
	for _, kv := range h.cfg.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			rc, err := protocol.ParseReattach(v)
			if err != nil {
				return nil, false, fmt.Errorf("%s: %w", name, err)
			}
			return rc, true, nil
		}
	}
	return nil, false, nil
}

// hasReattach says whether the host environment sets typ's reattach
// variable.
func (h *Host) hasReattach(typ string) bool {
	prefix := protocol.ReattachEnv(typ) + "="
	for _, kv := range h.cfg.Environ() {
		if strings.HasPrefix(kv, prefix) {
			return true
		}
	}
	return false
}

// instance returns the process owner of typ, or ErrPluginNotFound.
func (h *Host) instance(typ string) (*instance, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrHostClosed
	}
	if in, ok := h.instances[typ]; ok {
		return in, nil
	}
	c, ok := h.found[typ]
	if !ok && h.hasReattach(typ) {
		c, ok = Candidate{Type: typ, Path: protocol.ReattachEnv(typ)}, true
	}
	if !ok {
		for _, p := range h.problems {
			if strings.Contains(p.Error(), string(filepath.Separator)+ExecutablePrefix+typ+":") {
				return nil, p
			}
		}
		return nil, ErrPluginNotFound
	}
	in := &instance{typ: typ, path: c.Path, h: h}
	h.instances[typ] = in
	return in, nil
}

// lookup is instance with one rescan of the plugin path on a miss.
func (h *Host) lookup(typ string) (*instance, error) {
	in, err := h.instance(typ)
	if errors.Is(err, ErrPluginNotFound) {
		h.Rescan()
		in, err = h.instance(typ)
	}
	return in, err
}

// Start starts the plugins of the given types (all found ones when none are
// given) in parallel and waits until each has answered Describe.
func (h *Host) Start(ctx context.Context, types ...string) error {
	if len(types) == 0 {
		for _, c := range h.Candidates() {
			types = append(types, c.Type)
		}
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, t := range types {
		g.Go(func() error {
			in, err := h.lookup(t)
			if err != nil {
				return fmt.Errorf("%s: %w", t, err)
			}
			_, err = in.conn(ctx)
			return err
		})
	}
	return g.Wait()
}

// PluginInfo describes one discovered plugin.
type PluginInfo struct {
	Candidate
	SHA256      string
	Description protocol.Description
	Err         error
}

// Plugins describes every discovered plugin. Descriptions are cached by the
// executable's SHA-256, so a plugin is started only when its binary is new.
func (h *Host) Plugins(ctx context.Context) []PluginInfo {
	var out []PluginInfo
	for _, c := range h.Candidates() {
		info := PluginInfo{Candidate: c}
		info.SHA256, info.Err = FileSHA256(c.Path)
		if info.Err == nil {
			info.Description, info.Err = h.describe(ctx, c.Type, info.SHA256)
		}
		out = append(out, info)
	}
	return out
}

func (h *Host) describe(ctx context.Context, typ, sum string) (protocol.Description, error) {
	h.mu.Lock()
	d, ok := h.descBySum[sum]
	h.mu.Unlock()
	if ok {
		return d, nil
	}
	in, err := h.lookup(typ)
	if err != nil {
		return protocol.Description{}, err
	}
	d, err = in.describe(ctx)
	if err != nil {
		return d, err
	}
	h.mu.Lock()
	h.descBySum[sum] = d
	h.mu.Unlock()
	return d, nil
}

// enter registers in-flight work, refusing it once the host is closing.
func (h *Host) enter() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrHostClosed
	}
	h.inflight.Add(1)
	return nil
}

// Shutdown stops new work, waits for in-flight runs to finish (or ctx to
// end), then stops every plugin process. It returns ctx's error when the
// wait was cut short; the plugins are stopped in either case.
func (h *Host) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.inflight.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	h.mu.Lock()
	instances := h.instances
	h.instances = map[string]*instance{}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, in := range instances {
		wg.Go(in.kill)
	}
	wg.Wait()
	if err == nil {
		<-done
	}
	os.RemoveAll(h.sockDir)
	return err
}

// Close is Shutdown with a 30-second drain.
func (h *Host) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return h.Shutdown(ctx)
}

// PIDs returns the process id of each running plugin, by type. It is meant
// for diagnostics and tests.
func (h *Host) PIDs() map[string]int {
	h.mu.Lock()
	instances := make([]*instance, 0, len(h.instances))
	for _, in := range h.instances {
		instances = append(instances, in)
	}
	h.mu.Unlock()
	out := map[string]int{}
	for _, in := range instances {
		if pid := in.pid(); pid > 0 {
			out[in.typ] = pid
		}
	}
	return out
}
