// Command lava-action-state is the bundled state action plugin.
package main

import (
	"github.com/lava-actions/lava-actions/plugins/state/stateaction"
	"github.com/lava-actions/lava-actions/sdk"
)

func main() { sdk.Serve(stateaction.Action{}) }
