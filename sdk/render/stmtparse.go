package render

import (
	"errors"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// ---- parse helpers ----

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return strings.Join(q, " or ")
}

// parseTargets is jinja2's parse_assign_target for a for loop, a set or a
// with: a name, ns.attr (withNamespace), or several of them as a tuple,
// with or without parentheses.
func parseTargets(p *tplParser, extraEnd []string, withNamespace bool) ([]target, error) {
	ts, isTuple := p.parseTargetTuple(extraEnd, withNamespace, false)
	if isTuple {
		for i := range ts {
			ts[i].multi = true
		}
	}
	return ts, nil
}

// parseTargetTuple parses comma-separated targets up to the end of a
// tuple; isTuple reports a comma.
func (p *tplParser) parseTargetTuple(extraEnd []string, withNamespace, explicit bool) (ts []target, isTuple bool) {
	for {
		if len(ts) > 0 {
			p.expect(tokens.Comma, ",")
		}
		if p.isTupleEnd(extraEnd) {
			break
		}
		inner, innerTuple := p.parseTargetPrimary(withNamespace)
		if innerTuple && len(inner) != 1 {
			isTuple = true
		}
		ts = append(ts, inner...)
		if p.cur().Type != tokens.Comma {
			break
		}
		isTuple = true
	}
	if !isTuple && len(ts) == 0 && !explicit {
		p.fail("Expected an expression, got '%s'", describeTok(p.cur()))
	}
	return ts, isTuple
}

// parseTargetPrimary parses one assignment target.
func (p *tplParser) parseTargetPrimary(withNamespace bool) ([]target, bool) {
	t := p.cur()
	switch {
	case t.Type == tokens.Name && !isName(t, "true", "false", "True", "False", "none", "None"):
		p.next()
		if withNamespace && p.cur().Type == tokens.Dot {
			p.next()
			return []target{{name: t.Val, attr: p.expectName().Val}}, false
		}
		return []target{{name: t.Val}}, false
	case t.Type == tokens.LeftParenthesis:
		p.next()
		ts, isTuple := p.parseTargetTuple(nil, false, true)
		p.expect(tokens.RightParenthesis, ")")
		return ts, isTuple || len(ts) == 0
	}
	n := p.parsePrimary()
	kind := "const"
	switch n.(type) {
	case *nodes.List:
		kind = "list"
	case *nodes.Dict:
		kind = "dict"
	case *nodes.Tuple:
		kind = "tuple"
	}
	p.fail("can't assign to '%s'", kind)
	return nil, false
}

type target struct {
	name, attr string
	multi      bool
}

// assign stores v into the targets, unpacking a sequence for several.
func assign(s scope, ctx *exec.Context, ts []target, v any) error {
	if len(ts) == 1 && !ts[0].multi {
		return assignOne(ctx, ts[0], v)
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
		if err := assignOne(ctx, t, items[i]); err != nil {
			return err
		}
	}
	return nil
}

func assignOne(ctx *exec.Context, t target, v any) error {
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
