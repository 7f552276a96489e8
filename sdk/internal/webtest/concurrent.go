package webtest

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	tracium "github.com/tracium/tracium/sdk"
)

// Concurrent checks that 1,000 requests in flight at once each keep their
// own trace: the span a handler starts with the Request's context lands
// under its own request's span. A framework whose handlers have a
// context of its own besides the request's (gin's *gin.Context) runs it
// with that one too.
func Concurrent(t *testing.T, fw Framework) {
	t.Helper()
	const n = 1000
	// Every handler holds its span open until all n are in flight, so the
	// requests really overlap.
	var arrived sync.WaitGroup
	arrived.Add(n)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	b := Start(t, fw, []Route{{http.MethodGet, "/work/:n", func(r Request) Reply {
		_, span := tracium.StartSpan(r.Context, tracium.SpanTool, "work")
		span.SetAttribute("n", r.Param("n"))
		arrived.Done()
		select {
		case <-all:
		case <-time.After(30 * time.Second):
		}
		span.End()
		return Reply{Status: http.StatusOK, Body: span.TraceID()}
	}}})
	transport := &http.Transport{MaxIdleConnsPerHost: n}
	t.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Transport: transport}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := client.Get(fmt.Sprintf("%s/work/%d", b.URL, i))
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	}
	wg.Wait()
	select {
	case <-all:
	default:
		t.Fatal("the requests never were all in flight at once")
	}

	traces := map[string][]tracium.SpanData{}
	for _, s := range b.Spans(t) {
		traces[s.TraceID] = append(traces[s.TraceID], s)
	}
	if len(traces) != n {
		t.Fatalf("%d traces, want %d", len(traces), n)
	}
	for id, spans := range traces {
		if len(spans) != 2 {
			t.Fatalf("trace %s has %d spans, want 2", id, len(spans))
		}
		req, work := spans[0], spans[1]
		if req.Type != tracium.SpanHTTP {
			req, work = work, req
		}
		if work.ParentSpanID != req.SpanID || req.Attributes[tracium.AttrURLPath] != fmt.Sprintf("/work/%v", work.Attributes["n"]) {
			t.Fatalf("trace %s mixes requests: %s holds work %v", id, req.Attributes[tracium.AttrURLPath], work.Attributes["n"])
		}
	}
}
