package render

import (
	"os"
	"strings"
)

// The rest of os.path (posixpath) that works on names only, plus abspath
// and expanduser. expandvars is left out on purpose: it would let a job
// template read the worker's environment (credentials).
func init() {
	a := pathModule.attrs
	a["extsep"], a["pardir"], a["curdir"], a["altsep"], a["pathsep"], a["defpath"], a["devnull"] =
		".", "..", ".", nil, ":", "/bin:/usr/bin", "/dev/null"
	a["normcase"] = pathFunc1("normcase", func(p string) any { return p })
	a["splitdrive"] = pathFunc1("splitdrive", func(p string) any { return pyTuple{"", p} })
	a["expanduser"] = pathFunc1("expanduser", expandUser)
	a["abspath"] = pathFunc1("abspath", func(p string) any {
		if !strings.HasPrefix(p, "/") {
			wd, err := os.Getwd()
			if err == nil {
				p = wd + "/" + p
			}
		}
		return pyNormpath(p)
	})
	a["commonprefix"] = &builtinFunc{name: "commonprefix", typName: "function", fn: commonPrefix}
	a["commonpath"] = &builtinFunc{name: "commonpath", typName: "function", fn: commonPath}
	a["relpath"] = &builtinFunc{name: "relpath", typName: "function", fn: relPath}
}

func expandUser(p string) any {
	if !strings.HasPrefix(p, "~") {
		return p
	}
	i := strings.IndexByte(p, '/')
	if i < 0 {
		i = len(p)
	}
	if i > 1 { // ~user: not looked up
		return p
	}
	home := os.Getenv("HOME")
	if home == "" {
		return p
	}
	out := strings.TrimRight(home, "/") + p[i:]
	if out == "" {
		return "/"
	}
	return out
}

// pathList reads the list argument of commonprefix / commonpath.
func pathList(r *rt, fname string, args []any, kw *kwargs) ([]string, error) {
	p, err := bindPyArgs(fname, args, kw, []string{"m"}, nil)
	if err != nil {
		return nil, err
	}
	items, err := iterate(r, p["m"])
	if err != nil {
		return nil, err
	}
	out := make([]string, len(items))
	for i, it := range items {
		s, ok := asString(it)
		if !ok {
			return nil, typeErrorf("expected str, bytes or os.PathLike object, not %s", typeName(it))
		}
		out[i] = s
	}
	return out, nil
}

func commonPrefix(r *rt, args []any, kw *kwargs) (any, error) {
	m, err := pathList(r, "commonprefix", args, kw)
	if err != nil || len(m) == 0 {
		return "", err
	}
	lo, hi := m[0], m[0]
	for _, s := range m[1:] {
		lo, hi = min(lo, s), max(hi, s)
	}
	i := 0
	for i < len(lo) && i < len(hi) && lo[i] == hi[i] {
		i++
	}
	return lo[:i], nil
}

func commonPath(r *rt, args []any, kw *kwargs) (any, error) {
	m, err := pathList(r, "commonpath", args, kw)
	if err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, valueErrorf("commonpath() arg is an empty sequence")
	}
	abs := strings.HasPrefix(m[0], "/")
	var parts [][]string
	for _, s := range m {
		if strings.HasPrefix(s, "/") != abs {
			return nil, valueErrorf("Can't mix absolute and relative paths")
		}
		var keep []string
		for _, c := range strings.Split(s, "/") {
			if c != "" && c != "." {
				keep = append(keep, c)
			}
		}
		parts = append(parts, keep)
	}
	common := parts[0]
	for _, p := range parts[1:] {
		n := 0
		for n < len(common) && n < len(p) && common[n] == p[n] {
			n++
		}
		common = common[:n]
	}
	prefix := ""
	if abs {
		prefix = "/"
	}
	return prefix + strings.Join(common, "/"), nil
}

func relPath(r *rt, args []any, kw *kwargs) (any, error) {
	p, err := bindPyArgs("relpath", args, kw, []string{"path", "start"}, map[string]any{"start": nil})
	if err != nil {
		return nil, err
	}
	path, ok := asString(p["path"])
	if !ok || path == "" {
		return nil, valueErrorf("no path specified")
	}
	start := "."
	if p["start"] != nil {
		if start, ok = asString(p["start"]); !ok {
			return nil, typeErrorf("expected str, bytes or os.PathLike object, not %s", typeName(p["start"]))
		}
	}
	absOf := func(s string) []string {
		if !strings.HasPrefix(s, "/") {
			wd, _ := os.Getwd()
			s = wd + "/" + s
		}
		var out []string
		for _, c := range strings.Split(pyNormpath(s), "/") {
			if c != "" {
				out = append(out, c)
			}
		}
		return out
	}
	a, b := absOf(start), absOf(path)
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	var rel []string
	for range a[n:] {
		rel = append(rel, "..")
	}
	rel = append(rel, b[n:]...)
	if len(rel) == 0 {
		return ".", nil
	}
	return strings.Join(rel, "/"), nil
}
