package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/lava-actions/lava-actions/sdk/value"
)

// stdinName is how error messages name standard input.
const stdinName = "<stdin>"

// maxInputBytes bounds one input file.
const maxInputBytes = 64 << 20

// readJSON reads and decodes the JSON file name ("-" is stdin). Errors are
// bad input; a syntax error reads FILE:LINE:COL: message.
func readJSON(name string, stdin io.Reader, mode value.NumberMode) (any, error) {
	display := name
	var data []byte
	var err error
	if name == "-" {
		display = stdinName
		data, err = io.ReadAll(io.LimitReader(stdin, maxInputBytes+1))
	} else {
		data, err = readFile(name)
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in the message
		}
		return nil, badInput(fmt.Errorf("%s: %w", display, err))
	}
	if len(data) > maxInputBytes {
		return nil, badInput(fmt.Errorf("read %s: larger than %d MiB", display, maxInputBytes>>20))
	}
	v, err := value.DecodeJSON(data, mode)
	if err != nil {
		var se *value.SyntaxError
		if errors.As(err, &se) {
			return nil, badInput(&locatedError{file: display, line: se.Line, col: se.Column, err: err, msg: se.Msg})
		}
		return nil, badInput(fmt.Errorf("%s: %w", display, err))
	}
	return v, nil
}

func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxInputBytes+1))
}

// locatedError is a JSON syntax error at a position of a file.
type locatedError struct {
	file      string
	line, col int
	msg       string
	err       error
}

func (e *locatedError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.file, e.line, e.col, e.msg)
}

func (e *locatedError) Unwrap() error { return e.err }

// readObject reads a file that must hold one JSON object; what names it in
// errors ("job", "realm", "result").
func readObject(name, what string, stdin io.Reader, mode value.NumberMode) (*value.Map, error) {
	v, err := readJSON(name, stdin, mode)
	if err != nil {
		return nil, err
	}
	m, ok := v.(*value.Map)
	if !ok {
		display := name
		if name == "-" {
			display = stdinName
		}
		return nil, badInput(fmt.Errorf("%s: the %s must be a JSON object, not %s", display, what, jsonType(v)))
	}
	return m, nil
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case *value.Map:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return "a number"
}

// oneStdin checks that at most one of the named files is "-".
func oneStdin(names ...string) error {
	n := 0
	for _, s := range names {
		if s == "-" {
			n++
		}
	}
	if n > 1 {
		return badInput(errors.New("only one input file may be - (stdin)"))
	}
	return nil
}
