// Package testkit holds small helpers shared by the repository's tests.
package testkit

import (
	"strings"
	"sync"
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
