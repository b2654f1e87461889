package host

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lava-actions/lava-actions/host/deadletter"
	"github.com/lava-actions/lava-actions/sdk/value"
)

func encodeMap(m *value.Map) (json.RawMessage, error) {
	s, err := value.EncodeJSON(m, value.EncodeOptions{DecimalAsText: true, DateTimeAsISO: true})
	return json.RawMessage(s), err
}

// writeDeadLetter saves a failed action in dir (package deadletter) and
// returns the file's path.
func writeDeadLetter(dir string, now time.Time, trigger Trigger, index int, typ, errText string, item, job, realm, result *value.Map) (string, error) {
	l := &deadletter.Letter{Time: now, Trigger: string(trigger), Index: index, Type: typ, Error: errText}
	var err error
	for dst, m := range map[*json.RawMessage]*value.Map{&l.Item: item, &l.Job: job, &l.Realm: realm, &l.Result: result} {
		if *dst, err = encodeMap(m); err != nil {
			return "", fmt.Errorf("encode dead letter: %w", err)
		}
	}
	return deadletter.Write(dir, job.String("job_id"), l)
}

// ReadDeadLetter reads a dead-letter file with deadletter.Read's checks.
func ReadDeadLetter(path string) (*deadletter.Letter, error) { return deadletter.Read(path) }

// Replay runs a dead letter's action again, alone, with the context it
// failed with. A failure is reported (and dead-lettered again) like any run.
func (h *Host) Replay(ctx context.Context, l *deadletter.Letter) (*Report, error) {
	return h.replay(ctx, l, false)
}

// ReplayDryRun renders a dead letter's action as Replay would run it and
// reports what it would send, sending nothing.
func (h *Host) ReplayDryRun(ctx context.Context, l *deadletter.Letter) (*Report, error) {
	return h.replay(ctx, l, true)
}

func (h *Host) replay(ctx context.Context, l *deadletter.Letter, dry bool) (*Report, error) {
	trigger, err := ParseTrigger(l.Trigger)
	if err != nil {
		return nil, fmt.Errorf("dead letter: %w", err)
	}
	maps := make([]*value.Map, 4)
	for i, raw := range []json.RawMessage{l.Item, l.Job, l.Realm, l.Result} {
		mode := value.DecimalNumbers
		if i == 3 {
			mode = value.PythonNumbers
		}
		v, err := value.DecodeJSON(raw, mode)
		if err != nil {
			return nil, fmt.Errorf("dead letter: %w", err)
		}
		m, ok := v.(*value.Map)
		if !ok {
			return nil, fmt.Errorf("dead letter: item, job, realm and result must be objects")
		}
		maps[i] = m
	}
	if action := maps[0].String("action"); action != l.Type {
		return nil, fmt.Errorf("dead letter: its type is %q but its item's action is %q", l.Type, action)
	}
	job := maps[1]
	job.Set(string(trigger), []any{maps[0]})
	if dry {
		return h.DryRun(ctx, trigger, job, maps[2], maps[3])
	}
	return h.Run(ctx, trigger, job, maps[2], maps[3])
}
