// Command lava-action-dispatch is the bundled dispatch action plugin.
package main

import (
	"github.com/lava-actions/lava-actions/plugins/dispatch/dispatchaction"
	"github.com/lava-actions/lava-actions/sdk"
)

func main() { sdk.Serve(dispatchaction.Action{}) }
