package traciumgrpc

import (
	"fmt"
	"testing"
)

func TestSplitMethod(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, service, name string }{
		{"/grpc.testing.TestService/UnaryCall", "grpc.testing.TestService", "UnaryCall"},
		{"/Svc/M", "Svc", "M"},
		{"pkg.Svc/M", "pkg.Svc", "M"},
		{"/a/b/C", "a/b", "C"},
		{"/NoSlash", "", "NoSlash"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if s, n := splitMethod(tt.in); s != tt.service || n != tt.name {
			t.Errorf("splitMethod(%q) = %q, %q; want %q, %q", tt.in, s, n, tt.service, tt.name)
		}
	}
}

// Names a client makes up must not grow the cache without end, and a name
// past the bound still gets its parts.
func TestMethodCacheIsBounded(t *testing.T) {
	t.Parallel()
	var c methodCache
	for i := range 3 * maxMethods {
		m := c.get(fmt.Sprintf("/svc.S/M%d", i))
		if m.service != "svc.S" || m.name != fmt.Sprintf("M%d", i) {
			t.Fatalf("get #%d = %v %v", i, m.service, m.name)
		}
	}
	if len(c.m) != maxMethods {
		t.Errorf("cache holds %d methods, want the bound %d", len(c.m), maxMethods)
	}
	if a, b := c.get("/svc.S/M1"), c.get("/svc.S/M1"); a != b {
		t.Errorf("a cached method is not reused")
	}
}
