//go:build !linux

package host

import "os/exec"

// setProcAttrs does nothing here; the SDK's parent watchdog stops orphaned
// plugins.
func setProcAttrs(*exec.Cmd) {}

func killGroup(*exec.Cmd) {}
