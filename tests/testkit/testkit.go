// Package testkit holds small helpers shared by the repository's tests.
package testkit

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// SyncBuffer collects text written from several goroutines, e.g. a
// logger's or a child process's output, and reads it back safely.
type SyncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Alive reports whether process pid exists and is neither a zombie nor
// dead (Linux: /proc/<pid>/stat; the state follows the command name's
// closing parenthesis, which may itself hold spaces).
func Alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// Gone waits up to d for process pid to die and reports whether it did.
func Gone(pid int, d time.Duration) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if !Alive(pid) {
			return true
		}
	}
	return !Alive(pid)
}
