package serve_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkServeRun is one log action run through the server, warm, over
// its unix socket: what a non-Go worker pays per job.
func BenchmarkServeRun(b *testing.B) {
	f := startB(b)
	body := `{"trigger":"success","job":` + job + `}`
	post := func() {
		resp, err := f.client.Post("http://lava/v1/run", "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	post()
	for b.Loop() {
		post()
	}
}
