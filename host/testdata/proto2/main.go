// Command proto2 is a test plugin that speaks application protocol 2.
package main

import (
	"github.com/hashicorp/go-plugin"
	"github.com/lava-actions/lava-actions/sdk/protocol"
)

func main() {
	hs := protocol.Handshake
	hs.ProtocolVersion = 2
	plugin.Serve(&plugin.ServeConfig{HandshakeConfig: hs, Plugins: plugin.PluginSet{}, GRPCServer: plugin.DefaultGRPCServer})
}
