package traciumgrpc

import (
	"strings"
	"sync"
)

// maxMethods bounds a handler's method cache: a server sees only the
// methods it serves, but a client can send any name, and a name not
// served must not grow the cache without end.
const maxMethods = 1024

// method is what the spans of one full method name record, with its
// parts already boxed as attribute values so recording them allocates
// nothing.
type method struct {
	service, name any
}

// methodCache maps full method names to their parts. Safe for concurrent
// use.
type methodCache struct {
	mu sync.RWMutex
	m  map[string]*method
}

// get returns the parts of fullMethod.
func (c *methodCache) get(fullMethod string) *method {
	c.mu.RLock()
	m, ok := c.m[fullMethod]
	c.mu.RUnlock()
	if ok {
		return m
	}
	service, name := splitMethod(fullMethod)
	m = &method{service: service, name: name}
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[string]*method)
	}
	if len(c.m) < maxMethods {
		c.m[fullMethod] = m
	}
	c.mu.Unlock()
	return m
}

// splitMethod splits "/pkg.Service/Method" into "pkg.Service" and
// "Method"; a name without that shape is all method.
func splitMethod(fullMethod string) (service, name string) {
	s := strings.TrimPrefix(fullMethod, "/")
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return "", s
	}
	return s[:i], s[i+1:]
}
