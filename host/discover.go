package host

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lava-actions/lava-actions/host/lockfile"
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
// match of a type wins; later ones are listed in Shadows. A directory named
// twice (also through a symbolic link, a trailing slash or a relative path)
// is scanned once, and a later entry that is the same file as the one used
// (a link to it) is not a shadow. Missing directories are skipped; a file
// that is not executable is reported as a problem and not used.
func Discover(dirs []string) (found []Candidate, problems []error) {
	index := map[string]int{}
	used := map[string]string{} // type -> real path of the file used
	seen := map[string]bool{}   // real directories scanned
	for _, dir := range dirs {
		realDir, err := filepath.EvalSymlinks(dir)
		if err == nil {
			realDir, err = filepath.Abs(realDir)
		}
		if err != nil {
			if !os.IsNotExist(err) {
				problems = append(problems, fmt.Errorf("plugin directory %s: %w", dir, err))
			}
			continue
		}
		if seen[realDir] {
			continue
		}
		seen[realDir] = true
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
			real, err := filepath.EvalSymlinks(path)
			if err != nil {
				real = path
			}
			if i, ok := index[typ]; ok {
				if real != used[typ] && !slices.Contains(found[i].Shadows, path) {
					found[i].Shadows = append(found[i].Shadows, path)
				}
				continue
			}
			index[typ] = len(found)
			used[typ] = real
			found = append(found, Candidate{Type: typ, Path: path, Dir: filepath.Clean(dir)})
		}
	}
	slices.SortFunc(found, func(a, b Candidate) int { return strings.Compare(a.Type, b.Type) })
	return found, problems
}

// FileSHA256 returns the hex SHA-256 of a file (lockfile.Sum).
func FileSHA256(path string) (string, error) { return lockfile.Sum(path) }

// firstTimeLocked reports whether the plugin path warning key is new, so
// that rescans do not repeat it. h.mu must be held.
func (h *Host) firstTimeLocked(key string) bool {
	if h.warned[key] {
		return false
	}
	if h.warned == nil {
		h.warned = map[string]bool{}
	}
	h.warned[key] = true
	return true
}
