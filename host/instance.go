package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/lava-actions/lava-actions/sdk/protocol"
	"github.com/lava-actions/lava-actions/sdk/protocol/rpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// instance owns the process of one action type. It starts the process on
// first use, restarts it after a crash (with backoff after repeated
// crashes) and kills it on close.
type instance struct {
	typ, path string
	h         *Host

	mu       sync.Mutex
	cur      *proc                 // the live process, or nil
	crashes  int                   // consecutive failed starts or crashes
	notUntil time.Time             // no restart before this
	valid    map[string]validation // validation answers of the current process
	closed   bool                  // the host stopped this type for good
}

// proc is one plugin process. Callers keep the proc they called, so that a
// failure is blamed on that process and never on a fresh one started since.
type proc struct {
	client *plugin.Client
	cmd    *exec.Cmd // nil for a plugin the host attached to (debug mode)
	rpc    protocol.Client
	desc   *protocol.Description
	stderr *tailBuffer
	// red redacts the secrets of the process's environment.
	red *protocol.Redactor
	// stopped says why the host stopped the process (nil while it runs or
	// when it died by itself); in-flight calls that break report it.
	stopped error
	// crashCounted is set once the process's death counted as a crash.
	crashCounted bool
}

// maxCachedValidations bounds the validation cache of one process.
const maxCachedValidations = 4096

// validation is a cached validation answer and the description it was
// checked against.
type validation struct {
	msg  string
	desc protocol.Description
}

func (in *instance) cachedValidation(key string) (string, protocol.Description, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	v, ok := in.valid[key]
	return v.msg, v.desc, ok
}

func (in *instance) storeValidation(key, msg string, desc protocol.Description) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.valid == nil || len(in.valid) >= maxCachedValidations {
		in.valid = map[string]validation{}
	}
	in.valid[key] = validation{msg: msg, desc: desc}
}

// conn returns the live process, starting one if needed. After repeated
// crashes a restart waits for its backoff first, without holding the lock.
func (in *instance) conn(ctx context.Context) (*proc, error) {
	for {
		in.mu.Lock()
		if in.closed {
			in.mu.Unlock()
			return nil, &PluginError{Type: in.typ, Path: in.path, Kind: KindUnavailable, Err: ErrHostClosed}
		}
		if p := in.cur; p != nil && !p.client.Exited() {
			in.mu.Unlock()
			return p, nil
		}
		wait := time.Until(in.notUntil)
		if wait <= 0 {
			defer in.mu.Unlock()
			if in.cur != nil {
				in.stopLocked(in.cur, nil)
			}
			p, err := in.startLocked(ctx)
			if err != nil {
				in.failedLocked()
				return nil, err
			}
			return p, nil
		}
		in.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &PluginError{Type: in.typ, Path: in.path, Kind: KindCancelled, Err: ctx.Err()}
		case <-t.C:
		}
	}
}

// failedLocked counts a failed start or a crash and sets the backoff of
// the next start: none after the first, then 25 ms doubling up to 2 s.
func (in *instance) failedLocked() {
	in.crashes++
	if in.crashes > 1 {
		backoff := min(25*time.Millisecond<<min(in.crashes-2, 8), 2*time.Second)
		in.notUntil = time.Now().Add(backoff)
	}
}

func (in *instance) startLocked(ctx context.Context) (*proc, error) {
	cfg := in.h.cfg
	rc, attach, err := in.h.reattach(in.typ)
	if err != nil {
		return nil, &PluginError{Type: in.typ, Path: in.path, Kind: KindStart, Err: err}
	}
	if attach && cfg.Verify {
		return nil, &PluginError{Type: in.typ, Path: in.path, Kind: KindIntegrity,
			Err: fmt.Errorf("%s is set: attaching to a plugin in debug mode is refused with verification on", protocol.ReattachEnv(in.typ))}
	}
	var secure *plugin.SecureConfig
	if cfg.Verify && !attach {
		sc, warnings, err := in.h.verify(in.typ, in.path)
		for _, w := range warnings {
			in.h.log.Warn("plugin permissions", "plugin", in.typ, "warning", w)
		}
		if err != nil {
			return nil, &PluginError{Type: in.typ, Path: in.path, Kind: KindIntegrity, Err: err}
		}
		secure = sc
	}
	env := in.h.pluginEnv()
	red := protocol.NewRedactor(envSecrets(env)...)
	tail := newTailBuffer(16 << 10)
	log := slog.New(redactHandler{inner: in.h.log.Handler(), red: red}).With("action", in.typ)
	ccfg := &plugin.ClientConfig{
		HandshakeConfig:  protocol.Handshake,
		Plugins:          rpc.PluginSet(&rpc.Plugin{}),
		SkipHostEnv:      true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           newHCLog(log, ""),
		Stderr:           tail,
		SyncStdout:       &lineLogger{log: log, msg: "plugin wrote to stdout"},
		SyncStderr:       io.MultiWriter(tail, &lineLogger{log: log, msg: "plugin wrote to stderr"}),
		StartTimeout:     cfg.StartTimeout,
		SecureConfig:     secure,
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(protocol.MaxMessageBytes), grpc.MaxCallSendMsgSize(protocol.MaxMessageBytes))},
	}
	var cmd *exec.Cmd
	if attach {
		in.h.log.Warn("attaching to a plugin in debug mode", "action", in.typ, "variable", protocol.ReattachEnv(in.typ), "pid", rc.Pid)
		ccfg.Reattach, ccfg.SecureConfig = rc, nil
	} else {
		cmd = exec.Command(in.path)
		cmd.Env = env
		setProcAttrs(cmd)
		ccfg.Cmd = cmd
	}
	client := plugin.NewClient(ccfg)
	fail := func(kind PluginErrorKind, err error) (*proc, error) {
		killGroup(cmd) // first: a child holding the pipes would stall Kill
		client.Kill()
		return nil, &PluginError{Type: in.typ, Path: in.path, Kind: kind, Err: err, StderrTail: red.String(tail.String())}
	}
	proto, err := client.Client()
	if err != nil {
		return fail(classifyStart(err), cleanStartError(err))
	}
	raw, err := proto.Dispense(protocol.PluginName)
	if err != nil {
		return fail(KindStart, err)
	}
	pc := raw.(protocol.Client)
	dctx, cancel := context.WithTimeout(ctx, cfg.StartTimeout)
	defer cancel()
	d, err := pc.Describe(dctx)
	if err != nil {
		if status.Code(err) == codes.DeadlineExceeded {
			return fail(KindStart, fmt.Errorf("describe: no answer within the start timeout (%s)", cfg.StartTimeout))
		}
		return fail(KindStart, fmt.Errorf("describe: %w", transportError(err)))
	}
	if d.ProtocolVersion != protocol.Version {
		return fail(KindIncompat, fmt.Errorf("incompatible protocol %d (host speaks %d)", d.ProtocolVersion, protocol.Version))
	}
	if d.Type != in.typ {
		return fail(KindWrongType, fmt.Errorf("describes action type %q, but its file name says %q", d.Type, in.typ))
	}
	desc := d.Description
	in.cur = &proc{client: client, cmd: cmd, rpc: pc, stderr: tail, desc: &desc, red: red}
	in.valid = nil // a new process may be a new binary
	return in.cur, nil
}

// classifyStart tells a protocol-version mismatch from other start failures.
func classifyStart(err error) PluginErrorKind {
	if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
		return KindIntegrity
	}
	if strings.Contains(err.Error(), "Incompatible API version") || strings.Contains(err.Error(), "incompatible API version") {
		return KindIncompat
	}
	return KindStart
}

// cleanStartError rewords go-plugin's start errors for people.
func cleanStartError(err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, plugin.ErrChecksumsDoNotMatch):
		return fmt.Errorf("%w: its sha256 differs from the lock file", ErrIntegrity)
	case strings.Contains(msg, "ncompatible API version"):
		if i := strings.Index(msg, "Plugin version: "); i >= 0 {
			var n int
			fmt.Sscanf(msg[i+len("Plugin version: "):], "%d", &n)
			return fmt.Errorf("incompatible protocol %d (host speaks %d)", n, protocol.Version)
		}
	case strings.Contains(msg, "Failed to read any lines from plugin's stdout"):
		return errors.New("not a lava-actions plugin: it exited before the go-plugin handshake")
	case strings.Contains(msg, "Unrecognized remote plugin message"):
		first, _, _ := strings.Cut(strings.TrimPrefix(msg, "Unrecognized remote plugin message: "), "\n")
		if len(first) > 80 {
			first = first[:80] + "…"
		}
		return fmt.Errorf("not a lava-actions plugin: it printed %q instead of the go-plugin handshake", first)
	case strings.Contains(msg, "plugin exited before we could connect"):
		return errors.New("not a lava-actions plugin: it exited before the handshake")
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return errors.New("not a lava-actions plugin: no handshake before the start timeout")
	}
	return err
}

// describe returns the plugin's description, starting it if needed.
func (in *instance) describe(ctx context.Context) (protocol.Description, error) {
	p, err := in.conn(ctx)
	if err != nil {
		return protocol.Description{}, err
	}
	return *p.desc, nil
}

// call runs one RPC with crash and deadline handling. A successful call
// with healthy set (an Execute) ends a run of crashes; a Validate does not,
// since every fresh process answers those.
func call[T any](ctx context.Context, in *instance, healthy bool, f func(context.Context, *proc) (T, error)) (T, error) {
	var zero T
	p, err := in.conn(ctx)
	if err != nil {
		return zero, err
	}
	out, err := f(ctx, p)
	if err == nil {
		if healthy {
			in.mu.Lock()
			if in.cur == p {
				in.crashes = 0
			}
			in.mu.Unlock()
		}
		return out, nil
	}
	st, _ := status.FromError(err)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || st.Code() == codes.DeadlineExceeded:
		// The plugin may be hung: kill it so the next action gets a fresh
		// one. Other actions in flight on it are told why they broke.
		in.stop(p, fmt.Errorf("stopped by the host: an action of type %s ran past its deadline", in.typ))
		return zero, &PluginError{Type: in.typ, Path: in.path, Kind: KindDeadline, Err: context.DeadlineExceeded}
	case errors.Is(ctx.Err(), context.Canceled):
		// The caller gave up; the plugin saw the cancellation and the
		// process serves others, so it is left running.
		return zero, &PluginError{Type: in.typ, Path: in.path, Kind: KindCancelled, Err: context.Canceled}
	}
	// Transport trouble: the process died, or the host stopped it.
	in.mu.Lock()
	why := p.stopped
	in.mu.Unlock()
	if why != nil {
		return zero, &PluginError{Type: in.typ, Path: in.path, Kind: KindKilled, Err: why}
	}
	waitExit(p, 200*time.Millisecond)
	in.mu.Lock()
	if !p.crashCounted {
		p.crashCounted = true
		in.failedLocked()
	}
	in.mu.Unlock()
	in.stop(p, nil)
	return zero, &PluginError{Type: in.typ, Path: in.path, Kind: KindCrash, Err: transportError(err), StderrTail: p.red.String(p.stderr.String())}
}

// waitExit gives a dying process a moment to finish writing stderr.
func waitExit(p *proc, d time.Duration) {
	deadline := time.Now().Add(d)
	for !p.client.Exited() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

func transportError(err error) error {
	if st, ok := status.FromError(err); ok {
		return fmt.Errorf("%s: %s", strings.ToLower(st.Code().String()), st.Message())
	}
	return err
}

// stop kills process p at once (without go-plugin's graceful shutdown,
// which waits up to 2 s for a plugin that may be hung) and forgets it if it
// is still the current one. why, when not nil, is told to its other callers.
func (in *instance) stop(p *proc, why error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if p.stopped == nil {
		p.stopped = why
	}
	killGroup(p.cmd)
	in.stopLocked(p, why)
}

// kill stops the current process gracefully (go-plugin's Kill, which asks
// the plugin to exit), then kills what is left of its process group.
func (in *instance) kill() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.closed = true // no process starts after this
	if in.cur != nil {
		in.stopLocked(in.cur, errors.New("stopped by the host: shutting down"))
	}
}

func (in *instance) stopLocked(p *proc, why error) {
	if p.stopped == nil {
		p.stopped = why
	}
	p.client.Kill()
	killGroup(p.cmd)
	if in.cur == p {
		in.cur = nil
	}
}

// pid returns the plugin's process id, or 0 when not running.
func (in *instance) pid() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cur == nil || in.cur.client.Exited() {
		return 0
	}
	if in.cur.cmd == nil {
		if rc := in.cur.client.ReattachConfig(); rc != nil {
			return rc.Pid
		}
		return 0
	}
	return in.cur.cmd.Process.Pid
}

// tailBuffer keeps the last bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	if t == nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// lineLogger logs what a plugin writes to its redirected stdout or stderr.
type lineLogger struct {
	log *slog.Logger
	msg string
}

func (l *lineLogger) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line != "" {
			l.log.Warn(l.msg, "text", line)
		}
	}
	return len(p), nil
}
