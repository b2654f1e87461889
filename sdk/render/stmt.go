package render

import (
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
)

// The statements are gonja control structures of ours, one per file
// (if.go, for.go, set.go, ...): parser.go builds them, gonja's renderer
// walks the document and calls them, and they evaluate every expression
// with Python semantics (eval.go). The set of tags is exactly jinja2's
// default one.

// stmt is implemented by every statement of ours.
type stmt interface {
	exec.ControlStructure
	walk(v *visitor, soft bool) error
}

// visitor walks expressions for the static checks and for finding the
// names a macro body uses.
type visitor struct {
	onName   func(name string)
	onFilter func(name string, soft bool) error
	onTest   func(name string, soft bool) error
	onBlock  func(name string) error
}

func (v *visitor) wrapper(w *nodes.Wrapper, soft bool) error {
	if w == nil {
		return nil
	}
	return v.nodeList(w.Nodes, soft)
}

func (v *visitor) nodeList(ns []nodes.Node, soft bool) error {
	for _, n := range ns {
		if b, ok := n.(*nodes.ControlStructureBlock); ok {
			if s, ok := b.ControlStructure.(stmt); ok {
				if err := s.walk(v, soft); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (v *visitor) exprs(soft bool, es ...nodes.Expression) error {
	for _, e := range es {
		if err := v.expr(e, soft); err != nil {
			return err
		}
	}
	return nil
}

func (v *visitor) args(soft bool, args []nodes.Expression, kw map[string]nodes.Expression) error {
	if err := v.exprs(soft, args...); err != nil {
		return err
	}
	for _, e := range kw {
		if err := v.expr(e, soft); err != nil {
			return err
		}
	}
	return nil
}

func (v *visitor) expr(e nodes.Expression, soft bool) error {
	switch t := e.(type) {
	case nil:
		return nil
	case *nodes.Name:
		if v.onName != nil {
			v.onName(t.Name.Val)
		}
	case *nodes.List:
		return v.exprs(soft, t.Val...)
	case *nodes.Tuple:
		return v.exprs(soft, t.Val...)
	case *nodes.Dict:
		for _, p := range t.Pairs {
			if err := v.exprs(soft, p.Key, p.Value); err != nil {
				return err
			}
		}
	case *nodes.GetAttribute:
		return v.expr(t.Node, soft)
	case *nodes.GetItem:
		return v.nodes(soft, t.Node, t.Arg)
	case *nodes.GetSlice:
		return v.nodes(soft, t.Node, t.Start, t.End, t.Step)
	case *nodes.Call:
		if err := v.nodes(soft, t.Func); err != nil {
			return err
		}
		return v.args(soft, t.Args, t.Kwargs)
	case *nodes.Negation:
		return v.expr(t.Term, soft)
	case *nodes.UnaryExpression:
		return v.expr(t.Term, soft)
	case *nodes.BinaryExpression:
		return v.exprs(soft, t.Left, t.Right)
	case *nodes.FilteredExpression:
		return v.filtered(t, soft)
	case *nodes.TestExpression:
		return v.test(t, soft)
	case *condExpr:
		return v.exprs(true, t.expr, t.cond, t.alt)
	case *compareExpr:
		if err := v.expr(t.first, soft); err != nil {
			return err
		}
		return v.exprs(soft, t.operands...)
	case *concatExpr:
		return v.exprs(soft, t.args...)
	case *sliceExpr:
		return v.exprs(soft, t.start, t.stop, t.step)
	}
	return nil
}

// nodes visits the expressions among ns (gonja types some fields as Node).
func (v *visitor) nodes(soft bool, ns ...nodes.Node) error {
	for _, n := range ns {
		if x, ok := n.(nodes.Expression); ok && n != nil {
			if err := v.expr(x, soft); err != nil {
				return err
			}
		}
	}
	return nil
}

func (v *visitor) filtered(t *nodes.FilteredExpression, soft bool) error {
	if err := v.expr(t.Expression, soft); err != nil {
		return err
	}
	for _, f := range t.Filters {
		if v.onFilter != nil {
			if err := v.onFilter(f.Name, soft); err != nil {
				return err
			}
		}
		if err := v.args(soft, f.Args, f.Kwargs); err != nil {
			return err
		}
	}
	return nil
}

func (v *visitor) test(t *nodes.TestExpression, soft bool) error {
	if err := v.expr(t.Expression, soft); err != nil {
		return err
	}
	if v.onTest != nil {
		if err := v.onTest(t.Test.Name, soft); err != nil {
			return err
		}
	}
	return v.args(soft, t.Test.Args, t.Test.Kwargs)
}
