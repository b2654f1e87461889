//go:build !unix

package trust

import "os"

// modeBits is false: Go reports synthetic permission bits here (0666 for
// any writable file), which say nothing about other users' access.
const modeBits = false

// owner is not known on this system: only symbolic links are checked.
func owner(os.FileInfo) (int, bool) { return 0, false }
