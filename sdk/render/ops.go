package render

import (
	"errors"
	"math"
	"math/big"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// decCtx is Python's default decimal context: 28 digits, half-even.
var decCtx = apd.Context{
	Precision:   28,
	MaxExponent: 999999,
	MinExponent: -999999,
	Traps:       apd.Overflow | apd.DivisionByZero | apd.DivisionImpossible | apd.DivisionUndefined | apd.InvalidOperation,
	Rounding:    apd.RoundHalfEven,
}

var errUnsupported = errors.New("unsupported operand")

func decNeg(d *apd.Decimal) *apd.Decimal {
	out := new(apd.Decimal)
	_, _ = decCtx.Neg(out, d)
	return out
}

func decPos(d *apd.Decimal) *apd.Decimal {
	out := new(apd.Decimal)
	_, _ = decCtx.Add(out, d, apd.New(0, 0))
	return out
}

func toDecimal(v any) (*apd.Decimal, bool) {
	switch t := v.(type) {
	case *apd.Decimal:
		return t, true
	case int64:
		return apd.New(t, 0), true
	case bool:
		if t {
			return apd.New(1, 0), true
		}
		return apd.New(0, 0), true
	case *big.Int:
		d := new(apd.Decimal)
		d.Coeff.SetMathBigInt(t)
		if t.Sign() < 0 {
			d.Coeff.Neg(&d.Coeff)
			d.Negative = true
		}
		return d, true
	}
	return nil, false
}

func decErr(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "division undefined"):
		return newErr(classInvalidOp, "[<class 'decimal.DivisionUndefined'>]")
	case strings.Contains(msg, "division by zero"):
		return newErr("DivisionByZero", "[<class 'decimal.DivisionByZero'>]")
	case strings.Contains(msg, "overflow"):
		return newErr("Overflow", "[<class 'decimal.Overflow'>]")
	}
	return newErr(classInvalidOp, "[<class 'decimal.InvalidOperation'>]")
}

func decimalOp(op string, a, b *apd.Decimal) (any, error) {
	out := new(apd.Decimal)
	var err error
	switch op {
	case "+":
		_, err = decCtx.Add(out, a, b)
	case "-":
		_, err = decCtx.Sub(out, a, b)
	case "*":
		_, err = decCtx.Mul(out, a, b)
	case "/":
		var cond apd.Condition
		cond, err = decCtx.Quo(out, a, b)
		if err == nil && !cond.Inexact() && out.Form == apd.Finite {
			reduceToIdeal(out, a.Exponent-b.Exponent)
		}
	case "//":
		_, err = decCtx.QuoInteger(out, a, b)
	case "%":
		_, err = decCtx.Rem(out, a, b)
	case "**":
		var cond apd.Condition
		cond, err = decCtx.Pow(out, a, b)
		if err == nil && !cond.Inexact() && out.Form == apd.Finite && b.Exponent >= 0 {
			if n, ierr := b.Int64(); ierr == nil {
				reduceToIdeal(out, a.Exponent*int32(n))
			}
		}
	default:
		return nil, errUnsupported
	}
	if err != nil {
		return nil, decErr(err)
	}
	return out, nil
}

// reduceToIdeal strips trailing zeros of an exact quotient down to the
// ideal exponent, as Python's decimal does.
func reduceToIdeal(d *apd.Decimal, ideal int32) {
	ten := apd.NewBigInt(10)
	for d.Exponent < ideal && d.Coeff.Sign() != 0 {
		var q, m apd.BigInt
		q.QuoRem(&d.Coeff, ten, &m)
		if m.Sign() != 0 {
			return
		}
		d.Coeff.Set(&q)
		d.Exponent++
	}
	if d.Coeff.Sign() == 0 && d.Exponent < ideal {
		d.Exponent = ideal
	}
}

func isNumber(v any) bool {
	switch v.(type) {
	case int64, *big.Int, bool, float64, *apd.Decimal:
		return true
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case int64:
		return float64(t), true
	case bool:
		if t {
			return 1, true
		}
		return 0, true
	case *big.Int:
		f, _ := new(big.Float).SetInt(t).Float64()
		return f, true
	case *apd.Decimal:
		f, err := t.Float64()
		return f, err == nil
	}
	return 0, false
}

func unsupported(op string, a, b any) error {
	if op == "**" {
		return typeErrorf("unsupported operand type(s) for ** or pow(): '%s' and '%s'", typeName(a), typeName(b))
	}
	return typeErrorf("unsupported operand type(s) for %s: '%s' and '%s'", op, typeName(a), typeName(b))
}

// binOp applies a Python arithmetic operator.
func binOp(op string, a, b any) (any, error) {
	if u, ok := a.(*undefinedValue); ok {
		return nil, u.err()
	}
	if u, ok := b.(*undefinedValue); ok {
		// str % undefined formats str(undefined), as Python's str.__mod__
		// does without calling the undefined's operators.
		if s, isStr := a.(string); isStr && op == "%" {
			if v, err := pyPercent(s, b); err == nil {
				return v, nil
			}
		}
		return nil, u.err()
	}
	if m, ok := a.(markup); ok {
		a = string(m)
	}
	if m, ok := b.(markup); ok {
		b = string(m)
	}
	if v, ok, err := operandOp(op, a, b); ok {
		return v, err
	}
	if v, ok, err := numericOp(op, a, b); ok {
		return v, err
	}
	var fn func(a, b any) (any, bool, error)
	switch op {
	case "+":
		fn = addOp
	case "-":
		fn = subOp
	case "*":
		fn = mulOp
	case "/":
		fn = divOp
	case "//":
		fn = floorDivOp
	case "%":
		fn = modOp
	}
	if fn != nil {
		if v, ok, err := fn(a, b); ok {
			return v, err
		}
	}
	return nil, unsupported(op, a, b)
}

// numericOp applies op to two numbers (int, Decimal, float), or to a
// Decimal and a sequence or format string; ok is false for other operands.
func numericOp(op string, a, b any) (v any, ok bool, err error) {
	// integers
	if isInt(a) && isInt(b) {
		v, err = intOp(op, a, b)
		return v, true, err
	}
	// decimals
	_, aDec := a.(*apd.Decimal)
	_, bDec := b.(*apd.Decimal)
	if aDec || bDec {
		if _, f := a.(float64); f {
			return nil, true, unsupported(op, a, b)
		}
		if _, f := b.(float64); f {
			return nil, true, unsupported(op, a, b)
		}
		da, okA := toDecimal(a)
		db, okB := toDecimal(b)
		if okA && okB {
			v, err = decimalOp(op, da, db)
			return v, true, err
		}
		if op == "*" && isSeq(b) && aDec {
			return nil, true, typeErrorf("can't multiply sequence by non-int of type '%s'", typeName(a))
		}
		if op == "*" && isSeq(a) && bDec {
			return nil, true, typeErrorf("can't multiply sequence by non-int of type '%s'", typeName(b))
		}
		if op == "%" && isString(a) {
			v, err = pyPercent(pyStrOf(a), b)
			return v, true, err
		}
		return nil, true, unsupported(op, a, b)
	}
	// floats
	if isNumber(a) && isNumber(b) {
		fa, _ := toFloat(a)
		fb, _ := toFloat(b)
		v, err = floatOp(op, fa, fb)
		return v, true, err
	}
	return nil, false, nil
}

// addOp adds non-numbers: str, list and tuple concatenation, date arithmetic. ok is false when the operand
// types do not support the operator.
func addOp(a, b any) (v any, ok bool, err error) {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return x + y, true, nil
		}
		return nil, true, typeErrorf("can only concatenate str (not \"%s\") to str", typeName(b))
	case *pyList:
		if y, ok := b.(*pyList); ok {
			out := make([]any, 0, len(x.items)+len(y.items))
			return &pyList{items: append(append(out, x.items...), y.items...)}, true, nil
		}
		return nil, true, typeErrorf("can only concatenate list (not \"%s\") to list", typeName(b))
	case pyTuple:
		if y, ok := b.(pyTuple); ok {
			out := make(pyTuple, 0, len(x)+len(y))
			return append(append(out, x...), y...), true, nil
		}
		return nil, true, typeErrorf("can only concatenate tuple (not \"%s\") to tuple", typeName(b))
	case pyDateTime:
		if td, ok := b.(pyTimedelta); ok {
			v, err = dateAdd(x, td, 1)
			return v, true, err
		}
	case pyDate:
		if td, ok := b.(pyTimedelta); ok {
			v, err = dateAdd(x, td, 1)
			return v, true, err
		}
	case pyTimedelta:
		switch y := b.(type) {
		case pyTimedelta:
			return pyTimedelta{us: x.us + y.us}, true, nil
		case pyDateTime, pyDate:
			v, err = dateAdd(y, x, 1)
			return v, true, err
		}
	}
	return nil, false, nil
}

// subOp subtracts dates, datetimes and timedeltas. ok is false when the operand
// types do not support the operator.
func subOp(a, b any) (v any, ok bool, err error) {
	switch x := a.(type) {
	case pyDateTime:
		switch y := b.(type) {
		case pyTimedelta:
			v, err = dateAdd(x, y, -1)
			return v, true, err
		case pyDateTime:
			if x.naive != y.naive {
				return nil, true, typeErrorf("can't subtract offset-naive and offset-aware datetimes")
			}
			return pyTimedelta{us: x.t.Sub(y.t).Microseconds()}, true, nil
		}
	case pyDate:
		switch y := b.(type) {
		case pyTimedelta:
			v, err = dateAdd(x, y, -1)
			return v, true, err
		case pyDate:
			return pyTimedelta{us: x.t.Sub(y.t).Microseconds()}, true, nil
		}
	case pyTimedelta:
		if y, ok := b.(pyTimedelta); ok {
			return pyTimedelta{us: x.us - y.us}, true, nil
		}
	}
	return nil, false, nil
}

// mulOp repeats sequences and scales timedeltas. ok is false when the operand
// types do not support the operator.
func mulOp(a, b any) (v any, ok bool, err error) {
	if n, ok := seqRepeatCount(b); ok {
		if out, ok, err := repeatSeq(a, n); ok || err != nil {
			return out, true, err
		}
	}
	if n, ok := seqRepeatCount(a); ok {
		if out, ok, err := repeatSeq(b, n); ok || err != nil {
			return out, true, err
		}
	}
	if td, ok := a.(pyTimedelta); ok {
		if r, err := timedeltaMul(td, b); err == nil {
			return r, true, nil
		}
	}
	if td, ok := b.(pyTimedelta); ok {
		if r, err := timedeltaMul(td, a); err == nil {
			return r, true, nil
		}
	}
	if isSeq(a) && !isInt(b) {
		return nil, true, typeErrorf("can't multiply sequence by non-int of type '%s'", typeName(b))
	}
	if isSeq(b) && !isInt(a) {
		return nil, true, typeErrorf("can't multiply sequence by non-int of type '%s'", typeName(a))
	}
	return nil, false, nil
}

// divOp divides timedeltas. ok is false when the operand
// types do not support the operator.
func divOp(a, b any) (v any, ok bool, err error) {
	if x, ok := a.(pyTimedelta); ok {
		switch y := b.(type) {
		case pyTimedelta:
			if y.us == 0 {
				return nil, true, newErr(classZeroDiv, "division by zero")
			}
			return float64(x.us) / float64(y.us), true, nil
		case int64:
			if y == 0 {
				return nil, true, newErr(classZeroDiv, "division by zero")
			}
			return pyTimedelta{us: roundHalfEvenDiv(x.us, y)}, true, nil
		case float64:
			if y == 0 {
				return nil, true, newErr(classZeroDiv, "division by zero")
			}
			return pyTimedelta{us: int64(math.RoundToEven(float64(x.us) / y))}, true, nil
		}
	}
	return nil, false, nil
}

// floorDivOp floor-divides timedeltas. ok is false when the operand
// types do not support the operator.
func floorDivOp(a, b any) (v any, ok bool, err error) {
	if x, ok := a.(pyTimedelta); ok {
		switch y := b.(type) {
		case pyTimedelta:
			if y.us == 0 {
				return nil, true, newErr(classZeroDiv, "integer division or modulo by zero")
			}
			q, _ := floorDivMod(x.us, y.us)
			return q, true, nil
		case int64:
			if y == 0 {
				return nil, true, newErr(classZeroDiv, "integer division or modulo by zero")
			}
			q, _ := floorDivMod(x.us, y)
			return pyTimedelta{us: q}, true, nil
		}
	}
	return nil, false, nil
}

// modOp is str %-formatting and timedelta modulo. ok is false when the operand
// types do not support the operator.
func modOp(a, b any) (v any, ok bool, err error) {
	if s, ok := a.(string); ok {
		v, err = pyPercent(s, b)
		return v, true, err
	}
	if x, ok := a.(pyTimedelta); ok {
		if y, ok := b.(pyTimedelta); ok {
			if y.us == 0 {
				return nil, true, newErr(classZeroDiv, "integer division or modulo by zero")
			}
			_, r := floorDivMod(x.us, y.us)
			return pyTimedelta{us: r}, true, nil
		}
	}
	return nil, false, nil
}

func pyStrOf(v any) string { s, _ := asString(v); return s }

func roundHalfEvenDiv(a, b int64) int64 {
	r := new(big.Rat).SetFrac(big.NewInt(a), big.NewInt(b))
	f, _ := r.Float64()
	q, m := floorDivMod(a, b)
	// exact half-even on the rational
	twice := new(big.Int).Mul(big.NewInt(m), big.NewInt(2))
	cmp := twice.CmpAbs(big.NewInt(b))
	_ = f
	if cmp > 0 || (cmp == 0 && q%2 != 0) {
		q++
	}
	return q
}

func isSeq(v any) bool {
	switch v.(type) {
	case string, *pyList, pyTuple:
		return true
	}
	return false
}

func seqRepeatCount(v any) (int64, bool) {
	switch t := v.(type) {
	case int64:
		return t, true
	case bool:
		if t {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

const maxRepeat = 1 << 24

func repeatSeq(v any, n int64) (any, bool, error) {
	if n < 0 {
		n = 0
	}
	switch t := v.(type) {
	case string:
		if int64(len(t))*n > maxRepeat {
			return nil, true, &limitError{sentinel: ErrOutputTooLarge, detail: "string repetition too large"}
		}
		return strings.Repeat(t, int(n)), true, nil
	case *pyList:
		if int64(len(t.items))*n > maxRepeat {
			return nil, true, &limitError{sentinel: ErrOutputTooLarge, detail: "list repetition too large"}
		}
		out := make([]any, 0, int64(len(t.items))*n)
		for i := int64(0); i < n; i++ {
			out = append(out, t.items...)
		}
		return &pyList{items: out}, true, nil
	case pyTuple:
		if int64(len(t))*n > maxRepeat {
			return nil, true, &limitError{sentinel: ErrOutputTooLarge, detail: "tuple repetition too large"}
		}
		out := make(pyTuple, 0, int64(len(t))*n)
		for i := int64(0); i < n; i++ {
			out = append(out, t...)
		}
		return out, true, nil
	}
	return nil, false, nil
}

func intOp(op string, a, b any) (any, error) {
	x, _ := toBig(a)
	y, _ := toBig(b)
	if xa, ok := a.(int64); ok {
		if yb, ok := b.(int64); ok {
			switch op {
			case "+":
				if s := xa + yb; (s > xa) == (yb > 0) {
					return s, nil
				}
			case "-":
				if s := xa - yb; (s < xa) == (yb > 0) {
					return s, nil
				}
			}
		}
	}
	switch op {
	case "+":
		return normInt(new(big.Int).Add(x, y)), nil
	case "-":
		return normInt(new(big.Int).Sub(x, y)), nil
	case "*":
		return normInt(new(big.Int).Mul(x, y)), nil
	case "/":
		if y.Sign() == 0 {
			return nil, newErr(classZeroDiv, "division by zero")
		}
		f, _ := new(big.Rat).SetFrac(x, y).Float64()
		return f, nil
	case "//", "%":
		if y.Sign() == 0 {
			if op == "%" {
				return nil, newErr(classZeroDiv, "integer modulo by zero")
			}
			return nil, newErr(classZeroDiv, "integer division or modulo by zero")
		}
		q, m := new(big.Int).QuoRem(x, y, new(big.Int))
		if m.Sign() != 0 && (m.Sign() < 0) != (y.Sign() < 0) {
			q.Sub(q, big.NewInt(1))
			m.Add(m, y)
		}
		if op == "%" {
			return normInt(m), nil
		}
		return normInt(q), nil
	case "**":
		if y.Sign() < 0 {
			fx, _ := toFloat(a)
			fy, _ := toFloat(b)
			if fx == 0 {
				return nil, newErr(classZeroDiv, "0.0 cannot be raised to a negative power")
			}
			return math.Pow(fx, fy), nil
		}
		if y.BitLen() > 32 || (x.BitLen() > 1 && int64(x.BitLen())*y.Int64() > 1<<20) {
			return nil, &limitError{sentinel: ErrOutputTooLarge, detail: "integer power too large"}
		}
		return normInt(new(big.Int).Exp(x, y, nil)), nil
	}
	return nil, errUnsupported
}

func floatOp(op string, a, b float64) (any, error) {
	switch op {
	case "+":
		return a + b, nil
	case "-":
		return a - b, nil
	case "*":
		return a * b, nil
	case "/":
		if b == 0 {
			return nil, newErr(classZeroDiv, "float division by zero")
		}
		return a / b, nil
	case "//":
		if b == 0 {
			return nil, newErr(classZeroDiv, "float floor division by zero")
		}
		return pyFloorDiv(a, b), nil
	case "%":
		if b == 0 {
			return nil, newErr(classZeroDiv, "float modulo")
		}
		return pyFloatMod(a, b), nil
	case "**":
		if a == 0 && b < 0 {
			return nil, newErr(classZeroDiv, "0.0 cannot be raised to a negative power")
		}
		if a < 0 && b != math.Trunc(b) {
			return nil, valueErrorf("math domain error")
		}
		return math.Pow(a, b), nil
	}
	return nil, errUnsupported
}

func pyFloatMod(a, b float64) float64 {
	m := math.Mod(a, b)
	if m != 0 {
		if (b < 0) != (m < 0) {
			m += b
		}
	} else {
		m = math.Copysign(0, b)
	}
	return m
}

func pyFloorDiv(a, b float64) float64 {
	m := math.Mod(a, b)
	div := (a - m) / b
	if m != 0 && (b < 0) != (m < 0) {
		div -= 1
	}
	if div == 0 {
		return math.Copysign(0, a/b)
	}
	fl := math.Floor(div)
	if div-fl > 0.5 {
		fl += 1
	}
	return fl
}

// ---- comparisons ----

func decimalToRat(d *apd.Decimal) *big.Rat {
	coeff := new(big.Int).SetBytes(d.Coeff.Bytes())
	if d.Negative {
		coeff.Neg(coeff)
	}
	r := new(big.Rat).SetInt(coeff)
	if d.Exponent > 0 {
		r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Exponent)), nil)))
	} else if d.Exponent < 0 {
		r.Quo(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-d.Exponent)), nil)))
	}
	return r
}

func numberRat(v any) (*big.Rat, bool) {
	switch t := v.(type) {
	case int64:
		return new(big.Rat).SetInt64(t), true
	case bool:
		if t {
			return big.NewRat(1, 1), true
		}
		return big.NewRat(0, 1), true
	case *big.Int:
		return new(big.Rat).SetInt(t), true
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, false
		}
		return new(big.Rat).SetFloat64(t), true
	case *apd.Decimal:
		if t.Form != apd.Finite {
			return nil, false
		}
		return decimalToRat(t), true
	}
	return nil, false
}

// numCompare compares two numbers; ok is false when they are not both
// numbers or one is NaN.
func numCompare(a, b any) (int, bool) {
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	}
	if x, ok := a.(float64); ok {
		if y, ok := b.(float64); ok {
			if math.IsNaN(x) || math.IsNaN(y) {
				return 0, false
			}
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	}
	if !isNumber(a) || !isNumber(b) {
		return 0, false
	}
	fa, fb := 0.0, 0.0
	if f, ok := a.(float64); ok {
		fa = f
	}
	if f, ok := b.(float64); ok {
		fb = f
	}
	if math.IsInf(fa, 0) || math.IsInf(fb, 0) {
		x, _ := toFloat(a)
		y, _ := toFloat(b)
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	}
	ra, ok1 := numberRat(a)
	rb, ok2 := numberRat(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	return ra.Cmp(rb), true
}

func pyEqual(a, b any) bool { return pyEqualDepth(a, b, 0) }

// maxCompareDepth bounds comparisons of nested (possibly self-referencing)
// containers, which Python ends with a RecursionError.
const maxCompareDepth = 200

func pyEqualDepth(a, b any, depth int) bool {
	if depth > maxCompareDepth {
		return false
	}
	if ua, ok := a.(*undefinedValue); ok {
		_, ok2 := b.(*undefinedValue)
		_ = ua
		return ok2
	}
	if _, ok := b.(*undefinedValue); ok {
		return false
	}
	if e, ok := a.(interface{ pyEqual(any) bool }); ok {
		return e.pyEqual(b)
	}
	if c, ok := numCompare(a, b); ok {
		return c == 0
	}
	if isNumber(a) || isNumber(b) {
		return false
	}
	if sa, ok := asString(a); ok {
		sb, ok := asString(b)
		return ok && sa == sb
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case *pyList:
		y, ok := b.(*pyList)
		return ok && (x == y || seqEqual(x.items, y.items, depth))
	case pyTuple:
		y, ok := b.(pyTuple)
		return ok && seqEqual(x, y, depth)
	case *pyDict:
		y, ok := b.(*pyDict)
		if !ok || x.Len() != y.Len() {
			return false
		}
		if x == y {
			return true
		}
		for _, kv := range x.items() {
			v2, ok := y.get(kv[0])
			if !ok || !pyEqualDepth(kv[1], v2, depth+1) {
				return false
			}
		}
		return true
	case pyDateTime:
		y, ok := b.(pyDateTime)
		if !ok || x.naive != y.naive {
			return false
		}
		return x.t.Equal(y.t)
	case pyDate:
		y, ok := b.(pyDate)
		return ok && x.t.Equal(y.t)
	case pyTime:
		y, ok := b.(pyTime)
		return ok && x == y
	case pyTimedelta:
		y, ok := b.(pyTimedelta)
		return ok && x == y
	case pyRange:
		y, ok := b.(pyRange)
		if !ok {
			return false
		}
		if x.length() != y.length() {
			return false
		}
		return x.length() == 0 || (x.start == y.start && (x.length() == 1 || x.step == y.step))
	case dictView:
		y, ok := b.(dictView)
		return ok && x.kind == y.kind && x.kind == "keys" && seqEqual(x.list(), y.list(), depth)
	case *tzInfo:
		y, ok := b.(*tzInfo)
		return ok && x.offset == y.offset
	case *uuidValue:
		y, ok := b.(*uuidValue)
		return ok && x.String() == y.String()
	}
	defer func() { _ = recover() }()
	return a == b
}

func seqEqual(a, b []any, depth int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !pyEqualDepth(a[i], b[i], depth+1) {
			return false
		}
	}
	return true
}

// cmp3 orders two values as Python's < does; err for unorderable types.
func cmp3(op string, a, b any) (int, error) { return cmp3Depth(op, a, b, 0) }

func cmp3Depth(op string, a, b any, depth int) (int, error) {
	if depth > maxCompareDepth {
		return 0, newErr(classRecursion, "maximum recursion depth exceeded in comparison")
	}
	if u, ok := a.(*undefinedValue); ok {
		return 0, u.err()
	}
	if u, ok := b.(*undefinedValue); ok {
		return 0, u.err()
	}
	if c, ok := numCompare(a, b); ok {
		return c, nil
	}
	if sa, ok := asString(a); ok {
		if sb, ok := asString(b); ok {
			return strings.Compare(sa, sb), nil
		}
	}
	switch x := a.(type) {
	case *pyList:
		if y, ok := b.(*pyList); ok {
			return seqCmp(op, x.items, y.items, depth)
		}
	case pyTuple:
		if y, ok := b.(pyTuple); ok {
			return seqCmp(op, x, y, depth)
		}
	case pyDateTime:
		if y, ok := b.(pyDateTime); ok {
			if x.naive != y.naive {
				return 0, typeErrorf("can't compare offset-naive and offset-aware datetimes")
			}
			return x.t.Compare(y.t), nil
		}
		if _, ok := b.(pyDate); ok {
			return 0, typeErrorf("can't compare datetime.datetime to datetime.date")
		}
	case pyDate:
		if y, ok := b.(pyDate); ok {
			return x.t.Compare(y.t), nil
		}
		if _, ok := b.(pyDateTime); ok {
			return 0, typeErrorf("can't compare datetime.date to datetime.datetime")
		}
	case pyTimedelta:
		if y, ok := b.(pyTimedelta); ok {
			switch {
			case x.us < y.us:
				return -1, nil
			case x.us > y.us:
				return 1, nil
			}
			return 0, nil
		}
	case pyTime:
		if y, ok := b.(pyTime); ok {
			xa := ((x.h*60+x.m)*60+x.s)*1000000 + x.us
			ya := ((y.h*60+y.m)*60+y.s)*1000000 + y.us
			switch {
			case xa < ya:
				return -1, nil
			case xa > ya:
				return 1, nil
			}
			return 0, nil
		}
	}
	return 0, typeErrorf("'%s' not supported between instances of '%s' and '%s'", op, typeName(a), typeName(b))
}

func seqCmp(op string, a, b []any, depth int) (int, error) {
	for i := 0; i < len(a) && i < len(b); i++ {
		if pyEqualDepth(a[i], b[i], depth+1) {
			continue
		}
		return cmp3Depth(op, a[i], b[i], depth+1)
	}
	switch {
	case len(a) < len(b):
		return -1, nil
	case len(a) > len(b):
		return 1, nil
	}
	return 0, nil
}

func compare(op string, a, b any) (any, error) {
	// NaN compares false with everything
	if fa, ok := a.(float64); ok && math.IsNaN(fa) && isNumber(b) {
		return false, nil
	}
	if fb, ok := b.(float64); ok && math.IsNaN(fb) && isNumber(a) {
		return false, nil
	}
	c, err := cmp3(op, a, b)
	if err != nil {
		return nil, err
	}
	switch op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	case ">=":
		return c >= 0, nil
	}
	return nil, errUnsupported
}

// contains is Python's `item in container`.
func contains(r *rt, container, item any) (bool, error) {
	switch c := container.(type) {
	case string, markup:
		cs, _ := asString(c)
		s, ok := asString(item)
		if !ok {
			return false, typeErrorf("'in <string>' requires string as left operand, not %s", typeName(item))
		}
		return strings.Contains(cs, s), nil
	case *pyDict:
		if _, err := hashKey(item); err != nil {
			return false, err
		}
		_, ok := c.get(item)
		return ok, nil
	case *undefinedValue:
		return false, nil // jinja2's Undefined iterates as empty
	}
	items, err := iterate(r, container)
	if err != nil {
		if _, ok := container.(iterableObject); !ok {
			return false, typeErrorf("argument of type '%s' is not iterable", typeName(container))
		}
		return false, err
	}
	for _, e := range items {
		if pyEqual(e, item) {
			return true, nil
		}
	}
	return false, nil
}
