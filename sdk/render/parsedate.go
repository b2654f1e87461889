package render

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// utils.parsedate is a subset of dateutil.parser: isoparse() takes ISO 8601
// (date, date and time with 'T' or ' ', fractions, Z or ±HH[:MM] offsets,
// basic formats without separators); parse() also takes the common
// free-form layouts: "2024/03/05", "03/05/2024" (month first, as dateutil),
// "5 March 2024", "March 5, 2024", "Mar 5 2024 10:00", "Fri, 01 Mar 2024
// 10:00:00 +1100" (RFC 2822), an optional weekday, am/pm, and "UTC"/"GMT"/"Z"
// or numeric zones. Missing date parts default to today, as dateutil.

var isoRe = regexp.MustCompile(`^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$`)

// parseISO parses ISO 8601 text. strictSep requires 'T' between date and
// time when set (isoparse), as dateutil's isoparse does.
func parseISO(s string, strictSep bool) (pyDateTime, bool) {
	m := isoRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return pyDateTime{}, false
	}
	if strictSep && m[4] != "" && strings.Contains(s, " ") {
		return pyDateTime{}, false
	}
	num := func(x string) int {
		n, _ := strconv.Atoi(x)
		return n
	}
	us := 0
	if m[7] != "" {
		frac := m[7]
		if len(frac) > 6 {
			frac = frac[:6]
		}
		for len(frac) < 6 {
			frac += "0"
		}
		us = num(frac)
	}
	var tz any
	if m[8] != "" {
		if m[8] == "Z" || m[8] == "z" {
			tz = &tzInfo{}
		} else {
			z := strings.ReplaceAll(m[8][1:], ":", "")
			off := num(z[0:2]) * 3600
			if len(z) >= 4 {
				off += num(z[2:4]) * 60
			}
			if len(z) >= 6 {
				off += num(z[4:6])
			}
			if m[8][0] == '-' {
				off = -off
			}
			tz = &tzInfo{offset: off}
		}
	}
	d, err := makeDateTime([7]int{num(m[1]), num(m[2]), num(m[3]), num(m[4]), num(m[5]), num(m[6]), us}, tz)
	return d, err == nil
}

var monthAbbr = map[string]int{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
	"january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}

var weekdayWords = map[string]bool{
	"mon": true, "tue": true, "tues": true, "wed": true, "thu": true, "thur": true, "thurs": true, "fri": true, "sat": true, "sun": true,
	"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true,
}

var (
	tokRe  = regexp.MustCompile(`\d+(?::\d+)*(?:[.,]\d+)?|[A-Za-z]+|[+-]\d{2}:?\d{2}|[^\sA-Za-z\d]`)
	timeRe = regexp.MustCompile(`^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?$`)
)

// freeDate is the state of one dateutil-style parse.
type freeDate struct {
	year, month, day, hour, minute, sec, us int
	pm                                      int // -1 unless am/pm was given
	nums                                    []string
	tz                                      any
}

// parseFreeDate is a subset of dateutil.parser.parse.
func parseFreeDate(s string) (pyDateTime, bool) {
	if d, ok := parseISO(s, false); ok {
		return d, true
	}
	toks := tokRe.FindAllString(s, -1)
	p := &freeDate{year: -1, month: -1, day: -1, pm: -1}
	for _, t := range toks {
		if !p.token(t) {
			return pyDateTime{}, false
		}
	}
	if !p.assignNumbers() {
		return pyDateTime{}, false
	}
	if p.year < 0 && p.month < 0 && p.day < 0 && len(p.nums) == 0 && p.hour == 0 && p.minute == 0 && len(toks) == 0 {
		return pyDateTime{}, false
	}
	now := time.Now()
	if p.year < 0 {
		p.year = now.Year()
	}
	if p.month < 0 {
		p.month = int(now.Month())
	}
	if p.day < 0 {
		p.day = now.Day()
	}
	if p.pm >= 0 {
		p.hour %= 12
		if p.pm == 1 {
			p.hour += 12
		}
	}
	d, err := makeDateTime([7]int{p.year, p.month, p.day, p.hour, p.minute, p.sec, p.us}, p.tz)
	return d, err == nil
}

// token takes one token; false means the text is not a date.
func (p *freeDate) token(t string) bool {
	lt := strings.ToLower(t)
	switch {
	case timeRe.MatchString(t):
		m := timeRe.FindStringSubmatch(t)
		p.hour, _ = strconv.Atoi(m[1])
		p.minute, _ = strconv.Atoi(m[2])
		if m[3] != "" {
			p.sec, _ = strconv.Atoi(m[3])
		}
		if m[4] != "" {
			p.us, _ = strconv.Atoi((m[4] + "000000")[:6])
		}
	case monthAbbr[lt] != 0:
		if p.month > 0 {
			return false
		}
		p.month = monthAbbr[lt]
	case weekdayWords[lt]:
	case lt == "am" || lt == "pm":
		p.pm = 0
		if lt == "pm" {
			p.pm = 1
		}
	case lt == "utc" || lt == "gmt" || lt == "z":
		p.tz = &tzInfo{}
	case (t[0] == '+' || t[0] == '-') && len(t) >= 5:
		z := strings.ReplaceAll(t[1:], ":", "")
		h, _ := strconv.Atoi(z[:2])
		m, _ := strconv.Atoi(z[2:4])
		off := h*3600 + m*60
		if t[0] == '-' {
			off = -off
		}
		p.tz = &tzInfo{offset: off}
	case t[0] >= '0' && t[0] <= '9':
		if strings.ContainsAny(t, ".,") {
			return false
		}
		p.nums = append(p.nums, t)
	case t == "," || t == "/" || t == "-" || t == ".":
	case lt == "of" || lt == "at" || lt == "on" || lt == "the" || lt == "t":
	default:
		return false
	}
	return true
}

// assignNumbers gives the bare numbers to year, month and day as dateutil
// does (month first).
func (p *freeDate) assignNumbers() bool {
	var small []int
	for _, n := range p.nums {
		v, _ := strconv.Atoi(n)
		switch {
		case len(n) == 8 && p.year < 0 && p.month < 0:
			p.year, _ = strconv.Atoi(n[:4])
			p.month, _ = strconv.Atoi(n[4:6])
			p.day, _ = strconv.Atoi(n[6:])
		case len(n) >= 3 || v > 31:
			if p.year >= 0 {
				return false
			}
			p.year = v
			if len(n) <= 2 {
				p.year += 2000
			}
		default:
			small = append(small, v)
		}
	}
	if p.month > 0 {
		for _, v := range small {
			switch {
			case p.day < 0:
				p.day = v
			case p.year < 0:
				p.year = 2000 + v
			default:
				return false
			}
		}
		return true
	}
	switch len(small) {
	case 0:
	case 1:
		p.day = small[0]
	case 2, 3:
		p.month, p.day = small[0], small[1]
		if p.month > 12 {
			p.month, p.day = p.day, p.month
		}
		if len(small) == 3 {
			if p.year >= 0 {
				return false
			}
			p.year = 2000 + small[2]
		}
	default:
		return false
	}
	return true
}

var parsedateModule = &module{name: "dateutil.parser", attrs: map[string]any{
	"parse": &builtinFunc{name: "parse", typName: "function", fn: func(r *rt, args []any, kw *kwargs) (any, error) {
		if len(args) < 1 {
			return nil, typeErrorf("parse() missing 1 required positional argument: 'timestr'")
		}
		s, ok := asString(args[0])
		if !ok {
			return nil, typeErrorf("Parser must be a string or character stream, not %s", typeName(args[0]))
		}
		d, ok := parseFreeDate(s)
		if !ok {
			return nil, newErr(classParser, "Unknown string format: "+s)
		}
		return dateutilZone(d, namesUTC(s)), nil
	}},
	"isoparse": &builtinFunc{name: "isoparse", typName: "function", fn: func(r *rt, args []any, kw *kwargs) (any, error) {
		s, err := oneStringArg("isoparse", "dt_str", args, kw)
		if err != nil {
			return nil, err
		}
		d, ok := parseISO(s, true)
		if !ok {
			return nil, valueErrorf("Invalid isoformat string: %s", reprAny(s))
		}
		return dateutilZone(d, false), nil
	}},
}}
