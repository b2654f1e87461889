package protocol

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/lava-actions/lava-actions/sdk/value"
)

// Redacted replaces a secret in redacted text.
const Redacted = "[REDACTED]"

// MinSecretLen is the shortest string a Redactor redacts: shorter values
// (an empty token, an emulator's "test" credentials, a word that happens to
// be a password) would shred ordinary text. Real credentials are longer:
// AWS access key ids have 20 characters, secret keys 40.
const MinSecretLen = 8

// Redactor replaces every occurrence of known secret strings, and of their
// JSON-escaped forms, with Redacted. The zero value and nil redact nothing.
type Redactor struct {
	secrets []string
	rep     *strings.Replacer
}

// NewRedactor returns a redactor for secrets; strings shorter than
// MinSecretLen are ignored.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add adds secrets to r.
func (r *Redactor) Add(secrets ...string) {
	added := false
	for _, s := range secrets {
		if len(s) < MinSecretLen || slices.Contains(r.secrets, s) {
			continue
		}
		added = true
		r.secrets = append(r.secrets, s)
		if b, err := json.Marshal(s); err == nil {
			if esc := string(b[1 : len(b)-1]); esc != s {
				r.secrets = append(r.secrets, esc)
			}
		}
	}
	if !added {
		return
	}
	// Longest first, so that a secret containing another goes whole.
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(r.secrets))
	for _, s := range r.secrets {
		pairs = append(pairs, s, Redacted)
	}
	r.rep = strings.NewReplacer(pairs...)
}

// Clone returns a copy of r that Add does not share.
func (r *Redactor) Clone() *Redactor {
	if r == nil {
		return &Redactor{}
	}
	return &Redactor{secrets: slices.Clone(r.secrets), rep: r.rep}
}

// Len returns the number of strings r redacts (JSON-escaped forms included).
func (r *Redactor) Len() int {
	if r == nil {
		return 0
	}
	return len(r.secrets)
}

// String redacts s.
func (r *Redactor) String(s string) string {
	if r == nil || r.rep == nil {
		return s
	}
	return r.rep.Replace(s)
}

// Value redacts every string inside v (map keys included), returning a
// redacted copy; v is not changed.
func (r *Redactor) Value(v any) any {
	if r == nil || r.rep == nil {
		return v
	}
	switch t := v.(type) {
	case string:
		return r.String(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = r.Value(e)
		}
		return out
	case *value.Map:
		out := &value.Map{}
		t.Range(func(k string, e any) bool {
			out.Set(r.String(k), r.Value(e))
			return true
		})
		return out
	}
	return v
}

// Response redacts everything resp shows: error, summary, effects and log
// records (messages and attributes). Secrets listed in resp.Secrets are
// added to a copy of r first, and resp.Secrets is cleared.
func (r *Redactor) Response(resp *Response) {
	if resp == nil {
		return
	}
	if len(resp.Secrets) > 0 {
		r = r.Clone()
		r.Add(resp.Secrets...)
		resp.Secrets = nil
	}
	if r == nil || r.rep == nil {
		return
	}
	resp.Error = r.String(resp.Error)
	resp.Summary = r.String(resp.Summary)
	for i := range resp.Effects {
		e := &resp.Effects[i]
		e.Operation, e.Target = r.String(e.Operation), r.String(e.Target)
		e.Detail, e.Outcome = r.String(e.Detail), r.String(e.Outcome)
	}
	for i := range resp.Logs {
		l := &resp.Logs[i]
		l.Message = r.String(l.Message)
		for j := range l.Attrs {
			l.Attrs[j].Key = r.String(l.Attrs[j].Key)
			l.Attrs[j].Value = r.Value(l.Attrs[j].Value)
		}
	}
}

// DeclaredSecrets returns every string, at any depth, in the values of the
// fields d declares Secret in item, as written (a template's rendered value
// is the SDK's to report).
func DeclaredSecrets(d Description, item *value.Map) []string {
	var out []string
	for _, f := range d.Fields {
		if !f.Secret {
			continue
		}
		v, _ := item.Get(f.Name)
		eachString(v, func(s string) { out = append(out, s) })
	}
	return out
}

func eachString(v any, f func(string)) {
	switch t := v.(type) {
	case string:
		f(t)
	case []any:
		for _, e := range t {
			eachString(e, f)
		}
	case *value.Map:
		t.Range(func(_ string, e any) bool { eachString(e, f); return true })
	}
}
