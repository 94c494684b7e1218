package rtc

import "container/list"

// lru is a map with a capacity that forgets the least recently used entry when full: every
// table a stranger on the topic can add to is one of these.
type lru[K comparable, V any] struct {
	max int
	ll  *list.List
	m   map[K]*list.Element
}

type lruEntry[K comparable, V any] struct {
	k K
	v V
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, ll: list.New(), m: map[K]*list.Element{}}
}

// get returns the value of k and marks it recently used.
func (l *lru[K, V]) get(k K) (V, bool) {
	if e, ok := l.m[k]; ok {
		l.ll.MoveToFront(e)
		return e.Value.(*lruEntry[K, V]).v, true
	}
	var zero V
	return zero, false
}

// peek returns the value of k without marking it used.
func (l *lru[K, V]) peek(k K) (V, bool) {
	if e, ok := l.m[k]; ok {
		return e.Value.(*lruEntry[K, V]).v, true
	}
	var zero V
	return zero, false
}

// put sets k to v, marks it recently used, and evicts the oldest entry if over capacity.
// It reports whether k is new.
func (l *lru[K, V]) put(k K, v V) bool {
	if e, ok := l.m[k]; ok {
		e.Value.(*lruEntry[K, V]).v = v
		l.ll.MoveToFront(e)
		return false
	}
	l.m[k] = l.ll.PushFront(&lruEntry[K, V]{k, v})
	if l.ll.Len() > l.max {
		old := l.ll.Back()
		l.ll.Remove(old)
		delete(l.m, old.Value.(*lruEntry[K, V]).k)
	}
	return true
}

func (l *lru[K, V]) remove(k K) {
	if e, ok := l.m[k]; ok {
		l.ll.Remove(e)
		delete(l.m, k)
	}
}

func (l *lru[K, V]) len() int { return l.ll.Len() }

// each calls fn for every entry, most recently used first.
func (l *lru[K, V]) each(fn func(K, V)) {
	for e := l.ll.Front(); e != nil; e = e.Next() {
		en := e.Value.(*lruEntry[K, V])
		fn(en.k, en.v)
	}
}
