package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/server"
	"github.com/tracium/tracium/server/queue"
	"github.com/tracium/tracium/store"
)

// TestDatabaseOutage cuts the collector off from PostgreSQL while SDKs keep
// sending: ingest goes on answering 202, and once the database is back
// the backlog drains with every span stored once.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	direct := pgtest.NewDatabase(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	px := startProxy(t, u.Host)
	u.Host = px.addr()
	b := setup(t, options{databaseURL: u.String()})
	st := openStore(t, server.Config{DatabaseURL: direct})
	p, err := st.GetProjectByName(t.Context(), server.DefaultProject)
	if err != nil {
		t.Fatal(err)
	}

	first := agentTrace()
	if r := b.post(t, b.key, body(t, first...)); r.status != 202 {
		t.Fatalf("status %d", r.status)
	}
	b.waitTrace(t, st, p.ID, first[0].TraceID, int64(len(first)))

	px.setDown(true)
	var during [][]store.Span
	for range 8 {
		spans := agentTrace()
		if r := b.post(t, b.key, body(t, spans...)); r.status != 202 {
			t.Fatalf("while the database is down: status %d %s", r.status, r.Error.Message)
		}
		during = append(during, spans)
	}
	time.Sleep(time.Second)
	if _, err := st.GetTrace(t.Context(), p.ID, during[0][0].TraceID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a trace was written through a cut connection: %v", err)
	}
	px.setDown(false)
	for _, spans := range during {
		d := b.waitTrace(t, st, p.ID, spans[0].TraceID, int64(len(spans)))
		if len(d.Spans) != len(spans) {
			t.Errorf("trace %s: %d spans stored, want %d", d.TraceID, len(d.Spans), len(spans))
		}
	}
}

// TestQueueUnavailable stops the external NATS: ingest answers 503 with
// Retry-After and does not pretend to have accepted anything.
func TestQueueUnavailable(t *testing.T) {
	t.Parallel()
	ns := startNATS(t, t.TempDir())
	b := setup(t, options{configure: func(c *server.Config) { c.NATSURL = ns.ClientURL() }})
	if r := b.post(t, b.key, body(t, agentTrace()...)); r.status != 202 {
		t.Fatalf("status %d", r.status)
	}
	ns.Shutdown()
	ns.WaitForShutdown()
	r := b.post(t, b.key, body(t, agentTrace()...))
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || r.Error.Code != "unavailable" {
		t.Errorf("with NATS down: status %d Retry-After %q code %q; want 503", r.status, r.header.Get("Retry-After"), r.Error.Code)
	}
	resp, err := http.Get(b.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("/readyz with NATS down: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// TestPoisonBatch publishes a batch no writer can decode: it moves to the
// dead-letter stream with its reason, and later batches still flow.
func TestPoisonBatch(t *testing.T) {
	t.Parallel()
	ns := startNATS(t, t.TempDir())
	b := setup(t, options{configure: func(c *server.Config) { c.NATSURL = ns.ClientURL() }})
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	msg := nats.NewMsg(queue.SubjectPrefix + "1")
	msg.Header.Set(queue.HeaderProject, "1")
	msg.Data = []byte(`{"spans": "not a list"}`)
	if err := nc.PublishMsg(msg); err != nil {
		t.Fatal(err)
	}
	sub, err := nc.SubscribeSync(queue.DeadSubject)
	if err != nil {
		t.Fatal(err)
	}
	dead, err := sub.NextMsg(20 * time.Second)
	if err != nil {
		t.Fatalf("no dead letter: %v", err)
	}
	if dead.Header.Get(queue.HeaderReason) == "" || string(dead.Data) != string(msg.Data) {
		t.Errorf("dead letter %q with reason %q", dead.Data, dead.Header.Get(queue.HeaderReason))
	}
	// A batch the store refuses as invalid is dead-lettered at its first
	// delivery: retrying it cannot help.
	invalid := agentTrace()[:1]
	invalid[0].SpanID = "not-a-span-id"
	msg = nats.NewMsg(queue.SubjectPrefix + "1")
	msg.Header.Set(queue.HeaderProject, strconv.FormatInt(b.defaultProject(t).ID, 10))
	msg.Data = body(t, invalid...)
	if err := nc.PublishMsg(msg); err != nil {
		t.Fatal(err)
	}
	if dead, err = sub.NextMsg(20 * time.Second); err != nil {
		t.Fatalf("no dead letter for the invalid batch: %v", err)
	}
	if dead.Header.Get(queue.HeaderDeliveries) != "1" || !strings.Contains(dead.Header.Get(queue.HeaderReason), "span_id") {
		t.Errorf("invalid batch dead-lettered after %s deliveries with reason %q; want 1 and span_id",
			dead.Header.Get(queue.HeaderDeliveries), dead.Header.Get(queue.HeaderReason))
	}
	spans := agentTrace()
	b.post(t, b.key, body(t, spans...))
	b.waitTrace(t, b.store, b.defaultProject(t).ID, spans[0].TraceID, int64(len(spans)))
}

// TestRestartDrains stops a server whose writer still has work and starts
// another on the same data directory: everything accepted is written.
func TestRestartDrains(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	var sent [][]store.Span
	for range 20 {
		spans := agentTrace()
		if r := b.post(t, b.key, body(t, spans...)); r.status != 202 {
			t.Fatalf("status %d", r.status)
		}
		sent = append(sent, spans)
	}
	b.stop()
	cfg := b.cfg
	cfg.Addr = freeAddr(t)
	start(t, cfg)
	p := b.defaultProject(t)
	for _, spans := range sent {
		b.waitTrace(t, b.store, p.ID, spans[0].TraceID, int64(len(spans)))
	}
}

// proxy forwards TCP connections to a target until told the target is
// down: then it cuts every connection and refuses new ones, as a database
// that became unreachable would.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() { ln.Close(); p.setDown(true) })
	go p.serve()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		if !down {
			p.conns[c] = struct{}{}
		}
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *proxy) pipe(c net.Conn) {
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[up] = struct{}{}
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

// TestSharedWork runs two collectors against one NATS and one PostgreSQL,
// as a scaled-out deployment would: each batch is written once, whichever
// process received it and whichever writer took it.
func TestSharedWork(t *testing.T) {
	t.Parallel()
	ns := startNATS(t, t.TempDir())
	dbURL := pgtest.NewDatabase(t)
	key := newSecret(t)
	configure := func(c *server.Config) { c.NATSURL, c.BootstrapAPIKey = ns.ClientURL(), key }
	a := setup(t, options{databaseURL: dbURL, configure: configure})
	b := setup(t, options{databaseURL: dbURL, configure: configure})
	var sent [][]store.Span
	for i := range 30 {
		spans := agentTrace()
		target := a
		if i%2 == 1 {
			target = b
		}
		if r := target.post(t, key, body(t, spans...)); r.status != 202 {
			t.Fatalf("status %d", r.status)
		}
		sent = append(sent, spans)
	}
	p := a.defaultProject(t)
	var total int64
	for _, spans := range sent {
		d := a.waitTrace(t, a.store, p.ID, spans[0].TraceID, int64(len(spans)))
		total += d.Trace.SpanCount
	}
	written := scrape(t, a.url, "tracium_writer_spans_written_total") + scrape(t, b.url, "tracium_writer_spans_written_total")
	if written < float64(total) || scrape(t, a.url, "tracium_writer_spans_written_total") == 0 && scrape(t, b.url, "tracium_writer_spans_written_total") == 0 {
		t.Errorf("writers report %v spans written, want at least %d", written, total)
	}
}

// scrape reads one unlabelled metric from a server's /metrics.
func scrape(t *testing.T, base, name string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// TestSlowBodies opens a few thousand connections that send headers
// announcing a 200,000-byte body and then one byte: to ingest without a
// key, to ingest with one, and to /healthz. Without a key the answer is
// 401 and the connection closes at once; the others close within the
// body deadline; and /healthz keeps answering throughout.
func TestSlowBodies(t *testing.T) {
	t.Parallel()
	const deadline = 5 * time.Second
	b := setup(t, options{configure: func(c *server.Config) { c.BodyTimeout = deadline }})
	addr := strings.TrimPrefix(b.url, "http://")
	requests := []struct {
		head   string
		status string
		within time.Duration
	}{
		{"POST /v1/ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n{", "401", deadline / 2},
		{"POST /v1/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + b.key + "\r\nContent-Length: 200000\r\n\r\n{", "", deadline + 3*time.Second},
		{"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n{", "200", deadline + 3*time.Second},
	}
	const perKind = 1000
	type result struct {
		kind    int
		status  string
		elapsed time.Duration
		err     error
	}
	results := make(chan result, perKind*len(requests))
	var conns sync.WaitGroup
	for i := range perKind * len(requests) {
		kind := i % len(requests)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		sent := time.Now()
		if _, err := io.WriteString(c, requests[kind].head); err != nil {
			t.Fatal(err)
		}
		conns.Go(func() {
			defer c.Close()
			_ = c.SetReadDeadline(sent.Add(requests[kind].within + 10*time.Second))
			raw, err := io.ReadAll(c) // returns at EOF: when the server closes
			status, _, _ := strings.Cut(strings.TrimPrefix(string(raw), "HTTP/1.1 "), " ")
			results <- result{kind, status, time.Since(sent), err}
		})
	}
	stop := make(chan struct{})
	var healthFailures, healthChecks int
	var health sync.WaitGroup
	health.Go(func() {
		client := http.Client{Timeout: time.Second}
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			healthChecks++
			resp, err := client.Get(b.url + "/healthz")
			if err != nil || resp.StatusCode != 200 {
				healthFailures++
			}
			if err == nil {
				resp.Body.Close()
			}
		}
	})
	conns.Wait()
	close(stop)
	health.Wait()
	close(results)
	statuses := map[string]int{}
	for r := range results {
		want := requests[r.kind]
		statuses[fmt.Sprint(r.kind, ":", r.status)]++
		switch {
		case r.err != nil:
			t.Errorf("request %d: the connection stayed open %v: %v", r.kind, r.elapsed.Round(time.Millisecond), r.err)
		case r.elapsed > want.within:
			t.Errorf("request %d: closed after %v, want within %v", r.kind, r.elapsed.Round(time.Millisecond), want.within)
		case want.status != "" && r.status != want.status:
			t.Errorf("request %d: status %q, want %s", r.kind, r.status, want.status)
		}
	}
	if healthChecks == 0 || healthFailures > 0 {
		t.Errorf("/healthz failed %d of %d times while the slow bodies were open", healthFailures, healthChecks)
	}
	t.Logf("statuses by request kind: %v; /healthz answered %d times", statuses, healthChecks)
}

// TestPoisonBatchIsolated: a batch that the store refuses on every
// delivery (a PostgreSQL trigger raising an error for one span name, an
// error the store cannot call invalid) is dead-lettered after the
// delivery limit with its last failure, while the good batches sent
// before and during its retries, which the writer fetches and combines
// with it, are all written.
func TestPoisonBatchIsolated(t *testing.T) {
	t.Parallel()
	ns := startNATS(t, t.TempDir())
	dbURL := pgtest.NewDatabase(t)
	b := setup(t, options{databaseURL: dbURL, configure: func(c *server.Config) {
		c.NATSURL, c.MaxDeliveries = ns.ClientURL(), 3
	}})
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), `
		CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.name = 'poison' THEN RAISE EXCEPTION 'poison span refused'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_poison BEFORE INSERT ON spans FOR EACH ROW EXECUTE FUNCTION refuse_poison();`); err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, err := nc.SubscribeSync(queue.DeadSubject)
	if err != nil {
		t.Fatal(err)
	}

	poison := agentTrace()[:1]
	poison[0].Name = "poison"
	var sent [][]store.Span
	send := func(n int) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for range n {
			wg.Go(func() {
				spans := agentTrace()
				if r := b.post(t, b.key, body(t, spans...)); r.status != 202 {
					t.Errorf("status %d", r.status)
				}
				mu.Lock()
				sent = append(sent, spans)
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	if r := b.post(t, b.key, body(t, poison...)); r.status != 202 {
		t.Fatalf("the poison batch: status %d", r.status)
	}
	send(99)
	time.Sleep(400 * time.Millisecond) // into the poison batch's retries
	send(30)

	dead, err := sub.NextMsg(30 * time.Second)
	if err != nil {
		t.Fatalf("no dead letter: %v", err)
	}
	reason := dead.Header.Get(queue.HeaderReason)
	if dead.Header.Get(queue.HeaderDeliveries) != "3" || !strings.Contains(reason, "poison span refused") || !strings.Contains(reason, "3 deliveries") {
		t.Errorf("dead letter after %s deliveries, reason %q; want 3 and the trigger's error", dead.Header.Get(queue.HeaderDeliveries), reason)
	}
	var got struct{ Spans []store.Span }
	if err := json.Unmarshal(dead.Data, &got); err != nil || len(got.Spans) != 1 || got.Spans[0].Name != "poison" {
		t.Errorf("the dead letter holds %+v (%v); want the poison batch alone", got.Spans, err)
	}
	p := b.defaultProject(t)
	for _, spans := range sent {
		b.waitTrace(t, b.store, p.ID, spans[0].TraceID, int64(len(spans)))
	}
	if _, err := sub.NextMsg(time.Second); err == nil {
		t.Error("a second batch was dead-lettered; only the poison one should be")
	}
}

// TestReadsDuringOutage cuts the collector off from PostgreSQL: REST
// reads answer 503 with Retry-After (never a 500), and 200 again once
// the database is back.
func TestReadsDuringOutage(t *testing.T) {
	t.Parallel()
	direct := pgtest.NewDatabase(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	px := startProxy(t, u.Host)
	u.Host = px.addr()
	b := setup(t, options{databaseURL: u.String()})
	spans := agentTrace()
	if r := b.post(t, b.key, body(t, spans...)); r.status != 202 {
		t.Fatalf("status %d", r.status)
	}
	st := openStore(t, server.Config{DatabaseURL: direct})
	p, err := st.GetProjectByName(t.Context(), server.DefaultProject)
	if err != nil {
		t.Fatal(err)
	}
	b.waitTrace(t, st, p.ID, spans[0].TraceID, int64(len(spans)))
	paths := []string{"/api/v1/traces", "/api/v1/traces/" + spans[0].TraceID, "/api/v1/spans?type=llm", "/api/v1/metrics/usage"}
	get := func(path string) (int, http.Header, string) {
		req, _ := http.NewRequest("GET", b.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+b.key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(raw)
	}
	for _, path := range paths {
		if code, _, body := get(path); code != 200 {
			t.Fatalf("GET %s before the outage: %d %s", path, code, body)
		}
	}
	px.setDown(true)
	for _, path := range paths {
		code, h, body := get(path)
		if code != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || !strings.Contains(body, `"unavailable"`) {
			t.Errorf("GET %s with the database down: %d Retry-After %q %s; want 503", path, code, h.Get("Retry-After"), body)
		}
	}
	px.setDown(false)
	for _, path := range paths {
		deadline := time.Now().Add(20 * time.Second)
		for {
			code, _, body := get(path)
			if code == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s after the outage: %d %s", path, code, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
