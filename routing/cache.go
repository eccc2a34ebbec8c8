package routing

import "sync"

// ownerCache remembers route owners. An owner never changes once
// registered, so entries need no invalidation; the cache is bounded by
// evicting the oldest entry.
type ownerCache struct {
	mu    sync.Mutex
	max   int
	byKey map[string]string
	order []string // insertion order, a ring once full
	next  int
}

func newOwnerCache(max int) *ownerCache {
	return &ownerCache{max: max, byKey: make(map[string]string, min(max, 1024))}
}

func (c *ownerCache) get(routeID string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	owner, ok := c.byKey[routeID]
	return owner, ok
}

func (c *ownerCache) put(routeID, owner string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[routeID]; ok {
		return
	}
	if len(c.order) < c.max {
		c.order = append(c.order, routeID)
	} else {
		delete(c.byKey, c.order[c.next])
		c.order[c.next] = routeID
		c.next = (c.next + 1) % c.max
	}
	c.byKey[routeID] = owner
}

func (c *ownerCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byKey)
}
