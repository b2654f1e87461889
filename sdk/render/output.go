package render

import (
	"fmt"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
)

// Output writers.

// outWriter collects output and enforces the render's size limit. Every
// output of a render (the root and the buffers of macros, set blocks,
// filter blocks) is an outWriter sharing the render's rt.
type outWriter struct {
	rt *rt
	b  strings.Builder
}

func (w *outWriter) Write(p []byte) (int, error) {
	w.rt.written += int64(len(p))
	if w.rt.e.MaxOutput > 0 && w.rt.written > int64(w.rt.e.MaxOutput) {
		return 0, &limitError{sentinel: ErrOutputTooLarge, detail: fmt.Sprintf("more than %d bytes", w.rt.e.MaxOutput)}
	}
	return w.b.Write(p)
}

func (w *outWriter) WriteString(s string) (int, error) {
	w.rt.written += int64(len(s))
	if w.rt.e.MaxOutput > 0 && w.rt.written > int64(w.rt.e.MaxOutput) {
		return 0, &limitError{sentinel: ErrOutputTooLarge, detail: fmt.Sprintf("more than %d bytes", w.rt.e.MaxOutput)}
	}
	return w.b.WriteString(s)
}

func rtOf(r *exec.Renderer) *rt {
	if w, ok := r.Output.(*outWriter); ok {
		return w.rt
	}
	if v, ok := r.Environment.Context.Get(rtKey); ok {
		if x, ok := v.(*rt); ok {
			return x
		}
	}
	panic("render: no render state")
}

func scopeOf(r *exec.Renderer) scope {
	return scope{r: rtOf(r), ctx: r.Environment.Context}
}

// capture runs a wrapper in a new scope and returns its output.
func capture(r *exec.Renderer, w *nodes.Wrapper, setup func(ctx *exec.Context)) (string, error) {
	sub := r.Inherit()
	out := &outWriter{rt: rtOf(r)}
	sub.Output = out
	if setup != nil {
		setup(sub.Environment.Context)
	}
	if err := nodes.Walk(sub, w); err != nil {
		return "", err
	}
	return out.b.String(), nil
}
