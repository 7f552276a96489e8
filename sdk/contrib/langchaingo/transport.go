package traciumlangchaingo

import (
	"io"
	"net/http"
	"sync"

	"github.com/petermattis/goid"
	"github.com/tmc/langchaingo/httputil"
	tracium "github.com/tracium/tracium/sdk"
)

// LangChainGo's providers make their HTTP calls with httputil.DefaultClient,
// whose transport was built from http.DefaultTransport when langchaingo was
// imported, before tracium.Init could wrap it; and the context of those
// calls is the caller's, which holds none of the handler's spans. So this
// package, when imported, wraps the transport inside httputil.DefaultTransport
// (which httputil.DefaultClient uses) once, before main runs: every call
// LangChainGo makes over it then goes through Transport.

func init() {
	if t, ok := httputil.DefaultTransport.(*httputil.Transport); ok {
		t.Transport = Transport(t.Transport)
	}
}

// Transport wraps base (http.DefaultTransport when nil) for the HTTP
// client of a LangChainGo provider built with its own (openai.WithHTTPClient
// and the like; the default client is wrapped already). A call made while
// the handler has an llm span open on the calling goroutine is recorded
// into that span by tracium's transport (tracium.Span.CaptureLLMCall):
// the answering model, exact token usage, time to first token and the raw
// bodies join the handler's view in one span, and the span ends when the
// response body is closed. Another call goes through tracium's transport
// under the innermost span the handler has open there (an embedding
// request inside a retrieval), or, with none open, is traced as any
// client's call is while the default client auto-instruments LLM clients.
// Safe for concurrent use.
func Transport(base http.RoundTripper) http.RoundTripper {
	if t, ok := base.(*transport); ok {
		return t
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, traced: tracium.Transport(base)}
}

type transport struct {
	base   http.RoundTripper // the transport wrapped
	traced http.RoundTripper // tracium's transport around base
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	g := goid.Get()
	ctxSpan := tracium.SpanFromContext(r.Context())
	top := topFor(g, ctxSpan)
	if top == nil || parentOf(ctxSpan, top) != top.span {
		if tracium.DefaultClient().AutoInstrumentLLMClients() {
			return t.traced.RoundTrip(r)
		}
		return t.base.RoundTrip(r)
	}
	r = r.WithContext(tracium.ContextWithSpan(r.Context(), top.span))
	if top.kind != tracium.SpanLLM || top.wire {
		return t.traced.RoundTrip(r)
	}
	top.wire = true
	top.span.CaptureLLMCall()
	resp, err := t.traced.RoundTrip(r)
	if !top.span.LLMCallRecorded() {
		// Not a call tracium reads (an API it does not know, or a trace
		// it does not sample): the handler's own callbacks record it.
		return resp, err
	}
	end := func() {
		lanes.remove(g, top)
		endEntry(top)
	}
	if err != nil {
		end()
		return nil, err
	}
	resp.Body = &endOnClose{ReadCloser: resp.Body, end: end}
	return resp, nil
}

// endOnClose ends the llm span of a captured call once the caller closes
// the response body, after tracium's transport has read the rest of it.
type endOnClose struct {
	io.ReadCloser
	once sync.Once
	end  func()
}

func (b *endOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.end)
	return err
}
