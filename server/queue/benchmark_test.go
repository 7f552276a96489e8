package queue_test

import (
	"encoding/json"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/natstest"
	"github.com/tracium/tracium/server/queue"
	"github.com/tracium/tracium/store/storetest"
)

// BenchmarkPublish publishes ingest-sized batches (100 spans of 1 KB, as
// the SDK sends them) from eight publishers, each waiting for
// JetStream's acknowledgement as ingest does before its 202: to the
// embedded server in-process, to one server over TCP, and to a
// three-server cluster keeping three replicas. It reports spans per
// second; the one-replica runs are the replicated one's peers.
func BenchmarkPublish(b *testing.B) {
	f := storetest.Fixture{SpansPerTrace: 10, PayloadBytes: 1 << 10, Start: time.Now().Add(-time.Hour), Spacing: time.Millisecond}
	var spans []any
	for i := range 10 {
		for _, s := range f.Trace(i) {
			spans = append(spans, s)
		}
	}
	body, err := json.Marshal(map[string]any{"spans": spans})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  func(b *testing.B) queue.Config
	}{
		{"embedded-R1", func(b *testing.B) queue.Config { return queue.Config{DataDir: b.TempDir()} }},
		{"server-R1", func(b *testing.B) queue.Config { return queue.Config{URL: natstest.Start(b).ClientURL()} }},
		{"cluster-R3", func(b *testing.B) queue.Config {
			return queue.Config{URL: natstest.StartCluster(b, 3).URL(), Replicas: 3}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			q, err := queue.Open(b.Context(), tc.cfg(b))
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close()
			var n atomic.Int64
			b.SetBytes(int64(len(body)))
			b.SetParallelism(4)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := strconv.FormatInt(n.Add(1), 10)
					if err := q.Publish(b.Context(), 1, id, body); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(n.Load()*int64(len(spans)))/time.Since(start).Seconds(), "spans/s")
		})
	}
}
