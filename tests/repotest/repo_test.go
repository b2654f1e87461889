// Package repotest holds repository-wide guard tests: layering and
// documentation rules that no single package can check for itself.
package repotest

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/lava-actions/lava-actions"

type pkg struct {
	ImportPath string
	Dir        string
	Name       string
	GoFiles    []string
	Deps       []string
}

func listPackages(t *testing.T, pattern string) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", pattern).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pattern, err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestSDKNeverImportsHost keeps plugin authors' dependency graph free of the
// host: a plugin built with sdk/ must not link the host.
func TestSDKNeverImportsHost(t *testing.T) {
	t.Parallel()
	for _, p := range listPackages(t, module+"/sdk/...") {
		for _, d := range p.Deps {
			if d == module+"/host" || strings.HasPrefix(d, module+"/host/") || strings.HasPrefix(d, module+"/cmd/") {
				t.Errorf("%s depends on %s", p.ImportPath, d)
			}
		}
	}
}

// TestRooms keeps the walls between rooms: the state manager does not link
// the SDK's plugin machinery and lava's rules do not link process
// supervision. (Go's internal rule keeps the generated protobuf code in
// sdk/internal out of reach of everything outside sdk/.)
func TestRooms(t *testing.T) {
	t.Parallel()
	rules := []struct {
		pkg       string
		forbidden []string
	}{
		{module + "/state", []string{module + "/sdk", "github.com/hashicorp/go-plugin", "google.golang.org/grpc"}},
		{module + "/lava", []string{module + "/host", module + "/sdk", "github.com/hashicorp/go-plugin"}},
	}
	for _, r := range rules {
		for _, p := range listPackages(t, r.pkg) {
			for _, d := range p.Deps {
				for _, f := range r.forbidden {
					if d == f {
						t.Errorf("%s depends on %s", p.ImportPath, d)
					}
				}
			}
		}
	}
}

// TestEveryPackageAndExportedNameIsDocumented is the doc-comment rule.
func TestEveryPackageAndExportedNameIsDocumented(t *testing.T) {
	t.Parallel()
	for _, p := range listPackages(t, module+"/...") {
		if strings.HasSuffix(p.ImportPath, "/internal/actionpb") || len(p.GoFiles) == 0 {
			continue // generated code
		}
		fset := token.NewFileSet()
		var files []*ast.File
		for _, f := range p.GoFiles {
			af, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, af)
		}
		dp, err := doc.NewFromFiles(fset, files, p.ImportPath)
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(dp.Doc) == "" {
			t.Errorf("package %s has no doc comment", p.ImportPath)
		}
		if p.Name == "main" {
			continue
		}
		check := func(kind, name, text string) {
			if ast.IsExported(name) && strings.TrimSpace(text) == "" {
				t.Errorf("%s: exported %s %s has no doc comment", p.ImportPath, kind, name)
			}
		}
		for _, f := range dp.Funcs {
			check("func", f.Name, f.Doc)
		}
		for _, ty := range dp.Types {
			check("type", ty.Name, ty.Doc)
			for _, f := range ty.Funcs {
				check("func", f.Name, f.Doc)
			}
			for _, m := range ty.Methods {
				check("method", ty.Name+"."+m.Name, m.Doc)
			}
		}
		for _, v := range append(dp.Vars, dp.Consts...) {
			if v.Doc == "" {
				for _, n := range v.Names {
					check("name", n, "")
				}
			}
		}
	}
}

// TestInternalIsProductCode keeps internal/ for private product code: every
// package there is linked by a command of the module. Test-only packages
// (end-to-end suites, benchmarks, fault injectors) live under tests/.
func TestInternalIsProductCode(t *testing.T) {
	t.Parallel()
	linked := map[string]bool{}
	for _, p := range listPackages(t, module+"/cmd/...") {
		for _, d := range p.Deps {
			linked[d] = true
		}
	}
	for _, p := range listPackages(t, module+"/internal/...") {
		if !linked[p.ImportPath] {
			t.Errorf("%s is not linked by any command: test-only code belongs under tests/", p.ImportPath)
		}
	}
}
