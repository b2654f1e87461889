package host

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/lava-actions/lava-actions/sdk/value"
)

// DeadLetter is a failed action saved with everything needed to run it
// again: the item, the job, realm and result it ran with, and its error.
// Datetimes are stored as ISO 8601 text and DynamoDB numbers as their
// stored text; PrepareJob turns lava's datetime fields back into datetimes.
type DeadLetter struct {
	Version int       `json:"version"`
	Time    time.Time `json:"time"`
	Trigger Trigger   `json:"trigger"`
	Index   int       `json:"index"`
	Type    string    `json:"type"`
	Error   string    `json:"error"`
	// Item, Job, Realm and Result are JSON objects.
	Item   json.RawMessage `json:"item"`
	Job    json.RawMessage `json:"job"`
	Realm  json.RawMessage `json:"realm"`
	Result json.RawMessage `json:"result"`
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func encodeMap(m *value.Map) (json.RawMessage, error) {
	s, err := value.EncodeJSON(m, value.EncodeOptions{DecimalAsText: true, DateTimeAsISO: true})
	return json.RawMessage(s), err
}

// writeDeadLetter saves a failed action in dir with mode 0600 and returns
// the file's path.
func writeDeadLetter(dir string, now time.Time, trigger Trigger, index int, typ, errText string, item, job, realm, result *value.Map) (string, error) {
	dl := DeadLetter{Version: 1, Time: now.UTC(), Trigger: trigger, Index: index, Type: typ, Error: errText}
	var err error
	for dst, m := range map[*json.RawMessage]*value.Map{&dl.Item: item, &dl.Job: job, &dl.Realm: realm, &dl.Result: result} {
		if *dst, err = encodeMap(m); err != nil {
			return "", fmt.Errorf("encode dead letter: %w", err)
		}
	}
	b, err := json.MarshalIndent(dl, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode dead letter: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("dead-letter directory: %w", err)
	}
	name := fmt.Sprintf("%s-%s-%s-%d-%s.json", now.UTC().Format("20060102T150405.000000000Z"),
		unsafeName.ReplaceAllString(job.String("job_id"), "_"), trigger, index, unsafeName.ReplaceAllString(typ, "_"))
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("write dead letter: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return "", fmt.Errorf("write dead letter: %w", err)
	}
	return path, f.Close()
}

// ReadDeadLetter reads a dead-letter file.
func ReadDeadLetter(path string) (*DeadLetter, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var dl DeadLetter
	if err := json.Unmarshal(b, &dl); err != nil {
		return nil, fmt.Errorf("%s: not a dead letter: %w", path, err)
	}
	if dl.Version != 1 || len(dl.Item) == 0 {
		return nil, fmt.Errorf("%s: not a version 1 dead letter", path)
	}
	return &dl, nil
}

// Replay runs a dead letter's action again, alone, with the context it
// failed with. A failure is reported (and dead-lettered again) like any run.
func (h *Host) Replay(ctx context.Context, dl *DeadLetter) (*Report, error) {
	maps := make([]*value.Map, 4)
	for i, raw := range []json.RawMessage{dl.Item, dl.Job, dl.Realm, dl.Result} {
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
	job := maps[1]
	job.Set(string(dl.Trigger), []any{maps[0]})
	return h.Run(ctx, dl.Trigger, job, maps[2], maps[3])
}
