// Package version holds the build's version, set by the Makefile with
// -ldflags '-X github.com/lava-actions/lava-actions/internal/version.Version=…'.
package version

// Version is the lava-actions release, "dev" in an unstamped build.
var Version = "dev"
