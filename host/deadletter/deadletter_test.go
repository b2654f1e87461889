package deadletter_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lava-actions/lava-actions/host/deadletter"
)

func letter() *deadletter.Letter {
	return &deadletter.Letter{
		Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600)), Trigger: "on_fail", Index: 2,
		Type: "slack", Error: "on_fail action: slack: boom",
		Item:   json.RawMessage(`{"action": "slack", "message": "{{ job.job_id }} failed"}`),
		Job:    json.RawMessage(`{"job_id": "j/1", "n": 1.50}`),
		Realm:  json.RawMessage(`{"realm": "r"}`),
		Result: json.RawMessage(`{}`),
	}
}

func write(t *testing.T) string {
	t.Helper()
	path, err := deadletter.Write(filepath.Join(t.TempDir(), "dead"), "j/1", letter())
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestWriteThenRead(t *testing.T) {
	t.Parallel()
	path := write(t)
	if base := filepath.Base(path); base != "20260102T020405.000000006Z-j_1-on_fail-2-slack.json" {
		t.Errorf("file name %s", base)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", p, fi.Mode().Perm(), err, want)
		}
	}
	l, err := deadletter.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.Version != deadletter.Version || l.Type != "slack" || l.Index != 2 || len(l.Checksum) != 64 ||
		!strings.Contains(string(l.Job), `1.50`) || !l.Time.Equal(letter().Time) {
		t.Errorf("letter = %+v", l)
	}
}

// edit rewrites the letter at path through f; with resum it also
// recomputes the checksum, as a careful forger would.
func edit(t *testing.T, path string, resum bool, f func(m map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var l deadletter.Letter
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, _ = json.Marshal(m)
	if resum {
		var l deadletter.Letter
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatal(err)
		}
		l.Checksum = ""
		c, _ := json.Marshal(&l)
		s := sha256.Sum256(c)
		l.Checksum = hex.EncodeToString(s[:])
		b, _ = json.Marshal(&l)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestReadRefusesTamperedLetters(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		tamper   func(t *testing.T, path string) string // returns the path to read
		want     string
		needRoot bool
	}{
		{name: "re-indented", want: "", tamper: func(t *testing.T, path string) string {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := json.Indent(&buf, b, "", "\t\t"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}},
		{name: "item changed", want: "does not match its checksum", tamper: func(t *testing.T, path string) string {
			edit(t, path, false, func(m map[string]any) { m["item"].(map[string]any)["action"] = "dispatch" })
			return path
		}},
		{name: "job changed", want: "does not match its checksum", tamper: func(t *testing.T, path string) string {
			edit(t, path, false, func(m map[string]any) { m["job"].(map[string]any)["job_id"] = "other" })
			return path
		}},
		{name: "item action differs from type, checksum forged", want: `its type is "slack" but its item's action is "dispatch"`, tamper: func(t *testing.T, path string) string {
			edit(t, path, true, func(m map[string]any) { m["item"].(map[string]any)["action"] = "dispatch" })
			return path
		}},
		{name: "item without action", want: `its item's action is "<nil>"`, tamper: func(t *testing.T, path string) string {
			edit(t, path, true, func(m map[string]any) { delete(m["item"].(map[string]any), "action") })
			return path
		}},
		{name: "unknown trigger", want: `unknown trigger "on_whatever"`, tamper: func(t *testing.T, path string) string {
			edit(t, path, true, func(m map[string]any) { m["trigger"] = "on_whatever" })
			return path
		}},
		{name: "version 1 without checksum", want: "version 1 dead letter", tamper: func(t *testing.T, path string) string {
			edit(t, path, false, func(m map[string]any) { m["version"] = 1; delete(m, "checksum") })
			return path
		}},
		{name: "readable by others", want: "is not private (mode -rw-r--r--", tamper: func(t *testing.T, path string) string {
			if err := os.Chmod(path, 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}},
		{name: "owned by another user", needRoot: true, want: "owned by uid 65534", tamper: func(t *testing.T, path string) string {
			if err := os.Chown(path, 65534, -1); err != nil {
				t.Fatal(err)
			}
			return path
		}},
		{name: "symbolic link", want: "is a symbolic link", tamper: func(t *testing.T, path string) string {
			link := path + ".link"
			if err := os.Symlink(path, link); err != nil {
				t.Fatal(err)
			}
			return link
		}},
		{name: "not JSON", want: "is not a dead letter", tamper: func(t *testing.T, path string) string {
			if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.needRoot && os.Geteuid() != 0 {
				t.Skip("needs root to chown")
			}
			path := tc.tamper(t, write(t))
			l, err := deadletter.Read(path)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Read accepted it: %+v", l)
			}
			if !errors.Is(err, deadletter.ErrTampered) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrTampered containing %q", err, tc.want)
			}
		})
	}
}
