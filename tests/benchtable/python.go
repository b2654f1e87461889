package main

// The Python plugin rows (issue 11), beside the Go plugin rows they compare
// with; the benchmarks are in tests/bench/python_test.go.
func init() {
	rows = append(rows,
		row{"Python plugin cold start (pyfault), until ready", "BenchmarkPythonColdStart", "latency", "", nil},
		row{"warm Python action through the host (host renders)", "BenchmarkPythonWarm", "latency", "", nil},
		row{"bare gRPC round trip to the Python plugin", "BenchmarkPythonBareRoundTrip", "latency", "", nil},
	)
}
