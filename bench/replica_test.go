package bench

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/store/postgres"
)

// replicaWatch follows a physical streaming replica of the benchmark's
// cluster: how far it lags, and what it and the primary's WAL sender cost.
type replicaWatch struct {
	cluster *pgtest.Cluster
	url     string          // the benchmark's database on the replica
	primary *postgres.Store // the same database on the primary
	replica *postgres.Store

	lags, catchUps        []time.Duration
	replicaCPU, senderCPU time.Duration
}

// startReplicaWatch starts a streaming replica of pg, which holds dbURL.
func startReplicaWatch(b *testing.B, pg *pgtest.Cluster, dbURL string) *replicaWatch {
	rc := pg.StartReplica(b)
	u, err := rc.DatabaseURL(dbURL)
	if err != nil {
		b.Fatal(err)
	}
	st, err := postgres.Open(context.Background(), postgres.Config{URL: withAppName(b, u, benchAppName), ReadOnly: true})
	if err != nil {
		b.Fatalf("open the replica: %v", err)
	}
	b.Cleanup(func() { st.Close() })
	return &replicaWatch{cluster: rc, url: u, replica: st}
}

// watch samples the replay lag until the returned stop is called, which
// then waits for the replica to replay what the primary has written and
// adds the CPU time of the replica and the WAL sender meanwhile.
func (w *replicaWatch) watch(b *testing.B) (stop func()) {
	sender := w.senderPID(b)
	replica0, sender0 := w.clusterCPU(b), backendCPUOf(b, sender)
	stopSampling := sampleEvery(100*time.Millisecond, func() bool {
		// NULL: the replica has replayed everything and nothing new came
		// since.
		var lag float64
		err := w.primary.Pool().QueryRow(context.Background(),
			`SELECT coalesce(extract(epoch FROM replay_lag), 0)::float8 FROM pg_stat_replication`).Scan(&lag)
		if err != nil {
			b.Errorf("replay lag: %v", err)
			return false
		}
		w.lags = append(w.lags, time.Duration(lag*float64(time.Second)))
		return true
	})
	return func() {
		stopSampling()
		w.catchUps = append(w.catchUps, w.waitReplayed(b))
		w.replicaCPU += w.clusterCPU(b) - replica0
		w.senderCPU += backendCPUOf(b, sender) - sender0
	}
}

// waitReplayed waits until the replica has replayed the primary's WAL up
// to its position now, and returns how long that took.
func (w *replicaWatch) waitReplayed(b *testing.B) time.Duration {
	ctx := context.Background()
	var lsn string
	if err := w.primary.Pool().QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&lsn); err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	for deadline := t0.Add(5 * time.Minute); ; time.Sleep(5 * time.Millisecond) {
		var done bool
		if err := w.replica.Pool().QueryRow(ctx, `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn`, lsn).Scan(&done); err != nil {
			b.Fatal(err)
		}
		if done {
			return time.Since(t0)
		}
		if time.Now().After(deadline) {
			b.Fatalf("the replica did not replay the primary's WAL up to %s", lsn)
		}
	}
}

// senderPID is the primary's WAL sender serving the replica.
func (w *replicaWatch) senderPID(b *testing.B) int {
	var pid int
	if err := w.primary.Pool().QueryRow(context.Background(), `SELECT pid FROM pg_stat_replication`).Scan(&pid); err != nil {
		b.Fatalf("the primary's WAL sender: %v", err)
	}
	return pid
}

func (w *replicaWatch) clusterCPU(b *testing.B) time.Duration {
	d, err := w.cluster.CPU()
	if err != nil {
		b.Fatalf("the replica's CPU: %v", err)
	}
	return d
}

func backendCPUOf(b *testing.B, pid int) time.Duration {
	d, err := pgtest.BackendCPU(pid)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// report reports the replica's figures over n spans sent.
func (w *replicaWatch) report(b *testing.B, n float64) {
	if len(w.lags) == 0 || len(w.catchUps) == 0 {
		b.Errorf("%d replay lag samples and %d catch-ups: want some of each", len(w.lags), len(w.catchUps))
		return
	}
	slices.Sort(w.lags)
	b.ReportMetric(ms(w.lags[len(w.lags)/2]), "replay-lag-p50-ms")
	b.ReportMetric(ms(w.lags[len(w.lags)-1]), "replay-lag-max-ms")
	var total time.Duration
	for _, d := range w.catchUps {
		total += d
	}
	b.ReportMetric(ms(total/time.Duration(len(w.catchUps))), "catch-up-ms")
	b.ReportMetric(w.replicaCPU.Seconds()/n*1e6, "replica-µs/span")
	b.ReportMetric(w.senderCPU.Seconds()/n*1e6, "walsender-µs/span")
}
