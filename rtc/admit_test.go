package rtc

import (
	"fmt"
	"testing"
	"time"

	"github.com/rtchat/rtchat/keys"
)

// admitClient is a Client that is not connected to anything, with "friend0".."friend11"
// pinned, for the room loop's admission rules.
func admitClient(t *testing.T, budget int) *Client {
	t.Helper()
	store := keys.Open(t.TempDir())
	pub := testIdentity(t, "friend", 1).PublicJWK
	for i := range 12 {
		if _, err := store.Pin(fmt.Sprintf("friend%d", i), pub, false); err != nil {
			t.Fatal(err)
		}
	}
	c, err := newClient(Config{Identity: testIdentity(t, "me", 0), Store: store, Room: "r", Role: RoleRoom, PendingBudget: budget})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.endLife)
	return c
}

// addView files a connection that is not yet verified, created at age ago.
func addView(c *Client, full string, offerer, protected, vouched bool, age time.Duration) *peer {
	p := newPeer(c, full, userInfo{RTChat: &rtchatInfo{V: protocolVersion, Role: RoleRoom}}, offerer, protected)
	c.peers[full] = p
	c.views[p] = &peerView{state: stSignaled, created: time.Now().Add(-age), protected: protected, vouched: vouched}
	return p
}

func countVouched(c *Client) (vouched, strangers int) {
	for _, v := range c.views {
		if v.vouched {
			vouched++
		} else {
			strangers++
		}
	}
	return vouched, strangers
}

// TestAdmitStrangersNeverTouchVouched: strangers fill their budget and keep coming; each
// newcomer evicts the oldest stranger, never a connection we vouch for, and a signed offer
// or our offer to a pinned name is still admitted.
func TestAdmitStrangersNeverTouchVouched(t *testing.T) {
	c := admitClient(t, 0)
	for i := range 10 {
		addView(c, fmt.Sprintf("friend%d(%04x)", i, i), false, true, true, time.Hour) // old signed offers
	}
	for i := range 200 {
		bare := fmt.Sprintf("stranger%d", i)
		if !c.admit(admission{bare: bare, evict: true}) {
			t.Fatalf("stranger %d refused: the oldest stranger should have been evicted", i)
		}
		addView(c, fmt.Sprintf("%s(%04x)", bare, i), false, false, false, time.Duration(200-i)*time.Millisecond)
	}
	if v, s := countVouched(c); v != 10 || s != maxPending {
		t.Fatalf("after 200 strangers: %d vouched (want 10), %d strangers (want %d)", v, s, maxPending)
	}
	if !c.admit(admission{bare: "friend10", protected: true, vouched: true, evict: true}) {
		t.Error("a signed offer was refused while strangers fill their budget")
	}
	if !c.admit(admission{bare: "friend11", vouched: true, offer: true, evict: true}) {
		t.Error("our offer to a pinned name was refused while strangers fill their budget")
	}
}

// TestAdmitVouchedBudget: our offers stop at three quarters of the vouched budget (offers
// we answer keep the rest), the budget holds in all, and a forged presence of a pinned
// name takes at most maxPendingPerName of our offers to it, replacing the oldest that got
// no answer.
func TestAdmitVouchedBudget(t *testing.T) {
	c := admitClient(t, 8)
	for i := range 6 {
		if !c.admit(admission{bare: fmt.Sprintf("friend%d", i), vouched: true, offer: true}) {
			t.Fatalf("our offer %d refused below 6 of 8", i)
		}
		addView(c, fmt.Sprintf("friend%d(0001)", i), true, false, true, time.Second)
	}
	if c.admit(admission{bare: "friend6", vouched: true, offer: true}) {
		t.Error("a 7th offer of ours admitted: offers we answer must keep a quarter of the budget")
	}
	for i := 6; i < 8; i++ {
		if !c.admit(admission{bare: fmt.Sprintf("friend%d", i), protected: true, vouched: true}) {
			t.Fatalf("signed offer %d refused below the budget", i)
		}
		addView(c, fmt.Sprintf("friend%d(0002)", i), false, true, true, time.Second)
	}
	if c.admit(admission{bare: "friend9", protected: true, vouched: true, evict: true}) {
		t.Error("a signed offer admitted past the vouched budget")
	}

	c = admitClient(t, 0)
	old := addView(c, "friend1(aaaa)", true, false, true, 2*time.Second)
	addView(c, "friend1(bbbb)", true, false, true, time.Second)
	if c.admit(admission{bare: "friend1", vouched: true, offer: true}) {
		t.Error("a 3rd offer to one pinned name admitted without evicting (a retry must not evict)")
	}
	if !c.admit(admission{bare: "friend1", vouched: true, offer: true, evict: true}) {
		t.Fatal("a 3rd offer to one pinned name refused: it should replace the oldest unanswered one")
	}
	if c.views[old] != nil {
		t.Error("the oldest unanswered offer to friend1 was not the one evicted")
	}
	if c.retry["friend1(aaaa)"] == nil {
		t.Error("the evicted offer is not to be tried again")
	}
}

// TestRefusedPeerStaysInBudget (issue 23): a refused connection lives on for up to
// refusalGrace while its notice goes out. It must not live outside its budget meanwhile (a
// flood of refused strangers would be unbounded): it counts until it closes, and a
// newcomer that needs room closes it at once, before any connection still proving itself.
// For the strangers' budget and the vouched one.
func TestRefusedPeerStaysInBudget(t *testing.T) {
	for _, vouched := range []bool{false, true} {
		t.Run(fmt.Sprintf("vouched=%v", vouched), func(t *testing.T) {
			const budget = 2
			c := admitClient(t, budget)
			var all []*peer
			add := func(name string, age time.Duration) *peer {
				p := addView(c, name, false, vouched, vouched, age)
				c.views[p].state = stConnected
				all = append(all, p)
				return p
			}
			proving := add("peer1", 2*time.Second)
			refused := add("peer2", time.Second)
			// The refused peer tells the room, as its owner does (refuse), and lives on.
			c.refused(refused, &verifyError{reason: "not pinned", msg: "peer2 is not pinned"})
			select {
			case fn := <-c.inbox:
				fn() // as the room loop would
			case <-time.After(10 * time.Second):
				t.Fatal("refused handed the room nothing")
			}
			for i := range 3 {
				name := fmt.Sprintf("newcomer%d", i)
				if c.admit(admission{bare: name, protected: vouched, vouched: vouched, evict: true}) {
					add(name, 0)
				}
				if i == 0 && len(proving.closeReq) != 0 {
					t.Error("a connection still proving itself was evicted while a refused one held room")
				}
				alive := 0
				for _, p := range all {
					if len(p.closeReq) == 0 {
						alive++ // never asked to close: still running
					}
				}
				if alive > budget {
					t.Fatalf("after newcomer %d: %d connections alive, budget %d", i, alive, budget)
				}
			}
			if len(refused.closeReq) == 0 {
				t.Error("the refused connection is still alive after newcomers needed its room")
			}
		})
	}
}
