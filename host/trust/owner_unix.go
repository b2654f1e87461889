//go:build unix

package trust

import (
	"os"
	"syscall"
)

// modeBits says that permission bits are real on this system.
const modeBits = true

// owner returns the uid owning fi's file.
func owner(fi os.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
