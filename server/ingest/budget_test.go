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

// TestBudgetGrowingTogether: requests that together hold the whole budget
// and each need more do not all wait for one another until every one is
// refused: one waits, the others are refused at once and give theirs
// back, and the one waiting gets what it needs.
func TestBudgetGrowingTogether(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const n = 10
	b := newBudget(n, 100, time.Hour)
	claims := make([]*claim, n)
	for i := range claims {
		c, err := b.enter(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.hold(ctx, 10); err != nil {
			t.Fatal(err)
		}
		claims[i] = c
	}
	results := make(chan error, n)
	for _, c := range claims {
		go func() {
			err := c.hold(ctx, 60)
			c.release()
			results <- err
		}()
	}
	served, refused := 0, 0
	for range n {
		var err error
		select {
		case err = <-results:
		case <-time.After(time.Minute): // far less than the budget's wait
			t.Fatalf("after %d served and %d refused, the rest wait on one another", served, refused)
		}
		switch {
		case err == nil:
			served++
		case errors.Is(err, respond.ErrOverloaded):
			refused++
		default:
			t.Fatal(err)
		}
	}
	if served == 0 || served+refused != n {
		t.Errorf("%d served, %d refused; want at least one served", served, refused)
	}
	if err := b.bytes.Acquire(ctx, 100); err != nil {
		t.Errorf("the whole budget is not back: %v", err)
	}
}
