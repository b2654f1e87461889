package render

import "strings"

// A named tuple (Python's datetime.IsoCalendarDate) is a pyTuple, so it
// indexes, iterates, compares and unpacks as one everywhere, that carries
// its class in one spare slot of its backing array beyond its length. A
// tuple built from it (slicing, +, append) does not keep the slot's
// meaning unless the class pointer is still there, which only changes how
// the new tuple prints and whether it has the field attributes.
type tupleClass struct {
	name   string // e.g. datetime.IsoCalendarDate
	fields []string
}

var isoCalendarDate = &tupleClass{name: "datetime.IsoCalendarDate", fields: []string{"year", "week", "weekday"}}

// newNamedTuple is a tuple of values with class c.
func newNamedTuple(c *tupleClass, values ...any) pyTuple {
	backing := make([]any, len(values)+1)
	copy(backing, values)
	backing[len(values)] = c
	return pyTuple(backing[:len(values)])
}

// namedClass is t's class, or nil for a plain tuple.
func namedClass(t pyTuple) *tupleClass {
	if cap(t) <= len(t) {
		return nil
	}
	c, _ := t[:len(t)+1][len(t)].(*tupleClass)
	if c == nil || len(c.fields) != len(t) {
		return nil
	}
	return c
}

// namedField is a named tuple's field attribute.
func namedField(t pyTuple, name string) (any, bool) {
	c := namedClass(t)
	if c == nil {
		return nil, false
	}
	for i, f := range c.fields {
		if f == name {
			return t[i], true
		}
	}
	return nil, false
}

// writeNamedTuple writes a named tuple's repr: Class(field=value, …).
func writeNamedTuple(b *strings.Builder, t pyTuple, c *tupleClass, depth int) {
	b.WriteString(c.name + "(")
	for i, f := range c.fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f + "=")
		writeRepr(b, t[i], depth+1)
	}
	b.WriteByte(')')
}
