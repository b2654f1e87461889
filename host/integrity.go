package host

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/go-plugin"
)

// LockFileName is the lock file's name inside a plugin directory. Its lines
// are "<sha256>  <file name>", the format of sha256sum and of the
// SHA256SUMS file `make plugins` writes, so either can serve as a lock.
const LockFileName = "lava-actions.lock"

// ErrIntegrity marks a plugin refused by verification.
var ErrIntegrity = errors.New("plugin integrity check failed")

// Lock maps a plugin file name to its hex SHA-256.
type Lock map[string]string

// WriteLock hashes every lava-action-* executable in dir and writes
// dir/lava-actions.lock. It returns the lock written.
func WriteLock(dir string) (Lock, error) {
	found, problems := Discover([]string{dir})
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	lock := Lock{}
	for _, c := range found {
		sum, err := FileSHA256(c.Path)
		if err != nil {
			return nil, err
		}
		lock[filepath.Base(c.Path)] = sum
	}
	names := make([]string, 0, len(lock))
	for n := range lock {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s  %s\n", lock[n], n)
	}
	if err := os.WriteFile(filepath.Join(dir, LockFileName), []byte(b.String()), 0o644); err != nil {
		return nil, fmt.Errorf("write lock file: %w", err)
	}
	return lock, nil
}

// ReadLock reads dir/lava-actions.lock, falling back to dir/SHA256SUMS.
func ReadLock(dir string) (Lock, string, error) {
	for _, name := range []string{LockFileName, "SHA256SUMS"} {
		path := filepath.Join(dir, name)
		f, err := os.Open(path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, path, err
		}
		defer f.Close()
		lock := Lock{}
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			sum, file, ok := strings.Cut(line, " ")
			file = strings.TrimPrefix(strings.TrimSpace(file), "*")
			if _, err := hex.DecodeString(sum); !ok || err != nil || len(sum) != 64 || file == "" {
				return nil, path, fmt.Errorf("%s:%d: want \"<sha256>  <file>\"", path, n)
			}
			lock[file] = sum
		}
		return lock, path, sc.Err()
	}
	return nil, filepath.Join(dir, LockFileName), fmt.Errorf("no %s or SHA256SUMS in %s", LockFileName, dir)
}

// Verification is the result of checking one plugin against its lock.
type Verification struct {
	Path string
	// Err is nil when the plugin may run.
	Err error
	// Warnings are problems that do not stop it, e.g. loose permissions.
	Warnings []string
}

// VerifyPlugin checks a candidate found in dir: the path must resolve inside
// dir (no symlink out of it), the file must be listed in the lock and its
// SHA-256 must match. Group- or world-writable files and directories are
// reported as warnings.
func VerifyPlugin(dir string, c Candidate, lock Lock) Verification {
	return verifyPlugin(dir, c, lock, true)
}

// verifyPlugin is VerifyPlugin; with hash false it skips the checksum, which
// the host leaves to go-plugin's SecureConfig right before exec.
func verifyPlugin(dir string, c Candidate, lock Lock, hash bool) Verification {
	v := Verification{Path: c.Path}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		v.Err = fmt.Errorf("%w: %v", ErrIntegrity, err)
		return v
	}
	real, err := filepath.EvalSymlinks(c.Path)
	if err != nil {
		v.Err = fmt.Errorf("%w: %v", ErrIntegrity, err)
		return v
	}
	if rel, err := filepath.Rel(realDir, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		v.Err = fmt.Errorf("%w: %s resolves to %s, outside the plugin directory %s", ErrIntegrity, c.Path, real, realDir)
		return v
	}
	for _, p := range []string{realDir, real} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o022 != 0 {
			v.Warnings = append(v.Warnings, fmt.Sprintf("%s is writable by group or others (mode %v)", p, fi.Mode().Perm()))
		}
	}
	want, ok := lock[filepath.Base(c.Path)]
	if !ok {
		v.Err = fmt.Errorf("%w: %s is not in the lock file", ErrIntegrity, filepath.Base(c.Path))
		return v
	}
	if !hash {
		return v
	}
	got, err := FileSHA256(real)
	if err != nil {
		v.Err = fmt.Errorf("%w: %v", ErrIntegrity, err)
		return v
	}
	if got != want {
		v.Err = fmt.Errorf("%w: %s has sha256 %s, the lock says %s", ErrIntegrity, filepath.Base(c.Path), got, want)
	}
	return v
}

// checksum returns the locked checksum bytes for go-plugin's SecureConfig.
func (l Lock) checksum(name string) ([]byte, error) {
	s, ok := l[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s is not in the lock file", ErrIntegrity, name)
	}
	return hex.DecodeString(s)
}

// verify checks a plugin before a start and returns the SecureConfig that
// makes go-plugin hash the binary (with a fresh hash) right before exec.
func (h *Host) verify(typ, path string) (*plugin.SecureConfig, []string, error) {
	h.mu.Lock()
	c, ok := h.found[typ]
	h.mu.Unlock()
	if !ok || c.Path != path {
		return nil, nil, fmt.Errorf("%w: %s is no longer on the plugin path", ErrIntegrity, path)
	}
	lock, _, err := ReadLock(c.Dir)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrIntegrity, err)
	}
	v := verifyPlugin(c.Dir, c, lock, false)
	if v.Err != nil {
		return nil, v.Warnings, v.Err
	}
	sum, err := lock.checksum(filepath.Base(path))
	if err != nil {
		return nil, v.Warnings, err
	}
	return &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()}, v.Warnings, nil
}
