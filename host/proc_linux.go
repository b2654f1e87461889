package host

import (
	"os/exec"
	"syscall"
)

// setProcAttrs makes the kernel kill the plugin when the host dies (even by
// SIGKILL) and puts it in its own process group, so that killing the group
// also stops anything the plugin started.
func setProcAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

// killGroup kills what is left of the plugin's process group.
func killGroup(cmd *exec.Cmd) {
	if cmd != nil && cmd.Process != nil && cmd.Process.Pid > 0 {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
