package host

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ExecutablePrefix starts the file name of every plugin executable:
// lava-action-<type>.
const ExecutablePrefix = "lava-action-"

// PathEnv lists extra plugin directories, separated by the OS list separator.
const PathEnv = "LAVA_ACTION_PATH"

// Candidate is a plugin executable found on the plugin path.
type Candidate struct {
	// Type is the action type taken from the file name.
	Type string
	// Path is the absolute path of the executable.
	Path string
	// Dir is the plugin directory it was found in.
	Dir string
	// Shadows lists later paths with the same type, which are not used.
	Shadows []string
}

// DefaultPath returns the default plugin path: a "plugins" directory beside
// the running executable, then the LAVA_ACTION_PATH entries.
func DefaultPath() []string {
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dirs = append(dirs, filepath.Join(filepath.Dir(exe), "plugins"))
	}
	for _, d := range filepath.SplitList(os.Getenv(PathEnv)) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// Discover scans dirs in order for files named lava-action-<type>. The first
// match of a type wins; later ones are listed in Shadows. Missing
// directories are skipped; a file that is not executable is reported as a
// problem and not used.
func Discover(dirs []string) (found []Candidate, problems []error) {
	index := map[string]int{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			if !os.IsNotExist(err) {
				problems = append(problems, fmt.Errorf("plugin directory %s: %w", dir, err))
			}
			continue
		}
		for _, e := range entries {
			name := e.Name()
			typ, ok := strings.CutPrefix(name, ExecutablePrefix)
			if !ok || typ == "" || e.IsDir() || strings.ContainsAny(typ, ".") && !strings.HasSuffix(typ, ".exe") {
				continue
			}
			typ = strings.TrimSuffix(typ, ".exe")
			path, err := filepath.Abs(filepath.Join(dir, name))
			if err != nil {
				problems = append(problems, err)
				continue
			}
			info, err := os.Stat(path)
			if err != nil {
				problems = append(problems, fmt.Errorf("plugin %s: %w", path, err))
				continue
			}
			if info.IsDir() {
				continue
			}
			if info.Mode().Perm()&0o111 == 0 {
				problems = append(problems, fmt.Errorf("plugin %s: not executable", path))
				continue
			}
			if i, ok := index[typ]; ok {
				found[i].Shadows = append(found[i].Shadows, path)
				continue
			}
			index[typ] = len(found)
			found = append(found, Candidate{Type: typ, Path: path, Dir: dir})
		}
	}
	slices.SortFunc(found, func(a, b Candidate) int { return strings.Compare(a.Type, b.Type) })
	return found, problems
}

// FileSHA256 returns the hex SHA-256 of a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
