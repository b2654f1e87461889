package render

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/lava-actions/lava-actions/sdk/value"
)

// pyDateTime is Python's datetime.datetime: aware (a fixed UTC offset, as
// Python's datetime.timezone) or naive.
type pyDateTime struct {
	t     time.Time // naive values are kept in time.UTC
	naive bool
	zone  *tzInfo // a dateutil zone (tzutc, tzoffset, tzfile, tzlocal), or nil
}

// pyDate is Python's datetime.date.
type pyDate struct{ t time.Time } // midnight UTC

// pyTime is Python's datetime.time (naive).
type pyTime struct {
	h, m, s, us int
	tz          *tzInfo
}

// pyTimedelta is Python's datetime.timedelta, in microseconds.
type pyTimedelta struct{ us int64 }

// tzInfo is Python's datetime.timezone (a fixed offset, optionally
// named) or, when kind is set, one of dateutil.tz's zones.
type tzInfo struct {
	offset int // seconds east of UTC
	label  string
	kind   string         // "" (datetime.timezone), tzutc, tzoffset, tzlocal or tzfile
	loc    *time.Location // tzlocal, tzfile: the zone's rules
	file   string         // tzfile: the file name shown by repr
}

const usPerDay = int64(86400e6)

// fromValueDateTime converts the shared value model's datetime. The zone is
// frozen to a fixed offset, as Python's datetime.timezone is.
func fromValueDateTime(d value.DateTime) pyDateTime {
	return newAware(d.Time)
}

func newAware(t time.Time) pyDateTime {
	name, off := t.Zone()
	if off == 0 {
		return pyDateTime{t: t.In(time.UTC)}
	}
	if name != "" && (strings.HasPrefix(name, "+") || strings.HasPrefix(name, "-")) {
		name = ""
	}
	return pyDateTime{t: t.In(time.FixedZone(name, off))}
}

func (d pyDateTime) tz() *tzInfo {
	if d.naive {
		return nil
	}
	if d.zone != nil {
		return d.zone
	}
	name, off := d.t.Zone()
	if off == 0 {
		return &tzInfo{}
	}
	return &tzInfo{offset: off, label: name}
}

func (z *tzInfo) location() *time.Location {
	if z.loc != nil {
		return z.loc
	}
	if z.offset == 0 {
		return time.UTC
	}
	return time.FixedZone(z.label, z.offset)
}

func (z *tzInfo) name() string {
	if z.label != "" {
		return z.label
	}
	if z.offset == 0 {
		return "UTC"
	}
	return "UTC" + formatOffset(z.offset, ":")
}

func (z *tzInfo) repr() string {
	if z.kind != "" {
		return z.dateutilRepr()
	}
	if z.offset == 0 && z.label == "" {
		return "datetime.timezone.utc"
	}
	s := "datetime.timezone(" + pyTimedelta{us: int64(z.offset) * 1e6}.repr()
	if z.label != "" {
		s += ", " + value.QuoteString(z.label)
	}
	return s + ")"
}

func (z *tzInfo) getattr(name string) (any, bool) {
	switch name {
	case "utcoffset":
		return method("utcoffset", func(r *rt, args []any, kw *kwargs) (any, error) {
			return pyTimedelta{us: int64(z.offset) * 1e6}, nil
		}), true
	case "tzname":
		return method("tzname", func(r *rt, args []any, kw *kwargs) (any, error) { return z.name(), nil }), true
	}
	return nil, false
}

func formatOffset(off int, sep string) string {
	sign := "+"
	if off < 0 {
		sign = "-"
		off = -off
	}
	s := fmt.Sprintf("%s%02d%s%02d", sign, off/3600, sep, off/60%60)
	if off%60 != 0 {
		s += fmt.Sprintf("%s%02d", sep, off%60)
	}
	return s
}

func (d pyDateTime) format(sep string) string {
	s := fmt.Sprintf("%04d-%02d-%02d%s%02d:%02d:%02d", d.t.Year(), d.t.Month(), d.t.Day(), sep, d.t.Hour(), d.t.Minute(), d.t.Second())
	if us := d.t.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	if !d.naive {
		_, off := d.t.Zone()
		s += formatOffset(off, ":")
	}
	return s
}

func (d pyDateTime) str() string { return d.format(" ") }

func (d pyDateTime) isoformatSpec(sep, spec string) (string, error) {
	t := d.t
	us := t.Nanosecond() / 1000
	var s string
	date := fmt.Sprintf("%04d-%02d-%02d%s", t.Year(), t.Month(), t.Day(), sep)
	switch spec {
	case "auto":
		return d.format(sep), nil
	case "hours":
		s = fmt.Sprintf("%02d", t.Hour())
	case "minutes":
		s = fmt.Sprintf("%02d:%02d", t.Hour(), t.Minute())
	case "seconds":
		s = fmt.Sprintf("%02d:%02d:%02d", t.Hour(), t.Minute(), t.Second())
	case "milliseconds":
		s = fmt.Sprintf("%02d:%02d:%02d.%03d", t.Hour(), t.Minute(), t.Second(), us/1000)
	case "microseconds":
		s = fmt.Sprintf("%02d:%02d:%02d.%06d", t.Hour(), t.Minute(), t.Second(), us)
	default:
		return "", valueErrorf("Unknown timespec value")
	}
	if !d.naive {
		_, off := t.Zone()
		s += formatOffset(off, ":")
	}
	return date + s, nil
}

func (d pyDateTime) repr() string {
	t := d.t
	args := fmt.Sprintf("%d, %d, %d, %d, %d", t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute())
	us := t.Nanosecond() / 1000
	if t.Second() != 0 || us != 0 {
		args += fmt.Sprintf(", %d", t.Second())
	}
	if us != 0 {
		args += fmt.Sprintf(", %d", us)
	}
	if !d.naive {
		args += ", tzinfo=" + d.tz().repr()
	}
	return "datetime.datetime(" + args + ")"
}

func (d pyDate) isoformat() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.t.Year(), d.t.Month(), d.t.Day())
}

func (d pyDate) repr() string {
	return fmt.Sprintf("datetime.date(%d, %d, %d)", d.t.Year(), d.t.Month(), d.t.Day())
}

func (t pyTime) isoformat() string {
	s := fmt.Sprintf("%02d:%02d:%02d", t.h, t.m, t.s)
	if t.us != 0 {
		s += fmt.Sprintf(".%06d", t.us)
	}
	if t.tz != nil {
		s += formatOffset(t.tz.offset, ":")
	}
	return s
}

func (t pyTime) repr() string {
	args := fmt.Sprintf("%d, %d", t.h, t.m)
	if t.s != 0 || t.us != 0 {
		args += fmt.Sprintf(", %d", t.s)
	}
	if t.us != 0 {
		args += fmt.Sprintf(", %d", t.us)
	}
	if t.tz != nil {
		args += ", tzinfo=" + t.tz.repr()
	}
	return "datetime.time(" + args + ")"
}

func floorDivMod(a, b int64) (int64, int64) {
	q, r := a/b, a%b
	if r != 0 && (r < 0) != (b < 0) {
		q--
		r += b
	}
	return q, r
}

func (td pyTimedelta) parts() (days, secs, us int64) {
	days, rem := floorDivMod(td.us, usPerDay)
	return days, rem / 1e6, rem % 1e6
}

func (td pyTimedelta) str() string {
	days, secs, us := td.parts()
	s := fmt.Sprintf("%d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	if days != 0 {
		plural := "s"
		if days == 1 || days == -1 {
			plural = ""
		}
		s = fmt.Sprintf("%d day%s, ", days, plural) + s
	}
	if us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return s
}

func (td pyTimedelta) repr() string {
	days, secs, us := td.parts()
	var parts []string
	if days != 0 {
		parts = append(parts, fmt.Sprintf("days=%d", days))
	}
	if secs != 0 {
		parts = append(parts, fmt.Sprintf("seconds=%d", secs))
	}
	if us != 0 {
		parts = append(parts, fmt.Sprintf("microseconds=%d", us))
	}
	if len(parts) == 0 {
		return "datetime.timedelta(0)"
	}
	return "datetime.timedelta(" + strings.Join(parts, ", ") + ")"
}

func (td pyTimedelta) getattr(name string) (any, bool) {
	days, secs, us := td.parts()
	switch name {
	case "days":
		return days, true
	case "seconds":
		return secs, true
	case "microseconds":
		return us, true
	case "total_seconds":
		return method("total_seconds", func(r *rt, args []any, kw *kwargs) (any, error) {
			if err := noArgs("total_seconds", args, kw); err != nil {
				return nil, err
			}
			return float64(td.us) / 1e6, nil
		}), true
	}
	return classAttr(timedeltaClass, name)
}

// ---- datetime attributes and methods ----

func (d pyDateTime) getattr(name string) (any, bool) {
	t := d.t
	switch name {
	case "year":
		return int64(t.Year()), true
	case "month":
		return int64(t.Month()), true
	case "day":
		return int64(t.Day()), true
	case "hour":
		return int64(t.Hour()), true
	case "minute":
		return int64(t.Minute()), true
	case "second":
		return int64(t.Second()), true
	case "microsecond":
		return int64(t.Nanosecond() / 1000), true
	case "tzinfo":
		if d.naive {
			return nil, true
		}
		return d.tz(), true
	case "fold":
		return int64(0), true
	}
	return d.method(name)
}

// method gives datetime's formatting and conversion methods.
func (d pyDateTime) method(name string) (any, bool) {
	t := d.t
	switch name {
	case "strftime":
		return method("strftime", func(r *rt, args []any, kw *kwargs) (any, error) {
			f, err := oneStringArg("strftime", "format", args, kw)
			if err != nil {
				return nil, err
			}
			return strftime(d.zoneNameFormat(f), d.t, !d.naive), nil
		}), true
	case "isoformat":
		return method("isoformat", func(r *rt, args []any, kw *kwargs) (any, error) {
			p, err := bindArgs("isoformat", args, kw, []string{"sep", "timespec"}, map[string]any{"sep": "T", "timespec": "auto"})
			if err != nil {
				return nil, err
			}
			sep, ok := asString(p["sep"])
			if !ok || len([]rune(sep)) != 1 {
				return nil, typeErrorf("isoformat() argument 1 must be a unicode character, not %s", typeName(p["sep"]))
			}
			spec, _ := asString(p["timespec"])
			return d.isoformatSpec(sep, spec)
		}), true
	case "date":
		return method("date", func(r *rt, args []any, kw *kwargs) (any, error) {
			return pyDate{t: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)}, nil
		}), true
	case "time", "timetz":
		return method(name, func(r *rt, args []any, kw *kwargs) (any, error) {
			tm := pyTime{h: t.Hour(), m: t.Minute(), s: t.Second(), us: t.Nanosecond() / 1000}
			if name == "timetz" {
				tm.tz = d.tz()
			}
			return tm, nil
		}), true
	case "timestamp":
		return method("timestamp", func(r *rt, args []any, kw *kwargs) (any, error) {
			tt := t
			if d.naive {
				tt = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.Local)
			}
			return float64(tt.UnixMicro()) / 1e6, nil
		}), true
	case "weekday":
		return method("weekday", func(r *rt, args []any, kw *kwargs) (any, error) {
			return int64((int(t.Weekday()) + 6) % 7), nil
		}), true
	case "isoweekday":
		return method("isoweekday", func(r *rt, args []any, kw *kwargs) (any, error) {
			w := int64(t.Weekday())
			if w == 0 {
				w = 7
			}
			return w, nil
		}), true
	}
	return d.zoneMethod(name)
}

// zoneMethod gives datetime's zone, calendar and replace methods, then the
// class attributes.
func (d pyDateTime) zoneMethod(name string) (any, bool) {
	t := d.t
	switch name {
	case "dst":
		return method("dst", func(r *rt, args []any, kw *kwargs) (any, error) { return d.dst(), nil }), true
	case "utcoffset":
		return method("utcoffset", func(r *rt, args []any, kw *kwargs) (any, error) {
			if d.naive {
				return nil, nil
			}
			_, off := t.Zone()
			return pyTimedelta{us: int64(off) * 1e6}, nil
		}), true
	case "tzname":
		return method("tzname", func(r *rt, args []any, kw *kwargs) (any, error) {
			if d.naive {
				return nil, nil
			}
			return d.tzName(), nil
		}), true
	case "ctime":
		return method("ctime", func(r *rt, args []any, kw *kwargs) (any, error) {
			return strftime("%a %b %e %H:%M:%S %Y", t, false), nil
		}), true
	case "toordinal":
		return method("toordinal", func(r *rt, args []any, kw *kwargs) (any, error) {
			return toOrdinal(t), nil
		}), true
	case "replace":
		return method("replace", func(r *rt, args []any, kw *kwargs) (any, error) { return d.replace(args, kw) }), true
	case "astimezone":
		return method("astimezone", func(r *rt, args []any, kw *kwargs) (any, error) {
			p, err := bindArgs("astimezone", args, kw, []string{"tz"}, map[string]any{"tz": nil})
			if err != nil {
				return nil, err
			}
			src := t
			if d.naive {
				src = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.Local)
			}
			switch z := p["tz"].(type) {
			case nil:
				return newAware(src.In(time.Local)), nil
			case *tzInfo:
				return inZone(src, z), nil
			default:
				return nil, typeErrorf("tzinfo argument must be None or of a tzinfo subclass, not type '%s'", typeName(z))
			}
		}), true
	case "isocalendar":
		return method("isocalendar", func(r *rt, args []any, kw *kwargs) (any, error) {
			y, w := t.ISOWeek()
			wd := int64(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			return newNamedTuple(isoCalendarDate, int64(y), int64(w), wd), nil
		}), true
	}
	return classAttr(datetimeClass, name)
}

func toOrdinal(t time.Time) int64 {
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	days, _ := floorDivMod(day.Unix(), 86400)
	return days + 719163
}

func (d pyDateTime) replace(args []any, kw *kwargs) (any, error) {
	t := d.t
	names := []string{"year", "month", "day", "hour", "minute", "second", "microsecond", "tzinfo"}
	cur := map[string]any{
		"year": int64(t.Year()), "month": int64(t.Month()), "day": int64(t.Day()),
		"hour": int64(t.Hour()), "minute": int64(t.Minute()), "second": int64(t.Second()),
		"microsecond": int64(t.Nanosecond() / 1000), "tzinfo": d.tz(),
	}
	if d.naive {
		cur["tzinfo"] = nil
	}
	p, err := bindArgs("replace", args, kw, names, cur)
	if err != nil {
		return nil, err
	}
	var f [7]int
	for i, n := range names[:7] {
		v, err := intArg(p[n])
		if err != nil {
			return nil, err
		}
		f[i] = v
	}
	return makeDateTime(f, p["tzinfo"])
}

func makeDateTime(f [7]int, tz any) (pyDateTime, error) {
	if err := checkDate(f[0], f[1], f[2]); err != nil {
		return pyDateTime{}, err
	}
	checks := []struct {
		v      int
		lo, hi int
		name   string
	}{{f[3], 0, 23, "hour"}, {f[4], 0, 59, "minute"}, {f[5], 0, 59, "second"}, {f[6], 0, 999999, "microsecond"}}
	for _, c := range checks {
		if c.v < c.lo || c.v > c.hi {
			return pyDateTime{}, valueErrorf("%s must be in %d..%d", c.name, c.lo, c.hi)
		}
	}
	loc := time.UTC
	naive := true
	switch z := tz.(type) {
	case nil:
	case *tzInfo:
		loc = z.location()
		naive = false
	default:
		return pyDateTime{}, typeErrorf("tzinfo argument must be None or of a tzinfo subclass, not type '%s'", typeName(tz))
	}
	out := pyDateTime{t: time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], f[6]*1000, loc), naive: naive}
	if z, ok := tz.(*tzInfo); ok && z.kind != "" {
		out.zone = z
	}
	return out, nil
}

func checkDate(y, m, d int) error {
	if y < 1 || y > 9999 {
		return valueErrorf("year %d is out of range", y)
	}
	if m < 1 || m > 12 {
		return valueErrorf("month must be in 1..12")
	}
	if d < 1 || d > daysIn(y, m) {
		return valueErrorf("day is out of range for month")
	}
	return nil
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func (d pyDate) getattr(name string) (any, bool) {
	t := d.t
	switch name {
	case "year":
		return int64(t.Year()), true
	case "month":
		return int64(t.Month()), true
	case "day":
		return int64(t.Day()), true
	case "isoformat":
		return method("isoformat", func(r *rt, args []any, kw *kwargs) (any, error) { return d.isoformat(), nil }), true
	case "strftime":
		return method("strftime", func(r *rt, args []any, kw *kwargs) (any, error) {
			f, err := oneStringArg("strftime", "format", args, kw)
			if err != nil {
				return nil, err
			}
			return strftime(f, t, false), nil
		}), true
	case "weekday", "isoweekday", "ctime", "toordinal", "isocalendar":
		return pyDateTime{t: t, naive: true}.getattr(name)
	case "replace":
		return method("replace", func(r *rt, args []any, kw *kwargs) (any, error) {
			p, err := bindArgs("replace", args, kw, []string{"year", "month", "day"},
				map[string]any{"year": int64(t.Year()), "month": int64(t.Month()), "day": int64(t.Day())})
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
		}), true
	}
	return classAttr(dateClass, name)
}

func (tm pyTime) getattr(name string) (any, bool) {
	switch name {
	case "hour":
		return int64(tm.h), true
	case "minute":
		return int64(tm.m), true
	case "second":
		return int64(tm.s), true
	case "microsecond":
		return int64(tm.us), true
	case "tzinfo":
		return nil, true
	case "isoformat":
		return method("isoformat", func(r *rt, args []any, kw *kwargs) (any, error) { return tm.isoformat(), nil }), true
	case "strftime":
		return method("strftime", func(r *rt, args []any, kw *kwargs) (any, error) {
			f, err := oneStringArg("strftime", "format", args, kw)
			if err != nil {
				return nil, err
			}
			return strftime(f, time.Date(1900, 1, 1, tm.h, tm.m, tm.s, tm.us*1000, time.UTC), false), nil
		}), true
	}
	return classAttr(timeClass, name)
}

// ---- strftime (glibc, C locale, with Python's %f %z %Z) ----

var (
	weekdayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	monthNames   = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

func strftime(f string, t time.Time, aware bool) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' || i+1 >= len(f) {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		flag := byte(0)
		if strings.IndexByte("-_0^#", f[j]) >= 0 && j+1 < len(f) {
			flag = f[j]
			j++
		}
		spec := f[j]
		out, ok := strftimeSpec(spec, flag, t, aware)
		if !ok {
			b.WriteString(f[i : j+1])
		} else {
			b.WriteString(out)
		}
		i = j
	}
	return b.String()
}

func pad(n int, width int, flag byte, def byte) string {
	s := strconv.Itoa(n)
	p := def
	switch flag {
	case '-':
		return s
	case '_':
		p = ' '
	case '0':
		p = '0'
	}
	for len(s) < width {
		s = string(p) + s
	}
	return s
}

func strftimeSpec(spec, flag byte, t time.Time, aware bool) (string, bool) {
	s, ok := strftimeDate(spec, flag, t, aware)
	if !ok {
		if s, ok = strftimeTime(spec, flag, t, aware); !ok {
			return "", false
		}
	}
	switch flag {
	case '^':
		s = strings.ToUpper(s)
	case '#':
		s = swapCase(s)
	}
	return s, true
}

// strftimeDate formats the date directives (%a %b %d %Y %U …).
func strftimeDate(spec, flag byte, t time.Time, aware bool) (string, bool) {
	var s string
	switch spec {
	case 'a':
		s = weekdayNames[t.Weekday()][:3]
	case 'A':
		s = weekdayNames[t.Weekday()]
	case 'b', 'h':
		s = monthNames[t.Month()-1][:3]
	case 'B':
		s = monthNames[t.Month()-1]
	case 'c':
		s = strftime("%a %b %e %H:%M:%S %Y", t, aware)
	case 'C':
		s = pad(t.Year()/100, 2, flag, '0')
	case 'd':
		s = pad(t.Day(), 2, flag, '0')
	case 'D', 'x':
		s = strftime("%m/%d/%y", t, aware)
	case 'e':
		s = pad(t.Day(), 2, flag, ' ')
	case 'F':
		s = strftime("%Y-%m-%d", t, aware)
	case 'G':
		y, _ := t.ISOWeek()
		s = pad(y, 4, flag, '0')
	case 'g':
		y, _ := t.ISOWeek()
		s = pad(y%100, 2, flag, '0')
	case 'j':
		s = pad(t.YearDay(), 3, flag, '0')
	case 'm':
		s = pad(int(t.Month()), 2, flag, '0')
	case 'u':
		w := int(t.Weekday())
		if w == 0 {
			w = 7
		}
		s = strconv.Itoa(w)
	case 'w':
		s = strconv.Itoa(int(t.Weekday()))
	case 'U':
		s = pad((t.YearDay()+6-int(t.Weekday()))/7, 2, flag, '0')
	case 'W':
		s = pad((t.YearDay()+6-(int(t.Weekday())+6)%7)/7, 2, flag, '0')
	case 'V':
		_, w := t.ISOWeek()
		s = pad(w, 2, flag, '0')
	case 'y':
		s = pad(t.Year()%100, 2, flag, '0')
	case 'Y':
		s = strconv.Itoa(t.Year()) // glibc does not pad %Y; Python on Linux prints the year as is
	default:
		return "", false
	}
	return s, true
}

// strftimeTime formats the time, zone and literal directives (%H %M %S %z %% …).
func strftimeTime(spec, flag byte, t time.Time, aware bool) (string, bool) {
	var s string
	switch spec {
	case 'f':
		s = fmt.Sprintf("%06d", t.Nanosecond()/1000)
	case 'H':
		s = pad(t.Hour(), 2, flag, '0')
	case 'k':
		s = pad(t.Hour(), 2, flag, ' ')
	case 'I', 'l':
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		def := byte('0')
		if spec == 'l' {
			def = ' '
		}
		s = pad(h, 2, flag, def)
	case 'M':
		s = pad(t.Minute(), 2, flag, '0')
	case 'n':
		s = "\n"
	case 't':
		s = "\t"
	case 'p':
		s = "AM"
		if t.Hour() >= 12 {
			s = "PM"
		}
	case 'P':
		s = "am"
		if t.Hour() >= 12 {
			s = "pm"
		}
	case 'r':
		s = strftime("%I:%M:%S %p", t, aware)
	case 'R':
		s = strftime("%H:%M", t, aware)
	case 'T', 'X':
		s = strftime("%H:%M:%S", t, aware)
	case 's':
		tt := t
		if !aware {
			tt = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.Local)
		}
		s = strconv.FormatInt(tt.Unix(), 10)
	case 'S':
		s = pad(t.Second(), 2, flag, '0')
	case 'z':
		if aware {
			_, off := t.Zone()
			s = formatOffset(off, "")
		}
	case 'Z':
		if aware {
			name, off := t.Zone()
			s = (&tzInfo{offset: off, label: name}).name()
		}
	case '%':
		s = "%"
	default:
		return "", false
	}
	return s, true
}

func swapCase(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 32)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 32)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ---- strptime (Python's _strptime subset) ----

// strptimeState is one datetime.strptime(s, f) parse.
type strptimeState struct {
	s, f                                    string
	i                                       int // position in s
	year, month, day, hour, minute, sec, us int
	pm, yday                                int // -1 when not given
	hour12, tzSet                           bool
	tzOff                                   int
}

func strptime(s, f string) (pyDateTime, error) {
	p := &strptimeState{s: s, f: f, year: 1900, month: 1, day: 1, pm: -1, yday: -1}
	for k := 0; k < len(f); k++ {
		c := f[k]
		if c == ' ' || c == '\t' || c == '\n' {
			for p.i < len(s) && (s[p.i] == ' ' || s[p.i] == '\t' || s[p.i] == '\n') {
				p.i++
			}
			continue
		}
		if c != '%' || k+1 >= len(f) {
			if p.i >= len(s) || s[p.i] != c {
				return p.fail()
			}
			p.i++
			continue
		}
		k++
		ok, err := p.directive(f[k])
		if err != nil {
			return pyDateTime{}, err
		}
		if !ok {
			return p.fail()
		}
	}
	return p.finish()
}

func (p *strptimeState) fail() (pyDateTime, error) {
	return pyDateTime{}, valueErrorf("time data %s does not match format %s", value.QuoteString(p.s), value.QuoteString(p.f))
}

// num reads up to maxLen digits.
func (p *strptimeState) num(maxLen int) (int, bool) {
	j := p.i
	for j < len(p.s) && j-p.i < maxLen && p.s[j] >= '0' && p.s[j] <= '9' {
		j++
	}
	if j == p.i {
		return 0, false
	}
	n, _ := strconv.Atoi(p.s[p.i:j])
	p.i = j
	return n, true
}

// name reads one of names (or its three-letter form), any case.
func (p *strptimeState) name(names []string, short bool) (int, bool) {
	for k, n := range names {
		cand := n
		if short {
			cand = n[:3]
		}
		if len(p.s)-p.i >= len(cand) && strings.EqualFold(p.s[p.i:p.i+len(cand)], cand) {
			p.i += len(cand)
			return k, true
		}
	}
	return 0, false
}

// directive reads the field of one %-directive.
func (p *strptimeState) directive(d byte) (bool, error) {
	var ok bool
	switch d {
	case 'Y':
		p.year, ok = p.num(4)
	case 'y':
		var y int
		if y, ok = p.num(2); ok {
			p.year = 1900 + y
			if y < 69 {
				p.year = 2000 + y
			}
		}
	case 'm':
		p.month, ok = p.num(2)
	case 'd':
		p.day, ok = p.num(2)
	case 'H':
		p.hour, ok = p.num(2)
	case 'I':
		p.hour, ok = p.num(2)
		p.hour12 = true
	case 'M':
		p.minute, ok = p.num(2)
	case 'S':
		p.sec, ok = p.num(2)
	case 'j':
		p.yday, ok = p.num(3)
	case 'f':
		start := p.i
		var n int
		if n, ok = p.num(6); ok {
			for k := p.i - start; k < 6; k++ {
				n *= 10
			}
			p.us = n
		}
	case 'b', 'h', 'B':
		var m int
		if m, ok = p.name(monthNames, d != 'B'); ok {
			p.month = m + 1
		}
	case 'a', 'A':
		_, ok = p.name(weekdayNames, d == 'a')
	case 'p':
		ok = p.ampm()
	case 'z':
		ok = p.zone()
	case 'Z':
		for _, z := range []string{"UTC", "GMT"} {
			if strings.HasPrefix(strings.ToUpper(p.s[p.i:]), z) {
				p.i += 3
				ok = true
				break
			}
		}
	case '%':
		if p.i < len(p.s) && p.s[p.i] == '%' {
			p.i++
			ok = true
		}
	default:
		return false, valueErrorf("'%c' is a bad directive in format '%s'", d, p.f)
	}
	return ok, nil
}

func (p *strptimeState) ampm() bool {
	if len(p.s)-p.i < 2 {
		return false
	}
	switch strings.ToUpper(p.s[p.i : p.i+2]) {
	case "AM":
		p.pm = 0
	case "PM":
		p.pm = 1
	default:
		return false
	}
	p.i += 2
	return true
}

// zone reads %z: Z, or ±HHMM / ±HH:MM.
func (p *strptimeState) zone() bool {
	if p.i < len(p.s) && p.s[p.i] == 'Z' {
		p.i++
		p.tzSet = true
		return true
	}
	if p.i >= len(p.s) || (p.s[p.i] != '+' && p.s[p.i] != '-') {
		return false
	}
	sign := 1
	if p.s[p.i] == '-' {
		sign = -1
	}
	p.i++
	h, ok1 := p.num(2)
	if ok1 && p.i < len(p.s) && p.s[p.i] == ':' {
		p.i++
	}
	m, ok2 := p.num(2)
	if !ok1 || !ok2 {
		return false
	}
	p.tzOff = sign * (h*3600 + m*60)
	p.tzSet = true
	return true
}

func (p *strptimeState) finish() (pyDateTime, error) {
	if p.i < len(p.s) {
		return pyDateTime{}, valueErrorf("unconverted data remains: %s", p.s[p.i:])
	}
	if p.hour12 && p.pm >= 0 {
		p.hour %= 12
		if p.pm == 1 {
			p.hour += 12
		}
	}
	if p.yday > 0 {
		t := time.Date(p.year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, p.yday-1)
		p.month, p.day = int(t.Month()), t.Day()
	}
	var tz any
	if p.tzSet {
		tz = &tzInfo{offset: p.tzOff}
	}
	return makeDateTime([7]int{p.year, p.month, p.day, p.hour, p.minute, p.sec, p.us}, tz)
}

// ---- datetime arithmetic ----

func timedeltaMul(td pyTimedelta, n any) (any, error) {
	switch t := n.(type) {
	case int64, bool:
		i, _ := toBig(t)
		return pyTimedelta{us: td.us * i.Int64()}, nil
	case *big.Int:
		return nil, newErr(classOverflow, "Python int too large to convert to C int")
	case float64:
		return pyTimedelta{us: int64(math.RoundToEven(float64(td.us) * t))}, nil
	}
	return nil, errUnsupported
}

func dateAdd(v any, td pyTimedelta, sign int64) (any, error) {
	switch t := v.(type) {
	case pyDateTime:
		nt := t.t.Add(time.Duration(sign*td.us) * time.Microsecond)
		if t.zone != nil && t.zone.loc != nil {
			nt = wallAdd(t.t, time.Duration(sign*td.us)*time.Microsecond)
		}
		if nt.Year() < 1 || nt.Year() > 9999 {
			return nil, newErr(classOverflow, "date value out of range")
		}
		return pyDateTime{t: nt, naive: t.naive, zone: t.zone}, nil
	case pyDate:
		days, _ := floorDivMod(td.us, usPerDay)
		nt := t.t.AddDate(0, 0, int(sign*days))
		if nt.Year() < 1 || nt.Year() > 9999 {
			return nil, newErr(classOverflow, "date value out of range")
		}
		return pyDate{t: nt}, nil
	}
	return nil, errUnsupported
}
