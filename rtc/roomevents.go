package rtc

import "github.com/rtchat/rtchat/keys"

// EventJoined: the connection is established both ways (an rtchat peer verified us too; a
// web page or keyless client once we verified it), so the peer is now in Client.Peers()
// and what is sent to it arrives. Emitted once per connection, from the room loop, after
// Peers() includes it; it carries what the verified event said (Bound, Fingerprint,
// Unverified). `rtchat connect` in room mode shows it as the peer joining.
const EventJoined EventType = "joined"

// noteJoined reports a connection that has just become established (was: its state before
// the report). Room loop.
func (c *Client) noteJoined(p *peer, was peerState) {
	if was.established() {
		return // a change of reachability, not a new connection
	}
	// proof is set by the owner before it reports the state, and never changed after.
	c.emit(Event{Type: EventJoined, Peer: p.remote, Bare: p.bare, Bound: p.proof.bound,
		Fingerprint: p.proof.fingerprint, Unverified: p.proof.unverified})
}

// noteKeyless tells listen and the room at once that a client without identity
// keys appeared which the trust policy does not let in, so that the user learns why it is
// not talked to (a Dial learns it from its error). Once per presence. Room loop.
func (c *Client) noteKeyless(full string, info userInfo) {
	if !c.cfg.Role.hearsEveryone() || !info.keyless() || c.cfg.Trust == TrustUnverified || c.mine(full) || c.downgraded(full, info) {
		return
	}
	c.emit(Event{Type: EventRefused, Peer: full, Bare: keys.BareName(full), Err: keylessErr(full)})
}

// noteDowngraded tells listen and the room that a name pinned as an rtchat peer appeared
// without rtchat's proof (a web page, another protocol version): it is never talked to,
// and without a word the user would not know why (a Dial says it in its error). Once per
// presence. Room loop.
func (c *Client) noteDowngraded(full string, info userInfo) {
	if !c.cfg.Role.hearsEveryone() || !c.downgraded(full, info) || c.mine(full) {
		return
	}
	otherV := 0
	if info.RTChat != nil && info.RTChat.V != protocolVersion {
		otherV = info.RTChat.V
	}
	c.emit(Event{Type: EventRefused, Peer: full, Bare: keys.BareName(full), Err: downgradeErr(full, otherV)})
}

// hearsEveryone: the role stays in the room for whoever comes (listen, the room), so a
// refusal of someone who tried to reach us is an event to report.
func (r Role) hearsEveryone() bool { return r == RoleListen || r == RoleRoom }
