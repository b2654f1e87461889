package render

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/lava-actions/lava-actions/sdk/value"
)

// The template runtime works on Python-like values:
//
//	nil                None
//	*undefinedValue    jinja2's Undefined
//	bool, int64, *big.Int (ints beyond int64), float64, string
//	markup             markupsafe.Markup (a string marked safe)
//	*apd.Decimal       decimal.Decimal (DynamoDB numbers)
//	pyDateTime, pyDate, pyTime, pyTimedelta, *tzInfo
//	*pyDict, *pyList, pyTuple, pyRange, dictView
//	callables (*macroValue, *builtinFunc), objects with attributes (attrGetter)

// undefinedValue is jinja2's default Undefined: it prints as "", is false, iterates
// as empty, and raises an UndefinedError when used in most other ways.
type undefinedValue struct {
	name   any // string or int64
	obj    any
	hasObj bool
	hint   string
}

func undefName(name string) *undefinedValue { return &undefinedValue{name: name} }

func undefAttr(obj any, name any) *undefinedValue {
	return &undefinedValue{name: name, obj: obj, hasObj: true}
}

func (u *undefinedValue) message() string {
	if u.hint != "" {
		return u.hint
	}
	if !u.hasObj {
		return reprAny(u.name) + " is undefined"
	}
	if s, ok := u.name.(string); ok {
		return value.QuoteString(objectTypeRepr(u.obj)) + " has no attribute " + value.QuoteString(s)
	}
	return objectTypeRepr(u.obj) + " has no element " + reprAny(u.name)
}

func (u *undefinedValue) err() error { return newErr(classUndefined, u.message()) }

// markup is markupsafe.Markup: a string that escaping leaves alone.
type markup string

// pyDict is an insertion-ordered Python dict. A dict made from the caller's
// *value.Map converts its entries on first use, so a render pays only for
// the parts of the context it reads.
type pyDict struct {
	entries []dictEntry
	index   map[any]int   // by hashed key, once the dict is not small
	src     *value.Map    // entries not yet converted
	fill    func(*pyDict) // entries not yet built
}

type dictEntry struct {
	key, h, val any
}

const smallDict = 8

func newDict(n int) *pyDict {
	return &pyDict{entries: make([]dictEntry, 0, n)}
}

func (d *pyDict) load() {
	if d.src != nil {
		m := d.src
		d.src = nil
		d.entries = make([]dictEntry, 0, m.Len())
		m.Range(func(k string, x any) bool {
			d.entries = append(d.entries, dictEntry{key: k, h: k, val: toRuntime(x)})
			return true
		})
		d.reindex()
	}
	if d.fill != nil {
		f := d.fill
		d.fill = nil
		f(d)
	}
}

func (d *pyDict) reindex() {
	if len(d.entries) <= smallDict {
		d.index = nil
		return
	}
	d.index = make(map[any]int, len(d.entries))
	for i, e := range d.entries {
		d.index[e.h] = i
	}
}

func (d *pyDict) find(h any) int {
	if d.index != nil {
		if i, ok := d.index[h]; ok {
			return i
		}
		return -1
	}
	for i := range d.entries {
		if d.entries[i].h == h {
			return i
		}
	}
	return -1
}

func (d *pyDict) keyList() []any {
	d.load()
	out := make([]any, len(d.entries))
	for i, e := range d.entries {
		out[i] = e.key
	}
	return out
}

// hashKey turns a value into a comparable Go key with Python's equality for
// the usual key types (1 == 1.0 == True).
func hashKey(k any) (any, error) {
	switch t := k.(type) {
	case nil, string, int64:
		return t, nil
	case markup:
		return string(t), nil
	case bool:
		if t {
			return int64(1), nil
		}
		return int64(0), nil
	case float64:
		if t == float64(int64(t)) {
			return int64(t), nil
		}
		return t, nil
	case *big.Int:
		return "\x00big:" + t.String(), nil
	case *apd.Decimal:
		if i, err := t.Int64(); err == nil {
			var c apd.Decimal
			c.SetInt64(i)
			if c.Cmp(t) == 0 {
				return i, nil
			}
		}
		return "\x00dec:" + t.Text('f'), nil
	case pyTuple:
		parts := make([]string, len(t))
		for i, e := range t {
			h, err := hashKey(e)
			if err != nil {
				return nil, err
			}
			parts[i] = fmt.Sprintf("%T:%v", h, h)
		}
		return "\x00tuple:" + strings.Join(parts, "\x01"), nil
	case pyDateTime, pyDate, pyTime, pyTimedelta:
		return t, nil
	}
	return nil, typeErrorf("unhashable type: %s", value.QuoteString(typeName(k)))
}

// Len returns the number of entries.
func (d *pyDict) Len() int {
	d.load()
	return len(d.entries)
}

func (d *pyDict) get(k any) (any, bool) {
	d.load()
	h, err := hashKey(k)
	if err != nil {
		return nil, false
	}
	if i := d.find(h); i >= 0 {
		return d.entries[i].val, true
	}
	return nil, false
}

func (d *pyDict) getStr(k string) (any, bool) {
	d.load()
	if i := d.find(k); i >= 0 {
		return d.entries[i].val, true
	}
	return nil, false
}

func (d *pyDict) set(k, v any) error {
	d.load()
	h, err := hashKey(k)
	if err != nil {
		return err
	}
	if i := d.find(h); i >= 0 {
		d.entries[i].val = v
		return nil
	}
	d.entries = append(d.entries, dictEntry{key: k, h: h, val: v})
	if d.index != nil {
		d.index[h] = len(d.entries) - 1
	} else if len(d.entries) > smallDict {
		d.reindex()
	}
	return nil
}

func (d *pyDict) del(k any) bool {
	d.load()
	h, err := hashKey(k)
	if err != nil {
		return false
	}
	i := d.find(h)
	if i < 0 {
		return false
	}
	d.entries = append(d.entries[:i], d.entries[i+1:]...)
	d.reindex()
	return true
}

func (d *pyDict) items() [][2]any {
	d.load()
	out := make([][2]any, len(d.entries))
	for i, e := range d.entries {
		out[i] = [2]any{e.key, e.val}
	}
	return out
}

func (d *pyDict) copy() *pyDict {
	d.load()
	c := &pyDict{entries: append([]dictEntry(nil), d.entries...)}
	c.reindex()
	return c
}

// pyList is a mutable Python list.
type pyList struct{ items []any }

// pyTuple is an immutable Python tuple.
type pyTuple []any

// pyRange is Python's range object.
type pyRange struct{ start, stop, step int64 }

func (r pyRange) length() int64 {
	if r.step > 0 && r.start < r.stop {
		return (r.stop - r.start + r.step - 1) / r.step
	}
	if r.step < 0 && r.start > r.stop {
		return (r.start - r.stop - r.step - 1) / (-r.step)
	}
	return 0
}

// dictView is dict.keys()/values()/items().
type dictView struct {
	d    *pyDict
	kind string // keys, values, items
}

func (v dictView) list() []any {
	out := make([]any, 0, v.d.Len())
	for _, kv := range v.d.items() {
		switch v.kind {
		case "keys":
			out = append(out, kv[0])
		case "values":
			out = append(out, kv[1])
		default:
			out = append(out, pyTuple{kv[0], kv[1]})
		}
	}
	return out
}

// attrGetter is implemented by objects with Python attributes.
type attrGetter interface {
	getattr(name string) (any, bool)
}

// callable is implemented by every value a template can call.
type callable interface {
	call(r *rt, args []any, kw *kwargs) (any, error)
}

// kwargs is an ordered keyword-argument list.
type kwargs struct {
	names []string
	vals  map[string]any
}

func (k *kwargs) len() int {
	if k == nil {
		return 0
	}
	return len(k.names)
}

func (k *kwargs) get(name string) (any, bool) {
	if k == nil {
		return nil, false
	}
	v, ok := k.vals[name]
	return v, ok
}

func (k *kwargs) add(name string, v any) {
	if k.vals == nil {
		k.vals = map[string]any{}
	}
	if _, ok := k.vals[name]; !ok {
		k.names = append(k.names, name)
	}
	k.vals[name] = v
}

// builtinFunc is a Go function callable from templates.
type builtinFunc struct {
	name    string
	typName string // object type repr, default builtin_function_or_method
	fn      func(r *rt, args []any, kw *kwargs) (any, error)
	attrs   map[string]any
	repr    string
}

func (b *builtinFunc) call(r *rt, args []any, kw *kwargs) (any, error) { return b.fn(r, args, kw) }

func (b *builtinFunc) getattr(name string) (any, bool) {
	v, ok := b.attrs[name]
	return v, ok
}

// module is a Python module object such as os.path or re.
type module struct {
	name  string
	attrs map[string]any
}

func (m *module) getattr(name string) (any, bool) {
	v, ok := m.attrs[name]
	return v, ok
}

// typeName returns Python's type(v).__name__.
func typeName(v any) string {
	switch t := v.(type) {
	case nil:
		return "NoneType"
	case *undefinedValue:
		return "Undefined"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case markup:
		return "Markup"
	case *apd.Decimal:
		return "decimal.Decimal"
	case pyDateTime:
		return "datetime.datetime"
	case pyDate:
		return "datetime.date"
	case pyTime:
		return "datetime.time"
	case pyTimedelta:
		return "datetime.timedelta"
	case *pyDict:
		return "dict"
	case *pyList:
		return "list"
	case pyTuple:
		return "tuple"
	case pyRange:
		return "range"
	case dictView:
		return "dict_" + t.kind
	case *macroValue:
		return "Macro"
	case *builtinFunc:
		if t.typName != "" {
			return t.typName
		}
		return "builtin_function_or_method"
	case *module:
		return "module"
	case *uuidValue:
		return "uuid.UUID"
	case *reMatch:
		return "re.Match"
	case *pyRegex:
		return "re.Pattern"
	case *tzInfo:
		if t.kind != "" {
			return t.kind
		}
		return "datetime.timezone"
	case *namespace:
		return "Namespace"
	case *loopCtx:
		return "LoopContext"
	}
	if o, ok := v.(pyObject); ok {
		return o.typeName()
	}
	return fmt.Sprintf("%T", v)
}

// objectTypeRepr is jinja2.utils.object_type_repr.
func objectTypeRepr(v any) string {
	switch t := v.(type) {
	case nil:
		return "None"
	case *apd.Decimal:
		return "decimal.Decimal object"
	case pyDateTime:
		return "datetime.datetime object"
	case pyDate:
		return "datetime.date object"
	case pyTime:
		return "datetime.time object"
	case pyTimedelta:
		return "datetime.timedelta object"
	case *tzInfo:
		if t.kind != "" {
			return "dateutil.tz.tz." + t.kind + " object"
		}
		return "datetime.timezone object"
	case *uuidValue:
		return "uuid.UUID object"
	case *reMatch:
		return "re.Match object"
	case *pyRegex:
		return "re.Pattern object"
	case markup:
		return "markupsafe.Markup object"
	case *macroValue:
		return "jinja2.runtime.Macro object"
	case *namespace:
		return "jinja2.utils.Namespace object"
	case *loopCtx:
		return "jinja2.runtime.LoopContext object"
	case *builtinFunc:
		if t.typName != "" {
			return t.typName + " object"
		}
	}
	if o, ok := v.(pyObject); ok {
		return o.qualName() + " object"
	}
	return typeName(v) + " object"
}

// truthy is Python's bool(v).
func truthy(v any) bool {
	switch t := v.(type) {
	case nil, *undefinedValue:
		return false
	case bool:
		return t
	case int64:
		return t != 0
	case *big.Int:
		return t.Sign() != 0
	case float64:
		return t != 0
	case string:
		return t != ""
	case markup:
		return t != ""
	case *apd.Decimal:
		return !t.IsZero()
	case pyTimedelta:
		return t.us != 0
	case *pyDict:
		return t.Len() > 0
	case *pyList:
		return len(t.items) > 0
	case pyTuple:
		return len(t) > 0
	case pyRange:
		return t.length() > 0
	case dictView:
		return t.d.Len() > 0
	case interface{ truth() bool }:
		return t.truth()
	}
	return true
}

// pyStr is Python's str(v).
func pyStr(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case markup:
		return string(t)
	case *undefinedValue:
		return ""
	case *apd.Decimal:
		return t.String()
	case pyDateTime:
		return t.str()
	case pyDate:
		return t.isoformat()
	case pyTime:
		return t.isoformat()
	case pyTimedelta:
		return t.str()
	case *tzInfo:
		if t.kind != "" {
			return t.repr()
		}
		return t.name()
	case *uuidValue:
		return t.String()
	case *macroValue:
		return t.str()
	}
	return reprAny(v)
}

// reprAny is Python's repr(v).
func reprAny(v any) string {
	var b strings.Builder
	writeRepr(&b, v, 0)
	return b.String()
}

// reprOpts prints through sdk/value's repr printer, with reprHook for the
// renderer's own types.
var reprOpts value.ReprOptions

func init() { reprOpts = value.ReprOptions{MaxDepth: 100, Hook: reprHook} }

// writeRepr writes Python's repr(v).
func writeRepr(b *strings.Builder, v any, depth int) { value.WriteRepr(b, v, reprOpts, depth) }

func writeSeq(b *strings.Builder, items []any, open, closing string, depth int) {
	value.WriteSeqRepr(b, items, open, closing, reprOpts, depth)
}

// reprHook is repr for the renderer's types (everything but the scalars
// and value-model containers sdk/value prints itself).
func reprHook(b *strings.Builder, v any, depth int) bool {
	switch t := v.(type) {
	case *undefinedValue:
		b.WriteString("Undefined")
	case markup:
		b.WriteString("Markup(" + value.QuoteString(string(t)) + ")")
	case *apd.Decimal:
		b.WriteString("Decimal(" + value.QuoteString(t.String()) + ")")
	case pyDateTime:
		b.WriteString(t.repr())
	case pyDate:
		b.WriteString(t.repr())
	case pyTime:
		b.WriteString(t.repr())
	case pyTimedelta:
		b.WriteString(t.repr())
	case *tzInfo:
		b.WriteString(t.repr())
	case *uuidValue:
		b.WriteString("UUID('" + t.String() + "')")
	case *pyDict:
		b.WriteByte('{')
		for i, kv := range t.items() {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, kv[0], depth+1)
			b.WriteString(": ")
			writeRepr(b, kv[1], depth+1)
		}
		b.WriteByte('}')
	case *pyList:
		writeSeq(b, t.items, "[", "]", depth)
	case pyTuple:
		if c := namedClass(t); c != nil {
			writeNamedTuple(b, t, c, depth)
			return true
		}
		if len(t) == 1 {
			b.WriteByte('(')
			writeRepr(b, t[0], depth+1)
			b.WriteString(",)")
			return true
		}
		writeSeq(b, t, "(", ")", depth)
	case pyRange:
		if t.step == 1 {
			fmt.Fprintf(b, "range(%d, %d)", t.start, t.stop)
		} else {
			fmt.Fprintf(b, "range(%d, %d, %d)", t.start, t.stop, t.step)
		}
	case dictView:
		b.WriteString("dict_" + t.kind + "(")
		writeSeq(b, t.list(), "[", "]", depth)
		b.WriteString(")")
	case *macroValue:
		b.WriteString(t.str())
	case *namespace:
		b.WriteString("<Namespace ")
		writeRepr(b, t.attrs, depth+1)
		b.WriteString(">")
	case *pyRegex:
		b.WriteString(t.repr())
	case *reMatch:
		fmt.Fprintf(b, "<re.Match object; span=(%d, %d), match=%s>", t.span(0)[0], t.span(0)[1], value.QuoteString(t.group(0).(string)))
	case *builtinFunc:
		if t.repr != "" {
			b.WriteString(t.repr)
		} else {
			b.WriteString("<built-in function " + t.name + ">")
		}
	case *module:
		b.WriteString("<module '" + t.name + "'>")
	case *loopCtx:
		fmt.Fprintf(b, "<LoopContext %d/%d>", t.index0+1, t.length)
	case pyObject:
		b.WriteString(t.repr())
	default:
		fmt.Fprintf(b, "<%s object>", typeName(v))
	}
	return true
}

// normInt returns an int64 when i fits, else i.
func normInt(i *big.Int) any {
	if i.IsInt64() {
		return i.Int64()
	}
	return i
}

func toBig(v any) (*big.Int, bool) {
	switch t := v.(type) {
	case int64:
		return big.NewInt(t), true
	case *big.Int:
		return t, true
	case bool:
		if t {
			return big.NewInt(1), true
		}
		return big.NewInt(0), true
	}
	return nil, false
}

func isInt(v any) bool {
	switch v.(type) {
	case int64, *big.Int, bool:
		return true
	}
	return false
}

func isString(v any) bool {
	switch v.(type) {
	case string, markup:
		return true
	}
	return false
}

func asString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case markup:
		return string(t), true
	}
	return "", false
}
