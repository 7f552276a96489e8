package main

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/natstest"
	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/queue"
	"github.com/tracium/tracium/store/postgres"
	"github.com/tracium/tracium/store/storetest"
)

// TestClusterSurvivesLosses runs a scaled-out deployment on this machine:
// a three-node NATS JetStream cluster holding the span stream in three
// replicas, three collector processes sharing one PostgreSQL database and
// the writers' durable consumer, and six clients that retry each batch
// until it is acknowledged, as the SDK does. During ingest the stream's
// leader node is shut down and one collector is killed with SIGKILL.
// Every acknowledged span ends up stored exactly once: each trace holds
// its spans and counts them once, and the database holds no other span.
func TestClusterSurvivesLosses(t *testing.T) {
	t.Parallel()
	cluster := natstest.StartCluster(t, 3)
	natsURL := cluster.URL()
	dbURL := pgtest.NewDatabase(t)
	key, _, err := auth.NewKey(0, "cluster")
	if err != nil {
		t.Fatal(err)
	}
	type collector struct {
		url  string
		kill func()
		dead atomic.Bool
	}
	collectors := make([]*collector, 3)
	for i := range collectors {
		cmd, u := serverProcess(t, "TRACIUM_DATA_DIR="+t.TempDir(), "TRACIUM_DATABASE_URL="+dbURL, "TRACIUM_NATS_URL="+natsURL,
			"TRACIUM_NATS_REPLICAS=3", "TRACIUM_BOOTSTRAP_API_KEY="+key, "TRACIUM_QUEUE_ACK_WAIT=10s")
		collectors[i] = &collector{url: u, kill: func() { _ = cmd.Process.Signal(syscall.SIGKILL); _ = cmd.Wait() }}
	}
	if r := streamReplicas(t, natsURL); r != 3 {
		t.Fatalf("the span stream has %d replicas, want 3", r)
	}

	const clients, perClient = 6, 30
	var acked atomic.Int64
	var mu sync.Mutex
	sent := map[string]int{} // trace id -> spans acknowledged
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			f := storetest.Fixture{SpansPerTrace: 8, PayloadBytes: 512, Start: time.Now().Add(-time.Hour), Spacing: time.Second}
			for i := range perClient {
				spans := f.Trace(c*1000 + i)
				deadline := time.Now().Add(45 * time.Second)
				for attempt := 0; ; attempt++ {
					target := collectors[(c+i+attempt)%len(collectors)]
					if !target.dead.Load() && post(target.url, key, spans) == http.StatusAccepted {
						break
					}
					if time.Now().After(deadline) {
						t.Errorf("client %d: trace %d never acknowledged", c, i)
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
				mu.Lock()
				sent[spans[0].TraceID] = len(spans)
				mu.Unlock()
				acked.Add(1)
			}
		})
	}
	waitFor := func(n int64) {
		for acked.Load() < n {
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor(clients * perClient / 4)
	leader := streamLeader(t, natsURL)
	for _, ns := range cluster.Nodes {
		if ns.Name() == leader {
			ns.Shutdown()
			t.Logf("shut down %s, the stream's leader, after %d batches", leader, acked.Load())
		}
	}
	waitFor(clients * perClient / 2)
	collectors[0].dead.Store(true)
	collectors[0].kill()
	t.Logf("killed collector 0 after %d batches", acked.Load())
	wg.Wait()
	if t.Failed() {
		return
	}

	st, err := postgres.Open(context.Background(), postgres.Config{URL: dbURL, SkipMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.GetProjectByName(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	deadline := time.Now().Add(60 * time.Second)
	for id, n := range sent {
		want += n
		for {
			d, err := st.GetTrace(context.Background(), p.ID, id)
			if err == nil && d.Trace.SpanCount == int64(n) && len(d.Spans) == n {
				break
			}
			if err == nil && (d.Trace.SpanCount > int64(n) || len(d.Spans) > n) {
				t.Fatalf("trace %s: counted %d spans, stored %d, of the %d sent", id, d.Trace.SpanCount, len(d.Spans), n)
			}
			if time.Now().After(deadline) {
				t.Fatalf("trace %s: %d of %d spans stored (%v)", id, len(d.Spans), n, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	var spans, traces int
	if err := st.Pool().QueryRow(context.Background(), `SELECT (SELECT count(*) FROM spans), (SELECT count(*) FROM traces)`).Scan(&spans, &traces); err != nil {
		t.Fatal(err)
	}
	if spans != want || traces != len(sent) {
		t.Errorf("the database holds %d spans in %d traces; want the %d acknowledged spans in %d traces", spans, traces, want, len(sent))
	}
	if len(sent) != clients*perClient {
		t.Errorf("%d of %d batches acknowledged", len(sent), clients*perClient)
	}

	// With the collectors gone and the stream shrunk to 16 KiB, the
	// replicated stream refuses the batch that does not fit: ErrFull,
	// which ingest answers with 503 queue_full.
	for _, c := range collectors[1:] {
		c.kill()
	}
	q, err := queue.Open(context.Background(), queue.Config{URL: natsURL, Replicas: 3, MaxBytes: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	payload := []byte(strings.Repeat("x", 1000))
	for i := 0; ; i++ {
		err := q.Publish(context.Background(), p.ID, "full-"+strconv.Itoa(i), payload)
		if errors.Is(err, queue.ErrFull) {
			break
		}
		if err != nil || i == 100 {
			t.Fatalf("publish %d into a 16 KiB stream: %v; want ErrFull before 100", i, err)
		}
	}
}

func streamReplicas(t *testing.T, natsURL string) int {
	return natstest.StreamInfo(t, natsURL, queue.StreamName).Config.Replicas
}

func streamLeader(t *testing.T, natsURL string) string {
	info := natstest.StreamInfo(t, natsURL, queue.StreamName)
	if info.Cluster == nil || info.Cluster.Leader == "" {
		t.Fatal("the span stream has no leader")
	}
	return info.Cluster.Leader
}
