package awsx

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestLazyBuildsOnce: concurrent first calls build the value once, and an
// error is kept like a value.
func TestLazyBuildsOnce(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	var builds atomic.Int32
	get := Lazy(func(cfg aws.Config) (string, error) {
		builds.Add(1)
		return cfg.Region, nil
	})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if v, err := get(context.Background()); err != nil || v == "" {
				t.Errorf("got %q, %v", v, err)
			}
		})
	}
	wg.Wait()
	if n := builds.Load(); n != 1 {
		t.Errorf("built %d times, want 1", n)
	}
	boom := errors.New("boom")
	failing := Lazy(func(aws.Config) (int, error) { builds.Add(1); return 0, boom })
	for range 2 {
		if _, err := failing(context.Background()); !errors.Is(err, boom) {
			t.Errorf("err = %v, want boom", err)
		}
	}
	if n := builds.Load(); n != 2 {
		t.Errorf("a failing build ran %d times in all, want 1", n-1)
	}
}
