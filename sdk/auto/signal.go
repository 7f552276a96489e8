package auto

import (
	"context"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
)

// terminating are the signals Start flushes on.
var terminating = []os.Signal{syscall.SIGTERM, os.Interrupt}

// A Go program that registers no channel for a terminating signal is
// ended by it at once. Start registers one to flush first, so it must
// then end the program itself, unless the program handles the signal
// too (its own graceful shutdown, which ends with main returning and
// Shutdown). Notify, NotifyContext and StopNotify keep count of the
// program's own registrations.
var appSignals struct {
	mu    sync.Mutex
	chans map[chan<- os.Signal][]os.Signal // nil slice: every signal
	ctxs  map[*[]os.Signal]struct{}
}

// Notify is signal.Notify, and records that the program handles sig.
func Notify(c chan<- os.Signal, sig ...os.Signal) {
	signal.Notify(c, sig...)
	appSignals.mu.Lock()
	defer appSignals.mu.Unlock()
	if appSignals.chans == nil {
		appSignals.chans = map[chan<- os.Signal][]os.Signal{}
	}
	prev, had := appSignals.chans[c]
	switch {
	case len(sig) == 0 || had && prev == nil:
		appSignals.chans[c] = nil
	default:
		appSignals.chans[c] = append(slices.Clip(prev), sig...)
	}
}

// StopNotify is signal.Stop, and forgets the program's registration of c.
func StopNotify(c chan<- os.Signal) {
	signal.Stop(c)
	appSignals.mu.Lock()
	delete(appSignals.chans, c)
	appSignals.mu.Unlock()
}

// NotifyContext is signal.NotifyContext, and records that the program
// handles signals until stop is called.
func NotifyContext(parent context.Context, signals ...os.Signal) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(parent, signals...)
	key := &signals
	appSignals.mu.Lock()
	if appSignals.ctxs == nil {
		appSignals.ctxs = map[*[]os.Signal]struct{}{}
	}
	appSignals.ctxs[key] = struct{}{}
	appSignals.mu.Unlock()
	return ctx, func() {
		stop()
		appSignals.mu.Lock()
		delete(appSignals.ctxs, key)
		appSignals.mu.Unlock()
	}
}

// appHandles reports whether the program has a registration of its own
// for s.
func appHandles(s os.Signal) bool {
	appSignals.mu.Lock()
	defer appSignals.mu.Unlock()
	covers := func(sigs []os.Signal) bool { return len(sigs) == 0 || slices.Contains(sigs, s) }
	for _, sigs := range appSignals.chans {
		if covers(sigs) {
			return true
		}
	}
	for sigs := range appSignals.ctxs {
		if covers(*sigs) {
			return true
		}
	}
	return false
}

// watchSignals flushes on every terminating signal the program was not
// started ignoring. When the program does not handle the signal itself,
// it shuts the clients down and ends the program with the signal, as Go
// would have without Tracium.
func watchSignals() {
	var watched []os.Signal
	for _, s := range terminating {
		if !signal.Ignored(s) {
			watched = append(watched, s)
		}
	}
	if len(watched) == 0 {
		return
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, watched...)
	go func() {
		for s := range ch {
			if appHandles(s) {
				flushClients()
				continue
			}
			Shutdown()
			signal.Stop(ch) // back to Go's default: the signal ends the program
			raise(s)
			return
		}
	}()
}

// raise sends s to the process; where a process cannot signal itself,
// it exits as a terminated program would.
func raise(s os.Signal) {
	p, err := os.FindProcess(os.Getpid())
	if err == nil {
		err = p.Signal(s)
	}
	if err != nil {
		os.Exit(2)
	}
}
