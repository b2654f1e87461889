package render

import (
	"math"
	"strings"
	"time"
)

// classAttr is a class attribute reached from an instance, as Python
// allows (start.fromtimestamp(…), ustart.max, d.today()).
func classAttr(class *builtinFunc, name string) (any, bool) {
	if name == "__class__" {
		return class, true
	}
	v, ok := class.attrs[name]
	return v, ok
}

// The class attributes Python's datetime classes have besides their
// constructors: min, max, resolution and the alternative constructors.
func init() {
	if timedeltaClass.attrs == nil {
		timedeltaClass.attrs = map[string]any{}
	}
	if timeClass.attrs == nil {
		timeClass.attrs = map[string]any{}
	}
	timedeltaClass.attrs["resolution"] = pyTimedelta{us: 1}
	dateClass.attrs["min"] = pyDate{t: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)}
	dateClass.attrs["max"] = pyDate{t: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}
	dateClass.attrs["resolution"] = pyTimedelta{us: usPerDay}
	dateClass.attrs["fromtimestamp"] = method("fromtimestamp", dateFromTimestamp)
	dateClass.attrs["fromordinal"] = method("fromordinal", func(r *rt, args []any, kw *kwargs) (any, error) {
		t, err := ordinalArg(args, kw)
		return pyDate{t: t}, err
	})
	datetimeClass.attrs["min"] = pyDateTime{t: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), naive: true}
	datetimeClass.attrs["max"] = pyDateTime{t: time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), naive: true}
	datetimeClass.attrs["resolution"] = pyTimedelta{us: 1}
	datetimeClass.attrs["utcfromtimestamp"] = method("utcfromtimestamp", func(r *rt, args []any, kw *kwargs) (any, error) {
		if err := argsCount("utcfromtimestamp", args, kw, 1, 1); err != nil {
			return nil, err
		}
		t, err := timestampArg(args[0])
		return pyDateTime{t: t.UTC(), naive: true}, err
	})
	datetimeClass.attrs["fromordinal"] = method("fromordinal", func(r *rt, args []any, kw *kwargs) (any, error) {
		t, err := ordinalArg(args, kw)
		return pyDateTime{t: t, naive: true}, err
	})
	timeClass.attrs["min"] = pyTime{}
	timeClass.attrs["max"] = pyTime{h: 23, m: 59, s: 59, us: 999999}
	timeClass.attrs["resolution"] = pyTimedelta{us: 1}
	for _, c := range []*builtinFunc{datetimeClass, dateClass, timeClass, timedeltaClass} {
		c.attrs["__name__"] = c.name
		c.attrs["__qualname__"] = c.name
		c.attrs["__module__"] = "datetime"
	}
}

// timestampArg is a POSIX timestamp argument, rounded to microseconds.
func timestampArg(v any) (time.Time, error) {
	f, ok := toFloat(v)
	if !ok || isString(v) {
		return time.Time{}, typeErrorf("'%s' object cannot be interpreted as an integer", typeName(v))
	}
	if math.IsNaN(f) || math.Abs(f) > 253402300800 {
		return time.Time{}, valueErrorf("year is out of range")
	}
	sec, frac := math.Modf(f)
	us := int64(math.RoundToEven(frac * 1e6))
	return time.Unix(int64(sec), us*1000), nil
}

func dateFromTimestamp(r *rt, args []any, kw *kwargs) (any, error) {
	if err := argsCount("fromtimestamp", args, kw, 1, 1); err != nil {
		return nil, err
	}
	t, err := timestampArg(args[0])
	if err != nil {
		return nil, err
	}
	lt := t.Local()
	return pyDate{t: time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, time.UTC)}, nil
}

// ordinalArg is a proleptic Gregorian ordinal (day 1 is 0001-01-01).
func ordinalArg(args []any, kw *kwargs) (time.Time, error) {
	if err := argsCount("fromordinal", args, kw, 1, 1); err != nil {
		return time.Time{}, err
	}
	n, err := intArg(args[0])
	if err != nil {
		return time.Time{}, err
	}
	if n < 1 || n > 3652059 {
		return time.Time{}, valueErrorf("ordinal must be >= 1")
	}
	return time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n-1), nil
}

func init() {
	dateClass.attrs["fromisocalendar"] = method("fromisocalendar", func(r *rt, args []any, kw *kwargs) (any, error) {
		t, err := isoCalendarArgs(args, kw)
		return pyDate{t: t}, err
	})
	datetimeClass.attrs["fromisocalendar"] = method("fromisocalendar", func(r *rt, args []any, kw *kwargs) (any, error) {
		t, err := isoCalendarArgs(args, kw)
		return pyDateTime{t: t, naive: true}, err
	})
}

// isoCalendarArgs is the date of an ISO year, week and weekday.
func isoCalendarArgs(args []any, kw *kwargs) (time.Time, error) {
	p, err := bindArgs("fromisocalendar", args, kw, []string{"year", "week", "day"}, nil)
	if err != nil {
		return time.Time{}, err
	}
	var f [3]int
	for i, n := range []string{"year", "week", "day"} {
		if f[i], err = intArg(p[n]); err != nil {
			return time.Time{}, err
		}
	}
	y, w, d := f[0], f[1], f[2]
	if y < 1 || y > 9999 {
		return time.Time{}, valueErrorf("Year is out of range: %d", y)
	}
	// ISO week 1 holds January 4th; its Monday starts the ISO year.
	jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	weeks := 52
	if _, last := time.Date(y, 12, 28, 0, 0, 0, 0, time.UTC).ISOWeek(); last == 53 {
		weeks = 53
	}
	if w < 1 || w > weeks {
		return time.Time{}, valueErrorf("Invalid week: %d", w)
	}
	if d < 1 || d > 7 {
		return time.Time{}, valueErrorf("Invalid day: %d (range is [1, 7])", d)
	}
	return monday.AddDate(0, 0, (w-1)*7+d-1), nil
}

func init() {
	timeClass.attrs["fromisoformat"] = method("fromisoformat", func(r *rt, args []any, kw *kwargs) (any, error) {
		if err := argsCount("fromisoformat", args, kw, 1, 1); err != nil {
			return nil, err
		}
		s, ok := asString(args[0])
		if !ok {
			return nil, typeErrorf("fromisoformat: argument must be str")
		}
		d, ok := parseISO("2000-01-01T"+s, true)
		if !ok || strings.ContainsAny(s, "Tt ") {
			return nil, valueErrorf("Invalid isoformat string: %s", reprAny(s))
		}
		tm := pyTime{h: d.t.Hour(), m: d.t.Minute(), s: d.t.Second(), us: d.t.Nanosecond() / 1000}
		if !d.naive {
			tm.tz = d.tz()
		}
		return tm, nil
	})
}
