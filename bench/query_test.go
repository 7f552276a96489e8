package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/store/postgres"
	"github.com/tracium/tracium/store/storetest"
)

// BenchmarkQuery measures what a user waits for, over HTTP, with 1,000,000
// spans stored on PostgreSQL: a filtered page of the trace list (API and
// web page) and a 10,000-span trace (API and web page). It reports p50
// and p95 of each.
func BenchmarkQuery(b *testing.B) {
	st, key, srv, p := setupServer(b, "TRACIUM_ADMIN_EMAIL=bench@example.com", "TRACIUM_ADMIN_PASSWORD=bench-password")
	big := load(b, st, p.ID)
	client := signIn(b, srv.url)

	since := url.QueryEscape(time.Now().Add(-3 * 24 * time.Hour).UTC().Format(time.RFC3339))
	for _, tc := range []struct {
		name, path string
		session    bool
	}{
		{"api-list-filtered", "/api/v1/traces?agent_name=agent-3&since=" + since, false},
		{"api-list-text", "/api/v1/traces?q=question+4242%3A", false},
		{"page-list-filtered", "/traces?agent_name=agent-3&status=ok&since=" + since, true},
		{"api-trace-10k", "/api/v1/traces/" + big, false},
		{"page-trace-10k", "/traces/" + big, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				req, _ := http.NewRequest("GET", srv.url+tc.path, nil)
				c := http.DefaultClient
				if tc.session {
					c = client
				} else {
					req.Header.Set("Authorization", "Bearer "+key)
				}
				start := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(start))
				if resp.StatusCode != 200 {
					b.Fatalf("GET %s: %d", tc.path, resp.StatusCode)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[(len(lat)*95)/100].Microseconds())/1000, "p95-ms")
		})
	}
}

// load stores the read fixture (see storetest.LoadReadFixture) and
// returns the 10,000-span trace's id.
func load(b *testing.B, st *postgres.Store, projectID int64) string {
	ctx := context.Background()
	big, err := storetest.LoadReadFixture(ctx, st, projectID)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	return big
}

// signIn logs in through the form and returns a client with the session.
func signIn(b *testing.B, base string) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(base + "/login")
	if err != nil {
		b.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_, after, _ := strings.Cut(string(page), `name="csrf" value="`)
	token, _, _ := strings.Cut(after, `"`)
	resp, err = c.PostForm(base+"/login", url.Values{"email": {"bench@example.com"}, "password": {"bench-password"}, "csrf": {token}})
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/traces" {
		b.Fatal(fmt.Sprintf("sign-in ended at %s", resp.Request.URL))
	}
	return c
}
