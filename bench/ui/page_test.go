// Package ui measures what a person waits for in the web UI, in headless
// Chromium: a trace page from navigation to its load event, on the
// zero-config server (SQLite) and on PostgreSQL, for a 100-span and a
// 10,000-span trace of 1 KB spans sent through the real ingest API.
package ui

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/browsertest"
	"github.com/tracium/tracium/internal/collectortest"
	"github.com/tracium/tracium/internal/pgtest"
	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const (
	admin    = "bench@example.com"
	password = "bench-password-for-pages"
)

// BenchmarkTracePage reports p50 and p95 of the load time of a trace
// page, fresh navigation each time (no cache: the pages are no-store).
func BenchmarkTracePage(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			opts := []collectortest.Option{collectortest.WithAdmin(admin, password)}
			if backend == "postgres" {
				opts = append(opts, collectortest.WithDatabase(pgtest.Database(b)))
			}
			c := collectortest.Start(b, opts...)
			small, big := ingest(b, c, 100, 0), ingest(b, c, 10_000, 1)
			br := browsertest.Start(b)
			br.SignIn(c.URL, admin, password)
			for _, tc := range []struct {
				name, traceID string
			}{{"spans-100", small}, {"spans-10000", big}} {
				b.Run(tc.name, func(b *testing.B) {
					var load, first []time.Duration
					for b.Loop() {
						t := br.LoadTime(c.URL + "/traces/" + tc.traceID)
						load, first = append(load, t.Load), append(first, t.FirstByte)
					}
					b.ReportMetric(ms(percentile(load, 50)), "p50-ms")
					b.ReportMetric(ms(percentile(load, 95)), "p95-ms")
					b.ReportMetric(ms(percentile(first, 50)), "first-byte-p50-ms")
				})
			}
		})
	}
}

// percentile is the p-th percentile of ds (nearest rank); it sorts ds.
func percentile(ds []time.Duration, p int) time.Duration {
	slices.Sort(ds)
	return ds[(len(ds)*p+99)/100-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ingest sends a trace of n spans of about 1 KB each through POST
// /v1/ingest, its llm spans in the recorded chat shape, and waits until it
// is stored.
func ingest(b testing.TB, c *collectortest.Collector, n, i int) string {
	b.Helper()
	spans := storetest.Fixture{SpansPerTrace: n, PayloadBytes: 1000, Start: time.Now().Add(-time.Hour)}.Trace(i)
	for k := range spans {
		if spans[k].Type == store.SpanLLM {
			spans[k].Input = chatJSON(tracium.RoleUser, spans[k].Input)
			spans[k].Output = chatJSON(tracium.RoleAssistant, spans[k].Output)
		}
	}
	for lo := 0; lo < len(spans); lo += 1000 {
		post(b, c, spans[lo:min(lo+1000, len(spans))])
	}
	c.WaitTrace(b, spans[0].TraceID, n, time.Minute)
	return spans[0].TraceID
}

// chatJSON rewrites a fixture's payload as a one-message chat.
func chatJSON(role string, raw json.RawMessage) json.RawMessage {
	b, _ := json.Marshal(tracium.Chat{Messages: []tracium.Message{tracium.TextMessage(role, string(raw))}})
	return b
}

func post(b testing.TB, c *collectortest.Collector, spans []store.Span) {
	b.Helper()
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	_ = json.NewEncoder(zw).Encode(map[string]any{"spans": spans})
	zw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.URL+"/v1/ingest", &body)
	req.Header.Set("Authorization", "Bearer "+c.APIKey)
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		b.Fatalf("ingest: %d", resp.StatusCode)
	}
}
