// Command lava-action-log is the bundled log action plugin (lava spec 3.4).
package main

import (
	"github.com/lava-actions/lava-actions/plugins/log/logaction"
	"github.com/lava-actions/lava-actions/sdk"
)

func main() { sdk.Serve(logaction.Action{}) }
