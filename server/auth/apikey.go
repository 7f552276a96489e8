// Package auth issues and checks API keys. A key is "sk_live_" followed by
// 43 base62 characters (256 bits from crypto/rand); only its SHA-256 is
// stored, and the secret is never logged.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/tracium/tracium/store"
)

// KeyPrefix starts every API key.
const KeyPrefix = "sk_live_"

const (
	base62       = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	secretChars  = 43 // ceil(256 / log2(62))
	displayChars = len(KeyPrefix) + 6
)

// ErrUnauthorized is returned for a missing, malformed, unknown or revoked
// key. Which of these it was is never told to the client.
var ErrUnauthorized = errors.New("invalid API key")

// NewKey returns a fresh secret and the record to store for it.
func NewKey(projectID int64, name string) (secret string, k store.APIKey, err error) {
	var sb strings.Builder
	sb.WriteString(KeyPrefix)
	max := big.NewInt(int64(len(base62)))
	for range secretChars {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", k, fmt.Errorf("generate key: %w", err)
		}
		sb.WriteByte(base62[n.Int64()])
	}
	secret = sb.String()
	return secret, Record(projectID, name, secret), nil
}

// Record returns the store record of a key whose secret is known, as for a
// bootstrap key given in the environment.
func Record(projectID int64, name, secret string) store.APIKey {
	return store.APIKey{ProjectID: projectID, Name: name, Prefix: secret[:min(displayChars, len(secret))], Hash: Hash(secret)}
}

// Hash is the stored form of a secret.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// WellFormed reports whether s looks like a key, so that garbage never
// reaches the database.
func WellFormed(s string) bool {
	if !strings.HasPrefix(s, KeyPrefix) || len(s) < len(KeyPrefix)+32 || len(s) > len(KeyPrefix)+128 {
		return false
	}
	for i := len(KeyPrefix); i < len(s); i++ {
		if strings.IndexByte(base62, s[i]) < 0 {
			return false
		}
	}
	return true
}

// KeyStore is what the authenticator needs of the store.
type KeyStore interface {
	APIKeyByHash(ctx context.Context, hash []byte) (store.APIKey, error)
	TouchAPIKey(ctx context.Context, projectID, keyID int64, at time.Time) error
}

// Authenticator resolves secrets to keys, caching lookups briefly so that
// ingest does not ask the database on every request.
type Authenticator struct {
	keys KeyStore
	ttl  time.Duration
	now  func() time.Time

	mu      sync.Mutex
	cache   map[[sha256.Size]byte]cachedKey
	touched map[int64]time.Time // key id -> last time recorded
}

type cachedKey struct {
	key     store.APIKey
	found   bool
	expires time.Time
}

// CacheTTL bounds how long a revoked key may still be accepted by a
// process that did not revoke it.
const CacheTTL = 10 * time.Second

// touchEvery bounds the writes of last_used_at.
const touchEvery = time.Minute

// NewAuthenticator returns an Authenticator over keys.
func NewAuthenticator(keys KeyStore) *Authenticator {
	return &Authenticator{keys: keys, ttl: CacheTTL, now: time.Now,
		cache: map[[sha256.Size]byte]cachedKey{}, touched: map[int64]time.Time{}}
}

// Authenticate returns the live key whose secret is given, or
// ErrUnauthorized. Other errors mean the store could not be asked.
func (a *Authenticator) Authenticate(ctx context.Context, secret string) (store.APIKey, error) {
	if !WellFormed(secret) {
		return store.APIKey{}, ErrUnauthorized
	}
	sum := sha256.Sum256([]byte(secret))
	now := a.now()
	a.mu.Lock()
	c, ok := a.cache[sum]
	a.mu.Unlock()
	if !ok || now.After(c.expires) {
		k, err := a.keys.APIKeyByHash(ctx, sum[:])
		switch {
		case errors.Is(err, store.ErrNotFound):
			c = cachedKey{found: false, expires: now.Add(a.ttl)}
		case err != nil && ok:
			// The store is down: keep trusting what it said last, so that
			// ingest goes on queueing while the database is unreachable.
		case err != nil:
			return store.APIKey{}, fmt.Errorf("look up API key: %w", err)
		default:
			c = cachedKey{key: k, found: true, expires: now.Add(a.ttl)}
		}
		a.mu.Lock()
		if len(a.cache) > 10_000 {
			clear(a.cache) // bounded: a flood of random keys cannot grow it
		}
		a.cache[sum] = c
		a.mu.Unlock()
	}
	// The lookup was by hash; compare again in constant time so that no
	// code path depends on how much of a wrong hash matched.
	if !c.found || subtle.ConstantTimeCompare(c.key.Hash, sum[:]) != 1 || c.key.Revoked() {
		return store.APIKey{}, ErrUnauthorized
	}
	a.touch(ctx, c.key, now)
	return c.key, nil
}

// Forget drops a key from the cache, after it was revoked here.
func (a *Authenticator) Forget(hash []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.cache, [sha256.Size]byte(hash))
}

// touch records last use at most once a minute per key, in the background:
// a slow database must not slow ingest.
func (a *Authenticator) touch(ctx context.Context, k store.APIKey, now time.Time) {
	a.mu.Lock()
	last := a.touched[k.ID]
	due := now.Sub(last) >= touchEvery
	if due {
		a.touched[k.ID] = now
	}
	a.mu.Unlock()
	if !due {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = a.keys.TouchAPIKey(ctx, k.ProjectID, k.ID, now)
	}()
}

// ForgetID drops every cached entry of the key with id, after it was
// revoked in this process, so that it stops working at once here.
func (a *Authenticator) ForgetID(id int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for h, c := range a.cache {
		if c.found && c.key.ID == id {
			delete(a.cache, h)
		}
	}
}
