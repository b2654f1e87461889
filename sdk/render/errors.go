package render

import (
	"errors"
	"fmt"
)

// Error is a template error. Msg is the text Python's jinja2 gives as
// str(exception) for the same failure, e.g. "'x' is undefined" or
// "unexpected end of template, expected 'end of print statement'."; Class
// is the Python exception class (TemplateSyntaxError, UndefinedError,
// TypeError, ValueError, ZeroDivisionError, ...).
type Error struct {
	Class string
	Msg   string
	// Line is the 1-based template line of a syntax error, or 0 when unknown.
	Line int
}

// Error returns Msg, jinja2's exception text.
func (e *Error) Error() string { return e.Msg }

// Python exception classes used in Error.Class.
const (
	classSyntax     = "TemplateSyntaxError"
	classAssertion  = "TemplateAssertionError"
	classUndefined  = "UndefinedError"
	classType       = "TypeError"
	classValue      = "ValueError"
	classZeroDiv    = "ZeroDivisionError"
	classRecursion  = "RecursionError"
	classOverflow   = "OverflowError"
	classAttribute  = "AttributeError"
	classIndex      = "IndexError"
	classKey        = "KeyError"
	classRuntime    = "TemplateRuntimeError"
	classLimit      = "LimitError"
	classParser     = "ParserError"
	classInternal   = "InternalError"
	classInvalidOp  = "InvalidOperation"
	classRegexError = "re.error"
)

// Sentinel errors for the engine's safety limits. They are wrapped in the
// error a render returns, so errors.Is works.
var (
	// ErrOutputTooLarge is returned when a render would produce more than
	// Engine.MaxOutput bytes.
	ErrOutputTooLarge = errors.New("render: output size limit exceeded")
	// ErrRangeTooLarge is returned when range() would produce more than
	// Engine.MaxRange items.
	ErrRangeTooLarge = errors.New("render: range() too large")
	// ErrTemplateTooLarge is returned for a template source longer than
	// Engine.MaxTemplate bytes.
	ErrTemplateTooLarge = errors.New("render: template too large")
)

func newErr(class, msg string) *Error { return &Error{Class: class, Msg: msg} }

func typeErrorf(format string, a ...any) error {
	return newErr(classType, fmt.Sprintf(format, a...))
}

func valueErrorf(format string, a ...any) error {
	return newErr(classValue, fmt.Sprintf(format, a...))
}

// limitError is a safety-limit error: its text is ours (there is no Python
// equivalent), and it wraps one of the Err* sentinels.
type limitError struct {
	sentinel error
	detail   string
}

func (e *limitError) Error() string { return e.sentinel.Error() + ": " + e.detail }
func (e *limitError) Unwrap() error { return e.sentinel }
