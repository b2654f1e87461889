package render

import (
	"math"
)

var rdArgNames = []string{"dt1", "dt2", "years", "months", "days", "leapdays", "weeks", "hours", "minutes", "seconds", "microseconds",
	"year", "month", "day", "weekday", "yearday", "nlyearday", "hour", "minute", "second", "microsecond"}

// relativedeltaNew is relativedelta(...).
func relativedeltaNew(r *rt, args []any, kw *kwargs) (any, error) {
	defaults := map[string]any{}
	for _, n := range rdArgNames {
		defaults[n] = nil
	}
	p, err := bindArgs("relativedelta.__init__", args, kw, rdArgNames, defaults)
	if err != nil {
		return nil, err
	}
	if truthy(p["dt1"]) && truthy(p["dt2"]) {
		return relativedeltaBetween(p["dt1"], p["dt2"])
	}
	d := &relativeDelta{}
	for _, n := range []string{"years", "months"} {
		if f, ok := p[n].(float64); ok && f != math.Trunc(f) {
			return nil, valueErrorf("Non-integer years and months are ambiguous and not currently supported.")
		}
	}
	rel := map[string]*int64{"years": &d.years, "months": &d.months, "days": &d.days, "leapdays": &d.leapdays,
		"hours": &d.hours, "minutes": &d.minutes, "seconds": &d.seconds, "microseconds": &d.micros}
	var weeks int64
	rel["weeks"] = &weeks
	for n, dst := range rel {
		if *dst, err = rdInt(n, p[n]); err != nil {
			return nil, err
		}
	}
	d.days += weeks * 7
	for i, n := range rdAbsNames {
		if p[n] == nil {
			continue
		}
		v, err := rdInt(n, p[n])
		if err != nil {
			return nil, err
		}
		d.abs[i] = &v
	}
	if err := d.setWeekday(p["weekday"]); err != nil {
		return nil, err
	}
	if err := d.setYearday(p["yearday"], p["nlyearday"]); err != nil {
		return nil, err
	}
	d.fix()
	return d, nil
}

// rdInt reads an integral relativedelta argument.
func rdInt(name string, v any) (int64, error) {
	switch t := v.(type) {
	case nil:
		return 0, nil
	case int64:
		return t, nil
	case bool:
		return boolInt(t), nil
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1e15 {
			return int64(t), nil
		}
		return 0, valueErrorf("relativedelta %s=%s: only whole numbers are supported", name, pyStr(t))
	}
	if isString(v) {
		if name == "days" {
			return 0, typeErrorf("can only concatenate str (not \"int\") to str")
		}
		return 0, typeErrorf("bad operand type for abs(): 'str'")
	}
	if d, ok := toDecimal(v); ok {
		if i, err := d.Int64(); err == nil {
			return i, nil
		}
	}
	return 0, typeErrorf("unsupported type for relativedelta %s: '%s'", name, typeName(v))
}

func (d *relativeDelta) setWeekday(v any) error {
	switch t := v.(type) {
	case nil:
	case *rdWeekday:
		d.weekday = t
	case int64:
		if t < 0 || t > 6 {
			return newErr(classIndex, "tuple index out of range")
		}
		d.weekday = &rdWeekday{day: int(t)}
	default:
		return typeErrorf("relativedelta weekday must be an int or a weekday (MO … SU), not %s", typeName(v))
	}
	return nil
}

func (d *relativeDelta) setYearday(yearday, nlyearday any) error {
	var yday int64
	var err error
	switch {
	case truthy(nlyearday):
		yday, err = rdInt("nlyearday", nlyearday)
	case truthy(yearday):
		if yday, err = rdInt("yearday", yearday); err == nil && yday > 59 {
			d.leapdays = -1
		}
	}
	if err != nil || yday == 0 {
		return err
	}
	idx := []int64{31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 366}
	for i, n := range idx {
		if yday <= n {
			m := int64(i + 1)
			day := yday
			if i > 0 {
				day = yday - idx[i-1]
			}
			d.abs[1], d.abs[2] = &m, &day
			return nil
		}
	}
	return valueErrorf("invalid year day (%d)", yday)
}

// relativedeltaBetween is relativedelta(dt1, dt2): the difference of two
// dates in months, then seconds and microseconds.
func relativedeltaBetween(a, b any) (any, error) {
	toDT := func(v any) (pyDateTime, bool) {
		switch t := v.(type) {
		case pyDateTime:
			return t, true
		case pyDate:
			return pyDateTime{t: t.t, naive: true}, true
		}
		return pyDateTime{}, false
	}
	dt1, ok1 := toDT(a)
	dt2, ok2 := toDT(b)
	if !ok1 || !ok2 {
		return nil, typeErrorf("relativedelta only diffs datetime/date")
	}
	if dt1.naive != dt2.naive {
		return nil, typeErrorf("can't compare offset-naive and offset-aware datetimes")
	}
	months := int64(dt1.t.Year()-dt2.t.Year())*12 + int64(dt1.t.Month()-dt2.t.Month())
	d := &relativeDelta{}
	setMonths := func(m int64) {
		d.years, d.months = 0, m
		d.fix()
	}
	setMonths(months)
	inc := int64(-1)
	before := func(x, y pyDateTime) bool { return x.t.Before(y.t) }
	if dt1.t.Before(dt2.t) {
		inc = 1
		before = func(x, y pyDateTime) bool { return x.t.After(y.t) }
	}
	for {
		v, err := d.addTo(dt2)
		if err != nil {
			return nil, err
		}
		if !before(dt1, v.(pyDateTime)) {
			us := dt1.t.Sub(v.(pyDateTime).t).Microseconds()
			days, rest := floorDivMod(us, usPerDay)
			d.seconds = days*86400 + rest/1e6
			d.micros = rest % 1e6
			d.fix()
			return d, nil
		}
		months += inc
		setMonths(months)
	}
}
