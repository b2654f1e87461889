package render

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"os"
	"path"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
)

// ---- jinja2 globals ----

var globalFuncs map[string]any

func init() {
	globalFuncs = map[string]any{
		"range":     &builtinFunc{name: "range", typName: "type", repr: "<class 'range'>", fn: rangeFunc},
		"dict":      &builtinFunc{name: "dict", typName: "type", repr: "<class 'dict'>", fn: dictFunc},
		"namespace": &builtinFunc{name: "namespace", typName: "type", repr: "<class 'jinja2.utils.Namespace'>", fn: namespaceFunc},
		"cycler":    &builtinFunc{name: "cycler", typName: "type", repr: "<class 'jinja2.utils.Cycler'>", fn: cyclerFunc},
		"joiner":    &builtinFunc{name: "joiner", typName: "type", repr: "<class 'jinja2.utils.Joiner'>", fn: joinerFunc},
	}
}

func rangeFunc(r *rt, args []any, kw *kwargs) (any, error) {
	if kw.len() > 0 {
		return nil, typeErrorf("range() takes no keyword arguments")
	}
	if len(args) == 0 || len(args) > 3 {
		if len(args) == 0 {
			return nil, typeErrorf("range expected at least 1 argument, got 0")
		}
		return nil, typeErrorf("range expected at most 3 arguments, got %d", len(args))
	}
	var n [3]int64
	for i, a := range args {
		switch t := a.(type) {
		case int64:
			n[i] = t
		case bool:
			if t {
				n[i] = 1
			}
		case *undefinedValue:
			return nil, t.err()
		default:
			return nil, typeErrorf("'%s' object cannot be interpreted as an integer", typeName(a))
		}
	}
	switch len(args) {
	case 1:
		return pyRange{0, n[0], 1}, nil
	case 2:
		return pyRange{n[0], n[1], 1}, nil
	}
	if n[2] == 0 {
		return nil, valueErrorf("range() arg 3 must not be zero")
	}
	return pyRange{n[0], n[1], n[2]}, nil
}

func dictFunc(r *rt, args []any, kw *kwargs) (any, error) {
	d := newDict(kw.len())
	if len(args) > 1 {
		return nil, typeErrorf("dict expected at most 1 argument, got %d", len(args))
	}
	if len(args) == 1 {
		upd, _ := dictMethod(d, "update")
		if _, err := upd.(*builtinFunc).fn(r, args, nil); err != nil {
			return nil, err
		}
	}
	if kw != nil {
		for _, k := range kw.names {
			_ = d.set(k, kw.vals[k])
		}
	}
	return d, nil
}

// namespace is jinja2.utils.Namespace: attributes assignable with set.
type namespace struct{ attrs *pyDict }

func (n *namespace) getattr(name string) (any, bool) { return n.attrs.getStr(name) }

func namespaceFunc(r *rt, args []any, kw *kwargs) (any, error) {
	d, err := dictFunc(r, args, kw)
	if err != nil {
		return nil, err
	}
	return &namespace{attrs: d.(*pyDict)}, nil
}

type cycler struct {
	items []any
	pos   int
}

func (c *cycler) getattr(name string) (any, bool) {
	switch name {
	case "current":
		return c.items[c.pos], true
	case "next":
		return method("next", func(r *rt, args []any, kw *kwargs) (any, error) {
			v := c.items[c.pos]
			c.pos = (c.pos + 1) % len(c.items)
			return v, nil
		}), true
	case "reset":
		return method("reset", func(r *rt, args []any, kw *kwargs) (any, error) { c.pos = 0; return nil, nil }), true
	}
	return nil, false
}

func cyclerFunc(r *rt, args []any, kw *kwargs) (any, error) {
	if len(args) == 0 {
		return nil, typeErrorf("at least one item has to be provided")
	}
	return &cycler{items: args}, nil
}

type joiner struct {
	sep  string
	used bool
}

func (j *joiner) call(r *rt, args []any, kw *kwargs) (any, error) {
	if !j.used {
		j.used = true
		return "", nil
	}
	return j.sep, nil
}

func joinerFunc(r *rt, args []any, kw *kwargs) (any, error) {
	p, err := bindArgs("joiner", args, kw, []string{"sep"}, map[string]any{"sep": ", "})
	if err != nil {
		return nil, err
	}
	return &joiner{sep: pyStr(p["sep"])}, nil
}

// ---- lava's utils ----

func fillUtils(d *pyDict) {
	d.entries = make([]dictEntry, 0, 11)
	_ = d.set("timedelta", timedeltaClass)
	_ = d.set("datetime", datetimeClass)
	_ = d.set("date", dateClass)
	_ = d.set("time", timeClass)
	_ = d.set("dateutil", dateutilModule)
	_ = d.set("parsedate", parsedateModule)
	_ = d.set("s3bucket", &builtinFunc{name: "s3bucket", typName: "function", repr: "<function s3bucket>", fn: s3Func(0)})
	_ = d.set("s3key", &builtinFunc{name: "s3key", typName: "function", repr: "<function s3key>", fn: s3Func(1)})
	_ = d.set("uuid", &builtinFunc{name: "uuid4", typName: "function", repr: "<function uuid4>", fn: uuidFunc})
	_ = d.set("path", pathModule)
	_ = d.set("re", reModule)
}

// s3split is lava's s3_split (lava/lib/aws.py).
func s3split(s string) (string, string, error) {
	for _, p := range []string{"s3://", "s3:"} {
		if strings.HasPrefix(s, p) {
			s = s[len(p):]
			break
		}
	}
	t := strings.SplitN(strings.Trim(s, "/"), "/", 2)
	if t[0] == "" {
		return "", "", valueErrorf("Invalid S3 object name: %s", s)
	}
	if len(t) > 1 {
		return t[0], strings.Trim(t[1], "/"), nil
	}
	return t[0], "", nil
}

func s3Func(part int) func(r *rt, args []any, kw *kwargs) (any, error) {
	name := []string{"s3bucket", "s3key"}[part]
	return func(r *rt, args []any, kw *kwargs) (any, error) {
		p, err := bindArgs(name, args, kw, []string{"s"}, nil)
		if err != nil {
			return nil, err
		}
		s, ok := asString(p["s"])
		if !ok {
			if u, isU := p["s"].(*undefinedValue); isU {
				return nil, u.err()
			}
			return nil, newErr(classAttribute, fmt.Sprintf("'%s' object has no attribute 'startswith'", typeName(p["s"])))
		}
		b, k, err := s3split(s)
		if err != nil {
			return nil, err
		}
		if part == 0 {
			return b, nil
		}
		return k, nil
	}
}

// uuidValue is Python's uuid.UUID.
type uuidValue struct{ b [16]byte }

func (u *uuidValue) String() string {
	h := hex.EncodeToString(u.b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (u *uuidValue) getattr(name string) (any, bool) {
	switch name {
	case "hex":
		return hex.EncodeToString(u.b[:]), true
	case "urn":
		return "urn:uuid:" + u.String(), true
	case "version":
		return int64(u.b[6] >> 4), true
	case "variant":
		return "specified in RFC 4122", true
	case "int":
		return normInt(new(big.Int).SetBytes(u.b[:])), true
	}
	return nil, false
}

func uuidFunc(r *rt, args []any, kw *kwargs) (any, error) {
	if err := noArgs("uuid4", args, kw); err != nil {
		return nil, err
	}
	u := &uuidValue{}
	if _, err := rand.Read(u.b[:]); err != nil {
		return nil, err
	}
	u.b[6] = u.b[6]&0x0f | 0x40
	u.b[8] = u.b[8]&0x3f | 0x80
	return u, nil
}

// ---- datetime classes ----

func classFunc(name string, fn func(r *rt, args []any, kw *kwargs) (any, error), attrs map[string]any) *builtinFunc {
	return &builtinFunc{name: name, typName: "type", repr: "<class 'datetime." + name + "'>", fn: fn, attrs: attrs}
}

var timedeltaClass = classFunc("timedelta", func(r *rt, args []any, kw *kwargs) (any, error) {
	names := []string{"days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks"}
	defaults := map[string]any{}
	for _, n := range names {
		defaults[n] = int64(0)
	}
	p, err := bindArgs("timedelta", args, kw, names, defaults)
	if err != nil {
		return nil, err
	}
	scale := map[string]float64{"days": 86400e6, "seconds": 1e6, "microseconds": 1, "milliseconds": 1e3, "minutes": 60e6, "hours": 3600e6, "weeks": 7 * 86400e6}
	var totalInt int64
	var totalFloat float64
	for _, n := range names {
		switch t := p[n].(type) {
		case int64:
			totalInt += t * int64(scale[n])
		case bool:
			if t {
				totalInt += int64(scale[n])
			}
		case float64:
			totalFloat += t * scale[n]
		default:
			return nil, typeErrorf("unsupported type for timedelta %s component: %s", n, typeName(p[n]))
		}
	}
	us := totalInt + int64(math.RoundToEven(totalFloat))
	if d, _ := floorDivMod(us, usPerDay); d > 999999999 || d < -999999999 {
		return nil, newErr(classOverflow, fmt.Sprintf("days=%d; must have magnitude <= 999999999", d))
	}
	return pyTimedelta{us: us}, nil
}, nil)

func dtArgs(fname string, args []any, kw *kwargs) ([7]int, any, error) {
	names := []string{"year", "month", "day", "hour", "minute", "second", "microsecond", "tzinfo"}
	p, err := bindArgs(fname, args, kw, names, map[string]any{"hour": int64(0), "minute": int64(0), "second": int64(0), "microsecond": int64(0), "tzinfo": nil})
	if err != nil {
		return [7]int{}, nil, err
	}
	var f [7]int
	for i, n := range names[:7] {
		if f[i], err = intArg(p[n]); err != nil {
			return f, nil, err
		}
	}
	return f, p["tzinfo"], nil
}

func nowLocal() pyDateTime {
	t := time.Now()
	return pyDateTime{t: time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1000*1000, time.UTC), naive: true}
}

var datetimeClass = classFunc("datetime", func(r *rt, args []any, kw *kwargs) (any, error) {
	f, tz, err := dtArgs("function", args, kw)
	if err != nil {
		return nil, err
	}
	return makeDateTime(f, tz)
}, map[string]any{
	"now": method("now", func(r *rt, args []any, kw *kwargs) (any, error) {
		p, err := bindArgs("now", args, kw, []string{"tz"}, map[string]any{"tz": nil})
		if err != nil {
			return nil, err
		}
		switch z := p["tz"].(type) {
		case nil:
			return nowLocal(), nil
		case *tzInfo:
			return inZone(time.Now().Truncate(time.Microsecond), z), nil
		}
		return nil, typeErrorf("tzinfo argument must be None or of a tzinfo subclass, not type '%s'", typeName(p["tz"]))
	}),
	"utcnow": method("utcnow", func(r *rt, args []any, kw *kwargs) (any, error) {
		t := time.Now().UTC().Truncate(time.Microsecond)
		return pyDateTime{t: t, naive: true}, nil
	}),
	"today": method("today", func(r *rt, args []any, kw *kwargs) (any, error) { return nowLocal(), nil }),
	"strptime": method("strptime", func(r *rt, args []any, kw *kwargs) (any, error) {
		if err := argsCount("strptime", args, kw, 2, 2); err != nil {
			return nil, err
		}
		s, ok1 := asString(args[0])
		f, ok2 := asString(args[1])
		if !ok1 || !ok2 {
			return nil, typeErrorf("strptime() argument 1 must be str, not %s", typeName(args[0]))
		}
		return strptime(s, f)
	}),
	"fromisoformat": method("fromisoformat", func(r *rt, args []any, kw *kwargs) (any, error) {
		if err := argsCount("fromisoformat", args, kw, 1, 1); err != nil {
			return nil, err
		}
		s, ok := asString(args[0])
		if !ok {
			return nil, typeErrorf("fromisoformat: argument must be str")
		}
		d, ok := parseISO(s, false)
		if !ok {
			return nil, valueErrorf("Invalid isoformat string: %s", reprAny(s))
		}
		return d, nil
	}),
	"fromtimestamp": method("fromtimestamp", func(r *rt, args []any, kw *kwargs) (any, error) {
		p, err := bindArgs("fromtimestamp", args, kw, []string{"timestamp", "tz"}, map[string]any{"tz": nil})
		if err != nil {
			return nil, err
		}
		f, ok := toFloat(p["timestamp"])
		if !ok {
			return nil, typeErrorf("'%s' object cannot be interpreted as an integer", typeName(p["timestamp"]))
		}
		sec, frac := math.Modf(f)
		t := time.Unix(int64(sec), int64(math.RoundToEven(frac*1e6))*1000)
		if z, ok := p["tz"].(*tzInfo); ok {
			return inZone(t, z), nil
		}
		lt := t.Local()
		return pyDateTime{t: time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), time.UTC), naive: true}, nil
	}),
	"combine": method("combine", func(r *rt, args []any, kw *kwargs) (any, error) {
		p, err := bindArgs("combine", args, kw, []string{"date", "time", "tzinfo"}, map[string]any{"tzinfo": nil})
		if err != nil {
			return nil, err
		}
		d, ok1 := p["date"].(pyDate)
		tm, ok2 := p["time"].(pyTime)
		if !ok1 || !ok2 {
			return nil, typeErrorf("combine() argument 1 must be datetime.date, not %s", typeName(p["date"]))
		}
		return makeDateTime([7]int{d.t.Year(), int(d.t.Month()), d.t.Day(), tm.h, tm.m, tm.s, tm.us}, p["tzinfo"])
	}),
})

var dateClass = classFunc("date", func(r *rt, args []any, kw *kwargs) (any, error) {
	p, err := bindArgs("date", args, kw, []string{"year", "month", "day"}, nil)
	if err != nil {
		return nil, err
	}
	var f [3]int
	for i, n := range []string{"year", "month", "day"} {
		if f[i], err = intArg(p[n]); err != nil {
			return nil, err
		}
	}
	if err := checkDate(f[0], f[1], f[2]); err != nil {
		return nil, err
	}
	return pyDate{t: time.Date(f[0], time.Month(f[1]), f[2], 0, 0, 0, 0, time.UTC)}, nil
}, map[string]any{
	"today": method("today", func(r *rt, args []any, kw *kwargs) (any, error) {
		t := time.Now()
		return pyDate{t: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)}, nil
	}),
	"fromisoformat": method("fromisoformat", func(r *rt, args []any, kw *kwargs) (any, error) {
		if err := argsCount("fromisoformat", args, kw, 1, 1); err != nil {
			return nil, err
		}
		s, _ := asString(args[0])
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return nil, valueErrorf("Invalid isoformat string: %s", reprAny(args[0]))
		}
		return pyDate{t: t}, nil
	}),
})

var timeClass = classFunc("time", func(r *rt, args []any, kw *kwargs) (any, error) {
	names := []string{"hour", "minute", "second", "microsecond"}
	p, err := bindArgs("time", args, kw, append(names, "tzinfo", "fold"), map[string]any{"hour": int64(0), "minute": int64(0), "second": int64(0), "microsecond": int64(0), "tzinfo": nil, "fold": int64(0)})
	if err != nil {
		return nil, err
	}
	var tz *tzInfo
	switch z := p["tzinfo"].(type) {
	case nil:
	case *tzInfo:
		tz = z
	default:
		return nil, typeErrorf("tzinfo argument must be None or of a tzinfo subclass, not type '%s'", typeName(z))
	}
	var f [4]int
	for i, n := range names {
		if f[i], err = intArg(p[n]); err != nil {
			return nil, err
		}
	}
	limits := []int{23, 59, 59, 999999}
	for i, n := range names {
		if f[i] < 0 || f[i] > limits[i] {
			return nil, valueErrorf("%s must be in 0..%d", n, limits[i])
		}
	}
	return pyTime{h: f[0], m: f[1], s: f[2], us: f[3], tz: tz}, nil
}, nil)

// ---- os.path ----

var pathModule = &module{name: "posixpath", attrs: map[string]any{
	"sep": "/",
	"basename": pathFunc1("basename", func(p string) any {
		return p[strings.LastIndexByte(p, '/')+1:]
	}),
	"dirname": pathFunc1("dirname", func(p string) any {
		head := p[:strings.LastIndexByte(p, '/')+1]
		if head != "" && strings.Trim(head, "/") != "" {
			head = strings.TrimRight(head, "/")
		}
		return head
	}),
	"split": pathFunc1("split", func(p string) any {
		i := strings.LastIndexByte(p, '/') + 1
		head, tail := p[:i], p[i:]
		if head != "" && strings.Trim(head, "/") != "" {
			head = strings.TrimRight(head, "/")
		}
		return pyTuple{head, tail}
	}),
	"splitext": pathFunc1("splitext", func(p string) any {
		sep := strings.LastIndexByte(p, '/')
		dot := strings.LastIndexByte(p, '.')
		if dot > sep {
			// skip leading dots of the file name
			fi := sep + 1
			for fi < dot && p[fi] == '.' {
				fi++
			}
			if fi < dot {
				return pyTuple{p[:dot], p[dot:]}
			}
		}
		return pyTuple{p, ""}
	}),
	"isabs":    pathFunc1("isabs", func(p string) any { return strings.HasPrefix(p, "/") }),
	"normpath": pathFunc1("normpath", func(p string) any { return pyNormpath(p) }),
	"exists": pathFunc1("exists", func(p string) any {
		_, err := os.Stat(p)
		return err == nil
	}),
	"isfile": pathFunc1("isfile", func(p string) any {
		st, err := os.Stat(p)
		return err == nil && st.Mode().IsRegular()
	}),
	"isdir": pathFunc1("isdir", func(p string) any {
		st, err := os.Stat(p)
		return err == nil && st.IsDir()
	}),
	"join": &builtinFunc{name: "join", typName: "function", fn: func(r *rt, args []any, kw *kwargs) (any, error) {
		if len(args) == 0 {
			return nil, typeErrorf("join() missing 1 required positional argument: 'a'")
		}
		out := ""
		for i, a := range args {
			s, ok := asString(a)
			if !ok {
				return nil, typeErrorf("join() argument must be str, bytes, or os.PathLike object, not '%s'", typeName(a))
			}
			switch {
			case i == 0:
				out = s
			case strings.HasPrefix(s, "/"):
				out = s
			case out == "" || strings.HasSuffix(out, "/"):
				out += s
			default:
				out += "/" + s
			}
		}
		return out, nil
	}},
}}

func pyNormpath(p string) string {
	if p == "" {
		return "."
	}
	initial := 0
	if strings.HasPrefix(p, "/") {
		initial = 1
		if strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "///") {
			initial = 2
		}
	}
	c := path.Clean(p)
	if initial == 2 {
		c = "/" + c
	}
	return c
}

func pathFunc1(name string, fn func(string) any) *builtinFunc {
	return &builtinFunc{name: name, typName: "function", fn: func(r *rt, args []any, kw *kwargs) (any, error) {
		if len(args) != 1 || kw.len() > 0 {
			return nil, typeErrorf("%s() takes 1 positional argument but %d were given", name, len(args))
		}
		s, ok := asString(args[0])
		if !ok {
			if u, isU := args[0].(*undefinedValue); isU {
				return nil, u.err()
			}
			return nil, typeErrorf("expected str, bytes or os.PathLike object, not %s", typeName(args[0]))
		}
		return fn(s), nil
	}}
}

var dateutilModule = &module{name: "dateutil", attrs: map[string]any{}}

// relativedeltaModule is dateutil.relativedelta.
var relativedeltaModule = &module{name: "dateutil.relativedelta", attrs: map[string]any{
	"relativedelta": &builtinFunc{name: "relativedelta", typName: "type", repr: "<class 'dateutil.relativedelta.relativedelta'>", fn: relativedeltaNew},
}}

func init() {
	dateutilModule.attrs["parser"] = parsedateModule
	dateutilModule.attrs["relativedelta"] = relativedeltaModule
	dateutilModule.attrs["tz"] = tzModule
	dateutilModule.attrs["easter"] = easterModule
	for i, n := range rdWeekdayNames {
		relativedeltaModule.attrs[n] = &rdWeekday{day: i}
	}
}

var _ = apd.New
