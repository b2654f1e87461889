package render

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// pyPercent is Python's str % args.
// percentState is one printf-style str % args formatting.
type percentState struct {
	format      string
	i           int
	pos         []any
	next        int
	mapping     *pyDict
	usedMapping bool
}

// pyPercent is Python's format % args.
func pyPercent(format string, args any) (any, error) {
	p := &percentState{format: format}
	switch a := args.(type) {
	case pyTuple:
		p.pos = a
	case *pyDict:
		p.mapping = a
		p.pos = []any{a}
	default:
		p.pos = []any{a}
	}
	var b strings.Builder
	for ; p.i < len(format); p.i++ {
		c := format[p.i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		p.i++
		if p.i >= len(format) {
			return nil, valueErrorf("incomplete format")
		}
		if err := p.field(&b); err != nil {
			return nil, err
		}
	}
	if p.next < len(p.pos) && !p.usedMapping && p.mapping == nil {
		return nil, typeErrorf("not all arguments converted during string formatting")
	}
	return b.String(), nil
}

// take is the next positional argument.
func (p *percentState) take() (any, error) {
	if p.next >= len(p.pos) {
		return nil, typeErrorf("not enough arguments for format string")
	}
	v := p.pos[p.next]
	p.next++
	return v, nil
}

// field formats one conversion after its '%'.
func (p *percentState) field(b *strings.Builder) error {
	arg, haveArg, err := p.mappingKey()
	if err != nil {
		return err
	}
	flags, width, prec, err := p.flagsWidthPrec()
	if err != nil {
		return err
	}
	f := p.format
	for p.i < len(f) && strings.IndexByte("hlL", f[p.i]) >= 0 {
		p.i++
	}
	if p.i >= len(f) {
		return valueErrorf("incomplete format")
	}
	conv := f[p.i]
	if conv == '%' {
		b.WriteByte('%')
		return nil
	}
	if !haveArg {
		if arg, err = p.take(); err != nil {
			return err
		}
	}
	s, err := formatOne(conv, flags, width, prec, arg, p.i)
	if err != nil {
		return err
	}
	b.WriteString(s)
	return nil
}

// mappingKey reads a %(key) and looks it up in the mapping argument.
func (p *percentState) mappingKey() (any, bool, error) {
	f := p.format
	if f[p.i] != '(' {
		return nil, false, nil
	}
	if p.mapping == nil {
		return nil, false, typeErrorf("format requires a mapping")
	}
	depth, j := 1, p.i+1
	for ; j < len(f) && depth > 0; j++ {
		switch f[j] {
		case '(':
			depth++
		case ')':
			depth--
		}
	}
	if depth > 0 {
		return nil, false, valueErrorf("incomplete format key")
	}
	key := f[p.i+1 : j-1]
	v, ok := p.mapping.get(key)
	if !ok {
		return nil, false, newErr(classKey, "'"+key+"'")
	}
	p.usedMapping = true
	p.i = j
	return v, true, nil
}

// starArg is the int argument of a '*' width or precision.
func (p *percentState) starArg() (int, error) {
	v, err := p.take()
	if err != nil {
		return 0, err
	}
	n, ok := v.(int64)
	if !ok {
		return 0, typeErrorf("* wants int")
	}
	p.i++
	return int(n), nil
}

func (p *percentState) digits() (int, bool) {
	start := p.i
	for p.i < len(p.format) && p.format[p.i] >= '0' && p.format[p.i] <= '9' {
		p.i++
	}
	n, _ := strconv.Atoi(p.format[start:p.i])
	return n, p.i > start
}

// flagsWidthPrec reads the flags, width and precision of a conversion.
func (p *percentState) flagsWidthPrec() (string, int, int, error) {
	f := p.format
	var flags string
	for p.i < len(f) && strings.IndexByte("-+ #0", f[p.i]) >= 0 {
		flags += string(f[p.i])
		p.i++
	}
	width := -1
	if p.i < len(f) && f[p.i] == '*' {
		w, err := p.starArg()
		if err != nil {
			return "", 0, 0, err
		}
		if width = w; width < 0 {
			flags += "-"
			width = -width
		}
	} else if n, ok := p.digits(); ok {
		width = n
	}
	prec := -1
	if p.i < len(f) && f[p.i] == '.' {
		p.i++
		if p.i < len(f) && f[p.i] == '*' {
			n, err := p.starArg()
			if err != nil {
				return "", 0, 0, err
			}
			prec = n
		} else {
			prec, _ = p.digits()
		}
	}
	return flags, width, prec, nil
}

func padField(s string, flags string, width int, numeric bool) string {
	n := len([]rune(s))
	if width <= n {
		return s
	}
	fill := width - n
	switch {
	case strings.Contains(flags, "-"):
		return s + strings.Repeat(" ", fill)
	case numeric && strings.Contains(flags, "0"):
		sign := ""
		if len(s) > 0 && (s[0] == '-' || s[0] == '+' || s[0] == ' ') {
			sign, s = s[:1], s[1:]
		}
		prefix := ""
		if len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X' || s[1] == 'o') {
			prefix, s = s[:2], s[2:]
		}
		return sign + prefix + strings.Repeat("0", fill) + s
	}
	return strings.Repeat(" ", fill) + s
}

func signed(s string, neg bool, flags string) string {
	switch {
	case neg:
		return "-" + s
	case strings.Contains(flags, "+"):
		return "+" + s
	case strings.Contains(flags, " "):
		return " " + s
	}
	return s
}

func toIntForFormat(conv byte, v any) (*big.Int, error) {
	switch t := v.(type) {
	case int64, bool, *big.Int:
		b, _ := toBig(t)
		return b, nil
	case float64:
		if conv == 'x' || conv == 'X' || conv == 'o' || conv == 'c' {
			return nil, typeErrorf("%%%c format: an integer is required, not float", conv)
		}
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return nil, newErr(classOverflow, "cannot convert float infinity to integer")
		}
		b, _ := new(big.Float).SetFloat64(math.Trunc(t)).Int(nil)
		return b, nil
	case *apd.Decimal:
		if conv == 'x' || conv == 'X' || conv == 'o' {
			return nil, typeErrorf("%%%c format: an integer is required, not decimal.Decimal", conv)
		}
		var i apd.Decimal
		_, _ = decCtx.RoundToIntegralValue(&i, truncDec(t))
		b, _ := new(big.Int).SetString(i.Text('f'), 10)
		return b, nil
	}
	if conv == 'x' || conv == 'X' || conv == 'o' || conv == 'c' {
		return nil, typeErrorf("%%%c format: an integer is required, not %s", conv, typeName(v))
	}
	return nil, typeErrorf("%%%c format: a real number is required, not %s", conv, typeName(v))
}

func truncDec(d *apd.Decimal) *apd.Decimal {
	c := decCtx
	c.Rounding = apd.RoundDown
	out := new(apd.Decimal)
	_, _ = c.RoundToIntegralValue(out, d)
	return out
}

func formatOne(conv byte, flags string, width, prec int, arg any, _ int) (string, error) {
	if err := checkWidth(width); err != nil {
		return "", err
	}
	if err := checkWidth(prec); err != nil {
		return "", err
	}
	switch conv {
	case 's':
		s := pyStr(arg)
		if prec >= 0 && prec < len([]rune(s)) {
			s = string([]rune(s)[:prec])
		}
		return padField(s, flags, width, false), nil
	case 'r', 'a':
		s := reprAny(arg)
		if prec >= 0 && prec < len([]rune(s)) {
			s = string([]rune(s)[:prec])
		}
		return padField(s, flags, width, false), nil
	case 'd', 'i', 'u', 'x', 'X', 'o':
		bi, err := toIntForFormat(conv, arg)
		if err != nil {
			return "", err
		}
		neg := bi.Sign() < 0
		abs := new(big.Int).Abs(bi)
		var s string
		switch conv {
		case 'x':
			s = abs.Text(16)
			if strings.Contains(flags, "#") {
				s = "0x" + s
			}
		case 'X':
			s = strings.ToUpper(abs.Text(16))
			if strings.Contains(flags, "#") {
				s = "0X" + s
			}
		case 'o':
			s = abs.Text(8)
			if strings.Contains(flags, "#") {
				s = "0o" + s
			}
		default:
			s = abs.String()
		}
		if prec > len(s) {
			s = strings.Repeat("0", prec-len(s)) + s
		}
		return padField(signed(s, neg, flags), flags, width, true), nil
	case 'e', 'E', 'f', 'F', 'g', 'G':
		f, ok := toFloat(arg)
		if !ok || isString(arg) {
			return "", typeErrorf("must be real number, not %s", typeName(arg))
		}
		if _, isU := arg.(*undefinedValue); isU {
			return "", arg.(*undefinedValue).err()
		}
		if prec < 0 {
			prec = 6
		}
		return padField(formatFloatSpec(f, conv, prec, flags), flags, width, !math.IsInf(f, 0) && !math.IsNaN(f)), nil
	case 'c':
		switch t := arg.(type) {
		case string:
			if len([]rune(t)) != 1 {
				return "", typeErrorf("%%c requires int or char")
			}
			return padField(t, flags, width, false), nil
		case int64:
			return padField(string(rune(t)), flags, width, false), nil
		}
		return "", typeErrorf("%%c requires int or char")
	}
	return "", valueErrorf("unsupported format character '%c' (0x%x)", conv, conv)
}

func formatFloatSpec(f float64, conv byte, prec int, flags string) string {
	neg := math.Signbit(f) && !math.IsNaN(f)
	a := math.Abs(f)
	var s string
	switch {
	case math.IsInf(a, 0):
		s = "inf"
	case math.IsNaN(a):
		s = "nan"
	default:
		lc := conv | 0x20
		if lc == 'g' && prec == 0 {
			prec = 1
		}
		s = strconv.FormatFloat(a, lc, prec, 64)
		if lc == 'g' {
			// C's %g: exponent with at least 2 digits, no trailing zeros unless '#'
			s = cStyleG(a, prec, strings.Contains(flags, "#"))
		} else if lc == 'e' {
			s = fixExp(s)
		}
		if prec == 0 && strings.Contains(flags, "#") && !strings.Contains(s, ".") {
			s += "."
		}
	}
	if conv >= 'A' && conv <= 'Z' {
		s = strings.ToUpper(s)
	}
	return signed(s, neg, flags)
}

// fixExp makes Go's e+5 into C's e+05.
func fixExp(s string) string {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return s
	}
	exp := s[i+2:]
	if len(exp) < 2 {
		exp = "0" + exp
	}
	return s[:i+2] + exp
}

func cStyleG(a float64, prec int, alt bool) string {
	if a == 0 {
		if alt {
			return "0." + strings.Repeat("0", prec-1)
		}
		return "0"
	}
	e := strconv.FormatFloat(a, 'e', prec-1, 64)
	mant, expS, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expS)
	var s string
	if exp < -4 || exp >= prec {
		if !alt && strings.Contains(mant, ".") {
			mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
		}
		s = fixExp(mant + "e" + expS[:1] + expS[1:])
		if !strings.Contains(s, "e") {
			s = mant + "e" + expS
		}
	} else {
		s = strconv.FormatFloat(a, 'f', prec-1-exp, 64)
		if !alt && strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
	}
	return s
}

// pyStrFormat is Python's str.format.
// pyStrFormat is Python's str.format(*args, **kw).
func pyStrFormat(r *rt, format string, args []any, kw *kwargs) (any, error) {
	var b strings.Builder
	auto := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c == '}' {
			if i+1 < len(format) && format[i+1] == '}' {
				b.WriteByte('}')
				i++
				continue
			}
			return nil, valueErrorf("Single '}' encountered in format string")
		}
		if c != '{' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(format) && format[i+1] == '{' {
			b.WriteByte('{')
			i++
			continue
		}
		j := strings.IndexByte(format[i:], '}')
		if j < 0 {
			return nil, valueErrorf("Single '{' encountered in format string")
		}
		s, err := formatField(format[i+1:i+j], args, kw, &auto)
		if err != nil {
			return nil, err
		}
		b.WriteString(s)
		i += j
	}
	return b.String(), nil
}

// formatField formats one {name.attr[key]!conv:spec} replacement field.
func formatField(field string, args []any, kw *kwargs, auto *int) (string, error) {
	name, spec, _ := strings.Cut(field, ":")
	conv := ""
	if k := strings.IndexByte(name, '!'); k >= 0 {
		conv, name = name[k+1:], name[:k]
	}
	rest := ""
	if k := strings.IndexAny(name, ".["); k >= 0 {
		rest, name = name[k:], name[:k]
	}
	v, err := formatArg(name, args, kw, auto)
	if err != nil {
		return "", err
	}
	if v, err = formatLookup(v, rest); err != nil {
		return "", err
	}
	switch conv {
	case "r", "a":
		v = reprAny(v)
	case "s":
		v = pyStr(v)
	}
	return formatSpec(v, spec)
}

// formatArg is the argument a field names: automatic, by index or by keyword.
func formatArg(name string, args []any, kw *kwargs, auto *int) (any, error) {
	if name == "" {
		if *auto >= len(args) {
			return nil, newErr(classIndex, fmt.Sprintf("Replacement index %d out of range for positional args tuple", *auto))
		}
		*auto++
		return args[*auto-1], nil
	}
	if n, err := strconv.Atoi(name); err == nil {
		if n >= len(args) {
			return nil, newErr(classIndex, fmt.Sprintf("Replacement index %d out of range for positional args tuple", n))
		}
		return args[n], nil
	}
	v, ok := kw.get(name)
	if !ok {
		return nil, newErr(classKey, "'"+name+"'")
	}
	return v, nil
}

// formatLookup applies a field's .attr and [key] parts.
func formatLookup(v any, rest string) (any, error) {
	for rest != "" {
		var err error
		if rest[0] == '.' {
			attr := rest[1:]
			if k := strings.IndexAny(rest[1:], ".["); k >= 0 {
				attr, rest = rest[1:k+1], rest[k+1:]
			} else {
				rest = ""
			}
			if v, err = getAttr(v, attr); err != nil {
				return nil, err
			}
			continue
		}
		k := strings.IndexByte(rest, ']')
		if k < 0 {
			return nil, valueErrorf("Missing ']' in format string")
		}
		var key any = rest[1:k]
		if n, err := strconv.Atoi(rest[1:k]); err == nil {
			key = int64(n)
		}
		rest = rest[k+1:]
		if v, err = getItem(v, key); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// formatSpec is Python's format(v, spec) for the common mini-language.
// fmtSpec is a parsed format-spec mini-language field:
// [[fill]align][sign][#][0][width][,|_][.precision][type].
type fmtSpec struct {
	fill  string
	align byte
	sign  string
	alt   bool
	width int
	comma bool
	prec  int
	typ   byte
}

func (f *fmtSpec) flags() string {
	if f.alt {
		return f.sign + "#"
	}
	return f.sign
}

func parseFmtSpec(spec string) (fmtSpec, error) {
	f := fmtSpec{fill: " ", prec: -1}
	rs := []rune(spec)
	i := 0
	if len(rs) >= 2 && strings.ContainsRune("<>=^", rs[1]) {
		f.fill, f.align = string(rs[0]), byte(rs[1])
		i = 2
	} else if len(rs) >= 1 && strings.ContainsRune("<>=^", rs[0]) {
		f.align = byte(rs[0])
		i = 1
	}
	spec = string(rs[i:])
	if spec != "" && strings.IndexByte("+- ", spec[0]) >= 0 {
		f.sign, spec = spec[:1], spec[1:]
	}
	if strings.HasPrefix(spec, "#") {
		f.alt, spec = true, spec[1:]
	}
	if strings.HasPrefix(spec, "0") {
		if f.align == 0 {
			f.fill, f.align = "0", '='
		}
		spec = spec[1:]
	}
	k := 0
	for k < len(spec) && spec[k] >= '0' && spec[k] <= '9' {
		k++
	}
	if k > 0 {
		f.width, _ = strconv.Atoi(spec[:k])
	}
	if err := checkWidth(f.width); err != nil {
		return f, err
	}
	spec = spec[k:]
	if strings.HasPrefix(spec, ",") || strings.HasPrefix(spec, "_") {
		f.comma, spec = true, spec[1:]
	}
	if strings.HasPrefix(spec, ".") {
		k = 1
		for k < len(spec) && spec[k] >= '0' && spec[k] <= '9' {
			k++
		}
		f.prec, _ = strconv.Atoi(spec[1:k])
		spec = spec[k:]
	}
	if spec != "" {
		f.typ = spec[0]
	}
	return f, nil
}

// formatSpec is format(v, spec).
func formatSpec(v any, spec string) (string, error) {
	if spec == "" {
		return pyStr(v), nil
	}
	f, err := parseFmtSpec(spec)
	if err != nil {
		return "", err
	}
	return f.format(v)
}

// format formats v as the spec says.
func (f *fmtSpec) format(v any) (string, error) {
	var err error
	var s string
	numeric := true
	switch f.typ {
	case 0, 's':
		s, numeric = f.formatDefault(v)
	case 'd', 'x', 'X', 'o', 'b', 'n':
		if s, err = f.formatInt(v); err != nil {
			return "", err
		}
	case 'f', 'F', 'e', 'E', 'g', 'G', '%':
		if s, err = f.formatFloat(v); err != nil {
			return "", err
		}
	default:
		return "", valueErrorf("Unknown format code '%c' for object of type '%s'", f.typ, typeName(v))
	}
	return f.pad(s, numeric), nil
}

// formatDefault is the empty and 's' types; numbers keep their number form.
func (f *fmtSpec) formatDefault(v any) (string, bool) {
	if _, isBool := v.(bool); f.typ == 0 && isNumber(v) && !isBool {
		if x, ok := v.(float64); ok && f.prec >= 0 {
			return formatFloatSpec(x, 'g', f.prec, f.flags()), true
		}
		s := pyStr(v)
		if f.comma && isInt(v) {
			neg := strings.HasPrefix(s, "-")
			s = signed(groupThousands(strings.TrimPrefix(s, "-")), neg, "")
		}
		if f.sign == "+" && !strings.HasPrefix(s, "-") {
			s = "+" + s
		}
		return s, true
	}
	s := pyStr(v)
	if f.prec >= 0 && f.prec < len([]rune(s)) {
		s = string([]rune(s)[:f.prec])
	}
	if f.align == 0 {
		f.align = '<'
	}
	return s, false
}

func (f *fmtSpec) formatInt(v any) (string, error) {
	bi, ok := toBig(v)
	if !ok {
		return "", valueErrorf("Unknown format code '%c' for object of type '%s'", f.typ, typeName(v))
	}
	abs := new(big.Int).Abs(bi)
	var s string
	switch f.typ {
	case 'x':
		s = abs.Text(16)
	case 'X':
		s = strings.ToUpper(abs.Text(16))
	case 'o':
		s = abs.Text(8)
	case 'b':
		s = abs.Text(2)
	default:
		s = abs.String()
		if f.comma {
			s = groupThousands(s)
		}
	}
	return signed(s, bi.Sign() < 0, f.flags()), nil
}

func (f *fmtSpec) formatFloat(v any) (string, error) {
	x, ok := toFloat(v)
	if !ok || isString(v) {
		return "", valueErrorf("Unknown format code '%c' for object of type '%s'", f.typ, typeName(v))
	}
	prec := f.prec
	if prec < 0 {
		prec = 6
	}
	var s string
	if f.typ == '%' {
		s = formatFloatSpec(x*100, 'f', prec, f.flags()) + "%"
	} else {
		s = formatFloatSpec(x, f.typ, prec, f.flags())
	}
	if f.comma {
		neg := strings.HasPrefix(s, "-")
		body := strings.TrimLeft(s, "+- ")
		intPart, frac, hasFrac := strings.Cut(body, ".")
		body = groupThousands(intPart)
		if hasFrac {
			body += "." + frac
		}
		s = signed(body, neg, f.flags())
	}
	return s, nil
}

// pad applies width, fill and alignment.
func (f *fmtSpec) pad(s string, numeric bool) string {
	align := f.align
	if align == 0 {
		align = '<'
		if numeric {
			align = '>'
		}
	}
	n := len([]rune(s))
	if f.width <= n {
		return s
	}
	padN := f.width - n
	switch align {
	case '<':
		s += strings.Repeat(f.fill, padN)
	case '>':
		s = strings.Repeat(f.fill, padN) + s
	case '^':
		left := padN / 2
		s = strings.Repeat(f.fill, left) + s + strings.Repeat(f.fill, padN-left)
	case '=':
		signPart := ""
		if len(s) > 0 && strings.IndexByte("+- ", s[0]) >= 0 {
			signPart, s = s[:1], s[1:]
		}
		s = signPart + strings.Repeat(f.fill, padN) + s
	}
	return s
}

func groupThousands(s string) string {
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// checkWidth refuses a field width or precision whose padding alone would
// pass the size limit of one value, before any memory is spent on it.
func checkWidth(w int) error {
	if w > maxRepeat {
		return &limitError{sentinel: ErrOutputTooLarge, detail: fmt.Sprintf("field width %d too large", w)}
	}
	return nil
}

// widthArg is intArg for a width argument (center, ljust, indent, …),
// bounded by checkWidth.
func widthArg(v any) (int, error) {
	w, err := intArg(v)
	if err != nil {
		return 0, err
	}
	return w, checkWidth(w)
}
