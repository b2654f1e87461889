package render

// pyObject is a value type of the utils runtime (relativedelta, tz
// objects, …) that prints, names and describes itself.
type pyObject interface {
	repr() string
	// typeName is type(v).__name__.
	typeName() string
	// qualName is the module-qualified class name used in jinja2's
	// "'… object' has no attribute" messages.
	qualName() string
}

// operand is a value type with its own arithmetic (Python's __add__,
// __radd__, …). binop reports ok=false when it does not apply, so the
// engine's own rules (and their error texts) take over.
type operand interface {
	binop(op string, other any, reflected bool) (v any, ok bool, err error)
}

// operandOp applies an operand's arithmetic: the left operand first, then
// the right one reflected, as Python does.
func operandOp(op string, a, b any) (any, bool, error) {
	if x, ok := a.(operand); ok {
		if v, ok, err := x.binop(op, b, false); ok {
			return v, true, err
		}
	}
	if y, ok := b.(operand); ok {
		return y.binop(op, a, true)
	}
	return nil, false, nil
}

func (d *relativeDelta) typeName() string { return "relativedelta" }
func (d *relativeDelta) qualName() string { return "dateutil.relativedelta.relativedelta" }
func (w *rdWeekday) typeName() string     { return "weekday" }
func (w *rdWeekday) qualName() string     { return "dateutil._common.weekday" }
