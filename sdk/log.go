package sdk

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/lava-actions/lava-actions/sdk/render"
)

var defaultEngine = render.New()

// hclogTimeLayout is the only @timestamp layout go-plugin's log parser takes.
const hclogTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// NewLogHandler returns a slog handler writing hclog-compatible JSON lines
// (@level, @message, @timestamp) to w. go-plugin parses these lines from a
// plugin's stderr and re-emits them, with their levels and attributes, on
// the host's logger.
func NewLogHandler(w io.Writer, level slog.Leveler) slog.Handler {
	return slog.NewJSONHandler(&lockedWriter{w: w}, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.String("@timestamp", a.Value.Time().Format(hclogTimeLayout))
			case slog.LevelKey:
				return slog.String("@level", strings.ToLower(a.Value.String()))
			case slog.MessageKey:
				return slog.String("@message", a.Value.String())
			}
			return a
		},
	})
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }

// LogRecord is one record an action logged through Request.Logger.
type LogRecord struct {
	Time    time.Time
	Level   slog.Level
	Message string
	Attrs   map[string]any
	// Keys lists Attrs' keys in the order the action logged them (the
	// logger's own attributes first); records are sent in this order.
	Keys []string
}

// recorder is a slog handler that keeps records for the response.
type recorder struct {
	mu      *sync.Mutex
	records *[]LogRecord
	attrs   []slog.Attr
	group   string
}

func newRecorder() *recorder {
	return &recorder{mu: &sync.Mutex{}, records: &[]LogRecord{}}
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	lr := LogRecord{Time: rec.Time, Level: rec.Level, Message: rec.Message, Attrs: map[string]any{}}
	add := func(a slog.Attr) bool {
		key := a.Key
		if r.group != "" {
			key = r.group + "." + key
		}
		if _, seen := lr.Attrs[key]; !seen {
			lr.Keys = append(lr.Keys, key)
		}
		lr.Attrs[key] = attrValue(a.Value)
		return true
	}
	for _, a := range r.attrs {
		add(a)
	}
	rec.Attrs(add)
	r.mu.Lock()
	*r.records = append(*r.records, lr)
	r.mu.Unlock()
	return nil
}

func attrValue(v slog.Value) any {
	v = v.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return v.String()
	case slog.KindInt64:
		return v.Int64()
	case slog.KindBool:
		return v.Bool()
	case slog.KindFloat64:
		return v.Float64()
	case slog.KindAny:
		if b, err := json.Marshal(v.Any()); err == nil {
			return string(b)
		}
	}
	return v.String()
}

func (r *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	c := *r
	c.attrs = append(append([]slog.Attr{}, r.attrs...), as...)
	return &c
}

func (r *recorder) WithGroup(name string) slog.Handler {
	c := *r
	if c.group != "" {
		name = c.group + "." + name
	}
	c.group = name
	return &c
}

func (r *recorder) take() []LogRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := *r.records
	*r.records = nil
	return out
}
