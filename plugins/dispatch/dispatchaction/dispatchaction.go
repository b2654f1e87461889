// Package dispatchaction implements lava's dispatch action (spec 3.1,
// decisions 0.3–0.5): it sends a dispatch message for another job of the
// same realm to the queue of that job's worker, lava-<realm>-<worker>.
//
// The target's worker comes from the realm's jobs table. The message is
//
//	{"realm", "worker", "job_id", "run_id" (new UUID4), "ts_dispatch" (now),
//	 "parameters" (when non-empty), "globals"}
//
// where globals are the running job's globals with lava.parent_job_id,
// parent_start and parent_ustart set to the running job's id and start
// times. The running job's own globals are not changed (decision 0.3).
package dispatchaction

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"
	"github.com/lava-actions/lava-actions/plugins/internal/awsx"
	"github.com/lava-actions/lava-actions/plugins/internal/queue"
	"github.com/lava-actions/lava-actions/sdk"
	"github.com/lava-actions/lava-actions/sdk/value"
	"github.com/lava-actions/lava-actions/state"
)

// Version is the plugin version.
const Version = "1.0.0"

// Action is the dispatch action. Now and NewRunID, when set, replace the
// clock and the UUID4 generator (tests).
type Action struct {
	Now      func() time.Time
	NewRunID func() string
}

var (
	jobRequired = []string{"job_id", "payload", "type", "worker"}
	jobOptional = []string{"cw_metrics", "description", "dispatcher", "enabled", "event_log", "globals",
		"iteration_delay", "iteration_limit", "max_run_delay", "max_tries", "on_fail", "on_retry",
		"on_success", "owner", "parameters", "schedule", "state"}
)

// Describe declares job_id (required), parameters and delay. Unknown keys
// are accepted, as in lava.
func (Action) Describe() sdk.Description {
	return sdk.Description{
		Type:    "dispatch",
		Version: Version,
		Summary: "Dispatch another job of the same realm.",
		// Lenient: lava checks only the required keys of this type (spec 3).
		Lenient: true,
		Fields: []sdk.Field{
			{Name: "job_id", Required: true, Kind: sdk.KindString, Doc: "Target job id (template)."},
			{Name: "parameters", Kind: sdk.KindAny,
				Doc: "Map of parameters for the target; every string in it (keys included) is a template."},
			{Name: "delay", Kind: sdk.KindDuration,
				Doc: "Dispatch delay: seconds or a duration string; 0 to SQS_MAX_DELAY_MINS minutes. Not rendered."},
		},
		Capabilities: []string{"dry-run"},
	}
}

// Validate checks the delay, that parameters is a dict, and the template
// syntax of parameters and job_id.
func (Action) Validate(_ context.Context, req *sdk.Request) error {
	_, err := check(req)
	return err
}

func check(req *sdk.Request) (int32, error) {
	delay, err := queue.Delay(req.Item, req.Config)
	if err != nil {
		return 0, err
	}
	if p, _ := req.Item.Get("parameters"); value.Truthy(p) {
		if _, ok := p.(*value.Map); !ok {
			return 0, errors.New("parameters must be a dict")
		}
		if err := sdk.CheckTemplates(p, sdk.RenderStructural, req.Engine().Check); err != nil {
			return 0, fmt.Errorf("Cannot render parameters - %v", err)
		}
	}
	if err := req.Engine().Check(req.Item.String("job_id")); err != nil {
		return 0, fmt.Errorf("Cannot render target job_id - %v", err)
	}
	return delay, nil
}

// Execute renders parameters and job_id, looks the target's worker up,
// builds the message and sends it. In a dry run the read-only lookups
// (GetItem, GetQueueUrl for a queue not yet cached) are made and the
// SendMessage is only reported. Queue URLs are cached per plugin process
// (plugins/internal/queue), so a warm dispatch makes two AWS calls.
// Retried AWS call attempts are reported in Result.Retries, failures included.
func (a Action) Execute(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	ctx, retries := awsx.CountRetries(ctx)
	res, err := a.execute(ctx, req)
	return awsx.WithRetries(res, retries), err
}

// execute is Execute without the retry count.
func (a Action) execute(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	// The SDK ran the field checks and Validate already; this parses.
	delay, err := check(req)
	if err != nil {
		return nil, err
	}
	var params any
	if p, _ := req.Item.Get("parameters"); value.Truthy(p) {
		if params, err = req.RenderValue(p); err != nil {
			return nil, fmt.Errorf("Cannot render parameters - %v", err)
		}
	}
	target, err := req.Render(req.Item.String("job_id"))
	if err != nil {
		return nil, fmt.Errorf("Cannot render target job_id - %v", err)
	}
	globals, err := childGlobals(req.Job)
	if err != nil {
		return nil, err
	}
	realm := req.RealmName()
	c, err := getClients(ctx)
	if err != nil {
		return nil, err
	}

	res := &sdk.Result{}
	table := "lava." + realm + ".jobs"
	worker, err := a.lookupWorker(ctx, req, c.db, table, target)
	res.Effects = append(res.Effects, sdk.Effect{Operation: "dynamodb:GetItem", Target: table,
		Detail: sdk.EncodeDetail(value.NewMap("Key", value.NewMap("job_id", target))), Outcome: worker})
	if err != nil {
		return res, err
	}

	msg := value.NewMap("realm", realm, "worker", worker, "job_id", target,
		"run_id", a.runID(), "ts_dispatch", value.DateTime{Time: a.now().Truncate(time.Second)}.ISOFormat())
	if value.Truthy(params) {
		msg.Set("parameters", params)
	}
	if value.Truthy(globals) {
		msg.Set("globals", globals)
	}
	body, err := value.EncodeJSON(msg, value.EncodeOptions{DecimalAsNumber: true, DateTimeAsISO: true})
	if err != nil {
		return res, fmt.Errorf("Cannot dispatch %s@%s - %v", target, realm, err)
	}
	queueName := "lava-" + realm + "-" + worker
	log := req.Logger()
	log.DebugContext(ctx, fmt.Sprintf("Dispatching %s to queue %s", target, queueName))
	log.DebugContext(ctx, fmt.Sprintf("Message body for %s is %s", target, value.Repr(msg)))

	q, lookup, err := queue.Shared.Resolve(ctx, c.sqs, queueName)
	if lookup != nil {
		res.Effects = append(res.Effects, *lookup)
	}
	if err != nil {
		return res, fmt.Errorf("Cannot dispatch %s@%s - %v", target, realm, err)
	}
	detail := sdk.EncodeDetail(value.NewMap("MessageBody", body, "DelaySeconds", int64(delay)))
	if req.DryRun {
		res.Effects = append(res.Effects, sdk.Effect{Operation: "sqs:SendMessage", Target: q.URL, Detail: detail})
		res.Summary = "would dispatch " + target + " (run " + msg.String("run_id") + ") to " + queueName
		return res, nil
	}
	q, lookups, out, err := queue.Shared.Send(ctx, c.sqs, q, &sqs.SendMessageInput{MessageBody: aws.String(body), DelaySeconds: delay})
	res.Effects = append(res.Effects, lookups...)
	eff := sdk.Effect{Operation: "sqs:SendMessage", Target: q.URL, Detail: detail}
	if err != nil {
		res.Effects = append(res.Effects, eff)
		return res, fmt.Errorf("Cannot dispatch %s@%s - %v", target, realm, err)
	}
	eff.Outcome = aws.ToString(out.MessageId)
	res.Effects = append(res.Effects, eff)
	res.Summary = "dispatched " + target + " (run " + msg.String("run_id") + ") to " + queueName
	return res, nil
}

func (a Action) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a Action) runID() string {
	if a.NewRunID != nil {
		return a.NewRunID()
	}
	return uuid.NewString()
}

// childGlobals returns a copy of the job's globals whose lava map has
// parent_job_id, parent_start and parent_ustart set to this job's id and
// start time (local and UTC ISO strings).
func childGlobals(job *value.Map) (*value.Map, error) {
	g := job.Map("globals").Clone()
	if g == nil {
		g = &value.Map{}
	}
	lava := g.Map("lava")
	if lava == nil {
		lava = &value.Map{}
		g.Set("lava", lava)
	}
	start, err := startTime(job)
	if err != nil {
		return nil, err
	}
	lava.Set("parent_job_id", job.String("job_id"))
	lava.Set("parent_start", start.ISOFormat())
	lava.Set("parent_ustart", value.DateTime{Time: start.UTC()}.ISOFormat())
	return g, nil
}

func startTime(job *value.Map) (value.DateTime, error) {
	v, _ := job.Get("ts_start")
	switch t := v.(type) {
	case value.DateTime:
		return t, nil
	case string:
		return value.ParseDateTime(t)
	}
	return value.DateTime{}, fmt.Errorf("job ts_start is not a datetime: %s", value.Repr(v))
}

// lookupWorker reads the target job (not a consistent read) and returns its
// worker, with lava's checks and deprecation warnings.
func (a Action) lookupWorker(ctx context.Context, req *sdk.Request, db *dynamodb.Client, table, jobID string) (string, error) {
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(table),
		Key:       map[string]ddbtypes.AttributeValue{"job_id": &ddbtypes.AttributeValueMemberS{Value: jobID}},
	})
	if err != nil {
		return "", errors.New(awsx.ErrorText(err))
	}
	if out.Item == nil {
		return "", errors.New("No such job")
	}
	spec, err := state.ItemFromAttributes(out.Item)
	if err != nil {
		return "", fmt.Errorf("Bad job record: %v", err)
	}
	keys := spec.Keys()
	if err := checkKeys(keys, jobRequired, nil); err != nil {
		return "", fmt.Errorf("Bad job record: %v", err)
	}
	warn := func(msg string) {
		rid, _ := spec.Get("run_id")
		req.Logger().WarnContext(ctx, jobID+": Job spec deprecation warning: "+msg,
			"event_type", "job", "job_id", spec.String("job_id"), "run_id", rid)
	}
	if err := checkKeys(keys, jobRequired, jobOptional); err != nil {
		warn(err.Error())
	}
	if v, _ := spec.Get("owner"); !value.Truthy(v) {
		warn("owner field will be mandatory in a future release")
	}
	if v, _ := spec.Get("description"); !value.Truthy(v) {
		warn("description field will be mandatory in a future release")
	}
	if g := spec.Map("globals"); g != nil {
		for _, k := range g.Keys() {
			if strings.HasPrefix(strings.ToLower(k), "lava") {
				return "", fmt.Errorf("Reserved global: %s", k)
			}
		}
	}
	w, _ := spec.Get("worker")
	return value.Str(w), nil
}

// checkKeys is lava's dict_check: missing required keys, then (when
// optional is not nil) keys neither required nor optional; X-* and x-*
// keys are ignored.
func checkKeys(keys, required, optional []string) error {
	var missing, extra []string
	for _, k := range required {
		if !slices.Contains(keys, k) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("Missing keys: %s", strings.Join(missing, ", "))
	}
	if optional == nil {
		return nil
	}
	for _, k := range keys {
		if slices.Contains(required, k) || slices.Contains(optional, k) {
			continue
		}
		if strings.HasPrefix(k, "X-") || strings.HasPrefix(k, "x-") {
			continue
		}
		extra = append(extra, k)
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return fmt.Errorf("Unexpected keys: %s", strings.Join(extra, ", "))
	}
	return nil
}

type clients struct {
	db  *dynamodb.Client
	sqs *sqs.Client
}

// getClients returns the process's DynamoDB and SQS clients.
var getClients = awsx.Lazy(func(cfg aws.Config) (clients, error) {
	custom := awsx.EndpointOverridden(cfg, "DYNAMODB")
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = custom })
	q, err := queue.Client(context.Background())
	return clients{db: db, sqs: q}, err
})
