package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// relativeDelta is dateutil.relativedelta.relativedelta with integer
// relative fields (years … microseconds, leapdays) and optional absolute
// fields (year … microsecond, weekday).
type relativeDelta struct {
	years, months, days, leapdays   int64
	hours, minutes, seconds, micros int64
	abs                             [7]*int64 // year, month, day, hour, minute, second, microsecond
	weekday                         *rdWeekday
}

// rdWeekday is dateutil's weekday (MO, TU(+2), SU(-1), …).
type rdWeekday struct {
	day int // 0 = Monday
	n   int64
}

var rdWeekdayNames = []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}

func (w *rdWeekday) repr() string {
	if w.n == 0 {
		return rdWeekdayNames[w.day]
	}
	return fmt.Sprintf("%s(%+d)", rdWeekdayNames[w.day], w.n)
}

func (w *rdWeekday) call(r *rt, args []any, kw *kwargs) (any, error) {
	p, err := bindArgs("__call__", args, kw, []string{"n"}, nil)
	if err != nil {
		return nil, err
	}
	n, err := intArg(p["n"])
	if err != nil {
		return nil, err
	}
	if int64(n) == w.n {
		return w, nil
	}
	return &rdWeekday{day: w.day, n: int64(n)}, nil
}

func (w *rdWeekday) getattr(name string) (any, bool) {
	switch name {
	case "weekday":
		return int64(w.day), true
	case "n":
		if w.n == 0 {
			return nil, true
		}
		return w.n, true
	}
	return nil, false
}

var rdRelNames = []string{"years", "months", "days", "leapdays", "hours", "minutes", "seconds", "microseconds"}
var rdAbsNames = []string{"year", "month", "day", "hour", "minute", "second", "microsecond"}

func (d *relativeDelta) rel() []*int64 {
	return []*int64{&d.years, &d.months, &d.days, &d.leapdays, &d.hours, &d.minutes, &d.seconds, &d.micros}
}

// fix carries overflowing relative fields as dateutil's _fix does.
func (d *relativeDelta) fix() {
	carry := func(v, up *int64, limit int64) {
		if *v > limit-1 || *v < -(limit-1) {
			s := int64(1)
			if *v < 0 {
				s = -1
			}
			div, mod := (*v*s)/limit, (*v*s)%limit
			*v = mod * s
			*up += div * s
		}
	}
	carry(&d.micros, &d.seconds, 1000000)
	carry(&d.seconds, &d.minutes, 60)
	carry(&d.minutes, &d.hours, 60)
	carry(&d.hours, &d.days, 24)
	carry(&d.months, &d.years, 12)
}

func (d *relativeDelta) hasTime() bool {
	if d.hours != 0 || d.minutes != 0 || d.seconds != 0 || d.micros != 0 {
		return true
	}
	for _, a := range d.abs[3:] {
		if a != nil {
			return true
		}
	}
	return false
}

func (d *relativeDelta) truth() bool {
	for _, v := range d.rel() {
		if *v != 0 {
			return true
		}
	}
	for _, a := range d.abs {
		if a != nil {
			return true
		}
	}
	return d.weekday != nil
}

// repr is relativedelta's repr: relativedelta(months=+6, day=31).
func (d *relativeDelta) repr() string {
	var parts []string
	for i, v := range d.rel() {
		if *v != 0 {
			parts = append(parts, rdRelNames[i]+"="+formatPlusG(*v))
		}
	}
	for i, a := range d.abs {
		if i == 3 && d.weekday != nil {
			parts = append(parts, "weekday="+d.weekday.repr())
		}
		if a != nil {
			parts = append(parts, rdAbsNames[i]+"="+strconv.FormatInt(*a, 10))
		}
	}
	return "relativedelta(" + strings.Join(parts, ", ") + ")"
}

func (d *relativeDelta) getattr(name string) (any, bool) {
	for i, n := range rdRelNames {
		if n == name {
			return *d.rel()[i], true
		}
	}
	for i, n := range rdAbsNames {
		if n == name {
			if d.abs[i] == nil {
				return nil, true
			}
			return *d.abs[i], true
		}
	}
	switch name {
	case "weekday":
		if d.weekday == nil {
			return nil, true
		}
		return d.weekday, true
	case "weeks":
		return d.days / 7, true
	case "normalized":
		return method(name, func(r *rt, args []any, kw *kwargs) (any, error) {
			c := *d
			return &c, noArgs(name, args, kw)
		}), true
	}
	return nil, false
}

// combine is d op e for two relativedeltas (sign 1 or -1): relative
// fields add; absolute ones come from the left operand for -, the right
// for +, when set, as dateutil does.
func (d *relativeDelta) combine(e *relativeDelta, sign int64) *relativeDelta {
	out := &relativeDelta{}
	dr, er, or := d.rel(), e.rel(), out.rel()
	for i := range or {
		*or[i] = *dr[i] + sign**er[i]
	}
	first, second := e, d
	if sign < 0 {
		first, second = d, e
	}
	out.leapdays = first.leapdays
	if out.leapdays == 0 {
		out.leapdays = second.leapdays
	}
	for i := range out.abs {
		out.abs[i] = first.abs[i]
		if out.abs[i] == nil {
			out.abs[i] = second.abs[i]
		}
	}
	out.weekday = first.weekday
	if out.weekday == nil {
		out.weekday = second.weekday
	}
	out.fix()
	return out
}

func (d *relativeDelta) neg() (any, error) {
	out := *d
	for _, v := range out.rel() {
		*v = -*v
	}
	out.leapdays = d.leapdays
	return &out, nil
}

func (d *relativeDelta) scale(f float64) *relativeDelta {
	out := *d
	for i, v := range out.rel() {
		if i != 3 {
			*v = int64(float64(*v) * f)
		}
	}
	out.fix()
	return &out
}

// binop implements relativedelta's operators.
func (d *relativeDelta) binop(op string, other any, reflected bool) (any, bool, error) {
	switch o := other.(type) {
	case *relativeDelta:
		switch op {
		case "+":
			return d.combine(o, 1), true, nil
		case "-":
			if reflected {
				return o.combine(d, -1), true, nil
			}
			return d.combine(o, -1), true, nil
		}
	case pyTimedelta:
		if op == "+" {
			days, rest := floorDivMod(o.us, usPerDay)
			e := &relativeDelta{days: days, seconds: rest / 1e6, micros: rest % 1e6}
			return d.combine(e, 1), true, nil
		}
	case pyDateTime, pyDate:
		switch {
		case op == "+":
			v, err := d.addTo(o)
			return v, true, err
		case op == "-" && reflected:
			n, _ := d.neg()
			v, err := n.(*relativeDelta).addTo(o)
			return v, true, err
		}
	case int64, float64, bool:
		f, _ := toFloat(o)
		switch {
		case op == "*":
			return d.scale(f), true, nil
		case op == "/" && !reflected:
			if f == 0 {
				return nil, true, newErr(classZeroDiv, "float division by zero")
			}
			return d.scale(1 / f), true, nil
		}
	}
	return nil, false, nil
}

// addTo is date + relativedelta (dateutil's __add__).
func (d *relativeDelta) addTo(v any) (any, error) {
	var base pyDateTime
	isDate := false
	switch t := v.(type) {
	case pyDateTime:
		base = t
	case pyDate:
		base = pyDateTime{t: t.t, naive: true}
		isDate = !d.hasTime()
	}
	wall := base.t
	year := int64(wall.Year())
	if d.abs[0] != nil {
		year = *d.abs[0]
	}
	year += d.years
	month := int64(wall.Month())
	if d.abs[1] != nil {
		month = *d.abs[1]
	}
	if d.months != 0 {
		month += d.months
		if month > 12 {
			year++
			month -= 12
		} else if month < 1 {
			year--
			month += 12
		}
	}
	if year < 1 || year > 9999 {
		return nil, valueErrorf("year %d is out of range", year)
	}
	if month < 1 || month > 12 {
		return nil, valueErrorf("month must be in 1..12")
	}
	day := int64(wall.Day())
	if d.abs[2] != nil {
		day = *d.abs[2]
	}
	day = min(day, int64(daysIn(int(year), int(month))))
	f := [7]int{int(year), int(month), int(day), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond() / 1000}
	for i := 3; i < 7; i++ {
		if d.abs[i] != nil {
			f[i] = int(*d.abs[i])
		}
	}
	var tz any
	if !base.naive {
		tz = base.tz()
	}
	rep, err := makeDateTime(f, tz)
	if err != nil {
		return nil, err
	}
	days := d.days
	if d.leapdays != 0 && month > 2 && isLeap(int(year)) {
		days += d.leapdays
	}
	us := ((days*24+d.hours)*60+d.minutes)*60e6 + d.seconds*1e6 + d.micros
	res, err := dateAdd(rep, pyTimedelta{us: us}, 1)
	if err != nil {
		return nil, err
	}
	out := res.(pyDateTime)
	if d.weekday != nil {
		if out, err = d.jumpWeekday(out); err != nil {
			return nil, err
		}
	}
	if isDate {
		return pyDate{t: time.Date(out.t.Year(), out.t.Month(), out.t.Day(), 0, 0, 0, 0, time.UTC)}, nil
	}
	return out, nil
}

func (d *relativeDelta) jumpWeekday(t pyDateTime) (pyDateTime, error) {
	nth := d.weekday.n
	if nth == 0 {
		nth = 1
	}
	wd := int64((int(t.t.Weekday()) + 6) % 7)
	jump := (absInt64(nth) - 1) * 7
	if nth > 0 {
		jump += (7 - wd + int64(d.weekday.day)) % 7
	} else {
		jump += (wd - int64(d.weekday.day) + 7) % 7
		jump = -jump
	}
	res, err := dateAdd(t, pyTimedelta{us: jump * usPerDay}, 1)
	if err != nil {
		return pyDateTime{}, err
	}
	return res.(pyDateTime), nil
}

func absInt64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// formatPlusG is Python's format(v, '+g'): six significant digits, an
// exponent from 1e6 on, as relativedelta's repr prints its fields.
func formatPlusG(v int64) string {
	out := strconv.FormatFloat(float64(v), 'g', 6, 64)
	if v >= 0 {
		out = "+" + out
	}
	return out
}

// pyEqual is relativedelta's ==: every field equal; a weekday without n
// equals the same weekday with n=1.
func (d *relativeDelta) pyEqual(other any) bool {
	e, ok := other.(*relativeDelta)
	if !ok {
		return false
	}
	if (d.weekday == nil) != (e.weekday == nil) {
		return false
	}
	if d.weekday != nil {
		n1, n2 := d.weekday.n, e.weekday.n
		if d.weekday.day != e.weekday.day || (n1 != n2 && !((n1 == 0 || n1 == 1) && (n2 == 0 || n2 == 1))) {
			return false
		}
	}
	dr, er := d.rel(), e.rel()
	for i := range dr {
		if *dr[i] != *er[i] {
			return false
		}
	}
	for i := range d.abs {
		if (d.abs[i] == nil) != (e.abs[i] == nil) || (d.abs[i] != nil && *d.abs[i] != *e.abs[i]) {
			return false
		}
	}
	return true
}
