package protocol

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"

	"github.com/hashicorp/go-plugin"
)

// ReattachEnvPrefix starts the environment variable through which a host
// attaches to a plugin already running in debug mode instead of starting
// one: LAVA_ACTION_REATTACH_<TYPE>, the type upper-cased with "-" as "_".
const ReattachEnvPrefix = "LAVA_ACTION_REATTACH_"

// ReattachEnv returns the reattach variable name of action type typ.
func ReattachEnv(typ string) string {
	return ReattachEnvPrefix + strings.ToUpper(strings.ReplaceAll(typ, "-", "_"))
}

// reattach is the JSON form of a go-plugin reattach configuration.
type reattach struct {
	Protocol        string `json:"protocol"`
	ProtocolVersion int    `json:"protocol_version"`
	Network         string `json:"network"`
	Addr            string `json:"addr"`
	Pid             int    `json:"pid"`
}

// EncodeReattach returns the value of the reattach variable for rc.
func EncodeReattach(rc *plugin.ReattachConfig) (string, error) {
	b, err := json.Marshal(reattach{
		Protocol: string(rc.Protocol), ProtocolVersion: rc.ProtocolVersion,
		Network: rc.Addr.Network(), Addr: rc.Addr.String(), Pid: rc.Pid,
	})
	return string(b), err
}

// ParseReattach reads the value of a reattach variable. The plugin is
// treated as one in debug mode: the host never kills it.
func ParseReattach(s string) (*plugin.ReattachConfig, error) {
	var r reattach
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return nil, fmt.Errorf("parse reattach config: %w", err)
	}
	if r.Protocol != string(plugin.ProtocolGRPC) {
		return nil, fmt.Errorf("parse reattach config: protocol %q, want grpc", r.Protocol)
	}
	var addr net.Addr
	var err error
	switch r.Network {
	case "unix":
		addr, err = net.ResolveUnixAddr("unix", r.Addr)
	case "tcp":
		addr, err = net.ResolveTCPAddr("tcp", r.Addr)
	default:
		return nil, fmt.Errorf("parse reattach config: network %q, want unix or tcp", r.Network)
	}
	if err != nil {
		return nil, fmt.Errorf("parse reattach config: %w", err)
	}
	if r.Pid <= 0 {
		return nil, fmt.Errorf("parse reattach config: no pid")
	}
	return &plugin.ReattachConfig{
		Protocol: plugin.ProtocolGRPC, ProtocolVersion: r.ProtocolVersion,
		Addr: addr, Pid: r.Pid, Test: true,
	}, nil
}
