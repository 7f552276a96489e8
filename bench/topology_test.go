package bench

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/natstest"
	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/server/queue"
)

// topology is one deployment BenchmarkIngestTopology measures.
type topology struct {
	name string
	// replicas of the span stream: 1 on one NATS server, more on a
	// cluster of as many servers.
	replicas int
	// collectors is how many tracium-server processes share the ingest
	// and the writes.
	collectors int
	// readReplica attaches a streaming replica to the database, which the
	// collectors read through TRACIUM_READ_DATABASE_URL.
	readReplica bool
}

// baseline is the topology every other is set beside.
const baseline = "r1-1collector"

var topologies = []topology{
	{name: baseline, replicas: 1, collectors: 1},
	{name: "r1-replica", replicas: 1, collectors: 1, readReplica: true},
	{name: "r1-2collectors", replicas: 1, collectors: 2},
	{name: "r1-3collectors", replicas: 1, collectors: 3},
	{name: "r3-1collector", replicas: 3, collectors: 1},
	{name: "r3-2collectors", replicas: 3, collectors: 2},
	{name: "r3-3collectors", replicas: 3, collectors: 3},
}

// BenchmarkIngestTopology is BenchmarkIngest across deployments: the
// span stream in one replica on one NATS server or in three on a
// three-server cluster (the NATS servers run in this process, beside the
// load generator), one to three collector processes sharing the ingest
// (batch k goes to collector k mod N) and the writes (one durable
// consumer), and one collector on a PostgreSQL cluster with a streaming
// replica, which it reads. Every deployment has a fresh database on the
// benchmark's own PostgreSQL cluster (the one with a replica, a cluster of
// its own with the same settings).
//
// Each sub-benchmark but the baseline (r1-1collector) runs a baseline
// deployment of its own beside it and alternates their ingest phases, the
// order swapped every iteration, so that both meet the same load from
// whatever else the machine runs. It reports BenchmarkIngest's metrics for
// its deployment (the collectors' CPU summed, the largest one's peak
// memory; the raw COPY goes to its primary), and:
//
//   - vs-r1-1collector: its end-to-end rate beside its baseline's;
//   - read-p50-ms, read-p95-ms: GET /api/v1/traces (the first page)
//     through its first collector, ten times a second during ingest,
//     served by the primary or, with a replica, by the replica; and
//     baseline-read-p50-ms, the same through its baseline;
//
// and with a replica:
//
//   - replay-lag-p50-ms, replay-lag-max-ms: pg_stat_replication's
//     replay_lag, sampled ten times a second during ingest;
//   - catch-up-ms: from the writers' count reaching the spans sent to
//     the replica's having replayed the primary's WAL up to that moment;
//   - replica-µs/span: CPU time of the replica's processes (receiving and
//     replaying the WAL, serving the reads), and walsender-µs/span: that
//     of the primary's WAL sender, per span, over ingest and catch-up.
func BenchmarkIngestTopology(b *testing.B) {
	pg := pgtest.NewCluster(b)
	for _, tp := range topologies {
		b.Run(tp.name, func(b *testing.B) { runTopology(b, pg, tp) })
	}
}

// runTopology measures tp, beside a baseline deployment unless tp is the
// baseline.
func runTopology(b *testing.B, pg *pgtest.Cluster, tp topology) {
	d := deploy(b, pg, tp)
	var base *deployed
	if tp.name != baseline {
		base = deploy(b, pg, topologies[0])
	}
	for i := 0; b.Loop(); i++ {
		// The other deployment's phase is set aside: its collectors' wall
		// time is their own phases'.
		if base != nil && i%2 == 1 {
			d.run.setAside(func() { base.ingest(b) })
		}
		d.ingest(b)
		if base != nil && i%2 == 0 {
			d.run.setAside(func() { base.ingest(b) })
		}
		d.run.rawCopy(b)
		if d.rep != nil {
			// The raw COPY's WAL is replayed before the next phase,
			// outside the figures.
			d.run.setAside(func() { d.rep.waitReplayed(b) })
		}
	}
	rate := d.run.report(b)
	d.reads.report(b, "")
	if d.rep != nil {
		d.rep.report(b, float64(d.run.sent))
		if got := countSpans(b, d.rep.replica, d.run.project.ID); got != int64(d.run.sent) {
			b.Errorf("the replica holds %d spans, %d sent", got, d.run.sent)
		}
	}
	if base != nil {
		b.ReportMetric(rate/base.run.rate(b), "vs-"+baseline)
		base.reads.reportP50(b, "baseline-")
	}
}

// deployed is one deployment running, with what measures it.
type deployed struct {
	run   *ingestRun
	reads *readProbe
	rep   *replicaWatch // with a read replica
}

// deploy starts tp: its NATS server or cluster, its database (and the
// replica), its collectors.
func deploy(b *testing.B, pg *pgtest.Cluster, tp topology) *deployed {
	var natsURL string
	if tp.replicas == 1 {
		natsURL = natstest.Start(b).ClientURL()
	} else {
		natsURL = natstest.StartCluster(b, tp.replicas).URL()
	}
	env := []string{"TRACIUM_NATS_URL=" + natsURL, "TRACIUM_NATS_REPLICAS=" + strconv.Itoa(tp.replicas)}
	var rep *replicaWatch
	if tp.readReplica {
		// A replica replays its whole primary: a primary of its own
		// keeps it off the baseline's database.
		pg = pgtest.NewCluster(b)
	}
	dbURL := pg.NewDatabase(b)
	if tp.readReplica {
		rep = startReplicaWatch(b, pg, dbURL)
		env = append(env, "TRACIUM_READ_DATABASE_URL="+rep.url)
	}
	st, key, cs, p := setupDeployment(b, deployment{dbURL: dbURL, collectors: tp.collectors, env: env})
	if got := natstest.StreamInfo(b, natsURL, queue.StreamName).Config.Replicas; got != tp.replicas {
		b.Fatalf("%s: the span stream has %d replicas, want %d", tp.name, got, tp.replicas)
	}
	if rep != nil {
		rep.primary = st
		if got := readyStatus(b, cs[0].url)["read_replica"]; got != "ok" {
			b.Fatalf("%s: /readyz says read_replica %q, want ok", tp.name, got)
		}
	}
	return &deployed{run: newIngestRun(b, st, key, cs, p), reads: &readProbe{url: cs[0].url, key: key}, rep: rep}
}

// ingest runs one ingest phase, reading (and watching the replica)
// meanwhile.
func (d *deployed) ingest(b *testing.B) {
	d.run.ingest(b, func() func() {
		stopReads := d.reads.start(b)
		stopWatch := func() {}
		if d.rep != nil {
			stopWatch = d.rep.watch(b)
		}
		return func() { stopReads(); stopWatch() }
	})
}

// readyStatus is a collector's /readyz answer.
func readyStatus(b *testing.B, base string) map[string]string {
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var status map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&status); err != nil {
		b.Fatalf("/readyz: %v", err)
	}
	return status
}

// readProbe lists traces through a collector, one request at a time, ten
// times a second while it runs.
type readProbe struct {
	url, key string
	lat      []time.Duration
	most     int // traces on the fullest page seen
}

// sampleEvery calls sample every interval until the returned stop is
// called (which waits for the call under way) or sample returns false.
func sampleEvery(interval time.Duration, sample func() bool) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if !sample() {
				return
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// start starts reading until the returned stop is called.
func (p *readProbe) start(b *testing.B) (stop func()) {
	return sampleEvery(100*time.Millisecond, func() bool {
		req, _ := http.NewRequest("GET", p.url+"/api/v1/traces", nil)
		req.Header.Set("Authorization", "Bearer "+p.key)
		t0 := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Errorf("list traces: %v", err)
			return false
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		p.lat = append(p.lat, time.Since(t0))
		var page struct {
			Traces []json.RawMessage `json:"traces"`
		}
		if err == nil {
			err = json.Unmarshal(body, &page)
		}
		if resp.StatusCode != http.StatusOK || err != nil {
			b.Errorf("list traces: %d %v: %.200s", resp.StatusCode, err, body)
			return false
		}
		p.most = max(p.most, len(page.Traces))
		return true
	})
}

// report reports the reads' p50 and p95 as prefix+"read-p50-ms" and
// prefix+"read-p95-ms".
func (p *readProbe) report(b *testing.B, prefix string) {
	if p.reportP50(b, prefix) {
		b.ReportMetric(ms(p.lat[len(p.lat)*95/100]), prefix+"read-p95-ms")
	}
}

// reportP50 reports the reads' p50 as prefix+"read-p50-ms", and whether
// there were reads to report.
func (p *readProbe) reportP50(b *testing.B, prefix string) bool {
	if len(p.lat) == 0 || p.most == 0 {
		b.Errorf("%d reads during ingest, at most %d traces a page: want some of each", len(p.lat), p.most)
		return false
	}
	slices.Sort(p.lat)
	b.ReportMetric(ms(p.lat[len(p.lat)/2]), prefix+"read-p50-ms")
	return true
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
