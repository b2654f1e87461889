// Package trust checks that a plugin directory and the plugin executables
// in it can be trusted before the host runs them, as sshd's StrictModes
// does for a user's key files: neither may be writable by group or others,
// each must be owned by root or by the user running the host, and a plugin
// reached through a symbolic link must resolve inside its directory.
//
// The mode and owner rules apply on Unix systems; elsewhere (Windows) Go
// reports no owner and synthetic permission bits, and only the symbolic
// link rule is checked.
package trust

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrUntrusted marks a plugin directory or executable refused by a check.
var ErrUntrusted = errors.New("untrusted plugin path")

// ErrOutside marks, with ErrUntrusted, a plugin whose path resolves outside
// its plugin directory.
var ErrOutside = errors.New("outside its directory")

// CheckDir checks a plugin directory: its real path (symbolic links
// resolved) must be a directory owned by root or the current user and not
// writable by group or others. It returns the real path.
func CheckDir(dir string) (string, error) {
	real, err := realPath(dir)
	if err != nil {
		return "", fmt.Errorf("plugin directory %s: %w", dir, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("%w: plugin directory %s: %w", ErrUntrusted, dir, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%w: plugin directory %s is not a directory", ErrUntrusted, dir)
	}
	if err := checkInfo("plugin directory", real, fi); err != nil {
		return "", err
	}
	return real, nil
}

// CheckPlugin checks the plugin executable at path, found in directory dir:
// the directory passes CheckDir, path resolves to a regular file inside the
// directory's real path, and that file is owned by root or the current user
// and not writable by group or others. It returns the file's real path.
func CheckPlugin(dir, path string) (string, error) {
	realDir, err := CheckDir(dir)
	if err != nil {
		return "", err
	}
	real, err := realPath(path)
	if err != nil {
		return "", fmt.Errorf("%w: plugin %s: %w", ErrUntrusted, path, err)
	}
	if !Inside(realDir, real) {
		return "", fmt.Errorf("%w: plugin %s resolves to %s, %w %s", ErrUntrusted, path, real, ErrOutside, realDir)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("%w: plugin %s: %w", ErrUntrusted, path, err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%w: plugin %s is not a regular file", ErrUntrusted, path)
	}
	if err := checkInfo("plugin", real, fi); err != nil {
		return "", err
	}
	return real, nil
}

// realPath is p made absolute with every symbolic link resolved, so that a
// relative plugin directory and an absolute plugin path compare.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// Inside reports whether path is dir or lies below it. Both must be clean
// absolute paths with symbolic links resolved.
func Inside(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// checkInfo applies the mode and owner rules to one file or directory.
func checkInfo(what, path string, fi os.FileInfo) error {
	if perm := fi.Mode().Perm(); modeBits && perm&0o022 != 0 {
		return fmt.Errorf("%w: %s %s is writable by group or others (mode %s); run chmod go-w on it, or pass --insecure-plugin-path",
			ErrUntrusted, what, path, fi.Mode())
	}
	if uid, ok := owner(fi); ok && uid != 0 && uid != os.Geteuid() {
		return fmt.Errorf("%w: %s %s is owned by uid %d, neither root nor the current user (uid %d)",
			ErrUntrusted, what, path, uid, os.Geteuid())
	}
	return nil
}
