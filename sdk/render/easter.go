package render

import "time"

// easterModule is dateutil.easter.
var easterModule = &module{name: "dateutil.easter", attrs: map[string]any{
	"EASTER_JULIAN":   int64(1),
	"EASTER_ORTHODOX": int64(2),
	"EASTER_WESTERN":  int64(3),
	"easter":          &builtinFunc{name: "easter", typName: "function", fn: easterFunc},
}}

// easterFunc is dateutil.easter.easter(year, method=3).
func easterFunc(r *rt, args []any, kw *kwargs) (any, error) {
	p, err := bindPyArgs("easter", args, kw, []string{"year", "method"}, map[string]any{"method": int64(3)})
	if err != nil {
		return nil, err
	}
	method, err := intArg(p["method"])
	if err != nil {
		return nil, err
	}
	if method < 1 || method > 3 {
		return nil, valueErrorf("invalid method")
	}
	y, err := intArg(p["year"])
	if err != nil {
		return nil, err
	}
	g, e := y%19, 0
	var i, j int
	if method < 3 {
		i = (19*g + 15) % 30
		j = (y + y/4 + i) % 7
		if method == 2 {
			e = 10
			if y > 1600 {
				e = e + y/100 - 16 - (y/100-16)/4
			}
		}
	} else {
		c := y / 100
		h := (c - c/4 - (8*c+13)/25 + 19*g + 15) % 30
		i = h - (h/28)*(1-(h/28)*(29/(h+1))*((21-g)/11))
		j = (y + y/4 + i + 2 - c + c/4) % 7
	}
	pp := i - j + e
	d := 1 + (pp+27+(pp+6)/40)%31
	m := 3 + (pp+26)/30
	if err := checkDate(y, m, d); err != nil {
		return nil, valueErrorf("year %d is out of range", y)
	}
	return pyDate{t: time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)}, nil
}
