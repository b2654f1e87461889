// Command lava-action-sqs is the bundled sqs action plugin.
package main

import (
	"github.com/lava-actions/lava-actions/plugins/sqs/sqsaction"
	"github.com/lava-actions/lava-actions/sdk"
)

func main() { sdk.Serve(sqsaction.Action{}) }
