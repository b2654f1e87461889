package render

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// dateutil.tz: tzutc, tzoffset, tzlocal, gettz (tzfile from the system's
// zone data) and UTC. Zones with rules (tzfile, tzlocal) do wall-clock
// arithmetic as Python's aware datetimes do.

var tzUTC = &tzInfo{kind: "tzutc"}

// dateutilRepr is the repr of a dateutil zone.
func (z *tzInfo) dateutilRepr() string {
	switch z.kind {
	case "tzutc":
		return "tzutc()"
	case "tzlocal":
		return "tzlocal()"
	case "tzfile":
		return "tzfile(" + reprAny(z.file) + ")"
	}
	name := "None"
	if z.label != "" {
		name = reprAny(z.label)
	}
	return fmt.Sprintf("tzoffset(%s, %d)", name, z.offset)
}

// tzName is datetime.tzname().
func (d pyDateTime) tzName() any {
	z := d.tz()
	switch {
	case z.kind == "tzutc":
		return "UTC"
	case z.kind == "tzoffset" && z.label == "":
		return nil
	case z.loc != nil:
		name, _ := d.t.Zone()
		return name
	}
	return z.name()
}

// inZone is t converted to zone z.
func inZone(t time.Time, z *tzInfo) pyDateTime {
	out := pyDateTime{t: t.In(z.location())}
	if z.kind != "" {
		out.zone = z
	}
	return out
}

// wallAdd adds d to t's wall-clock time and places the result in t's zone
// again (Python's aware datetime + timedelta).
func wallAdd(t time.Time, d time.Duration) time.Time {
	w := wallTime(t).Add(d)
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), t.Location())
}

// dateutilZone gives a parsed datetime dateutil's zone objects: tzutc()
// for UTC, tzoffset(None, seconds) otherwise. With utcName (the text named
// the zone Z, UTC or GMT) and a process zone that is UTC, dateutil's parser
// gives tzlocal().
func dateutilZone(d pyDateTime, utcName bool) pyDateTime {
	if d.naive || d.zone != nil {
		return d
	}
	_, off := d.t.Zone()
	if off == 0 && utcName && localIsUTC() {
		d.zone = &tzInfo{kind: "tzlocal", loc: time.Local}
		return d
	}
	if off == 0 {
		d.zone = tzUTC
	} else {
		d.zone = &tzInfo{kind: "tzoffset", offset: off}
	}
	return d
}

func tzClass(name string, fn func(r *rt, args []any, kw *kwargs) (any, error)) *builtinFunc {
	return &builtinFunc{name: name, typName: "type", repr: "<class 'dateutil.tz.tz." + name + "'>", fn: fn}
}

var tzModule = &module{name: "dateutil.tz", attrs: map[string]any{
	"UTC": tzUTC,
	"tzutc": tzClass("tzutc", func(r *rt, args []any, kw *kwargs) (any, error) {
		return tzUTC, argsCount("tzutc", args, kw, 0, 0)
	}),
	"tzlocal": tzClass("tzlocal", func(r *rt, args []any, kw *kwargs) (any, error) {
		return &tzInfo{kind: "tzlocal", loc: time.Local}, argsCount("tzlocal", args, kw, 0, 0)
	}),
	"tzoffset": tzClass("tzoffset", tzOffsetNew),
	"gettz":    &builtinFunc{name: "gettz", typName: "function", fn: gettz},
}}

func tzOffsetNew(r *rt, args []any, kw *kwargs) (any, error) {
	p, err := bindPyArgs("_TzOffsetFactory.__call__", args, kw, []string{"name", "offset"}, nil)
	if err != nil {
		return nil, err
	}
	z := &tzInfo{kind: "tzoffset"}
	if p["name"] != nil {
		s, ok := asString(p["name"])
		if !ok {
			return nil, typeErrorf("tzoffset name must be a string or None, not %s", typeName(p["name"]))
		}
		z.label = s
	}
	switch o := p["offset"].(type) {
	case pyTimedelta:
		z.offset = int(o.us / 1e6)
	default:
		f, ok := toFloat(o)
		if !ok {
			return nil, typeErrorf("unsupported type for timedelta seconds component: %s", typeName(o))
		}
		z.offset = int(f)
	}
	if z.offset <= -86400 || z.offset >= 86400 {
		return nil, valueErrorf("offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24).")
	}
	return z, nil
}

// gettz is dateutil.tz.gettz: a zone from the system's zone data (the IANA
// name, as in /usr/share/zoneinfo), the local zone without a name, or None.
func gettz(r *rt, args []any, kw *kwargs) (any, error) {
	p, err := bindArgs("gettz", args, kw, []string{"name"}, map[string]any{"name": nil})
	if err != nil {
		return nil, err
	}
	name, _ := asString(p["name"])
	if p["name"] != nil && !isString(p["name"]) {
		return nil, typeErrorf("expected str, bytes or os.PathLike object, not %s", typeName(p["name"]))
	}
	if name == "" {
		return &tzInfo{kind: "tzfile", loc: time.Local, file: "/etc/localtime"}, nil
	}
	if strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return nil, nil
	}
	return gettzCache.get(name), nil
}

// localIsUTC says whether the process zone's names are UTC (Python's
// time.tzname).
func localIsUTC() bool {
	y := time.Now().Year()
	for _, m := range []time.Month{time.January, time.July} {
		if name, _ := time.Date(y, m, 1, 0, 0, 0, 0, time.Local).Zone(); name != "UTC" {
			return false
		}
	}
	return true
}

// namesUTC says whether dateutil's parser names a zero offset UTC (it
// does unless the text says GMT).
func namesUTC(s string) bool {
	u := strings.ToUpper(strings.TrimSpace(s))
	return !strings.Contains(u, "GMT")
}

// dst is datetime.dst(): None for naive values and datetime.timezone,
// else the daylight saving amount of the zone at that time.
func (d pyDateTime) dst() any {
	z := d.tz()
	if z == nil || z.kind == "" {
		return nil
	}
	if z.loc == nil || !d.t.IsDST() {
		return pyTimedelta{}
	}
	_, off := d.t.Zone()
	std := off
	for _, m := range []time.Month{time.January, time.July} {
		t := time.Date(d.t.Year(), m, 1, 0, 0, 0, 0, z.loc)
		if !t.IsDST() {
			_, std = t.Zone()
		}
	}
	return pyTimedelta{us: int64(off-std) * 1e6}
}

// binop gives Python's rule for two datetimes sharing one zone with rules
// (a gettz zone): their difference is the wall-clock difference, as
// Python ignores utcoffset() when both operands have the same tzinfo.
func (d pyDateTime) binop(op string, other any, reflected bool) (any, bool, error) {
	o, ok := other.(pyDateTime)
	if op != "-" || !ok || d.zone == nil || d.zone.loc == nil || o.zone != d.zone {
		return nil, false, nil
	}
	a, b := d, o
	if reflected {
		a, b = o, d
	}
	return pyTimedelta{us: wallTime(a.t).Sub(wallTime(b.t)).Microseconds()}, true, nil
}

// wallTime is t's wall-clock reading as a UTC time.
func wallTime(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// gettzCache keeps one zone per name, as dateutil's gettz does, so two
// datetimes of the same zone share it (and subtract as wall clocks).
var gettzCache = &zoneCache{m: map[string]*tzInfo{}}

type zoneCache struct {
	sync.Mutex
	m map[string]*tzInfo
}

// get loads a zone by IANA name, or returns nil (None) when there is none.
func (c *zoneCache) get(name string) any {
	c.Lock()
	defer c.Unlock()
	if z, ok := c.m[name]; ok {
		if z == nil {
			return nil
		}
		return z
	}
	var z *tzInfo
	if loc, err := time.LoadLocation(name); err == nil && name != "Local" {
		z = &tzInfo{kind: "tzfile", loc: loc, file: "/usr/share/zoneinfo/" + name}
	}
	if len(c.m) < 1024 {
		c.m[name] = z
	}
	if z == nil {
		return nil
	}
	return z
}

// zoneNameFormat puts a dateutil zone's tzname() in place of %Z (None is
// empty, as Python prints it), since the zone's Go name cannot say None.
func (d pyDateTime) zoneNameFormat(f string) string {
	if d.zone == nil || !strings.Contains(f, "%Z") {
		return f
	}
	name, _ := d.tzName().(string)
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] == '%' && i+1 < len(f) {
			if f[i+1] == 'Z' {
				b.WriteString(strings.ReplaceAll(name, "%", "%%"))
			} else {
				b.WriteString(f[i : i+2])
			}
			i++
			continue
		}
		b.WriteByte(f[i])
	}
	return b.String()
}
