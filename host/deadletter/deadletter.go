// Package deadletter writes and reads dead letters: files that each hold one
// failed action with everything needed to run it again (its item and the
// job, realm and result it ran with). A letter is written with mode 0600
// and a SHA-256 checksum of its content; Read refuses a letter that is not
// private to the current user, fails its checksum, or whose item is of
// another action type than the letter says.
//
// The checksum catches edits and corruption; it is no signature (whoever
// can write the file can recompute it). What keeps other users from
// planting a letter is that Read only accepts files private to the user.
package deadletter

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Version is the format version Write produces and Read accepts. Version 1
// letters (no checksum) are refused.
const Version = 2

// MaxBytes bounds a dead-letter file.
const MaxBytes = 64 << 20

// ErrTampered marks a letter refused by Read's checks.
var ErrTampered = errors.New("dead letter refused")

// triggers are the action list keys a letter may name.
var triggers = map[string]bool{"on_success": true, "on_retry": true, "on_fail": true}

// Letter is one failed action. Datetimes are stored as ISO 8601 text and
// DynamoDB numbers as their stored text.
type Letter struct {
	Version int       `json:"version"`
	Time    time.Time `json:"time"`
	// Trigger is the list the action was in: on_success, on_retry or on_fail.
	Trigger string `json:"trigger"`
	// Index is the action's position in that list.
	Index int `json:"index"`
	// Type is the action type; it must equal the item's "action".
	Type  string `json:"type"`
	Error string `json:"error"`
	// Item, Job, Realm and Result are JSON objects.
	Item   json.RawMessage `json:"item"`
	Job    json.RawMessage `json:"job"`
	Realm  json.RawMessage `json:"realm"`
	Result json.RawMessage `json:"result"`
	// Checksum is the hex SHA-256 of the letter's compact JSON encoding
	// with this field empty.
	Checksum string `json:"checksum"`
}

// sum returns the letter's checksum.
func (l *Letter) sum() (string, error) {
	c := *l
	c.Checksum = ""
	b, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Write saves l in dir (created with mode 0700 if missing) as a new file of
// mode 0600 named after its time, job id, trigger, index and type, setting
// its version and checksum. It returns the file's path.
func Write(dir, jobID string, l *Letter) (string, error) {
	l.Version = Version
	l.Time = l.Time.UTC()
	sum, err := l.sum()
	if err != nil {
		return "", fmt.Errorf("encode dead letter: %w", err)
	}
	l.Checksum = sum
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode dead letter: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("dead-letter directory: %w", err)
	}
	name := fmt.Sprintf("%s-%s-%s-%d-%s.json", l.Time.Format("20060102T150405.000000000Z"),
		unsafeName.ReplaceAllString(jobID, "_"), unsafeName.ReplaceAllString(l.Trigger, "_"), l.Index,
		unsafeName.ReplaceAllString(l.Type, "_"))
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("write dead letter: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return "", fmt.Errorf("write dead letter: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write dead letter: %w", err)
	}
	return path, nil
}

// Read reads the letter at path and refuses (with ErrTampered) one that is
// a symbolic link, readable or writable by group or others, owned by
// another user, not of this version, failing its checksum, naming an
// unknown trigger, or whose item's "action" differs from its type.
func Read(path string) (*Letter, error) {
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read dead letter %s: %w", path, err)
	}
	if len(b) > MaxBytes {
		return nil, fmt.Errorf("%w: %s is larger than %d MiB", ErrTampered, path, MaxBytes>>20)
	}
	var l Letter
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("%w: %s is not a dead letter: %w", ErrTampered, path, err)
	}
	if l.Version != Version {
		return nil, fmt.Errorf("%w: %s is a version %d dead letter, want version %d (with a checksum)", ErrTampered, path, l.Version, Version)
	}
	if sum, err := l.sum(); err != nil || sum != l.Checksum {
		return nil, fmt.Errorf("%w: %s does not match its checksum: it was changed after it was written", ErrTampered, path)
	}
	if !triggers[l.Trigger] {
		return nil, fmt.Errorf("%w: %s: unknown trigger %q", ErrTampered, path, l.Trigger)
	}
	var item struct {
		Action any `json:"action"`
	}
	if err := json.Unmarshal(l.Item, &item); err != nil {
		return nil, fmt.Errorf("%w: %s: the item is not a JSON object", ErrTampered, path)
	}
	if action, _ := item.Action.(string); action != l.Type {
		return nil, fmt.Errorf("%w: %s: its type is %q but its item's action is %q", ErrTampered, path, l.Type, fmt.Sprint(item.Action))
	}
	return &l, nil
}

// open opens path for reading, refusing a symbolic link and a file that is
// not private to the current user.
func open(path string) (*os.File, error) {
	li, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("read dead letter: %w", err)
	}
	if li.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("%w: %s is a symbolic link", ErrTampered, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read dead letter: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read dead letter: %w", err)
	}
	if !os.SameFile(li, fi) || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrTampered, path)
	}
	if err := private(path, fi); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
