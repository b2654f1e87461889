package lockfile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lava-actions/lava-actions/host/lockfile"
)

func TestWriteThenRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var files []string
	for _, n := range []string{"lava-action-b", "lava-action-a"} {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte(n), 0o755); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	lock, err := lockfile.Write(dir, files)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, lockfile.FileName))
	if err != nil {
		t.Fatal(err)
	}
	// Sorted by name, in sha256sum's format.
	sumA, _ := lockfile.Sum(files[1])
	sumB, _ := lockfile.Sum(files[0])
	if want := sumA + "  lava-action-a\n" + sumB + "  lava-action-b\n"; string(b) != want {
		t.Errorf("lock file = %q, want %q", b, want)
	}
	fi, _ := os.Stat(filepath.Join(dir, lockfile.FileName))
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
	got, path, err := lockfile.Read(dir)
	if err != nil || path != filepath.Join(dir, lockfile.FileName) || len(got) != 2 || got["lava-action-a"] != lock["lava-action-a"] {
		t.Errorf("Read = %v, %s, %v", got, path, err)
	}
	if names := got.Names(); len(names) != 2 || names[0] != "lava-action-a" {
		t.Errorf("Names = %v", names)
	}
	if sum, ok := got.Checksum("lava-action-a"); !ok || len(sum) != 32 {
		t.Errorf("Checksum = %x, %v", sum, ok)
	}
	if _, ok := got.Checksum("lava-action-c"); ok {
		t.Error("Checksum of an unlisted file")
	}
}

func TestRead(t *testing.T) {
	t.Parallel()
	sum := strings.Repeat("ab", 32)
	cases := []struct {
		name, file, text, want string
	}{
		{"sha256sums fallback", lockfile.SumsName, sum + "  lava-action-x\n# comment\n\n", ""},
		{"binary marker", lockfile.FileName, sum + " *lava-action-x\n", ""},
		{"short sum", lockfile.FileName, "abcd  lava-action-x\n", ":1: want"},
		{"not hex", lockfile.FileName, strings.Repeat("zz", 32) + "  lava-action-x\n", ":1: want"},
		{"no file name", lockfile.FileName, "\n" + sum + "\n", ":2: want"},
		{"too large", lockfile.FileName, strings.Repeat("#"+strings.Repeat("x", 1000)+"\n", 1100), "larger than"},
		{"missing", "", "", "no lava-actions.lock or SHA256SUMS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tc.file != "" {
				if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			lock, _, err := lockfile.Read(dir)
			if tc.want == "" {
				if err != nil || lock["lava-action-x"] != sum {
					t.Errorf("Read = %v, %v", lock, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
