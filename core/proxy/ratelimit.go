package proxy

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// WithRate limits each client to perSecond requests a second on average, with bursts of
// burst requests; over the limit a client gets 429 with Retry-After. perSecond <= 0 turns
// the limit off. The default is 20 a second, bursts of 200 (a pull is a request per blob).
func WithRate(perSecond float64, burst int) Option {
	return func(h *Handler) error {
		h.limit = &limiter{rate: perSecond, burst: float64(burst), buckets: map[string]*bucket{}, now: time.Now}
		return nil
	}
}

// WithTrustedProxies makes the client the last X-Forwarded-For address when the request
// comes from one of these networks (a reverse proxy in front of layerlab serve).
func WithTrustedProxies(nets ...netip.Prefix) Option {
	return func(h *Handler) error { h.trusted = append(h.trusted, nets...); return nil }
}

type bucket struct {
	tokens float64
	last   time.Time
}

type limiter struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	buckets map[string]*bucket
	now     func() time.Time
}

// take spends one token of client's bucket, or says how long until one is there.
func (l *limiter) take(client string) (bool, time.Duration) {
	if l == nil || l.rate <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[client]
	if !ok {
		if len(l.buckets) > 100000 {
			for k, v := range l.buckets {
				if now.Sub(v.last) > time.Minute {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[client] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// clientOf is the address a request is counted against.
func (h *Handler) clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	for _, p := range h.trusted {
		if p.Contains(peer.Unmap()) {
			xff := r.Header.Values("X-Forwarded-For")
			if len(xff) == 0 {
				break
			}
			parts := strings.Split(xff[len(xff)-1], ",")
			if a, err := netip.ParseAddr(strings.TrimSpace(parts[len(parts)-1])); err == nil {
				return a.Unmap().String()
			}
			break
		}
	}
	return peer.Unmap().String()
}
