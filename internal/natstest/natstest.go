// Package natstest runs real NATS servers with JetStream for tests: one,
// or a cluster of several routed together on loopback ports.
package natstest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// MaxPayload is the servers' message size limit: a whole default-sized
// ingest body.
const MaxPayload = 8 << 20

// Cluster is n JetStream servers routed into one cluster.
type Cluster struct {
	Nodes []*natsserver.Server
}

// URL lists every node's client URL, comma-separated, as
// TRACIUM_NATS_URL takes a cluster.
func (c *Cluster) URL() string {
	urls := make([]string, len(c.Nodes))
	for i, ns := range c.Nodes {
		urls[i] = ns.ClientURL()
	}
	return strings.Join(urls, ",")
}

// StartCluster runs n servers named n1…nN until the test ends and waits
// until JetStream answers, with a meta leader elected.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	routes := make([]int, n)
	for i := range routes {
		routes[i] = freePort(t)
	}
	c := &Cluster{}
	for i := range n {
		var peers []*url.URL
		for j, p := range routes {
			if j != i {
				peers = append(peers, &url.URL{Scheme: "nats", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(p))})
			}
		}
		ns, err := natsserver.NewServer(&natsserver.Options{
			ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: -1,
			JetStream: true, StoreDir: t.TempDir(), MaxPayload: MaxPayload,
			Cluster: natsserver.ClusterOpts{Name: "tracium", Host: "127.0.0.1", Port: routes[i]},
			Routes:  peers, NoSigs: true, NoLog: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		ns.Start()
		t.Cleanup(ns.Shutdown)
		c.Nodes = append(c.Nodes, ns)
	}
	for _, ns := range c.Nodes {
		if !ns.ReadyForConnections(10 * time.Second) {
			t.Fatal("a NATS node did not start")
		}
	}
	waitJetStream(t, c.Nodes[0].ClientURL())
	return c
}

// Start runs one JetStream server on a random loopback port until the
// test ends.
func Start(t testing.TB) *natsserver.Server {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: t.TempDir(), MaxPayload: MaxPayload, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	return ns
}

// StreamInfo reads the named stream's state and configuration from the
// server or cluster at natsURL (comma-separated URLs for a cluster).
func StreamInfo(t testing.TB, natsURL, name string) *jetstream.StreamInfo {
	t.Helper()
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	return info
}

func waitJetStream(t testing.TB, u string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		nc, err := nats.Connect(u)
		if err == nil {
			js, _ := jetstream.New(nc)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err = js.AccountInfo(ctx)
			cancel()
			nc.Close()
			if err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("JetStream does not answer: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
