package host

import (
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
)

// killLog wraps go-plugin's client logger. Once killing is set (the host
// kills a process whose start failed, which never had a connection to close
// gracefully), go-plugin's "plugin failed to exit gracefully" warning is
// noise and goes to debug.
type killLog struct {
	hclog.Logger
	killing atomic.Bool
}

// Warn logs msg, demoting the graceful-exit warning while killing.
func (l *killLog) Warn(msg string, args ...any) {
	if l.killing.Load() && msg == "plugin failed to exit gracefully" {
		l.Logger.Debug(msg, args...)
		return
	}
	l.Logger.Warn(msg, args...)
}
