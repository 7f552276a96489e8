package tracium

// A request span started by a tracer WithYieldToInner can be taken over
// by request tracers that start under it on the same request: they get
// the span instead of a new one, record the request on it when they end,
// and leave ending it to the tracer that started it. Tracers nest, so the
// inner ones always end first.

// requestShare is what a yielding request span keeps about the tracers
// that took it over; guarded by the span's mu.
type requestShare struct {
	inner  int  // tracers that took the span over and have not ended
	routed bool // one of them recorded the request
}

// markYielding lets inner request tracers take s over; s is new and
// not yet shared. A nil span (nothing recorded) stays nil.
func (s *Span) markYielding() {
	if !s.lock() {
		return
	}
	s.x().share = &requestShare{}
	s.mu.Unlock()
}

// adoptRequest reports whether s is a yielding request span, not yet
// ended, that the calling tracer now shares.
func (s *Span) adoptRequest() bool {
	if !s.lock() {
		return false
	}
	defer s.mu.Unlock()
	if s.ext == nil || s.ext.share == nil {
		return false
	}
	s.ext.share.inner++
	return true
}

// How a request tracer's End treats the span it is handed.
const (
	requestOwn    = iota // the tracer's own span: record and end it
	requestInner         // taken over: record, do not end
	requestRouted        // the starter's, recorded by an inner tracer: end it
)

// releaseRequest says which of those s is for the tracer ending it now.
func (s *Span) releaseRequest() int {
	if !s.lock() {
		return requestOwn
	}
	defer s.mu.Unlock()
	if s.ext == nil || s.ext.share == nil {
		return requestOwn
	}
	sh := s.ext.share
	switch {
	case sh.inner > 0:
		sh.inner--
		sh.routed = true
		return requestInner
	case sh.routed:
		return requestRouted
	}
	return requestOwn
}
