// Package lockfile reads and writes a plugin directory's lock file: one
// "<sha256>  <file name>" line per plugin executable, the format of
// sha256sum and of the SHA256SUMS file `make plugins` writes, so either can
// serve as a lock.
package lockfile

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// FileName is the lock file's name inside a plugin directory.
const FileName = "lava-actions.lock"

// SumsName is the fallback lock file, the one `make plugins` writes.
const SumsName = "SHA256SUMS"

// maxLockBytes bounds a lock file.
const maxLockBytes = 1 << 20

// Lock maps a plugin file name to its hex SHA-256.
type Lock map[string]string

// Names returns the lock's file names, sorted.
func (l Lock) Names() []string {
	names := make([]string, 0, len(l))
	for n := range l {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Checksum returns the locked SHA-256 of the file name as bytes.
func (l Lock) Checksum(name string) ([]byte, bool) {
	s, ok := l[name]
	if !ok {
		return nil, false
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

// Sum returns the hex SHA-256 of a file.
func Sum(path string) (string, error) {
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

// Write hashes each file (paths inside dir) and writes dir/lava-actions.lock
// (mode 0644, replaced atomically). It returns the lock written.
func Write(dir string, files []string) (Lock, error) {
	lock := Lock{}
	for _, p := range files {
		sum, err := Sum(p)
		if err != nil {
			return nil, fmt.Errorf("hash %s: %w", p, err)
		}
		lock[filepath.Base(p)] = sum
	}
	var b strings.Builder
	for _, n := range lock.Names() {
		fmt.Fprintf(&b, "%s  %s\n", lock[n], n)
	}
	tmp, err := os.CreateTemp(dir, "."+FileName+"-*")
	if err != nil {
		return nil, fmt.Errorf("write lock file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write lock file: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write lock file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write lock file: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, FileName)); err != nil {
		return nil, fmt.Errorf("write lock file: %w", err)
	}
	return lock, nil
}

// Read reads dir/lava-actions.lock, falling back to dir/SHA256SUMS. It
// returns the lock and the path of the file read.
func Read(dir string) (Lock, string, error) {
	for _, name := range []string{FileName, SumsName} {
		path := filepath.Join(dir, name)
		f, err := os.Open(path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, path, err
		}
		defer f.Close()
		lock, err := parse(path, io.LimitReader(f, maxLockBytes+1))
		return lock, path, err
	}
	return nil, filepath.Join(dir, FileName), fmt.Errorf("no %s or %s in %s", FileName, SumsName, dir)
}

func parse(path string, r io.Reader) (Lock, error) {
	lock := Lock{}
	sc := bufio.NewScanner(r)
	read := 0
	for n := 1; sc.Scan(); n++ {
		read += len(sc.Bytes()) + 1
		if read > maxLockBytes {
			return nil, fmt.Errorf("%s: larger than %d bytes", path, maxLockBytes)
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sum, file, ok := strings.Cut(line, " ")
		file = strings.TrimPrefix(strings.TrimSpace(file), "*")
		if _, err := hex.DecodeString(sum); !ok || err != nil || len(sum) != 64 || file == "" {
			return nil, fmt.Errorf("%s:%d: want \"<sha256>  <file>\"", path, n)
		}
		lock[file] = sum
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return lock, nil
}
