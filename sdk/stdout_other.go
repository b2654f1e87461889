//go:build !linux

package sdk

// guardStdout does nothing outside Linux; os.Stdout is still swapped by
// go-plugin after the handshake.
func guardStdout() {}
