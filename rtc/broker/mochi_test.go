package broker

import (
	"fmt"
	"sync"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// TestMochiGetByListenerWithDeletes: mochi v2.7.9's GetByListener took its read lock twice,
// and a Delete queued between the two deadlocked both (third_party/mochi-server patch
// 0001). Readers and writers race here until the deadline; on the unpatched mochi this
// hangs within a fraction of a second.
func TestMochiGetByListenerWithDeletes(t *testing.T) {
	clients := mqtt.NewClients()
	for i := range 64 {
		clients.Add(&mqtt.Client{ID: fmt.Sprint(i), Net: mqtt.ClientConnection{Listener: "l"}})
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					clients.GetByListener("l")
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
					id := fmt.Sprint("w", i%8)
					clients.Add(&mqtt.Client{ID: id, Net: mqtt.ClientConnection{Listener: "l"}})
					clients.Delete(id)
				}
			}
		}()
	}
	time.AfterFunc(time.Second, func() { close(stop) })
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("GetByListener and Delete deadlocked (mochi's recursive read lock)")
	}
}
