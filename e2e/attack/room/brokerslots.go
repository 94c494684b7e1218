package main

import (
	"context"
	"flag"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// runBrokerSlots takes the broker's connection places without credentials: TCP
// connections that never send CONNECT, opened at -rate per second up to -n open at once,
// each replaced as soon as the broker closes it. The broker's places are few (128 by
// default), so without a reserve for logged-in clients a legitimate login finds none.
// It says "ready" once it has opened -n connections (whether the broker kept them or not)
// and goes on until "stop".
//
// Flags: -n open connections to aim for (200), -rate new connections per second (40).
func runBrokerSlots(ctx context.Context, args []string, ctl *control) error {
	fs := flag.NewFlagSet("brokerslots", flag.ExitOnError)
	var c common
	n := fs.Int("n", 200, "connections to hold open at once")
	rate := fs.Float64("rate", 40, "new connections per second")
	ctx, cancel := parse(ctx, fs, &c, args)
	defer cancel()
	u, err := url.Parse(c.broker)
	if err != nil {
		return err
	}
	var open, opened, closedByBroker atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	defer func() {
		mu.Lock()
		for _, cn := range conns {
			_ = cn.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
	tick := time.NewTicker(time.Duration(float64(time.Second) / *rate))
	defer tick.Stop()
	ready := false
	for {
		select {
		case <-ctx.Done():
			out.emit("summary", map[string]any{"opened": opened.Load(), "closed_by_broker": closedByBroker.Load(), "open": open.Load()})
			return nil
		case <-ctl.stopCh:
			out.emit("summary", map[string]any{"opened": opened.Load(), "closed_by_broker": closedByBroker.Load(), "open": open.Load()})
			return nil
		case <-tick.C:
		}
		if open.Load() >= int64(*n) {
			continue
		}
		cn, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
		if err != nil {
			continue
		}
		opened.Add(1)
		open.Add(1)
		mu.Lock()
		conns = append(conns, cn)
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Nothing is ever sent; a read ends when the broker closes the connection.
			_, _ = cn.Read(make([]byte, 1))
			open.Add(-1)
			if ctx.Err() == nil {
				closedByBroker.Add(1)
			}
			_ = cn.Close()
		}()
		if !ready && opened.Load() >= int64(*n) {
			ready = true
			out.emit("ready", map[string]any{"opened": opened.Load(), "open": open.Load(), "closed_by_broker": closedByBroker.Load()})
		}
	}
}
