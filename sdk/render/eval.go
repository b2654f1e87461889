package render

import (
	"errors"
	"fmt"
	"math/big"

	"sort"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// rt is the state of one render: limits, counters and the engine.
type rt struct {
	e          *Engine
	depth      int   // macro call depth
	written    int64 // bytes written to any output of this render
	iterations int64 // loop iterations and range items produced
	autoescape bool
}

func (r *rt) countIterations(n int64) error {
	r.iterations += n
	if r.e.MaxIterations > 0 && r.iterations > int64(r.e.MaxIterations) {
		return &limitError{sentinel: ErrRangeTooLarge, detail: "too many loop iterations"}
	}
	return nil
}

// condExpr is a conditional expression `a if cond else b` (our node type;
// gonja keeps these on the output or set statement).
type condExpr struct {
	expr, cond, alt nodes.Expression
	line            int // for the undefined's hint
}

func (c *condExpr) Position() *tokens.Token { return c.expr.Position() }
func (c *condExpr) String() string          { return "condexpr" }

// scope is where an expression is evaluated: the render state and the
// gonja context holding the variables.
type scope struct {
	r   *rt
	ctx *exec.Context
}

const rtKey = "\x00lava-rt"

func (s scope) lookup(name string) any {
	if v, ok := s.ctx.Get(name); ok {
		switch x := v.(type) {
		case *exec.Value:
			return x.Interface()
		case map[string]func() string: // gonja's "self"
			return &builtinFunc{name: "self", typName: "TemplateReference", repr: "<TemplateReference None>"}
		}
		return v
	}
	if g, ok := globalFuncs[name]; ok {
		return g
	}
	return undefName(name)
}

func (s scope) eval(n nodes.Expression) (any, error) {
	switch t := n.(type) {
	case *nodes.String:
		return t.Val, nil
	case *intLit:
		return t.v, nil
	case *nodes.Float:
		return t.Val, nil
	case *nodes.Bool:
		return t.Val, nil
	case *nodes.None:
		return nil, nil
	case *nodes.Name:
		return s.lookup(t.Name.Val), nil
	case *nodes.List:
		items, err := s.evalAll(t.Val)
		if err != nil {
			return nil, err
		}
		return &pyList{items: items}, nil
	case *nodes.Tuple:
		items, err := s.evalAll(t.Val)
		return pyTuple(items), err
	case *nodes.Dict:
		return s.evalDict(t)
	case *nodes.GetAttribute:
		obj, err := s.eval(t.Node)
		if err != nil {
			return nil, err
		}
		return getAttr(obj, t.Attribute)
	case *nodes.GetItem:
		return s.evalGetItem(t)
	case *nodes.GetSlice:
		return s.evalSlice(t)
	case *nodes.Call:
		return s.evalCall(t)
	case *nodes.Negation:
		v, err := s.eval(t.Term)
		if err != nil {
			return nil, err
		}
		return !truthy(v), nil
	case *nodes.UnaryExpression:
		return s.evalUnary(t)
	case *nodes.BinaryExpression:
		return s.evalBinary(t)
	case *nodes.FilteredExpression:
		return s.evalFiltered(t)
	case *nodes.TestExpression:
		v, err := s.eval(t.Expression)
		if err != nil {
			return nil, err
		}
		return s.applyTest(t.Test.Name, v, t.Test.Args, t.Test.Kwargs)
	case *compareExpr:
		return s.evalCompare(t)
	case *concatExpr:
		return s.evalConcat(t)
	case *condExpr:
		return s.evalCond(t)
	case *sliceExpr:
		return nil, typeErrorf("slices inside a subscript tuple are not supported")
	}
	return nil, newErr(classInternal, "unsupported expression")
}

// evalAll evaluates expressions left to right.
func (s scope) evalAll(es []nodes.Expression) ([]any, error) {
	items := make([]any, len(es))
	for i, e := range es {
		v, err := s.eval(e)
		if err != nil {
			return nil, err
		}
		items[i] = v
	}
	return items, nil
}

func (s scope) evalDict(t *nodes.Dict) (any, error) {
	d := newDict(len(t.Pairs))
	for _, p := range t.Pairs {
		k, err := s.eval(p.Key)
		if err != nil {
			return nil, err
		}
		v, err := s.eval(p.Value)
		if err != nil {
			return nil, err
		}
		if err := d.set(k, v); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (s scope) evalGetItem(t *nodes.GetItem) (any, error) {
	obj, err := s.eval(t.Node)
	if err != nil {
		return nil, err
	}
	key, err := s.eval(t.Arg.(nodes.Expression))
	if err != nil {
		return nil, err
	}
	return getItem(obj, key)
}

func (s scope) evalUnary(t *nodes.UnaryExpression) (any, error) {
	v, err := s.eval(t.Term)
	if err != nil {
		return nil, err
	}
	if t.Negative {
		return unaryNeg(v)
	}
	return unaryPos(v)
}

func (s scope) evalFiltered(t *nodes.FilteredExpression) (any, error) {
	v, err := s.eval(t.Expression)
	if err != nil {
		return nil, err
	}
	for _, f := range t.Filters {
		if v, err = s.applyFilter(f.Name, v, f.Args, f.Kwargs); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// evalCond evaluates `a if cond else b`; without an else, a false
// condition gives jinja2's undefined with its hint.
func (s scope) evalCond(t *condExpr) (any, error) {
	c, err := s.eval(t.cond)
	if err != nil {
		return nil, err
	}
	if truthy(c) {
		return s.eval(t.expr)
	}
	if t.alt == nil {
		return &undefinedValue{hint: fmt.Sprintf("the inline if-expression on line %d evaluated to false and no else section was defined.", t.line)}, nil
	}
	return s.eval(t.alt)
}

func parseBigLiteral(text string) (*big.Int, bool) {
	clean := make([]byte, 0, len(text))
	for i := 0; i < len(text); i++ {
		if text[i] != '_' {
			clean = append(clean, text[i])
		}
	}
	b, ok := new(big.Int).SetString(string(clean), 0)
	return b, ok
}

func compareOpName(t tokens.Type) string {
	switch t {
	case tokens.Equals:
		return "=="
	case tokens.Ne:
		return "!="
	case tokens.LowerThan:
		return "<"
	case tokens.LowerThanOrEqual:
		return "<="
	case tokens.GreaterThan:
		return ">"
	case tokens.GreaterThanOrEqual:
		return ">="
	}
	return ""
}

func cmpOp(op string, a, b any) (any, error) {
	switch op {
	case "==":
		return pyEqual(a, b), nil
	case "!=":
		return !pyEqual(a, b), nil
	}
	return compare(op, a, b)
}

// evalCompare evaluates Python's (chained) comparison a < b < c: each
// operand is evaluated once, left to right, stopping at the first false.
func (s scope) evalCompare(t *compareExpr) (any, error) {
	left, err := s.eval(t.first)
	if err != nil {
		return nil, err
	}
	var res any = true
	for i, op := range t.ops {
		right, err := s.eval(t.operands[i])
		if err != nil {
			return nil, err
		}
		switch op {
		case "in", "notin":
			in, err := contains(s.r, right, left)
			if err != nil {
				return nil, err
			}
			res = in == (op == "in")
		default:
			if res, err = cmpOp(op, left, right); err != nil {
				return nil, err
			}
		}
		if !truthy(res) {
			return res, nil
		}
		left = right
	}
	return res, nil
}

// evalConcat evaluates a ~ b ~ c: the str() of each operand joined.
func (s scope) evalConcat(t *concatExpr) (any, error) {
	var b strings.Builder
	for _, a := range t.args {
		v, err := s.eval(a)
		if err != nil {
			return nil, err
		}
		b.WriteString(pyStr(v))
	}
	return b.String(), nil
}

func (s scope) evalBinary(t *nodes.BinaryExpression) (any, error) {
	left, err := s.eval(t.Left)
	if err != nil {
		return nil, err
	}
	switch t.Operator.Token.Type {
	case tokens.And:
		if !truthy(left) {
			return left, nil
		}
		return s.eval(t.Right)
	case tokens.Or:
		if truthy(left) {
			return left, nil
		}
		return s.eval(t.Right)
	}
	right, err := s.eval(t.Right)
	if err != nil {
		return nil, err
	}
	switch t.Operator.Token.Type {
	case tokens.Addition:
		return binOp("+", left, right)
	case tokens.Subtraction:
		return binOp("-", left, right)
	case tokens.Multiply:
		return binOp("*", left, right)
	case tokens.Division:
		return binOp("/", left, right)
	case tokens.FloorDivision:
		return binOp("//", left, right)
	case tokens.Modulo:
		return binOp("%", left, right)
	case tokens.Power:
		return binOp("**", left, right)
	case tokens.Tilde:
		return pyStr(left) + pyStr(right), nil
	case tokens.Equals:
		return pyEqual(left, right), nil
	case tokens.Ne:
		return !pyEqual(left, right), nil
	case tokens.LowerThan:
		return compare("<", left, right)
	case tokens.LowerThanOrEqual:
		return compare("<=", left, right)
	case tokens.GreaterThan:
		return compare(">", left, right)
	case tokens.GreaterThanOrEqual:
		return compare(">=", left, right)
	}
	return nil, newErr(classInternal, "unknown operator "+t.Operator.Token.Val)
}

// evalArgs evaluates call arguments; keyword arguments keep source order.
// *args and **kwargs (under dynArgsKey and dynKwargsKey) are expanded.
func (s scope) evalArgs(args []nodes.Expression, kw map[string]nodes.Expression) ([]any, *kwargs, error) {
	pos := make([]any, 0, len(args))
	for _, a := range args {
		v, err := s.eval(a)
		if err != nil {
			return nil, nil, err
		}
		pos = append(pos, v)
	}
	if len(kw) == 0 {
		return pos, nil, nil
	}
	if dyn, ok := kw[dynArgsKey]; ok {
		v, err := s.eval(dyn)
		if err != nil {
			return nil, nil, err
		}
		items, err := iterate(s.r, v)
		if err != nil {
			return nil, nil, typeErrorf("Value after * must be an iterable, not %s", typeName(v))
		}
		pos = append(pos, items...)
	}
	names := make([]string, 0, len(kw))
	for k := range kw {
		if k != dynArgsKey && k != dynKwargsKey {
			names = append(names, k)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		pi, pj := kw[names[i]].Position(), kw[names[j]].Position()
		if pi == nil || pj == nil {
			return names[i] < names[j]
		}
		return pi.Pos < pj.Pos
	})
	k := &kwargs{}
	for _, n := range names {
		v, err := s.eval(kw[n])
		if err != nil {
			return nil, nil, err
		}
		k.add(n, v)
	}
	if dyn, ok := kw[dynKwargsKey]; ok {
		if err := s.addDynKwargs(k, dyn); err != nil {
			return nil, nil, err
		}
	}
	return pos, k, nil
}

// addDynKwargs adds the items of a **mapping argument.
func (s scope) addDynKwargs(k *kwargs, e nodes.Expression) error {
	v, err := s.eval(e)
	if err != nil {
		return err
	}
	d, ok := v.(*pyDict)
	if !ok {
		return typeErrorf("argument after ** must be a mapping, not %s", typeName(v))
	}
	for _, it := range d.items() {
		name, ok := it[0].(string)
		if !ok {
			return typeErrorf("keywords must be strings")
		}
		if _, dup := k.get(name); dup {
			return typeErrorf("got multiple values for keyword argument '%s'", name)
		}
		k.add(name, it[1])
	}
	return nil
}

func (s scope) evalCall(t *nodes.Call) (any, error) {
	fn, err := s.eval(t.Func.(nodes.Expression))
	if err != nil {
		return nil, err
	}
	args, kw, err := s.evalArgs(t.Args, t.Kwargs)
	if err != nil {
		// Python names the callee of a ** error: jinja2 calls through
		// Context.call.
		var e *Error
		if errors.As(err, &e) && e.Class == classType &&
			(strings.HasPrefix(e.Msg, "argument after **") || strings.HasPrefix(e.Msg, "got multiple values for keyword")) {
			return nil, typeErrorf("jinja2.runtime.Context.call() %s", e.Msg)
		}
		return nil, err
	}
	return callValue(s.r, fn, args, kw)
}

func callValue(r *rt, fn any, args []any, kw *kwargs) (any, error) {
	switch f := fn.(type) {
	case *undefinedValue:
		return nil, f.err()
	case callable:
		return f.call(r, args, kw)
	}
	return nil, typeErrorf("'%s' object is not callable", typeName(fn))
}

func (s scope) evalSlice(t *nodes.GetSlice) (any, error) {
	obj, err := s.eval(t.Node)
	if err != nil {
		return nil, err
	}
	var bounds [3]any
	for i, n := range []nodes.Node{t.Start, t.End, t.Step} {
		if n == nil {
			continue
		}
		v, err := s.eval(n.(nodes.Expression))
		if err != nil {
			return nil, err
		}
		bounds[i] = v
	}
	return sliceValue(obj, bounds[0], bounds[1], bounds[2])
}

func sliceIndex(v any) (int64, bool, error) {
	switch t := v.(type) {
	case nil:
		return 0, false, nil
	case int64:
		return t, true, nil
	case bool:
		if t {
			return 1, true, nil
		}
		return 0, true, nil
	}
	return 0, false, typeErrorf("slice indices must be integers or None or have an __index__ method")
}

func sliceValue(obj, start, stop, step any) (any, error) {
	st, hasStep, err := sliceIndex(step)
	if err != nil {
		return nil, err
	}
	if !hasStep {
		st = 1
	}
	if st == 0 {
		return nil, valueErrorf("slice step cannot be zero")
	}
	b, hasB, err := sliceIndex(start)
	if err != nil {
		return nil, err
	}
	e, hasE, err := sliceIndex(stop)
	if err != nil {
		return nil, err
	}
	var items []any
	var runes []rune
	var kind int
	switch o := obj.(type) {
	case *undefinedValue:
		return nil, o.err()
	case string:
		runes, kind = []rune(o), 1
	case markup:
		runes, kind = []rune(string(o)), 1
	case *pyList:
		items, kind = o.items, 2
	case pyTuple:
		items, kind = o, 3
	default:
		return nil, typeErrorf("'%s' object is not subscriptable", typeName(obj))
	}
	n := int64(len(items))
	if kind == 1 {
		n = int64(len(runes))
	}
	idx := pySliceIndices(n, b, hasB, e, hasE, st)
	switch kind {
	case 1:
		out := make([]rune, 0, len(idx))
		for _, i := range idx {
			out = append(out, runes[i])
		}
		return string(out), nil
	default:
		out := make([]any, 0, len(idx))
		for _, i := range idx {
			out = append(out, items[i])
		}
		if kind == 3 {
			return pyTuple(out), nil
		}
		return &pyList{items: out}, nil
	}
}

func pySliceIndices(n, start int64, hasStart bool, stop int64, hasStop bool, step int64) []int64 {
	adj := func(i int64, lo, hi int64) int64 {
		if i < 0 {
			i += n
			if i < lo {
				i = lo
			}
		} else if i > hi {
			i = hi
		}
		return i
	}
	var out []int64
	if step > 0 {
		b, e := int64(0), n
		if hasStart {
			b = adj(start, 0, n)
		}
		if hasStop {
			e = adj(stop, 0, n)
		}
		for i := b; i < e; i += step {
			out = append(out, i)
		}
	} else {
		b, e := n-1, int64(-1)
		if hasStart {
			b = adj(start, -1, n-1)
		}
		if hasStop {
			e = adj(stop, -1, n-1)
		}
		for i := b; i > e; i += step {
			out = append(out, i)
		}
	}
	return out
}

// getAttr is jinja2's Environment.getattr: a Python attribute first, then
// an item, else Undefined.
func getAttr(obj any, name string) (any, error) {
	if u, ok := obj.(*undefinedValue); ok {
		return nil, u.err()
	}
	if v, ok := pyAttr(obj, name); ok {
		return v, nil
	}
	if v, ok, err := pyItem(obj, name); err != nil {
		return nil, err
	} else if ok {
		return v, nil
	}
	return undefAttr(obj, name), nil
}

// getItem is jinja2's Environment.getitem: obj[key] first, then the
// attribute named key, else Undefined.
func getItem(obj any, key any) (any, error) {
	if u, ok := obj.(*undefinedValue); ok {
		return nil, u.err()
	}
	v, ok, err := pyItem(obj, key)
	if err != nil {
		return nil, err
	}
	if ok {
		return v, nil
	}
	if s, isStr := key.(string); isStr {
		if v, ok := pyAttr(obj, s); ok {
			return v, nil
		}
	}
	return undefAttr(obj, key), nil
}

// pyItem is obj[key]; ok is false when Python would raise a LookupError or
// TypeError (jinja2 then falls back to the attribute).
func pyItem(obj any, key any) (any, bool, error) {
	switch o := obj.(type) {
	case *pyDict:
		v, ok := o.get(key)
		return v, ok, nil
	case *pyList:
		return seqIndex(o.items, key)
	case pyTuple:
		return seqIndex(o, key)
	case string:
		runes := []rune(o)
		i, ok := indexOf(key, int64(len(runes)))
		if !ok {
			return nil, false, nil
		}
		return string(runes[i]), true, nil
	case markup:
		return pyItem(string(o), key)
	case pyRange:
		i, ok := indexOf(key, o.length())
		if !ok {
			return nil, false, nil
		}
		return o.start + i*o.step, true, nil
	case *namespace:
		if s, ok := key.(string); ok {
			v, found := o.attrs.get(s)
			return v, found, nil
		}
	case *reMatch:
		v, err := o.groupArg(key)
		if err != nil {
			return nil, false, nil
		}
		return v, true, nil
	}
	return nil, false, nil
}

func indexOf(key any, n int64) (int64, bool) {
	var i int64
	switch k := key.(type) {
	case int64:
		i = k
	case bool:
		if k {
			i = 1
		}
	default:
		return 0, false
	}
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return 0, false
	}
	return i, true
}

func seqIndex(items []any, key any) (any, bool, error) {
	i, ok := indexOf(key, int64(len(items)))
	if !ok {
		return nil, false, nil
	}
	return items[i], true, nil
}

// pyAttr returns a Python attribute (data or bound method) of obj.
func pyAttr(obj any, name string) (any, bool) {
	switch o := obj.(type) {
	case string:
		return strMethod(o, name)
	case markup:
		return strMethod(string(o), name)
	case *pyDict:
		return dictMethod(o, name)
	case *pyList:
		return listMethod(o, name)
	case pyTuple:
		return tupleMethod(o, name)
	case int64, *big.Int, bool, float64:
		return numberAttr(o, name)
	case dictView:
		return nil, false
	case pyRange:
		switch name {
		case "start":
			return o.start, true
		case "stop":
			return o.stop, true
		case "step":
			return o.step, true
		}
	case attrGetter:
		return o.getattr(name)
	}
	return nil, false
}

func unaryNeg(v any) (any, error) {
	switch t := v.(type) {
	case bool, int64, *big.Int:
		b, _ := toBig(t)
		return normInt(new(big.Int).Neg(b)), nil
	case float64:
		return -t, nil
	case pyTimedelta:
		return pyTimedelta{us: -t.us}, nil
	case *apd.Decimal:
		return decNeg(t), nil
	case *undefinedValue:
		return nil, t.err()
	case interface{ neg() (any, error) }:
		return t.neg()
	}
	return nil, typeErrorf("bad operand type for unary -: '%s'", typeName(v))
}

func unaryPos(v any) (any, error) {
	switch t := v.(type) {
	case bool:
		if t {
			return int64(1), nil
		}
		return int64(0), nil
	case int64, *big.Int, float64, pyTimedelta:
		return t, nil
	case *apd.Decimal:
		return decPos(t), nil
	case *undefinedValue:
		return nil, t.err()
	}
	return nil, typeErrorf("bad operand type for unary +: '%s'", typeName(v))
}

// iterate returns the items of an iterable as Python's iter() sees them.
func iterate(r *rt, v any) ([]any, error) {
	switch t := v.(type) {
	case *undefinedValue:
		return nil, nil
	case *pyList:
		return append([]any(nil), t.items...), nil
	case pyTuple:
		return []any(t), nil
	case string:
		out := make([]any, 0, len(t))
		for _, c := range t {
			out = append(out, string(c))
		}
		return out, nil
	case markup:
		return iterate(r, string(t))
	case *pyDict:
		return append([]any(nil), t.keyList()...), nil
	case dictView:
		return t.list(), nil
	case pyRange:
		n := t.length()
		if r != nil {
			if r.e.MaxRange > 0 && n > int64(r.e.MaxRange) {
				return nil, &limitError{sentinel: ErrRangeTooLarge, detail: "range() of " + strconv.FormatInt(n, 10) + " items exceeds the limit of " + strconv.Itoa(r.e.MaxRange)}
			}
			if err := r.countIterations(n); err != nil {
				return nil, err
			}
		}
		out := make([]any, 0, n)
		for i := int64(0); i < n; i++ {
			out = append(out, t.start+i*t.step)
		}
		return out, nil
	case *namespace:
		return nil, typeErrorf("'Namespace' object is not iterable")
	case iterableObject:
		return t.items(), nil
	}
	return nil, typeErrorf("'%s' object is not iterable", typeName(v))
}

// iterableObject is implemented by runtime objects that can be iterated.
type iterableObject interface{ items() []any }
