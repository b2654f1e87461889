package host

import (
	"context"
	"io"
	"log"
	"log/slog"
	"slices"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// slogHCLog adapts a *slog.Logger to the hclog.Logger go-plugin wants, so
// plugin stderr lines (hclog JSON) land on the host's slog logger with their
// levels and attributes.
type slogHCLog struct {
	l    *slog.Logger
	name string
	args []any
	// floor lifts records below it to it; go-plugin logs routine chatter at
	// DEBUG/TRACE and the host keeps those at DEBUG.
}

func newHCLog(l *slog.Logger, name string) hclog.Logger {
	return &slogHCLog{l: l, name: name}
}

func toSlogLevel(level hclog.Level) slog.Level {
	switch level {
	case hclog.Trace, hclog.Debug:
		return slog.LevelDebug
	case hclog.Info, hclog.NoLevel, hclog.DefaultLevel:
		return slog.LevelInfo
	case hclog.Warn:
		return slog.LevelWarn
	default:
		return slog.LevelError
	}
}

func (h *slogHCLog) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.Off {
		return
	}
	lv := toSlogLevel(level)
	if h.name == "" && lv == slog.LevelInfo {
		// go-plugin's own lifecycle chatter ("plugin started", "plugin process
		// exited") is routine; plugins' records come through named loggers.
		lv = slog.LevelDebug
	}
	if !h.l.Enabled(context.Background(), lv) {
		return
	}
	attrs := append([]any{}, h.args...)
	if h.name != "" {
		attrs = append(attrs, "logger", h.name)
	}
	h.l.Log(context.Background(), lv, msg, append(attrs, sortedPairs(args)...)...)
}

// sortedPairs returns key-value args ordered by key. go-plugin passes the
// attributes of a plugin's stderr JSON line in map order, which varies
// from run to run; sorted, a record's attributes always read the same.
// Args that are not all string-keyed pairs are returned as they are.
func sortedPairs(args []any) []any {
	if len(args) < 4 || len(args)%2 != 0 {
		return args
	}
	type pair struct {
		k string
		v any
	}
	pairs := make([]pair, 0, len(args)/2)
	for i := 0; i < len(args); i += 2 {
		k, ok := args[i].(string)
		if !ok {
			return args
		}
		pairs = append(pairs, pair{k, args[i+1]})
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return strings.Compare(a.k, b.k) })
	out := make([]any, 0, len(args))
	for _, p := range pairs {
		out = append(out, p.k, p.v)
	}
	return out
}

func (h *slogHCLog) Trace(msg string, args ...any) { h.Log(hclog.Trace, msg, args...) }
func (h *slogHCLog) Debug(msg string, args ...any) { h.Log(hclog.Debug, msg, args...) }
func (h *slogHCLog) Info(msg string, args ...any)  { h.Log(hclog.Info, msg, args...) }
func (h *slogHCLog) Warn(msg string, args ...any)  { h.Log(hclog.Warn, msg, args...) }
func (h *slogHCLog) Error(msg string, args ...any) { h.Log(hclog.Error, msg, args...) }

func (h *slogHCLog) enabled(l slog.Level) bool { return h.l.Enabled(context.Background(), l) }
func (h *slogHCLog) IsTrace() bool             { return h.enabled(slog.LevelDebug) }
func (h *slogHCLog) IsDebug() bool             { return h.enabled(slog.LevelDebug) }
func (h *slogHCLog) IsInfo() bool              { return h.enabled(slog.LevelInfo) }
func (h *slogHCLog) IsWarn() bool              { return h.enabled(slog.LevelWarn) }
func (h *slogHCLog) IsError() bool             { return h.enabled(slog.LevelError) }
func (h *slogHCLog) ImpliedArgs() []any        { return h.args }
func (h *slogHCLog) Name() string              { return h.name }
func (h *slogHCLog) SetLevel(hclog.Level)      {}
func (h *slogHCLog) GetLevel() hclog.Level {
	switch {
	case h.IsDebug():
		return hclog.Debug
	case h.IsInfo():
		return hclog.Info
	case h.IsWarn():
		return hclog.Warn
	}
	return hclog.Error
}

func (h *slogHCLog) With(args ...any) hclog.Logger {
	c := *h
	c.args = append(append([]any{}, h.args...), args...)
	return &c
}

func (h *slogHCLog) Named(name string) hclog.Logger {
	c := *h
	if c.name != "" {
		name = c.name + "." + name
	}
	c.name = name
	return &c
}

func (h *slogHCLog) ResetNamed(name string) hclog.Logger {
	c := *h
	c.name = name
	return &c
}

func (h *slogHCLog) StandardLogger(*hclog.StandardLoggerOptions) *log.Logger {
	return log.New(h.StandardWriter(nil), "", 0)
}

func (h *slogHCLog) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		h.Info(string(trimNewline(p)))
		return len(p), nil
	})
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}
