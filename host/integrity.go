package host

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/hashicorp/go-plugin"
	"github.com/lava-actions/lava-actions/host/lockfile"
	"github.com/lava-actions/lava-actions/host/trust"
)

// ErrIntegrity marks a plugin refused by verification against a lock file.
var ErrIntegrity = errors.New("plugin integrity check failed")

// ErrUntrusted marks a plugin refused by the plugin-path trust checks
// (package trust): a directory or executable writable by group or others or
// owned by another user, or a symbolic link out of the plugin directory.
var ErrUntrusted = trust.ErrUntrusted

// Verification is the result of checking one plugin.
type Verification struct {
	Path string
	// Err is nil when the plugin may run.
	Err error
	// Warnings are problems that do not stop it: trust problems when the
	// trust checks are turned off.
	Warnings []string
}

// VerifyPlugin checks a candidate: the trust checks of package trust (as
// warnings when insecure is set), then the lock: the file must be listed
// with the SHA-256 it has now.
func VerifyPlugin(c Candidate, lock lockfile.Lock, insecure bool) Verification {
	return verifyPlugin(c, lock, insecure, true)
}

// verifyPlugin is VerifyPlugin; with hash false it skips the checksum, which
// the host leaves to go-plugin's SecureConfig right before exec. A nil lock
// skips the lock checks.
func verifyPlugin(c Candidate, lock lockfile.Lock, insecure, hash bool) Verification {
	v := Verification{Path: c.Path}
	real, err := trust.CheckPlugin(c.Dir, c.Path)
	if err != nil {
		// A symlink out of the directory is refused even with the trust
		// checks off: a lock cannot vouch for a file outside its directory.
		if !insecure || !errors.Is(err, trust.ErrUntrusted) || errors.Is(err, trust.ErrOutside) {
			v.Err = err
			return v
		}
		v.Warnings = append(v.Warnings, err.Error())
		if real, err = filepath.EvalSymlinks(c.Path); err != nil {
			v.Err = fmt.Errorf("%w: %w", ErrIntegrity, err)
			return v
		}
	}
	if lock == nil {
		return v
	}
	want, ok := lock[filepath.Base(c.Path)]
	if !ok {
		v.Err = fmt.Errorf("%w: %s is not in the lock file", ErrIntegrity, filepath.Base(c.Path))
		return v
	}
	if !hash {
		return v
	}
	got, err := lockfile.Sum(real)
	if err != nil {
		v.Err = fmt.Errorf("%w: %w", ErrIntegrity, err)
		return v
	}
	if got != want {
		v.Err = fmt.Errorf("%w: %s has sha256 %s, the lock says %s", ErrIntegrity, filepath.Base(c.Path), got, want)
	}
	return v
}

// WriteLock checks every lava-action-* executable in dir (the trust checks,
// unless insecure), hashes it and writes dir/lava-actions.lock. It returns
// the lock written; nothing is written when a check fails.
func WriteLock(dir string, insecure bool) (lockfile.Lock, []string, error) {
	found, problems := Discover([]string{dir})
	if len(problems) > 0 {
		return nil, nil, errors.Join(problems...)
	}
	var warnings []string
	if _, err := trust.CheckDir(dir); err != nil {
		if !insecure || !errors.Is(err, trust.ErrUntrusted) {
			return nil, nil, err
		}
		warnings = append(warnings, err.Error())
	}
	files := make([]string, 0, len(found))
	for _, c := range found {
		v := verifyPlugin(c, nil, insecure, false)
		if v.Err != nil {
			return nil, nil, v.Err
		}
		warnings = append(warnings, v.Warnings...)
		files = append(files, c.Path)
	}
	lock, err := lockfile.Write(dir, files)
	return lock, warnings, err
}

// admit checks a plugin before a start: the trust checks unless
// Config.InsecurePluginPath, then, with Config.Verify, the lock file. It
// returns the SecureConfig that makes go-plugin hash the binary (with a
// fresh hash) right before exec, and warnings to log.
func (h *Host) admit(typ, path string) (*plugin.SecureConfig, []string, error) {
	if !h.cfg.Verify && h.cfg.InsecurePluginPath {
		return nil, nil, nil
	}
	h.mu.Lock()
	c, ok := h.found[typ]
	h.mu.Unlock()
	if !ok || c.Path != path {
		return nil, nil, fmt.Errorf("%w: %s is no longer on the plugin path", ErrIntegrity, path)
	}
	var lock lockfile.Lock
	if h.cfg.Verify {
		var err error
		if lock, _, err = lockfile.Read(c.Dir); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrIntegrity, err)
		}
	}
	v := verifyPlugin(c, lock, h.cfg.InsecurePluginPath, false)
	if v.Err != nil || !h.cfg.Verify {
		return nil, v.Warnings, v.Err
	}
	sum, ok := lock.Checksum(filepath.Base(path))
	if !ok {
		return nil, v.Warnings, fmt.Errorf("%w: %s is not in the lock file", ErrIntegrity, filepath.Base(path))
	}
	return &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()}, v.Warnings, nil
}
