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

func parseFreeDate(s string) (pyDateTime, bool) {
	if d, ok := parseISO(s, false); ok {
		return d, true
	}
	toks := tokRe.FindAllString(s, -1)
	now := time.Now()
	year, month, day := -1, -1, -1
	hour, minute, sec, us := 0, 0, 0, 0
	var nums []string
	pm := -1
	var tz any
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		lt := strings.ToLower(t)
		switch {
		case timeRe.MatchString(t):
			m := timeRe.FindStringSubmatch(t)
			hour, _ = strconv.Atoi(m[1])
			minute, _ = strconv.Atoi(m[2])
			if m[3] != "" {
				sec, _ = strconv.Atoi(m[3])
			}
			if m[4] != "" {
				frac := (m[4] + "000000")[:6]
				us, _ = strconv.Atoi(frac)
			}
		case monthAbbr[lt] != 0:
			if month > 0 {
				return pyDateTime{}, false
			}
			month = monthAbbr[lt]
		case weekdayWords[lt]:
		case lt == "am" || lt == "pm":
			pm = 0
			if lt == "pm" {
				pm = 1
			}
		case lt == "utc" || lt == "gmt" || lt == "z":
			tz = &tzInfo{}
		case (t[0] == '+' || t[0] == '-') && len(t) >= 5:
			z := strings.ReplaceAll(t[1:], ":", "")
			h, _ := strconv.Atoi(z[:2])
			m, _ := strconv.Atoi(z[2:4])
			off := h*3600 + m*60
			if t[0] == '-' {
				off = -off
			}
			tz = &tzInfo{offset: off}
		case t[0] >= '0' && t[0] <= '9':
			if strings.ContainsAny(t, ".,") {
				return pyDateTime{}, false
			}
			nums = append(nums, t)
		case t == "," || t == "/" || t == "-" || t == ".":
		case lt == "of" || lt == "at" || lt == "on" || lt == "the" || lt == "t":
		default:
			return pyDateTime{}, false
		}
	}
	// assign numbers to year/month/day as dateutil does (month first)
	var small []int
	for _, n := range nums {
		v, _ := strconv.Atoi(n)
		switch {
		case len(n) == 8 && year < 0 && month < 0:
			year, _ = strconv.Atoi(n[:4])
			month, _ = strconv.Atoi(n[4:6])
			day, _ = strconv.Atoi(n[6:])
		case len(n) >= 3 || v > 31:
			if year >= 0 {
				return pyDateTime{}, false
			}
			year = v
			if len(n) <= 2 {
				year += 2000
			}
		default:
			small = append(small, v)
		}
	}
	if month > 0 {
		for _, v := range small {
			switch {
			case day < 0:
				day = v
			case year < 0:
				year = 2000 + v
			default:
				return pyDateTime{}, false
			}
		}
	} else {
		switch len(small) {
		case 0:
		case 1:
			day = small[0]
		case 2, 3:
			month, day = small[0], small[1]
			if month > 12 {
				month, day = day, month
			}
			if len(small) == 3 {
				if year >= 0 {
					return pyDateTime{}, false
				}
				year = 2000 + small[2]
			}
		default:
			return pyDateTime{}, false
		}
	}
	if year < 0 && month < 0 && day < 0 && len(nums) == 0 && hour == 0 && minute == 0 && len(toks) == 0 {
		return pyDateTime{}, false
	}
	if year < 0 {
		year = now.Year()
	}
	if month < 0 {
		month = int(now.Month())
	}
	if day < 0 {
		day = now.Day()
	}
	if pm >= 0 {
		hour %= 12
		if pm == 1 {
			hour += 12
		}
	}
	d, err := makeDateTime([7]int{year, month, day, hour, minute, sec, us}, tz)
	return d, err == nil
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
