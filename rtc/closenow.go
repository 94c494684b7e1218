package rtc

import "context"

// CloseNow is Close for a command whose work the peer has already confirmed: an answer to
// our question, or the acknowledgement of a delivered message. Nothing of ours then waits
// for delivery, so the connections do not wait for the peer's SCTP acknowledgements (which
// a peer may delay by up to 200 ms) or for pion's goroutines: each connection sends SCTP
// ABORT and DTLS close_notify and is done. The peer sees the authenticated close_notify and
// reports that we left (ErrPeerLeft), as it does for a bye. The room is left as with Close
// (unload, MQTT DISCONNECT).
//
// Use Close when something sent may still be in flight (chat, a stream that was not
// acknowledged): Close delivers it first.
func (c *Client) CloseNow(ctx context.Context) error {
	c.now.Store(true)
	return c.Close(ctx)
}

// closingNow reports whether CloseNow asked the peers to close without flushing.
func (c *Client) closingNow() bool { return c.now.Load() }
