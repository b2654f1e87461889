package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
