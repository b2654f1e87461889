// Command benchtable is `make bench`: it runs the project's benchmarks and
// prints one table of the figures BENCHMARKS.md records, with the ratios
// and targets of the performance issue.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// suites are the benchmark packages, which benchmarks of each to run and
// the -benchtime they need (a fresh CLI process of the eight-action list
// costs a few hundred milliseconds: 30 of them are enough for a p50).
var suites = []struct{ pkg, bench, benchtime string }{
	{"./tests/bench", "^Benchmark([^C]|C[^L])", "300x"},
	{"./tests/bench", "^BenchmarkCLI", "30x"},
	{"github.com/lava-actions/lava-actions/sdk/render", ".", "1s"}, // the sdk module, through the replace
	{"./internal/serve", ".", "500x"},
	{"./plugins/sqs/sqsaction", ".", "300x"},
}

// result is one benchmark line: its metrics by unit.
type result map[string]float64

var lineRE = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+\d+\s+(.*)$`)

func main() {
	count := flag.Int("count", 1, "runs of each benchmark (the table shows the median)")
	flag.Parse()
	runs := map[string][]result{}
	for _, s := range suites {
		args := []string{"test", "-run", "^$", "-bench", s.bench, "-benchmem", "-benchtime", s.benchtime, "-count", strconv.Itoa(*count), s.pkg}
		fmt.Fprintf(os.Stderr, "go %s\n", strings.Join(args, " "))
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s\nbenchtable: %v\n", out, err)
			os.Exit(1)
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			m := lineRE.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			runs[m[1]] = append(runs[m[1]], parseMetrics(m[3]))
		}
	}
	r := map[string]result{}
	for name, rs := range runs {
		r[name] = median(rs)
	}
	print(r)
	printCalls(r["BenchmarkCallsPerAction"])
}

// printCalls prints the AWS calls per action of the eight-action list.
func printCalls(m result) {
	if m == nil {
		return
	}
	fmt.Println("\nAWS calls per action (counted at a proxy in front of the local endpoint; target: never more than the original):")
	fmt.Println("\n| action | original | first run (fresh plugin) | warm | met |")
	fmt.Println("|---|---|---|---|---|")
	var types []string
	for unit := range m {
		if t, ok := strings.CutSuffix(unit, "-original-calls"); ok {
			types = append(types, t)
		}
	}
	sort.Strings(types)
	for _, t := range types {
		o, f, w := m[t+"-original-calls"], m[t+"-first-calls"], m[t+"-warm-calls"]
		fmt.Printf("| %s | %.0f | %.0f | %.0f | %s |\n", t, o, f, w, map[bool]string{true: "yes", false: "**no**"}[f <= o && w <= o])
	}
}

func parseMetrics(s string) result {
	f := strings.Fields(s)
	out := result{}
	for i := 0; i+1 < len(f); i += 2 {
		if v, err := strconv.ParseFloat(f[i], 64); err == nil {
			out[f[i+1]] = v
		}
	}
	return out
}

func median(rs []result) result {
	out := result{}
	for unit := range rs[0] {
		var vs []float64
		for _, r := range rs {
			vs = append(vs, r[unit])
		}
		sort.Float64s(vs)
		out[unit] = vs[len(vs)/2]
	}
	return out
}

// row is one line of the table.
type row struct {
	what, bench, unit, target string
	// ok says whether a value meets the target; nil when there is none.
	ok func(v float64) bool
}

var rows = []row{
	{"cold start, one plugin (log), until ready", "BenchmarkColdStartOne", "latency", "", nil},
	{"cold start, all 8 bundled plugins in parallel", "BenchmarkColdStartAll8", "latency", "p50 < 100 ms", func(v float64) bool { return v < 100_000 }},
	{"warm log action through the host", "BenchmarkWarmLog", "latency", "p50 ≤ 2× bare round trip", nil},
	{"bare go-plugin gRPC round trip (same plugin, same item)", "BenchmarkBareRoundTrip", "latency", "", nil},
	{"log action called in-process", "BenchmarkInProcessLog", "latency", "", nil},
	{"log throughput, 1 run at a time", "BenchmarkLogThroughput1", "actions/s", "", nil},
	{"log throughput, 8 concurrent runs", "BenchmarkLogThroughput8", "actions/s", "≥ 4,000/s", func(v float64) bool { return v >= 4000 }},
	{"8-action on_retry list, warm, local AWS + SMTP + Slack", "BenchmarkEightActionsWarm", "latency", "p50 ≤ endpoint's own cost + 10 ms", nil},
	{"the endpoint's own cost of that list (same calls, SMTP, Slack, made directly)", "BenchmarkEightActionsFloor", "latency", "", nil},
	{"one sqs action, warm, local AWS endpoint", "BenchmarkSQSWarm", "ns/op", "", nil},
	{"template parse+render, 3 variables", "BenchmarkSmallParseRender", "ns/op", "", nil},
	{"template cached render, 3 variables", "BenchmarkSmallCached", "ns/op", "< 20 µs", func(v float64) bool { return v < 20_000 }},
	{"template parse+render, 2 KB", "Benchmark2KBParseRender", "ns/op", "", nil},
	{"template cached render, 2 KB", "Benchmark2KBCached", "ns/op", "", nil},
	{"run through `serve` (unix socket, warm)", "BenchmarkServeRun", "ns/op", "", nil},
	{"`lava-actions run` started afresh per job (one log action), wall-clock", "BenchmarkCLIRunFresh", "latency", "", nil},
	{"`lava-actions run` of the 8-action list, fresh process, wall-clock", "BenchmarkCLIEightActionsCold", "latency", "≤ warm 8-action + 60 ms", nil},
	{"one-log list, Python stdlib client → `serve` (unix socket, warm)", "BenchmarkPythonClientServe", "latency", "p50 ≤ 0.5 ms", func(v float64) bool { return v <= 500 }},
}

func ms(us float64) string {
	switch {
	case us >= 1000:
		return fmt.Sprintf("%.1f ms", us/1000)
	default:
		return fmt.Sprintf("%.0f µs", us)
	}
}

func print(r map[string]result) {
	host, _ := os.Hostname()
	fmt.Printf("lava-actions benchmarks — %s, %s, %d CPUs, %s/%s, host %s\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.Version(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, host)
	fmt.Println("| what | p50 | p95 | other | target | met |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, w := range rows {
		m, ok := r[w.bench]
		if !ok {
			fmt.Printf("| %s | — | — | not run | %s | |\n", w.what, w.target)
			continue
		}
		p50, p95, other, val := "", "", "", 0.0
		switch w.unit {
		case "latency":
			p50, p95, val = ms(m["p50-µs"]), ms(m["p95-µs"]), m["p50-µs"]
		case "actions/s":
			other, val = fmt.Sprintf("%.0f actions/s", m["actions/s"]), m["actions/s"]
		default:
			other, val = ms(m["ns/op"]/1000)+"/op", m["ns/op"]
			if b, ok := m["B/op"]; ok {
				other += fmt.Sprintf(", %.0f B, %.0f allocs", b, m["allocs/op"])
			}
		}
		met := ""
		if w.ok != nil {
			met = map[bool]string{true: "yes", false: "**no**"}[w.ok(val)]
		}
		if w.bench == "BenchmarkEightActionsWarm" {
			if floor, ok := r["BenchmarkEightActionsFloor"]; ok && floor["p50-µs"] > 0 {
				extra := m["p50-µs"] - floor["p50-µs"]
				other = fmt.Sprintf("endpoint + %s", ms(extra))
				met = map[bool]string{true: "yes", false: "**no**"}[extra <= 10_000]
			}
		}
		if w.bench == "BenchmarkCLIEightActionsCold" {
			if warm, ok := r["BenchmarkEightActionsWarm"]; ok && warm["p50-µs"] > 0 {
				extra := m["p50-µs"] - warm["p50-µs"]
				other = fmt.Sprintf("warm + %s", ms(extra))
				met = map[bool]string{true: "yes", false: "**no**"}[extra <= 60_000]
			}
		}
		if w.bench == "BenchmarkWarmLog" {
			if bare, ok := r["BenchmarkBareRoundTrip"]; ok && bare["p50-µs"] > 0 {
				ratio := m["p50-µs"] / bare["p50-µs"]
				other = fmt.Sprintf("%.2f× bare", ratio)
				if in, ok := r["BenchmarkInProcessLog"]; ok && in["p50-µs"] > 0 {
					other += fmt.Sprintf(", %.0f× in-process", m["p50-µs"]/in["p50-µs"])
				}
				met = map[bool]string{true: "yes", false: "**no**"}[ratio <= 2]
			}
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", w.what, p50, p95, other, w.target, met)
	}
	if m, ok := r["BenchmarkIdleRSS"]; ok {
		fmt.Println("\nResident memory after one action each and 1.5 s idle (target: each idle plugin < 20 MB):")
		fmt.Println("\n| process | RSS | of which anonymous | PSS | met |")
		fmt.Println("|---|---|---|---|---|")
		var names []string
		for unit := range m {
			if t, ok := strings.CutSuffix(unit, "-anon-MB"); ok {
				names = append(names, t)
			}
		}
		sort.Strings(names)
		for _, t := range names {
			fmt.Printf("| lava-action-%s | %.1f MB | %.1f MB | %.1f MB | %s |\n", t, m[t+"-MB"], m[t+"-anon-MB"], m[t+"-pss-MB"],
				map[bool]string{true: "yes", false: "**no**"}[m[t+"-MB"] < 20])
		}
		fmt.Printf("| all 8 plugins | %.1f MB | | %.1f MB | |\n", m["all8-MB"], m["all8-pss-MB"])
		fmt.Printf("| host (the benchmark process, with the local AWS endpoint in it) | %.1f MB | | | |\n", m["host-process-MB"])
	}
}
