package host

import (
	"errors"
	"fmt"
	"strings"
)

// ErrHostClosed is returned for work offered after Shutdown or Close began.
var ErrHostClosed = errors.New("lava-actions host is closed")

// ErrPluginNotFound means no executable on the plugin path serves a type.
var ErrPluginNotFound = errors.New("unknown action")

// PluginError is a failure of a plugin process rather than of its action:
// it would not start, crashed, broke the protocol or ran past its deadline.
type PluginError struct {
	// Type is the action type and Path the executable.
	Type, Path string
	// Kind says what went wrong.
	Kind PluginErrorKind
	// Err is the underlying error.
	Err error
	// StderrTail holds the plugin's last stderr lines, if any.
	StderrTail string
}

// PluginErrorKind classifies a PluginError.
type PluginErrorKind string

// Plugin error kinds.
const (
	KindStart       PluginErrorKind = "start"        // would not start or is not a lava plugin
	KindIncompat    PluginErrorKind = "incompatible" // speaks another protocol version
	KindCrash       PluginErrorKind = "crash"        // exited or broke the connection mid-call
	KindDeadline    PluginErrorKind = "deadline"     // ran past its deadline and was killed
	KindCancelled   PluginErrorKind = "cancelled"    // the caller cancelled
	KindWrongType   PluginErrorKind = "wrong-type"   // describes another type than its file name
	KindUnavailable PluginErrorKind = "unavailable"  // host closing
	KindIntegrity   PluginErrorKind = "integrity"    // refused by verification
	KindKilled      PluginErrorKind = "killed"       // stopped by the host while this action was in flight
)

// Error describes the failure, with the plugin's last stderr words when
// they say why it died.
func (e *PluginError) Error() string {
	var b strings.Builder
	switch e.Kind {
	case KindDeadline:
		fmt.Fprintf(&b, "plugin %s: no answer before the deadline; plugin killed", e.Path)
	case KindCrash:
		fmt.Fprintf(&b, "plugin %s crashed: %v", e.Path, e.Err)
	case KindKilled:
		fmt.Fprintf(&b, "plugin %s %v", e.Path, e.Err)
	default:
		fmt.Fprintf(&b, "plugin %s: %v", e.Path, e.Err)
	}
	if last := lastWords(e.StderrTail); last != "" && e.Kind != KindDeadline {
		fmt.Fprintf(&b, " (stderr: %s)", last)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *PluginError) Unwrap() error { return e.Err }

// ActionError is the error of one action of a list, worded as lava words it:
// "<key> action: <type>: <message>".
type ActionError struct {
	// Key is on_success, on_retry or on_fail.
	Key string
	// Index is the item's 0-based position, -1 for the list itself.
	Index int
	// Type is the item's action type.
	Type string
	// Untyped is set when the item has no action type at all (it has no
	// "action" key, or is not an object); the text then has no type part.
	Untyped bool
	// Msg is the action's own message.
	Msg string
	// Invalid is true when the list failed validation and nothing ran.
	Invalid bool
	// Err is an underlying typed error (e.g. *PluginError), if any.
	Err error
}

// Error returns lava's wording, e.g. "on_success action: log: Missing keys: message".
func (e *ActionError) Error() string {
	switch {
	case e.Index < 0:
		return e.Key + ": " + e.Msg
	case e.Untyped:
		return e.Key + " action: " + e.Msg
	}
	return e.Key + " action: " + e.Type + ": " + e.Msg
}

// Unwrap returns the underlying typed error, if any.
func (e *ActionError) Unwrap() error { return e.Err }

// lastWords picks the line of a plugin's stderr that says why it died: a Go
// panic or fatal error line (never the stack under it), else the last line
// that is not a structured log record.
func lastWords(tail string) string {
	lines := strings.Split(strings.TrimSpace(tail), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			return truncate(strings.TrimSpace(l), 300)
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, "{") {
			return truncate(l, 300)
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
