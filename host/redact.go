package host

import (
	"context"
	"log/slog"
	"net/url"
	"strings"

	"github.com/lava-actions/lava-actions/sdk/protocol"
)

// secretEnv says whether a variable given to plugins holds a secret the
// host redacts from everything a plugin returns or logs: AWS credentials
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
// AWS_SECURITY_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN) and any AWS_* or
// LAVA_* variable whose name contains SECRET, PASSWORD, PASSWD, TOKEN,
// CREDENTIAL or PRIVATE.
func secretEnv(key string) bool {
	switch key {
	case "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN":
		return true
	}
	if !strings.HasPrefix(key, "AWS_") && !strings.HasPrefix(key, "LAVA_") {
		return false
	}
	for _, w := range []string{"SECRET", "PASSWORD", "PASSWD", "TOKEN", "CREDENTIAL", "PRIVATE"} {
		if strings.Contains(key, w) {
			return true
		}
	}
	return false
}

// envSecrets returns the secret values of a plugin environment: those of
// secretEnv variables and the passwords of proxy URLs.
func envSecrets(env []string) []string {
	var out []string
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" {
			continue
		}
		switch {
		case secretEnv(k):
			out = append(out, v)
		case strings.HasSuffix(strings.ToUpper(k), "_PROXY"):
			if u, err := url.Parse(v); err == nil && u.User != nil {
				if pw, ok := u.User.Password(); ok {
					out = append(out, pw)
				}
			}
		}
	}
	return out
}

// redactHandler redacts messages and attributes before they reach the
// host's log: it wraps the logger that plugin stderr lines and go-plugin's
// re-emitted plugin logs go to.
type redactHandler struct {
	inner slog.Handler
	red   *protocol.Redactor
}

func (h redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.red.String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h redactHandler) attr(a slog.Attr) slog.Attr {
	a.Key = h.red.String(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(h.red.String(v.String()))
	case slog.KindGroup:
		as := v.Group()
		out := make([]slog.Attr, len(as))
		for i, g := range as {
			out[i] = h.attr(g)
		}
		a.Value = slog.GroupValue(out...)
	case slog.KindAny:
		a.Value = slog.AnyValue(h.red.Value(v.Any()))
		if _, isStr := v.Any().(string); !isStr && h.red.Len() > 0 {
			if s := v.String(); h.red.String(s) != s {
				a.Value = slog.StringValue(h.red.String(s))
			}
		}
	default:
		a.Value = v
	}
	return a
}

func (h redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = h.attr(a)
	}
	return redactHandler{inner: h.inner.WithAttrs(out), red: h.red}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{inner: h.inner.WithGroup(name), red: h.red}
}
