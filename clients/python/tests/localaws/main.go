// Command localaws starts a local AWS endpoint (kumo, in-process) for the
// Python client's tests: it prints the endpoint URL on its first stdout line
// and serves until its standard input closes (or it is signalled), so that a
// test runner in any language can own it as a child process.
//
//	go run ./clients/python/tests/localaws
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sivchari/kumo"
)

func main() {
	srv := kumo.NewServer()
	defer srv.Close()
	fmt.Println(srv.URL)
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-done:
	case <-sig:
	}
}
