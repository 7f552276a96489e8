package ingest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tracium/tracium/server/respond"
)

func TestBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBudget(2, 1000, 20*time.Millisecond)
	c1, err := b.enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := b.enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.enter(ctx); !errors.Is(err, respond.ErrOverloaded) {
		t.Errorf("a third request past a limit of two: %v", err)
	}
	if err := c1.hold(ctx, 600); err != nil {
		t.Fatal(err)
	}
	if err := c1.hold(ctx, 500); err != nil || c1.held != 600 {
		t.Errorf("holding less than held: %v, held %d", err, c1.held)
	}
	if err := c2.hold(ctx, 500); !errors.Is(err, respond.ErrOverloaded) {
		t.Errorf("600 + 500 of 1000 bytes: %v", err)
	}
	if err := c2.hold(ctx, 2000); !errors.Is(err, respond.ErrOverloaded) {
		t.Errorf("more than the whole budget: %v", err)
	}
	done := make(chan error)
	go func() { done <- c2.hold(ctx, 900) }()
	c1.release()
	if err := <-done; err != nil {
		t.Errorf("a hold waiting for a release: %v", err)
	}
	c3, err := b.enter(ctx)
	if err != nil {
		t.Errorf("a request after a release: %v", err)
	} else {
		c3.release()
	}
	c2.release()
	if err := b.bytes.Acquire(ctx, 1000); err != nil {
		t.Errorf("the whole budget is not back after every release: %v", err)
	}
}
