package host

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/protocol"
	"github.com/lava-actions/lava-actions/sdk/render"
	"github.com/lava-actions/lava-actions/sdk/value"
	"golang.org/x/sync/errgroup"
)

// Status is the outcome of one action.
type Status string

// Action statuses.
const (
	StatusOK      Status = "ok"      // ran and succeeded
	StatusFailed  Status = "failed"  // ran (or failed validation) with an error
	StatusNotRun  Status = "not-run" // not run: validation failed or an earlier action failed
	StatusPreview Status = "dry-run" // rendered and previewed, nothing sent
	// StatusSkipped: a dry run did not ask the plugin, which does not
	// declare the "dry-run" capability (ErrNoDryRun is the error).
	StatusSkipped Status = "skipped"
)

// ErrNoDryRun is the report error of an action skipped in a dry run
// because its plugin does not declare the "dry-run" capability.
const ErrNoDryRun = "plugin does not support dry run"

// Report says what happened to each action of the chosen list.
type Report struct {
	Trigger Trigger `json:"trigger"`
	// Source is "job" or "realm": where the list came from; "" when neither
	// has one and nothing ran.
	Source  string         `json:"source"`
	DryRun  bool           `json:"dry_run,omitempty"`
	Actions []ActionReport `json:"actions"`
	// Error is the text of the run's error, if any.
	Error string `json:"error,omitempty"`
}

// ActionReport is one action's outcome.
type ActionReport struct {
	Index      int               `json:"index"`
	Type       string            `json:"type"`
	Status     Status            `json:"status"`
	Duration   time.Duration     `json:"-"`
	DurationMS float64           `json:"duration_ms"`
	Summary    string            `json:"summary,omitempty"`
	Effects    []protocol.Effect `json:"effects,omitempty"`
	Retries    int               `json:"retries,omitempty"`
	Error      string            `json:"error,omitempty"`
	// DeadLetter is the file the failed action was saved to, if any.
	DeadLetter string `json:"dead_letter,omitempty"`
}

// Run runs the job's (or realm's) action list for trigger. job is lava's
// augmented job (see PrepareJob, which Run applies), realm the realm item
// and result the job's result (nil means {}).
//
// The whole list is validated before anything runs. An action's error is
// an *ActionError worded as lava words it, and the report shows each
// action's status; a non-nil report is returned even with an error. A
// malformed job (see PrepareJob), a failed state import or a closed host
// give a plain error before any action is looked at.
func (h *Host) Run(ctx context.Context, trigger Trigger, job, realm, result *value.Map) (*Report, error) {
	return h.run(ctx, trigger, job, realm, result, false)
}

// DryRun validates and renders the list as Run would, and reports what each
// action would send, without sending anything.
func (h *Host) DryRun(ctx context.Context, trigger Trigger, job, realm, result *value.Map) (*Report, error) {
	return h.run(ctx, trigger, job, realm, result, true)
}

func (h *Host) run(ctx context.Context, trigger Trigger, job, realm, result *value.Map, dry bool) (*Report, error) {
	if err := h.enter(); err != nil {
		return nil, err
	}
	defer h.inflight.Done()
	rep := &Report{Trigger: trigger, DryRun: dry, Actions: []ActionReport{}}
	job, err := PrepareJob(job, h.cfg.Now())
	if err != nil {
		return rep, err
	}
	if realm == nil {
		realm = &value.Map{}
	}
	if result == nil {
		result = &value.Map{}
	}
	raw, source, ok := Select(trigger, job, realm)
	rep.Source = source
	if ok && h.cfg.ImportState != nil && job.Map("state").Len() > 0 {
		name := realm.String("realm")
		if name == "" {
			name = job.String("realm")
		}
		if err := h.cfg.ImportState(ctx, name, job); err != nil {
			err = fmt.Errorf("import state: %w", err)
			rep.Error = err.Error()
			return rep, err
		}
	}
	if !ok {
		return rep, nil
	}
	base := &protocol.Request{
		Trigger: string(trigger),
		Job:     job,
		Realm:   realm,
		Result:  result,
		Config:  ResolveConfig(realm, h.cfg.Environ()),
		DryRun:  dry,
	}
	plan, err := h.validate(ctx, string(trigger), raw, base)
	for i, p := range plan {
		rep.Actions = append(rep.Actions, ActionReport{Index: i, Type: p.typ, Status: StatusNotRun})
	}
	if err != nil {
		var ae *ActionError
		if errors.As(err, &ae) && ae.Index >= 0 && ae.Index < len(rep.Actions) {
			rep.Actions[ae.Index].Status = StatusFailed
			rep.Actions[ae.Index].Error = err.Error()
		}
		rep.Error = err.Error()
		return rep, err
	}
	for i, p := range plan {
		ar := &rep.Actions[i]
		if dry && !p.desc.Can(protocol.CapabilityDryRun) {
			// Plan, never apply: a plugin that does not promise to honour
			// DryRun is not asked to execute at all.
			ar.Status, ar.Error = StatusSkipped, ErrNoDryRun
			continue
		}
		start := time.Now()
		resp, err := h.execute(ctx, p, base, i)
		ar.Duration = time.Since(start)
		ar.DurationMS = float64(ar.Duration.Microseconds()) / 1000
		if resp != nil {
			ar.Summary, ar.Retries, ar.Effects = resp.Summary, resp.Retries, resp.Effects
			h.emitLogs(ctx, p.typ, resp.Logs)
		}
		if err == nil && resp.Error != "" {
			err = &ActionError{Key: string(trigger), Index: i, Type: p.typ, Msg: resp.Error}
		}
		if err != nil {
			ar.Status, ar.Error, rep.Error = StatusFailed, err.Error(), err.Error()
			attrs := []any{"trigger", string(trigger), "index", i, "type", p.typ,
				"job_id", job.String("job_id"), "run_id", job.String("run_id"), "error", err.Error()}
			if h.cfg.DeadLetterDir != "" && !dry {
				path, dlErr := writeDeadLetter(h.cfg.DeadLetterDir, h.cfg.Now(), trigger, i, p.typ, err.Error(), p.item, job, realm, result)
				if dlErr != nil {
					attrs = append(attrs, "dead_letter_error", dlErr.Error())
				} else {
					ar.DeadLetter = path
					attrs = append(attrs, "dead_letter", path)
				}
			}
			h.log.Error("action failed", attrs...)
			return rep, err
		}
		ar.Status = StatusOK
		if dry {
			ar.Status = StatusPreview
		}
	}
	return rep, nil
}

// step is one validated item ready to run.
type step struct {
	typ  string
	item *value.Map
	in   *instance
	desc protocol.Description // as the plugin described itself at validation
}

// validate checks the whole list: shape, known types (starting the needed
// plugins in parallel), then each item through its plugin's Validate.
func (h *Host) validate(ctx context.Context, key string, raw any, base *protocol.Request) ([]step, error) {
	list, ok := raw.([]any)
	if !ok {
		return nil, &ActionError{Key: key, Index: -1, Msg: "action must be a list", Invalid: true}
	}
	plan := make([]step, len(list))
	var firstErr error
	fail := func(err *ActionError) {
		if firstErr == nil {
			err.Invalid = true
			firstErr = err
		}
	}
	for i, v := range list {
		item, ok := v.(*value.Map)
		typ, isStr := mustGet(item, "action").(string)
		switch {
		case !ok || !item.Has("action"):
			fail(&ActionError{Key: key, Index: i, Untyped: true, Msg: "Missing keys: action"})
			continue
		case !isStr:
			fail(&ActionError{Key: key, Index: i, Type: value.Str(mustGet(item, "action")), Msg: "unknown action"})
			continue
		}
		plan[i] = step{typ: typ, item: item}
		in, err := h.lookup(typ)
		if errors.Is(err, ErrPluginNotFound) {
			fail(&ActionError{Key: key, Index: i, Type: typ, Msg: "unknown action", Err: err})
			continue
		} else if err != nil {
			fail(&ActionError{Key: key, Index: i, Type: typ, Msg: err.Error(), Err: err})
			continue
		}
		plan[i].in = in
	}
	if firstErr != nil {
		return plan, firstErr
	}
	// Start every needed plugin in parallel; report the first failure in
	// list order.
	errs := make([]error, len(plan))
	var g errgroup.Group
	var once sync.Map
	for i, p := range plan {
		if _, dup := once.LoadOrStore(p.typ, true); dup {
			continue
		}
		g.Go(func() error { _, errs[i] = p.in.conn(ctx); return nil })
	}
	g.Wait()
	for i, err := range errs {
		if err != nil {
			return plan, &ActionError{Key: key, Index: i, Type: plan[i].typ, Msg: err.Error(), Err: err, Invalid: true}
		}
	}
	for i := range plan {
		p := &plan[i]
		req := requestFor(base, p.item, i, time.Time{})
		msg, err := h.validateItem(ctx, p, req)
		if err == nil && msg == "" {
			msg = checkHostRender(ctx, p.in, p.item) // prerender.go
		}
		if err != nil {
			return plan, &ActionError{Key: key, Index: i, Type: p.typ, Msg: err.Error(), Err: err, Invalid: true}
		}
		if msg != "" {
			return plan, &ActionError{Key: key, Index: i, Type: p.typ, Msg: msg, Invalid: true}
		}
	}
	return plan, nil
}

// checkEngine checks template syntax for the host's own field checks.
var checkEngine = render.New()

// validateItem checks one item: first the host runs the field checks the
// plugin declared (so that a plugin that skips them, in any language, is
// still held to them), then it asks the plugin. Validation depends only on
// the item and the configuration (sdk.Validator's contract), so answers are
// cached per plugin process under a hash of those two. It records in p the
// description the item was checked against.
func (h *Host) validateItem(ctx context.Context, p *step, req *protocol.Request) (string, error) {
	key := validationKey(req)
	if msg, desc, ok := p.in.cachedValidation(key); ok {
		p.desc = desc
		return msg, nil
	}
	var desc protocol.Description
	msg, err := call(ctx, p.in, false, func(ctx context.Context, pr *proc) (string, error) {
		desc = *pr.desc
		if err := sdk.CheckItem(desc, req.Item, checkEngine.Check); err != nil {
			return err.Error(), nil
		}
		ctx, cancel := context.WithTimeout(ctx, h.cfg.ActionTimeout)
		defer cancel()
		return pr.rpc.Validate(ctx, req)
	})
	if err != nil {
		return "", err
	}
	p.desc = desc
	p.in.storeValidation(key, msg, desc)
	return msg, nil
}

// validationKey hashes what a validation answer depends on: the item and
// the configuration, with every value's type.
func validationKey(req *protocol.Request) string {
	hs := sha256.New()
	writeKey(hs, req.Item)
	keys := make([]string, 0, len(req.Config))
	for k := range req.Config {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(hs, "c%d:%s%d:%s", len(k), k, len(req.Config[k]), req.Config[k])
	}
	return string(hs.Sum(nil))
}

// writeKey writes v to w with type tags and lengths, so that different
// values never write the same bytes.
func writeKey(w io.Writer, v any) {
	switch t := v.(type) {
	case nil:
		io.WriteString(w, "n")
	case *value.Map:
		fmt.Fprintf(w, "m%d{", t.Len())
		t.Range(func(k string, e any) bool {
			fmt.Fprintf(w, "%d:%s", len(k), k)
			writeKey(w, e)
			return true
		})
		io.WriteString(w, "}")
	case []any:
		fmt.Fprintf(w, "l%d[", len(t))
		for _, e := range t {
			writeKey(w, e)
		}
		io.WriteString(w, "]")
	case string:
		fmt.Fprintf(w, "s%d:%s", len(t), t)
	default:
		s := value.Repr(v)
		fmt.Fprintf(w, "%T%d:%s", v, len(s), s)
	}
}

// requestFor builds the request of item i: the one place a request is
// made, and so the one place to transform an item before the plugin sees
// it (e.g. host-side rendering for plugins that ask for it).
func requestFor(base *protocol.Request, item *value.Map, i int, deadline time.Time) *protocol.Request {
	req := *base
	req.Index, req.Item, req.Deadline = i, item, deadline
	return &req
}

func (h *Host) execute(ctx context.Context, p step, base *protocol.Request, i int) (*protocol.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.ActionTimeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	// The plugin gets a slightly earlier deadline, so that an action that
	// runs out of time can still answer with its own error (naming the
	// operation it was in) before the host gives up on it.
	grace := min(max(h.cfg.ActionTimeout/20, 100*time.Millisecond), 2*time.Second)
	req := requestFor(base, p.item, i, deadline.Add(-grace))
	if err := prerenderRequest(ctx, p.in, req); err != nil { // prerender.go
		return nil, &ActionError{Key: base.Trigger, Index: i, Type: p.typ, Msg: err.Error(), Err: err}
	}
	resp, err := call(ctx, p.in, true, func(ctx context.Context, pr *proc) (*protocol.Response, error) {
		resp, err := pr.rpc.Execute(ctx, req)
		if err != nil {
			return nil, err
		}
		// Whatever the plugin says passes the redactor: the secrets of its
		// environment, the values of fields it declares secret (as written
		// and, for a host-render plugin, as the host rendered them) and the
		// secrets it reported.
		red := pr.red.Clone()
		red.Add(protocol.DeclaredSecrets(*pr.desc, p.item)...)
		red.Add(protocol.DeclaredSecrets(*pr.desc, req.Item)...)
		red.Response(resp)
		return resp, nil
	})
	if err != nil {
		return nil, &ActionError{Key: base.Trigger, Index: i, Type: p.typ, Msg: err.Error(), Err: err}
	}
	return resp, nil
}

// emitLogs re-emits an action's log records on the host logger.
func (h *Host) emitLogs(ctx context.Context, typ string, logs []protocol.LogRecord) {
	for _, r := range logs {
		var lv slog.Level
		if err := lv.UnmarshalText([]byte(strings.ToUpper(r.Level))); err != nil {
			lv = slog.LevelInfo
		}
		attrs := make([]any, 0, 2*len(r.Attrs)+2)
		attrs = append(attrs, "action", typ)
		for _, a := range r.Attrs {
			attrs = append(attrs, a.Key, a.Value)
		}
		h.log.Log(ctx, lv, r.Message, attrs...)
	}
}

// ValidateList checks list as the action list under key (on_success,
// on_retry or on_fail) without running anything: its shape, each item's
// type (starting the plugins needed), each item's fields through its
// plugin, and template syntax. job and realm give the render context (nil
// is allowed: a placeholder job is used). The error is an *ActionError.
func (h *Host) ValidateList(ctx context.Context, key string, list any, job, realm *value.Map) error {
	if err := h.enter(); err != nil {
		return err
	}
	defer h.inflight.Done()
	job, err := PrepareJob(job, h.cfg.Now())
	if err != nil {
		return err
	}
	if realm == nil {
		realm = &value.Map{}
	}
	base := &protocol.Request{
		Trigger: key,
		Job:     job,
		Realm:   realm,
		Result:  &value.Map{},
		Config:  ResolveConfig(realm, h.cfg.Environ()),
		DryRun:  true,
	}
	_, err = h.validate(ctx, key, list, base)
	return err
}
