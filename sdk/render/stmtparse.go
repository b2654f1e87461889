package render

import (
	"errors"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Assignment targets, shared by for, set and with.

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return strings.Join(q, " or ")
}

// parseTargets is jinja2's parse_assign_target for a for loop, a set or a
// with: the target is parsed as jinja2 parses it (names and literals, a
// tuple of them, any expression in parentheses; ns.attr when
// withNamespace) and then refused unless it can be assigned, with
// jinja2's "can't assign to '<node>'".
func parseTargets(p *tplParser, extraEnd []string, withNamespace bool) ([]target, error) {
	node := p.parseTargetTuple(extraEnd, withNamespace)
	if tup, ok := node.(*nodes.Tuple); ok {
		ts, ok := tupleTargets(tup)
		if !ok {
			p.fail("can't assign to 'tuple'")
		}
		return ts, nil
	}
	t, ok := nodeTarget(node)
	if !ok {
		p.fail("can't assign to '%s'", nodeKind(node))
	}
	return []target{t}, nil
}

// nsRef is a namespace attribute as an assignment target (ns.attr).
type nsRef struct {
	loc        *tokens.Token
	name, attr string
}

// Position returns the name's token.
func (n *nsRef) Position() *tokens.Token { return n.loc }
func (n *nsRef) String() string          { return n.name + "." + n.attr }

// parseTargetTuple is parse_tuple(simplified=True): primaries only.
func (p *tplParser) parseTargetTuple(extraEnd []string, withNamespace bool) nodes.Expression {
	loc := p.cur()
	var args []nodes.Expression
	isTuple := false
	for {
		if len(args) > 0 {
			p.expect(tokens.Comma, ",")
		}
		if p.isTupleEnd(extraEnd) {
			break
		}
		t := p.cur()
		if withNamespace && t.Type == tokens.Name && p.look().Type == tokens.Dot &&
			!isName(t, "true", "false", "True", "False", "none", "None") {
			p.next()
			p.next()
			args = append(args, &nsRef{loc: t, name: t.Val, attr: p.expectName().Val})
		} else {
			args = append(args, p.parsePrimary())
		}
		if p.cur().Type != tokens.Comma {
			break
		}
		isTuple = true
	}
	if !isTuple {
		if len(args) > 0 {
			return args[0]
		}
		p.fail("Expected an expression, got '%s'", describeTok(p.cur()))
	}
	return &nodes.Tuple{Location: loc, Val: args}
}

// nodeTarget converts an assignable node to a target.
func nodeTarget(n nodes.Expression) (target, bool) {
	switch t := n.(type) {
	case *nodes.Name:
		return target{name: t.Name.Val}, true
	case *nsRef:
		return target{name: t.name, attr: t.attr}, true
	case *nodes.Tuple:
		sub, ok := tupleTargets(t)
		return target{sub: sub}, ok
	}
	return target{}, false
}

// tupleTargets converts the items of a tuple target (all assignable).
func tupleTargets(tup *nodes.Tuple) ([]target, bool) {
	ts := make([]target, 0, len(tup.Val))
	for _, e := range tup.Val {
		t, ok := nodeTarget(e)
		if !ok {
			return nil, false
		}
		t.multi = true
		ts = append(ts, t)
	}
	return ts, true
}

// nodeKind is the lower-cased jinja2 node class name of n, as in "can't
// assign to 'getattr'".
func nodeKind(n nodes.Expression) string {
	switch t := n.(type) {
	case *nodes.List:
		return "list"
	case *nodes.Dict:
		return "dict"
	case *nodes.Tuple:
		return "tuple"
	case *nodes.GetAttribute:
		return "getattr"
	case *nodes.GetItem, *nodes.GetSlice:
		return "getitem"
	case *nodes.Call:
		return "call"
	case *nodes.FilteredExpression:
		return "filter"
	case *nodes.TestExpression:
		return "test"
	case *nodes.Negation:
		return "not"
	case *nodes.UnaryExpression:
		if t.Negative {
			return "neg"
		}
		return "pos"
	case *nodes.BinaryExpression:
		return map[tokens.Type]string{tokens.Addition: "add", tokens.Subtraction: "sub", tokens.Multiply: "mul",
			tokens.Division: "div", tokens.FloorDivision: "floordiv", tokens.Modulo: "mod", tokens.Power: "pow",
			tokens.And: "and", tokens.Or: "or"}[t.Operator.Token.Type]
	case *compareExpr:
		return "compare"
	case *concatExpr:
		return "concat"
	case *condExpr:
		return "condexpr"
	}
	return "const"
}

// parseNameTarget is parse_assign_target(name_only=True): a macro name or
// parameter.
func (p *tplParser) parseNameTarget() string {
	t := p.expectName()
	if isName(t, "true", "false", "True", "False", "none", "None") {
		panic(&Error{Class: classSyntax, Msg: "can't assign to 'name'", Line: t.Line})
	}
	return t.Val
}

// target is one assignment target: a name, ns.attr, or a nested tuple of
// targets (sub); multi marks the items of a tuple target.
type target struct {
	name, attr string
	sub        []target
	multi      bool
}

// assign stores v into the targets, unpacking a sequence for several.
func assign(s scope, ctx *exec.Context, ts []target, v any) error {
	if len(ts) == 1 && !ts[0].multi {
		return assignOne(s, ctx, ts[0], v)
	}
	items, err := iterate(s.r, v)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Class == classType && strings.HasSuffix(e.Msg, "is not iterable") {
			return typeErrorf("cannot unpack non-iterable %s object", typeName(v))
		}
		return err
	}
	if len(items) < len(ts) {
		return valueErrorf("not enough values to unpack (expected %d, got %d)", len(ts), len(items))
	}
	if len(items) > len(ts) {
		return valueErrorf("too many values to unpack (expected %d)", len(ts))
	}
	for i, t := range ts {
		if err := assignOne(s, ctx, t, items[i]); err != nil {
			return err
		}
	}
	return nil
}

func assignOne(s scope, ctx *exec.Context, t target, v any) error {
	if t.sub != nil {
		return assign(s, ctx, t.sub, v)
	}
	if t.attr == "" {
		ctx.Set(t.name, v)
		return nil
	}
	obj, ok := ctx.Get(t.name)
	ns, isNS := obj.(*namespace)
	if !ok || !isNS {
		return newErr(classRuntime, "cannot assign attribute on non-namespace object")
	}
	return ns.attrs.set(t.attr, v)
}
