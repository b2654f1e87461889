// Package pythonteams holds the Go side of the Python example action
// (lava_action_teams.py, the executable lava-action-teams): its tests run
// the Go conformance kit (sdk/plugintest, subprocess mode) and the host
// against it and against the Python SDK's fault plugin
// (sdk/python/testdata/lava-action-pyfault), and its benchmarks compare a
// Python plugin's cold start and warm round trip with a Go plugin's.
package pythonteams
