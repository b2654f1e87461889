package sdk

import (
	"os"
	"syscall"
)

// guardStdout keeps raw writes to file descriptor 1 away from the go-plugin
// handshake pipe. go-plugin writes its handshake line to os.Stdout and then
// swaps os.Stdout for a pipe of its own, but code that writes to fd 1
// directly (a C library, os.NewFile(1)) would still reach the host's
// handshake reader, where a long line stalls the plugin. So os.Stdout
// becomes a duplicate of fd 1 for the handshake, and fd 1 itself is pointed
// at stderr, which the host reads as the plugin's log.
func guardStdout() {
	fd, err := syscall.Dup(1)
	if err != nil {
		return
	}
	if err := syscall.Dup3(2, 1, 0); err != nil {
		syscall.Close(fd)
		return
	}
	os.Stdout = os.NewFile(uintptr(fd), "/dev/stdout")
}
