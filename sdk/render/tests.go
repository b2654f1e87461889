package render

import (
	"fmt"
	"math/big"
	"strings"
	"unicode"

	"github.com/cockroachdb/apd/v3"
	"github.com/nikolalohinski/gonja/v2/nodes"
)

// testFunc is a jinja2 test with Python semantics.
type testFunc func(r *rt, v any, args []any, kw *kwargs) (bool, error)

var tests map[string]testFunc

func init() {
	cmpTest := func(op string) testFunc {
		return func(r *rt, v any, args []any, kw *kwargs) (bool, error) {
			if len(args) != 1 {
				return false, typeErrorf("test takes exactly one argument")
			}
			switch op {
			case "==":
				return pyEqual(v, args[0]), nil
			case "!=":
				return !pyEqual(v, args[0]), nil
			}
			res, err := compare(op, v, args[0])
			if err != nil {
				return false, err
			}
			return res.(bool), nil
		}
	}
	tests = map[string]testFunc{
		"boolean":  func(r *rt, v any, a []any, k *kwargs) (bool, error) { _, ok := v.(bool); return ok, nil },
		"callable": func(r *rt, v any, a []any, k *kwargs) (bool, error) { _, ok := v.(callable); return ok, nil },
		"defined":  func(r *rt, v any, a []any, k *kwargs) (bool, error) { _, ok := v.(*undefinedValue); return !ok, nil },
		"undefined": func(r *rt, v any, a []any, k *kwargs) (bool, error) {
			_, ok := v.(*undefinedValue)
			return ok, nil
		},
		"divisibleby": func(r *rt, v any, a []any, k *kwargs) (bool, error) {
			if len(a) != 1 {
				return false, typeErrorf("test_divisibleby() missing 1 required positional argument: 'num'")
			}
			m, err := binOp("%", v, a[0])
			if err != nil {
				return false, err
			}
			return pyEqual(m, int64(0)), nil
		},
		"eq": cmpTest("=="), "equalto": cmpTest("=="), "==": cmpTest("=="),
		"ne": cmpTest("!="), "!=": cmpTest("!="),
		"lt": cmpTest("<"), "lessthan": cmpTest("<"), "<": cmpTest("<"),
		"le": cmpTest("<="), "<=": cmpTest("<="),
		"gt": cmpTest(">"), "greaterthan": cmpTest(">"), ">": cmpTest(">"),
		"ge": cmpTest(">="), ">=": cmpTest(">="),
		"escaped": func(r *rt, v any, a []any, k *kwargs) (bool, error) { _, ok := v.(markup); return ok, nil },
		"even": func(r *rt, v any, a []any, k *kwargs) (bool, error) {
			m, err := binOp("%", v, int64(2))
			if err != nil {
				return false, err
			}
			return pyEqual(m, int64(0)), nil
		},
		"odd": func(r *rt, v any, a []any, k *kwargs) (bool, error) {
			m, err := binOp("%", v, int64(2))
			if err != nil {
				return false, err
			}
			return pyEqual(m, int64(1)), nil
		},
		"false": func(r *rt, v any, a []any, k *kwargs) (bool, error) { b, ok := v.(bool); return ok && !b, nil },
		"true":  func(r *rt, v any, a []any, k *kwargs) (bool, error) { b, ok := v.(bool); return ok && b, nil },
		"filter": func(r *rt, v any, a []any, k *kwargs) (bool, error) {
			s, ok := v.(string)
			_, found := filters[s]
			return ok && found, nil
		},
		"test": func(r *rt, v any, a []any, k *kwargs) (bool, error) {
			s, ok := v.(string)
			_, found := tests[s]
			return ok && found, nil
		},
		"float": func(r *rt, v any, a []any, k *kwargs) (bool, error) { _, ok := v.(float64); return ok, nil },
		"integer": func(r *rt, v any, a []any, k *kwargs) (bool, error) {
			switch v.(type) {
			case int64, *big.Int:
				return true, nil
			}
			return false, nil
		},
		"number": func(r *rt, v any, a []any, k *kwargs) (bool, error) { return isNumber(v), nil },
		"in": func(r *rt, v any, a []any, k *kwargs) (bool, error) {
			if len(a) != 1 {
				return false, typeErrorf("test_in() missing 1 required positional argument: 'seq'")
			}
			return contains(r, a[0], v)
		},
		"iterable": func(r *rt, v any, a []any, k *kwargs) (bool, error) {
			switch v.(type) {
			case string, markup, *pyList, pyTuple, *pyDict, dictView, pyRange, *undefinedValue, iterableObject:
				return true, nil
			}
			return false, nil
		},
		"lower": func(r *rt, v any, a []any, k *kwargs) (bool, error) {
			s := pyStr(v)
			return strings.IndexFunc(s, unicode.IsLower) >= 0 && strings.IndexFunc(s, unicode.IsUpper) < 0, nil
		},
		"upper": func(r *rt, v any, a []any, k *kwargs) (bool, error) {
			s := pyStr(v)
			return strings.IndexFunc(s, unicode.IsUpper) >= 0 && strings.IndexFunc(s, unicode.IsLower) < 0, nil
		},
		"mapping": func(r *rt, v any, a []any, k *kwargs) (bool, error) { _, ok := v.(*pyDict); return ok, nil },
		"none":    func(r *rt, v any, a []any, k *kwargs) (bool, error) { return v == nil, nil },
		"sameas": func(r *rt, v any, a []any, k *kwargs) (bool, error) {
			if len(a) != 1 {
				return false, typeErrorf("test_sameas() missing 1 required positional argument: 'other'")
			}
			return sameAs(v, a[0]), nil
		},
		"sequence": func(r *rt, v any, a []any, k *kwargs) (bool, error) {
			switch v.(type) {
			case string, markup, *pyList, pyTuple, *pyDict, pyRange:
				return true, nil
			}
			return false, nil
		},
		"string": func(r *rt, v any, a []any, k *kwargs) (bool, error) { return isString(v), nil },
	}
}

func sameAs(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y && x >= -5 && x <= 256
	case *pyDict, *pyList:
		return a == b
	case *apd.Decimal, *tzInfo, *module, *builtinFunc, *pyRegex, *rdWeekday:
		return a == b
	case string:
		y, ok := b.(string)
		return ok && x == y && len(x) <= 1
	}
	return false
}

func (s scope) applyTest(name string, v any, argNodes []nodes.Expression, kwNodes map[string]nodes.Expression) (bool, error) {
	t, ok := tests[name]
	if !ok {
		return false, newErr(classRuntime, fmt.Sprintf("No test named '%s' found.", name))
	}
	args, kw, err := s.evalArgs(argNodes, kwNodes)
	if err != nil {
		return false, err
	}
	return t(s.r, v, args, kw)
}
