package host

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/lava-actions/lava-actions/internal/actionpb"
	"github.com/lava-actions/lava-actions/internal/wire"
	"github.com/lava-actions/lava-actions/sdk/value"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/proto"
)

// Status is the outcome of one action.
type Status string

// Action statuses.
const (
	StatusOK      Status = "ok"      // ran and succeeded
	StatusFailed  Status = "failed"  // ran (or failed validation) with an error
	StatusNotRun  Status = "not-run" // not run: validation failed or an earlier action failed
	StatusPreview Status = "dry-run" // rendered and previewed, nothing sent
)

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
	Index      int           `json:"index"`
	Type       string        `json:"type"`
	Status     Status        `json:"status"`
	Duration   time.Duration `json:"-"`
	DurationMS float64       `json:"duration_ms"`
	Summary    string        `json:"summary,omitempty"`
	Effects    []Effect      `json:"effects,omitempty"`
	Retries    int           `json:"retries,omitempty"`
	Error      string        `json:"error,omitempty"`
	// DeadLetter is the file the failed action was saved to, if any.
	DeadLetter string `json:"dead_letter,omitempty"`
}

// Effect is one outside call an action made or, in a dry run, would make.
type Effect struct {
	Operation string          `json:"operation"`
	Target    string          `json:"target,omitempty"`
	Detail    json.RawMessage `json:"detail,omitempty"`
	Outcome   string          `json:"outcome,omitempty"`
}

// Select returns the action list lava would use for trigger (spec 1.2): the
// job's value when the job has the key at all (even [] or null), else the
// realm's, else none. source is "job", "realm" or "".
func Select(trigger Trigger, job, realm *value.Map) (list any, source string, ok bool) {
	if v, has := job.Get(string(trigger)); has {
		return v, "job", true
	}
	if v, has := realm.Get(string(trigger)); has {
		return v, "realm", true
	}
	return nil, "", false
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
	base := &actionpb.ExecuteRequest{
		Trigger: string(trigger),
		Job:     wire.MapToProto(job),
		Realm:   wire.MapToProto(realm),
		Result:  wire.MapToProto(result),
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
		start := time.Now()
		resp, err := h.execute(ctx, p, base, i)
		ar.Duration = time.Since(start)
		ar.DurationMS = float64(ar.Duration.Microseconds()) / 1000
		if resp != nil {
			ar.Summary, ar.Retries = resp.GetSummary(), int(resp.GetRetries())
			for _, e := range resp.GetEffects() {
				ar.Effects = append(ar.Effects, Effect{Operation: e.GetOperation(), Target: e.GetTarget(), Detail: rawJSON(e.GetDetailJson()), Outcome: e.GetOutcome()})
			}
			h.emitLogs(ctx, p.typ, resp.GetLogs())
		}
		if err == nil && resp.GetError() != "" {
			err = &ActionError{Key: string(trigger), Index: i, Type: p.typ, Msg: resp.GetError()}
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

func rawJSON(s string) json.RawMessage {
	if s == "" || !json.Valid([]byte(s)) {
		if s == "" {
			return nil
		}
		b, _ := json.Marshal(s)
		return b
	}
	return json.RawMessage(s)
}

// step is one validated item ready to run.
type step struct {
	typ  string
	item *value.Map
	in   *instance
}

// validate checks the whole list: shape, known types (starting the needed
// plugins in parallel), then each item through its plugin's Validate.
func (h *Host) validate(ctx context.Context, key string, raw any, base *actionpb.ExecuteRequest) ([]step, error) {
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
	for i, p := range plan {
		req := requestFor(base, p.item, i, time.Time{})
		msg, err := h.validateItem(ctx, p.in, req)
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

// validateItem asks the plugin to validate one item. Validation depends only
// on the item and the configuration (sdk.Validator's contract), so answers
// are cached per plugin process under a hash of those two.
func (h *Host) validateItem(ctx context.Context, in *instance, req *actionpb.ExecuteRequest) (string, error) {
	key, err := validationKey(req)
	if err == nil {
		if msg, ok := in.cachedValidation(key); ok {
			return msg, nil
		}
	}
	resp, err := call(ctx, in, false, func(ctx context.Context, c actionpb.ActionClient) (*actionpb.ValidateResponse, error) {
		ctx, cancel := context.WithTimeout(ctx, h.cfg.ActionTimeout)
		defer cancel()
		return c.Validate(ctx, req)
	})
	if err != nil {
		return "", err
	}
	if key != "" {
		in.storeValidation(key, resp.GetError())
	}
	return resp.GetError(), nil
}

func validationKey(req *actionpb.ExecuteRequest) (string, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(&actionpb.ExecuteRequest{Item: req.Item, Config: req.Config})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return string(sum[:]), nil
}

func requestFor(base *actionpb.ExecuteRequest, item *value.Map, i int, deadline time.Time) *actionpb.ExecuteRequest {
	req := &actionpb.ExecuteRequest{
		Trigger: base.Trigger, Index: int32(i), Item: wire.MapToProto(item),
		Job: base.Job, Realm: base.Realm, Result: base.Result, Config: base.Config, DryRun: base.DryRun,
	}
	if !deadline.IsZero() {
		req.DeadlineUnixMs = deadline.UnixMilli()
	}
	return req
}

func (h *Host) execute(ctx context.Context, p step, base *actionpb.ExecuteRequest, i int) (*actionpb.ExecuteResponse, error) {
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
	resp, err := call(ctx, p.in, true, func(ctx context.Context, c actionpb.ActionClient) (*actionpb.ExecuteResponse, error) {
		return c.Execute(ctx, req)
	})
	if err != nil {
		return nil, &ActionError{Key: base.Trigger, Index: i, Type: p.typ, Msg: err.Error(), Err: err}
	}
	return resp, nil
}

// emitLogs re-emits an action's log records on the host logger.
func (h *Host) emitLogs(ctx context.Context, typ string, logs []*actionpb.LogRecord) {
	for _, r := range logs {
		var lv slog.Level
		if err := lv.UnmarshalText([]byte(strings.ToUpper(r.GetLevel()))); err != nil {
			lv = slog.LevelInfo
		}
		attrs := make([]any, 0, 2*len(r.GetAttrs())+2)
		attrs = append(attrs, "action", typ)
		for _, a := range r.GetAttrs() {
			v, _ := wire.ValueFromProto(a.GetValue())
			attrs = append(attrs, a.GetKey(), v)
		}
		h.log.Log(ctx, lv, r.GetMessage(), attrs...)
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
	base := &actionpb.ExecuteRequest{
		Trigger: key,
		Job:     wire.MapToProto(job),
		Realm:   wire.MapToProto(realm),
		Result:  wire.MapToProto(&value.Map{}),
		Config:  ResolveConfig(realm, h.cfg.Environ()),
		DryRun:  true,
	}
	_, err = h.validate(ctx, key, list, base)
	return err
}
