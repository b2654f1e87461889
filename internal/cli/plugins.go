package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/lava-actions/lava-actions/host"
	"github.com/lava-actions/lava-actions/sdk/protocol"
	"github.com/spf13/cobra"
)

// pluginJSON is one plugin in `plugins --output json`.
type pluginJSON struct {
	Type         string   `json:"type"`
	Version      string   `json:"version,omitempty"`
	Protocol     int      `json:"protocol,omitempty"`
	Summary      string   `json:"summary,omitempty"`
	Capabilities []string `json:"capabilities,omitempty"`
	Path         string   `json:"path"`
	SHA256       string   `json:"sha256,omitempty"`
	Shadows      []string `json:"shadows,omitempty"`
	Error        string   `json:"error,omitempty"`
}

// pluginsJSON is the document `plugins --output json` prints.
type pluginsJSON struct {
	PluginPath []string     `json:"plugin_path"`
	Plugins    []pluginJSON `json:"plugins"`
	Problems   []string     `json:"problems,omitempty"`
}

func newPluginsCmd(e *env) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "plugins",
		Short: "List the action plugins on the plugin path",
		Long: `Plugins lists each action plugin found on the plugin path: its type, version,
protocol, path and the SHA-256 of its executable, the executables it shadows
(same type later on the path, not used) and any path problems. Each plugin
is started once to ask for its description. The exit status is 2 when a
plugin is refused by the plugin-path trust or integrity checks, else 1 when
a plugin could not describe itself.`,
		Args: noArgs,
		RunE: e.runE(func(cmd *cobra.Command, _ []string) error { return listPlugins(cmd.Context(), e, output) }),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	cmd.AddCommand(newLockCmd(e), newVerifyCmd(e))
	return cmd
}

func listPlugins(ctx context.Context, e *env, output string) error {
	if err := checkOutput(output, "text", "json"); err != nil {
		return err
	}
	h, err := e.newHost(0)
	if err != nil {
		return err
	}
	defer shutdown(h, e.logger())
	doc := pluginsJSON{PluginPath: e.pluginPath(), Plugins: []pluginJSON{}}
	broken, refused := 0, 0
	for _, p := range h.Plugins(ctx) {
		pj := pluginJSON{Type: p.Type, Path: p.Path, SHA256: p.SHA256, Shadows: p.Shadows}
		if p.Err != nil {
			pj.Error = p.Err.Error()
			broken++
			if errors.Is(p.Err, host.ErrUntrusted) || errors.Is(p.Err, host.ErrIntegrity) {
				refused++
			}
		} else {
			d := p.Description
			pj.Version, pj.Summary, pj.Capabilities = d.Version, d.Summary, d.Capabilities
			// The host accepts only plugins that speak its protocol.
			pj.Protocol = protocol.Version
		}
		doc.Plugins = append(doc.Plugins, pj)
	}
	for _, p := range h.Problems() {
		doc.Problems = append(doc.Problems, p.Error())
	}
	if output == "json" {
		if err := writeJSON(e.stdout, doc); err != nil {
			return failed(err)
		}
	} else {
		fmt.Fprint(e.stdout, formatPlugins(doc))
	}
	if ctx.Err() != nil {
		return failed(ctx.Err())
	}
	if refused > 0 {
		return &reportedError{code: ExitBadInput}
	}
	if broken > 0 {
		return &reportedError{code: ExitFailed}
	}
	return nil
}

func formatPlugins(doc pluginsJSON) string {
	var b strings.Builder
	fmt.Fprintf(&b, "plugin path: %s\n", strings.Join(doc.PluginPath, string(os.PathListSeparator)))
	if len(doc.Plugins) == 0 {
		b.WriteString("no plugins found\n")
	}
	for _, p := range doc.Plugins {
		if p.Error != "" {
			fmt.Fprintf(&b, "%s: error\n", p.Type)
		} else {
			fmt.Fprintf(&b, "%s %s (protocol %d)\n", p.Type, p.Version, p.Protocol)
		}
		fmt.Fprintf(&b, "  path:    %s\n", p.Path)
		if p.SHA256 != "" {
			fmt.Fprintf(&b, "  sha256:  %s\n", p.SHA256)
		}
		if p.Summary != "" {
			fmt.Fprintf(&b, "  summary: %s\n", oneLine(p.Summary))
		}
		for _, s := range p.Shadows {
			fmt.Fprintf(&b, "  shadows: %s (not used)\n", s)
		}
		if p.Error != "" {
			fmt.Fprintf(&b, "  error:   %s\n", oneLine(p.Error))
		}
	}
	for _, p := range doc.Problems {
		fmt.Fprintf(&b, "problem: %s\n", oneLine(p))
	}
	return b.String()
}

func newVersionCmd(e *env) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of lava-actions",
		Args:  noArgs,
		RunE: e.runE(func(*cobra.Command, []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(e.stdout, map[string]any{"version": buildVersion(), "protocol": protocol.Version,
					"go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH})
			}
			fmt.Fprintf(e.stdout, "lava-actions %s (plugin protocol %d, %s, %s/%s)\n",
				buildVersion(), protocol.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}
