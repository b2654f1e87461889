//go:build unix

package deadletter

import (
	"fmt"
	"os"
	"syscall"
)

// private refuses a file that group or others may read or write, or that
// another user owns.
func private(path string, fi os.FileInfo) error {
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%w: %s is not private (mode %s; want 0600): run chmod 600 on it if you trust its content",
			ErrTampered, path, fi.Mode())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%w: %s is owned by uid %d, not the current user (uid %d)", ErrTampered, path, st.Uid, os.Geteuid())
	}
	return nil
}
