package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lava-actions/lava-actions/host"
)

// formatReport renders a host report as text: a header line, one block per
// action, and an outcome line. A dry run's report shows each effect's
// detail as indented JSON.
func formatReport(rep *host.Report, runErr error) string {
	var b strings.Builder
	key := string(rep.Trigger)
	var ae *host.ActionError
	isAction := errors.As(runErr, &ae)
	switch {
	case rep.Source == "":
		fmt.Fprintf(&b, "%s: no list in the job or the realm\n", key)
	case isAction && ae.Index < 0:
		fmt.Fprintf(&b, "%s: from the %s\n", key, rep.Source)
	default:
		fmt.Fprintf(&b, "%s: %s from the %s\n", key, plural(len(rep.Actions), "action"), rep.Source)
	}
	for _, a := range rep.Actions {
		writeAction(&b, a, rep.DryRun)
	}
	switch {
	case runErr == nil && rep.Source == "":
		b.WriteString("outcome: nothing to run\n")
	case runErr == nil && rep.DryRun:
		b.WriteString("outcome: ok (dry run, nothing sent)\n")
	case runErr == nil:
		b.WriteString("outcome: ok\n")
	case isAction && ae.Invalid:
		fmt.Fprintf(&b, "outcome: invalid, nothing ran: %s\n", oneLine(runErr.Error()))
	default:
		fmt.Fprintf(&b, "outcome: failed: %s\n", oneLine(runErr.Error()))
	}
	return b.String()
}

func writeAction(b *strings.Builder, a host.ActionReport, dry bool) {
	typ := a.Type
	if typ == "" {
		typ = "(no type)"
	}
	fmt.Fprintf(b, "[%d] %s: %s", a.Index, typ, a.Status)
	if a.Duration > 0 {
		fmt.Fprintf(b, " (%s)", roundDuration(a.Duration))
	}
	b.WriteString("\n")
	if a.Summary != "" {
		fmt.Fprintf(b, "    summary: %s\n", oneLine(a.Summary))
	}
	if a.Retries > 0 {
		fmt.Fprintf(b, "    retries: %d\n", a.Retries)
	}
	for _, eff := range a.Effects {
		fmt.Fprintf(b, "    effect: %s", eff.Operation)
		if eff.Target != "" {
			fmt.Fprintf(b, " %s", eff.Target)
		}
		if eff.Outcome != "" {
			fmt.Fprintf(b, " -> %s", oneLine(eff.Outcome))
		}
		b.WriteString("\n")
		if dry && len(eff.Detail) > 0 {
			b.WriteString(indentJSON(json.RawMessage(eff.Detail), "      "))
		}
	}
	if a.Error != "" {
		fmt.Fprintf(b, "    error: %s\n", oneLine(a.Error))
	}
}

// indentJSON pretty-prints raw JSON with every line prefixed; text that is
// not JSON is printed as it is.
func indentJSON(raw json.RawMessage, prefix string) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, prefix, "  "); err != nil {
		return prefix + oneLine(string(raw)) + "\n"
	}
	return prefix + buf.String() + "\n"
}

// roundDuration shortens a duration for display.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// oneLine keeps a message on one line of output.
func oneLine(s string) string {
	s = strings.TrimRight(s, "\r\n")
	return strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\r`).Replace(s)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// writeJSON prints v as indented JSON without HTML escaping (so that
// "<redacted>" reads as it is), also inside raw JSON that plugins encoded
// with Go's default escaping (effect details).
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode JSON output: %w", err)
	}
	_, err := w.Write(unescapeHTML(buf.Bytes()))
	return err
}

// unescapeHTML turns the escapes \u003c, \u003e and \u0026 inside JSON
// strings back into <, > and &. Other escapes, and an escaped backslash
// followed by "u003c", are kept.
func unescapeHTML(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\u00`)) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 >= len(b) {
			out = append(out, c)
			continue
		}
		if b[i+1] == 'u' && i+5 < len(b) {
			switch strings.ToLower(string(b[i+2 : i+6])) {
			case "003c":
				out = append(out, '<')
				i += 5
				continue
			case "003e":
				out = append(out, '>')
				i += 5
				continue
			case "0026":
				out = append(out, '&')
				i += 5
				continue
			}
		}
		out = append(out, c, b[i+1]) // an escape pair, kept as it is
		i++
	}
	return out
}

// checkOutput checks an -o value against the formats a command offers.
func checkOutput(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return badInput(fmt.Errorf("unknown output format %q: want %s", format, strings.Join(allowed, " or ")))
}
